#!/usr/bin/env python3
"""Benchmark inputs for onrecord-phone.

    python3 bench/gen_phone.py N OUTDIR [--no-db]

writes OUTDIR/sms-backup.xml (an SMS Backup & Restore file with N messages: about 1 in 20 an MMS
with a text part and a small base64 image) and OUTDIR/chat.db (a Messages database with N
messages, a quarter of them with only an attributedBody, built with python's sqlite3 and the real
table and column names). Data is synthetic and deterministic.
"""
import base64
import os
import random
import sqlite3
import struct
import sys
from xml.sax.saxutils import quoteattr

WORDS = ("minute draft budget meeting policy call agree paper review team risk option decision "
         "tomorrow today thanks please send update brief note minister office urgent").split()


def sentence(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 18))).capitalize() + "."


def write_xml(n, path, rng):
    contacts = [(f"+4477009{i:05d}", f"Contact {i}") for i in range(200)]
    image = base64.b64encode(bytes(rng.getrandbits(8) for _ in range(3000))).decode()
    t = 1_700_000_000_000
    with open(path, "w", encoding="utf-8") as f:
        f.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        f.write("<!--File Created By SMS Backup & Restore v10.20.002 (benchmark)-->\n")
        f.write(f'<smses count="{n}" backup_set="bench" backup_date="{t}" type="full">\n')
        for i in range(n):
            t += rng.randint(1000, 600_000)
            addr, name = rng.choice(contacts)
            box = rng.choice((1, 2))
            if i % 20 == 19:
                other, _ = rng.choice(contacts)
                f.write(f'  <mms date="{t}" rr="null" sub="null" ct_t="application/vnd.wap.multipart.related" '
                        f'msg_box="{box}" address="{addr}~{other}" m_id="bench-{i}@example.invalid" m_type="132" '
                        f'contact_name={quoteattr(name)} readable_date="x">\n    <parts>\n'
                        f'      <part seq="-1" ct="application/smil" name="null" chset="null" cd="null" fn="null" '
                        f'cid="&lt;smil&gt;" cl="smil.xml" ctt_s="null" ctt_t="null" text="&lt;smil/&gt;" />\n'
                        f'      <part seq="0" ct="image/jpeg" name="null" chset="null" cd="null" fn="null" cid="&lt;i&gt;" '
                        f'cl="IMG_{i}.jpg" ctt_s="null" ctt_t="null" text="null" data="{image}" />\n'
                        f'      <part seq="0" ct="text/plain" name="null" chset="106" cd="null" fn="null" cid="&lt;t&gt;" '
                        f'cl="text_0.txt" ctt_s="null" ctt_t="null" text={quoteattr(sentence(rng))} />\n'
                        f'    </parts>\n    <addrs>\n      <addr address="{addr}" type="137" charset="106" />\n'
                        f'      <addr address="{other}" type="151" charset="106" />\n    </addrs>\n  </mms>\n')
            else:
                body = sentence(rng)
                if i % 7 == 0:
                    body += " &#55357;&#56397;"
                    body_attr = '"' + body + '"'
                else:
                    body_attr = quoteattr(body)
                f.write(f'  <sms protocol="0" address="{addr}" date="{t}" type="{box}" subject="null" body={body_attr} '
                        f'toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" '
                        f'date_sent="0" sub_id="1" readable_date="x" contact_name={quoteattr(name)} />\n')
        f.write("</smses>\n")


def typedstream(text):
    b = text.encode()
    head = (b"\x04\x0bstreamtyped\x81\xe8\x03\x84\x01@\x84\x84\x84\x12NSAttributedString\x00\x84\x84\x08"
            b"NSObject\x00\x85\x92\x84\x84\x84\x08NSString\x01\x94\x84\x01+")
    length = bytes([len(b)]) if len(b) < 0x80 else b"\x81" + struct.pack("<H", len(b))
    return head + length + b + b"\x86\x84\x02iI\x01\x0b\x92\x84\x84\x84\x0cNSDictionary\x00\x94\x86\x86"


