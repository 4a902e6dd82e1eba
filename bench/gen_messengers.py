#!/usr/bin/env python3
"""Writes large Telegram, Slack and Google Chat exports for benchmarks.

Usage: gen_messengers.py N OUTDIR

OUTDIR/telegram/result.json              one Telegram chat with N messages
OUTDIR/slack/                            a Slack workspace export, N messages over 3 channels
OUTDIR/googlechat/Takeout/Google Chat/   a Takeout with one space of N messages

Deterministic (fixed seed); files are written as streams, so N can be millions.
"""
import json
import os
import random
import sys
import datetime

WORDS = ("budget policy meeting draft minister review note decision call team plan agree "
         "today tomorrow please thanks figures report vote publish office paper").split()


def sentence(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 18)))


def telegram(n, out, rng):
    os.makedirs(out, exist_ok=True)
    names = [("Ann Minister", "user1001"), ("Ben Adviser", "user1002"), ("Cat Official", "user1003")]
    t = 1_600_000_000
    with open(os.path.join(out, "result.json"), "w", encoding="utf-8") as f:
        f.write('{\n "name": "Bench Group",\n "type": "private_group",\n "id": 4242,\n "messages": [\n')
        for i in range(n):
            t += rng.randint(1, 600)
            name, uid = rng.choice(names)
            local = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            m = {"id": i + 1, "type": "message", "date": local, "date_unixtime": str(t), "from": name, "from_id": uid}
            r = rng.random()
            if r < 0.1:
                m["reply_to_message_id"] = rng.randint(1, i + 1)
            if r > 0.95:
                m["photo"] = "(File not included. Change data exporting settings to download.)"
                m["width"] = 800
                m["height"] = 600
            if rng.random() < 0.3:
                text = [sentence(rng) + " ", {"type": "link", "text": "https://example.gov/%d" % i}]
                m["text"] = text
                m["text_entities"] = [{"type": "plain", "text": text[0]}, text[1]]
            else:
                s = sentence(rng)
                m["text"] = s
                m["text_entities"] = [{"type": "plain", "text": s}]
            f.write("  " + json.dumps(m, ensure_ascii=False) + (",\n" if i + 1 < n else "\n"))
        f.write(" ]\n}\n")


def slack(n, out, rng):
    os.makedirs(out, exist_ok=True)
    users = [{"id": "U%03d" % i, "name": "user%d" % i, "real_name": "User %d" % i,
              "profile": {"display_name": "u%d" % i, "real_name": "User %d" % i, "email": "u%d@example.gov" % i}}
             for i in range(50)]
    channels = [{"id": "C%03d" % i, "name": "channel-%d" % i, "members": [u["id"] for u in users[:10]],
                 "topic": {"value": ""}, "purpose": {"value": ""}} for i in range(3)]
    json.dump(users, open(os.path.join(out, "users.json"), "w"), indent=1)
    json.dump(channels, open(os.path.join(out, "channels.json"), "w"), indent=1)
    per_day = 2000
    t = 1_700_000_000
    written = 0
    day = 0
    while written < n:
        ch = channels[day % 3]["name"]
        d = datetime.date(2024, 1, 1) + datetime.timedelta(days=day)
        os.makedirs(os.path.join(out, ch), exist_ok=True)
        k = min(per_day, n - written)
        with open(os.path.join(out, ch, d.isoformat() + ".json"), "w", encoding="utf-8") as f:
            f.write("[\n")
            parent = None
            for i in range(k):
                t += rng.randint(1, 40)
                ts = "%d.%06d" % (t, rng.randint(0, 999999))
                u = rng.choice(users)["id"]
                m = {"client_msg_id": "%08x" % rng.getrandbits(32), "type": "message", "user": u,
                     "text": "<@%s> %s <https://example.gov/%d|link>" % (rng.choice(users)["id"], sentence(rng), i),
                     "ts": ts, "team": "T1", "blocks": [], "user_team": "T1"}
                if parent and rng.random() < 0.2:
                    m["thread_ts"] = parent
                elif rng.random() < 0.05:
                    parent = ts
                if rng.random() < 0.03:
                    m["edited"] = {"user": u, "ts": ts}
                f.write("    " + json.dumps(m, indent=None) + (",\n" if i + 1 < k else "\n"))
            f.write("]\n")
        written += k
        day += 1


def googlechat(n, out, rng):
    g = os.path.join(out, "Takeout", "Google Chat", "Groups", "Space AAAABENCH")
    os.makedirs(g, exist_ok=True)
    people = [{"name": "Person %d" % i, "email": "p%d@example.gov" % i, "user_type": "Human"} for i in range(20)]
    json.dump({"name": "Bench Space", "members": people}, open(os.path.join(g, "group_info.json"), "w"), indent=2)
    t = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    with open(os.path.join(g, "messages.json"), "w", encoding="utf-8") as f:
        f.write('{\n  "messages": [\n')
        for i in range(n):
            t += datetime.timedelta(seconds=rng.randint(1, 300))
            h = t.hour % 12 or 12
            date = "%s, %s %d, %d at %d:%02d:%02d\u202f%s UTC" % (
                t.strftime("%A"), t.strftime("%B"), t.day, t.year, h, t.minute, t.second, "AM" if t.hour < 12 else "PM")
            topic = "T%07d" % i
            m = {"creator": rng.choice(people), "created_date": date, "text": sentence(rng),
                 "topic_id": topic, "message_id": "AAAABENCH/%s/%s" % (topic, topic)}
            if rng.random() < 0.1:
                m["annotations"] = [{"start_index": 0, "length": 5, "format_metadata": {"format_type": "BOLD"}}]
            f.write("    " + json.dumps(m, indent=None) + (",\n" if i + 1 < n else "\n"))
        f.write("  ]\n}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n = int(sys.argv[1])
    out = sys.argv[2]
    telegram(n, os.path.join(out, "telegram"), random.Random(1))
    slack(n, os.path.join(out, "slack"), random.Random(2))
    googlechat(n, os.path.join(out, "googlechat"), random.Random(3))


if __name__ == "__main__":
    main()