def write_db(n, path, rng):
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    db.executescript("""
    CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, country TEXT, service TEXT NOT NULL, uncanonicalized_id TEXT, person_centric_id TEXT, UNIQUE (id, service));
    CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, style INTEGER, state INTEGER, account_id TEXT, properties BLOB, chat_identifier TEXT, service_name TEXT, room_name TEXT, account_login TEXT, is_archived INTEGER DEFAULT 0, last_addressed_handle TEXT, display_name TEXT, group_id TEXT);
    CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, text TEXT, replace INTEGER DEFAULT 0, service_center TEXT, handle_id INTEGER DEFAULT 0, subject TEXT, country TEXT, attributedBody BLOB, version INTEGER DEFAULT 0, type INTEGER DEFAULT 0, service TEXT, account TEXT, account_guid TEXT, error INTEGER DEFAULT 0, date INTEGER, date_read INTEGER, date_delivered INTEGER, is_delivered INTEGER DEFAULT 0, is_finished INTEGER DEFAULT 0, is_emote INTEGER DEFAULT 0, is_from_me INTEGER DEFAULT 0, is_empty INTEGER DEFAULT 0, is_audio_message INTEGER DEFAULT 0, item_type INTEGER DEFAULT 0, other_handle INTEGER DEFAULT 0, group_title TEXT, group_action_type INTEGER DEFAULT 0, associated_message_guid TEXT, associated_message_type INTEGER DEFAULT 0, thread_originator_guid TEXT, date_retracted INTEGER, date_edited INTEGER, associated_message_emoji TEXT);
    CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL, created_date INTEGER DEFAULT 0, filename TEXT, uti TEXT, mime_type TEXT, transfer_name TEXT, total_bytes INTEGER DEFAULT 0, is_sticker INTEGER DEFAULT 0);
    CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER, UNIQUE(chat_id, handle_id));
    CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, message_date INTEGER DEFAULT 0, PRIMARY KEY (chat_id, message_id));
    CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER, UNIQUE(message_id, attachment_id));
    CREATE INDEX chat_message_join_idx_message_id_only ON chat_message_join(message_id);
    """)
    n_handles = 200
    db.executemany("INSERT INTO handle (ROWID, id, service) VALUES (?, ?, 'iMessage')",
                   [(i + 1, f"+4477009{i:05d}") for i in range(n_handles)])
    db.executemany("INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name) VALUES (?, ?, 45, ?, 'iMessage')",
                   [(i + 1, f"iMessage;-;+4477009{i:05d}", f"+4477009{i:05d}") for i in range(n_handles)])
    db.executemany("INSERT INTO chat_handle_join VALUES (?, ?)", [(i + 1, i + 1) for i in range(n_handles)])
    t = 700_000_000 * 1_000_000_000
    rows, joins, atts, ajoins = [], [], [], []
    for i in range(1, n + 1):
        t += rng.randint(1, 600) * 1_000_000_000
        h = rng.randint(1, n_handles)
        me = rng.random() < 0.5
        text = sentence(rng)
        if i % 4 == 0:
            rows.append((i, f"BENCH-{i}", None, typedstream(text), 0 if me else h, int(me), t))
        else:
            rows.append((i, f"BENCH-{i}", text, None, 0 if me else h, int(me), t))
        joins.append((h, i, t))
        if i % 25 == 0:
            atts.append((i, f"ATT-{i}", f"~/Library/Messages/Attachments/00/00/ATT-{i}/IMG_{i}.HEIC", "image/heic", f"IMG_{i}.HEIC"))
            ajoins.append((i, i))
    db.executemany("INSERT INTO message (ROWID, guid, text, attributedBody, handle_id, is_from_me, date) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO chat_message_join VALUES (?, ?, ?)", joins)
    db.executemany("INSERT INTO attachment (ROWID, guid, filename, mime_type, transfer_name) VALUES (?, ?, ?, ?, ?)", atts)
    db.executemany("INSERT INTO message_attachment_join VALUES (?, ?)", ajoins)
    db.commit()
    db.close()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    n, out = int(args[0]), args[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20240301)
    write_xml(n, os.path.join(out, "sms-backup.xml"), rng)
    if "--no-db" not in sys.argv:
        write_db(n, os.path.join(out, "chat.db"), rng)
    print(f"wrote {n} messages to {out}")


if __name__ == "__main__":
    main()
