//! Pinned identities: the canonical content (v2) bytes, commitment, record id and conversation id
//! of a few records of every channel the parsers produce, compared byte for byte with
//! `tests/golden/identities-v2.txt`.
//!
//! These values are commitments in every archive's log: each record entry holds its conversation
//! id and content commitment, the record id is derived from both, and every checkpoint and proof
//! is built over them. A change here is a format change: it needs a new format version (a new
//! content prefix, record-id or conversation-id domain string) and the old version refused. Never
//! edit the expected values to make this test pass. `ONRECORD_BLESS=1` only adds records that are
//! not pinned yet; it refuses to change or drop a pinned one.
//!
//! In an archive the conversation ids are keyed by the archive's private lookup key and each
//! record's salts come from its own random secret, so the values pinned here use a fixed test key
//! and a secret derived from each record's label; they are computed as `PrepSink` in
//! `crates/archive/src/ingest.rs` computes them (content v2 of the record without its provenance,
//! committed with the secret; conversation id from the channel of the conversation's
//! announcement, the deposit's conversation scope, depositor "Private Office", and the key; record
//! id from both). One test ingests a WhatsApp twin through the binary and checks that the archive
//! stores exactly the pinned content bytes and derives its ids the same way.

mod util;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use onrecord_archive::DepositMeta;
use onrecord_archive::entry::{LookupKey, conversation_id, record_id};
use onrecord_content::{Content, Secret};
use onrecord_model::{
    AttachmentStored, Channel, Conversation, Digest, ParseOptions, Record, Sink, SinkError, Warning,
};
use util::{DEPOSITOR, Env};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/identities-v2.txt"
);
/// The lookup key the pinned conversation ids are made with (an archive makes its own at `init`).
const TEST_LOOKUP_KEY: [u8; 32] = [0x5a; 32];
/// The zone the twins are read in (the binary's tests set the same through `ONRECORD_TZ`).
const TZ: &str = "Europe/London";

/// One pinned record, as the archive would commit to it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identity {
    /// `<case> record <n>`: which input and which of its records, counted from 0.
    label: String,
    channel: Channel,
    conversation_key: String,
    conversation_id: Digest,
    occurrence: u32,
    /// The canonical content, `onrecord-content/2`.
    content: Vec<u8>,
    /// The commitment with the record's test secret (SHA-256 of its label).
    commitment: Digest,
    record_id: Digest,
}

impl Identity {
    /// The golden file's block for this record: the content's exact bytes in hex (wrapped), then
    /// its claims one per line for the reader (each value as a JSON string).
    fn render(&self) -> String {
        let content = Content::decode(&self.content).expect("canonical content decodes");
        let claims: String = content
            .claims
            .iter()
            .map(|c| {
                format!(
                    "  {} = {}\n",
                    c.name,
                    serde_json::to_string(&c.value).expect("a string serialises")
                )
            })
            .collect();
        let hex: String = hex::encode(&self.content)
            .as_bytes()
            .chunks(96)
            .map(|l| format!("  {}\n", std::str::from_utf8(l).expect("hex is ASCII")))
            .collect();
        format!(
            "## {}\nchannel: {}\nconversation key: {}\nconversation id: {}\noccurrence: {}\n\
             commitment: {}\nrecord id: {}\ncontent bytes:\n{hex}claims:\n{claims}\n",
            self.label,
            self.channel.as_str(),
            serde_json::to_string(&self.conversation_key).expect("a string serialises"),
            self.conversation_id.to_hex(),
            self.occurrence,
            self.commitment.to_hex(),
            self.record_id.to_hex(),
        )
    }
}

/// What a parser produced, with each record's identity computed the way `PrepSink` does.
struct Collect {
    scope: String,
    /// The id and channel of each announced conversation (the latest announcement wins, as in
    /// the archive).
    conversations: HashMap<String, (Digest, Channel)>,
    /// How many records with each (conversation id, content hash) came before: the occurrence
    /// a fresh archive gives the next one.
    seen: HashMap<(Digest, Digest), u32>,
    records: Vec<Identity>,
}

impl Collect {
    fn new() -> Collect {
        let meta = DepositMeta {
            path: PathBuf::new(),
            file_name: String::new(),
            depositor: Some(DEPOSITOR.to_string()),
            tz_name: TZ.to_string(),
        };
        Collect {
            // A named depositor's scope does not depend on the deposit id.
            scope: meta.conversation_scope(&Digest([0; 32])),
            conversations: HashMap::new(),
            seen: HashMap::new(),
            records: Vec::new(),
        }
    }
}

impl Sink for Collect {
    fn conversation(&mut self, c: Conversation) -> Result<(), SinkError> {
        let key = LookupKey(TEST_LOOKUP_KEY);
        let id = conversation_id(&key, c.channel.as_str(), &self.scope, &c.key);
        self.conversations.insert(c.key, (id, c.channel));
        Ok(())
    }

    fn record(&mut self, record: Record) -> Result<(), SinkError> {
        let Some(&(conv_id, channel)) = self.conversations.get(&record.conversation) else {
            return Err(SinkError(format!(
                "record of the unannounced conversation {:?}",
                record.conversation
            )));
        };
        // As `PrepSink::prepare`: content v2 of the record (provenance is not part of it).
        let content = Content::from_record(&record, channel);
        let bytes = content.encode();
        assert_eq!(Content::decode(&bytes).as_ref(), Ok(&content));
        let n = self.seen.entry((conv_id, Digest::of(&bytes))).or_insert(0);
        let occurrence = *n;
        *n += 1;
        let label = format!("record {}", self.records.len());
        // The label is completed by the caller; the secret is fixed by the record's place.
        let secret = Secret::from_bytes(Digest::of(label.as_bytes()).0);
        let commitment = content.commit_root(&secret);
        self.records.push(Identity {
            label,
            channel,
            conversation_key: record.conversation.clone(),
            conversation_id: conv_id,
            occurrence,
            content: bytes,
            commitment,
            record_id: record_id(&conv_id, &commitment),
        });
        Ok(())
    }

    fn attachment(
        &mut self,
        _name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        let mut bytes = Vec::new();
        content.read_to_end(&mut bytes)?;
        Ok(AttachmentStored {
            sha256: Digest::of(&bytes),
            size: bytes.len() as u64,
        })
    }

    fn warning(&mut self, _w: Warning) -> Result<(), SinkError> {
        Ok(())
    }
}

/// Parses `path` as `onrecord ingest` would (format detected, read in [`TZ`], the file name as
/// handed in) and returns every record's identity.
fn identities(path: &Path, passphrase: Option<&str>) -> Vec<Identity> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut opts = ParseOptions::new(TZ, &file_name).expect("a known zone");
    opts.passphrase = passphrase.map(onrecord_model::secrecy::SecretString::from);
    let mut sink = Collect::new();
    onrecord_formats::parse(path, &opts, &mut sink)
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    assert!(!sink.records.is_empty(), "{}: no records", path.display());
    sink.records
}

fn twin(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

// ---------------------------------------------------------------------------------------------
// Inputs the test builds itself.

/// An iMessage `chat.db` (the columns the reader uses): one chat with one handle, three messages.
fn imessage_db(dir: &Path) -> PathBuf {
    let path = dir.join("chat.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE message (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
             text TEXT, handle_id INTEGER DEFAULT 0, date INTEGER, is_from_me INTEGER DEFAULT 0);
         CREATE TABLE handle (ROWID INTEGER PRIMARY KEY AUTOINCREMENT UNIQUE, id TEXT NOT NULL, service TEXT);
         CREATE TABLE chat (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT UNIQUE NOT NULL,
             style INTEGER, chat_identifier TEXT, service_name TEXT, display_name TEXT);
         CREATE TABLE chat_message_join (chat_id INTEGER, message_id INTEGER, PRIMARY KEY (chat_id, message_id));
         CREATE TABLE chat_handle_join (chat_id INTEGER, handle_id INTEGER, UNIQUE(chat_id, handle_id));
         CREATE TABLE attachment (ROWID INTEGER PRIMARY KEY AUTOINCREMENT, guid TEXT, filename TEXT,
             mime_type TEXT, transfer_name TEXT, is_sticker INTEGER DEFAULT 0);
         CREATE TABLE message_attachment_join (message_id INTEGER, attachment_id INTEGER,
             UNIQUE(message_id, attachment_id));
         INSERT INTO handle (ROWID, id, service) VALUES (1, '+447700900123', 'iMessage');
         INSERT INTO chat (ROWID, guid, style, chat_identifier, service_name)
             VALUES (1, 'iMessage;-;+447700900123', 45, '+447700900123', 'iMessage');
         INSERT INTO chat_handle_join VALUES (1, 1);",
    )
    .unwrap();
    let messages = [
        (1, 0, "Can you send the draft before the call?"),
        (2, 1, "Sent it to your office address"),
        (3, 0, "Got it, thanks"),
    ];
    for (i, from_me, text) in messages {
        conn.execute(
            "INSERT INTO message (ROWID, guid, text, handle_id, date, is_from_me) VALUES (?1, ?2, ?3, 1, ?4, ?5)",
            (
                i,
                format!("GUID-{i}"),
                text,
                700_000_000_000_000_000i64 + i * 60_000_000_000,
                from_me,
            ),
        )
        .unwrap();
        conn.execute("INSERT INTO chat_message_join VALUES (1, ?1)", [i])
            .unwrap();
    }
    path
}

const SIGNAL_PASSPHRASE: &str = "123456789012345678901234567890";

/// An encrypted Signal backup (as `hostile_signal.rs` builds one): two recipients, one thread,
/// three messages.
fn signal_backup(dir: &Path) -> PathBuf {
    use SqlParam::{Integer as I, Null as N, Text as T};
    use onrecord_signal::backup::frames::{derive_keys, write::FrameWriter};
    use onrecord_signal::backup::proto::{Frame, SqlParam};
    const SALT: [u8; 32] = [7; 32];
    const IV: [u8; 16] = [0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const INBOX: i64 = 20 | 0x800000 | 0x200000;
    const SENT: i64 = 23 | 0x800000 | 0x200000;
    let recipient = |id: i64, phone: &str, name: &str| {
        Frame::insert(
            "recipient",
            vec![
                I(id),
                I(0),
                T(phone.into()),
                T(format!("aci-{id}")),
                N,
                T(name.into()),
                N,
                N,
                I(0),
            ],
        )
    };
    let message = |id: i64, from: i64, to: i64, ty: i64, body: &str| {
        let sent = 1_700_000_000_000 + id * 60_000;
        Frame::insert(
            "message",
            vec![
                I(id),
                I(sent),
                I(sent + 500),
                I(1),
                I(from),
                I(to),
                I(ty),
                T(body.into()),
                I(0),
                I(0),
                I(0),
                I(0),
                N,
                N,
            ],
        )
    };
    let frames = vec![
        Frame::DatabaseVersion(230),
        Frame::statement(
            "CREATE TABLE recipient (_id INTEGER PRIMARY KEY AUTOINCREMENT, type INTEGER DEFAULT 0, e164 TEXT UNIQUE DEFAULT NULL, aci TEXT UNIQUE DEFAULT NULL, group_id TEXT UNIQUE DEFAULT NULL, system_joined_name TEXT DEFAULT NULL, profile_given_name TEXT DEFAULT NULL, profile_family_name TEXT DEFAULT NULL, message_expiration_time INTEGER DEFAULT 0)",
        ),
        Frame::statement(
            "CREATE TABLE thread (_id INTEGER PRIMARY KEY AUTOINCREMENT, date INTEGER DEFAULT 0, recipient_id INTEGER NOT NULL UNIQUE REFERENCES recipient (_id) ON DELETE CASCADE, snippet TEXT)",
        ),
        Frame::statement(
            "CREATE TABLE message (_id INTEGER PRIMARY KEY AUTOINCREMENT, date_sent INTEGER NOT NULL, date_received INTEGER NOT NULL, thread_id INTEGER NOT NULL, from_recipient_id INTEGER NOT NULL, to_recipient_id INTEGER NOT NULL, type INTEGER NOT NULL, body TEXT, expires_in INTEGER DEFAULT 0, quote_id INTEGER DEFAULT 0, view_once INTEGER DEFAULT 0, remote_deleted INTEGER DEFAULT 0, latest_revision_id INTEGER DEFAULT NULL, original_message_id INTEGER DEFAULT NULL)",
        ),
        recipient(1, "+447700900001", "Min Ister"),
        recipient(2, "+447700900002", "Jane Doe"),
        Frame::insert("thread", vec![I(1), I(0), I(2), N]),
        message(1, 2, 1, INBOX, "the figures, as promised"),
        message(2, 1, 2, SENT, "thanks"),
        message(3, 2, 1, INBOX, "call me after the committee"),
        Frame::KeyValue {
            key: "account.e164".into(),
            value: Some("+447700900001".into()),
        },
        Frame::End,
    ];
    let keys = derive_keys(SIGNAL_PASSPHRASE, Some(&SALT));
    let mut w = FrameWriter::new(keys, IV, &SALT, 1);
    for f in &frames {
        w.frame(f);
    }
    let path = dir.join("signal-2024-01-01-00-00-00.backup");
    std::fs::write(&path, &w.out).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// The cases and the golden file.

/// The records pinned from an input: its first two and its last.
fn pick(case: &str, all: Vec<Identity>) -> Vec<Identity> {
    let n = all.len();
    all.into_iter()
        .enumerate()
        .filter(|(i, _)| *i < 2 || *i + 1 == n)
        .map(|(_, mut id)| {
            id.label = format!("{case} {}", id.label);
            id
        })
        .collect()
}

/// Every pinned record, in the golden file's order.
fn all_pinned(tmp: &Path) -> Vec<Identity> {
    let cases: Vec<(&str, PathBuf, Option<&str>)> = vec![
        (
            "whatsapp-android en_android_24h.txt",
            twin("whatsapp/testdata/en_android_24h.txt"),
            None,
        ),
        (
            "whatsapp-ios en_ios_12h_crlf_bom.txt",
            twin("whatsapp/testdata/en_ios_12h_crlf_bom.txt"),
            None,
        ),
        (
            "telegram telegram_single.json",
            twin("messengers/testdata/telegram_single.json"),
            None,
        ),
        (
            "slack slack_export",
            twin("messengers/testdata/slack_export"),
            None,
        ),
        (
            "googlechat googlechat_takeout",
            twin("messengers/testdata/googlechat_takeout"),
            None,
        ),
        ("sms basic.xml", twin("phone/testdata/sms/basic.xml"), None),
        ("mms mms.xml", twin("phone/testdata/sms/mms.xml"), None),
        ("imessage chat.db", imessage_db(tmp), None),
        (
            "signal-sigtop sigtop_json.json",
            twin("signal/testdata/sigtop_json.json"),
            None,
        ),
        (
            "signal-export export_folder",
            twin("signal/testdata/export_folder"),
            None,
        ),
        (
            "signal-backup signal-2024-01-01-00-00-00.backup",
            signal_backup(tmp),
            Some(SIGNAL_PASSPHRASE),
        ),
        (
            "email-mbox thread.mbox",
            twin("email/testdata/thread.mbox"),
            None,
        ),
        (
            "email-eml plain.eml",
            twin("email/testdata/plain.eml"),
            None,
        ),
        (
            "email-eml nested.eml",
            twin("email/testdata/nested.eml"),
            None,
        ),
    ];
    let mut out = Vec::new();
    for (case, path, passphrase) in cases {
        out.extend(pick(case, identities(&path, passphrase)));
    }
    out
}

/// The golden file's blocks by label, in order.
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(label) = line.strip_prefix("## ") {
            out.push((label.trim_end_matches('\n').to_string(), String::new()));
        }
        if let Some((_, block)) = out.last_mut() {
            block.push_str(line);
        }
    }
    out
}

const HEADER: &str = "# Pinned identities of onrecord records (crates/cli/tests/identities.rs).\n\
# These values are commitments in every archive's log. A change here is a format change that\n\
# needs a new format version, with the old one refused: never edit them to make the test pass.\n\n";

#[test]
fn record_and_conversation_ids_are_pinned_for_every_channel() {
    let tmp = tempfile::tempdir().unwrap();
    let pinned = all_pinned(tmp.path());
    let rendered: String = std::iter::once(HEADER.to_string())
        .chain(pinned.iter().map(Identity::render))
        .collect();
    let golden = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    let expected: BTreeMap<String, String> = blocks(&golden).into_iter().collect();
    let actual: BTreeMap<String, String> = blocks(&rendered).into_iter().collect();

    let mut changed = Vec::new();
    let mut new = Vec::new();
    for id in &pinned {
        let now = &actual[&id.label];
        match expected.get(&id.label) {
            Some(was) if was == now => {}
            Some(was) => changed.push(format!(
                "CHANGED: channel {}, {}\n  fields that differ: {}\n  pinned:\n{}\n  now:\n{}",
                id.channel.as_str(),
                id.label,
                differing_fields(was, now).join(", "),
                indent(was),
                indent(now),
            )),
            None => new.push(format!(
                "NOT PINNED YET: channel {}, {}\n{}",
                id.channel.as_str(),
                id.label,
                indent(now)
            )),
        }
    }
    for label in expected.keys() {
        if !actual.contains_key(label) {
            changed.push(format!(
                "GONE: the pinned record {label} is no longer produced by its input"
            ));
        }
    }
    assert!(
        changed.is_empty(),
        "record or conversation identities changed. These are commitments in every archive's \
         log: this is a format change that needs a new format version and the old one refused; \
         do not edit the golden file to make this pass.\n\n{}",
        changed.join("\n\n")
    );
    if std::env::var("ONRECORD_BLESS").as_deref() == Ok("1") {
        // Only new records reach here: every pinned one is unchanged.
        std::fs::write(GOLDEN, &rendered).unwrap();
        return;
    }
    assert!(
        new.is_empty(),
        "records not pinned in {GOLDEN} (run with ONRECORD_BLESS=1 to add them):\n\n{}",
        new.join("\n\n")
    );
    assert!(
        golden == rendered,
        "{GOLDEN} differs from the pinned records (order, header or spacing): every record \
         matches, so the file was edited by hand"
    );
    assert!(pinned.len() >= 30, "only {} records pinned", pinned.len());
}

fn differing_fields(was: &str, now: &str) -> Vec<String> {
    let field = |l: &str| l.split(':').next().unwrap_or("").to_string();
    let mut out: Vec<String> = was
        .lines()
        .zip(now.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| {
            if a.starts_with("  ") {
                "content".to_string()
            } else {
                field(a)
            }
        })
        .collect();
    out.dedup();
    out
}

fn indent(block: &str) -> String {
    block
        .lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The archive, through the binary, stores for a WhatsApp twin exactly the pinned canonical
/// content bytes, in file order, and derives its ids as pinned: each record id is the hash of its
/// conversation id and the commitment its log entry holds (`verify` recomputes both).
#[test]
fn the_binary_commits_to_the_pinned_content() {
    let src = twin("whatsapp/testdata/en_android_24h.txt");
    let all = identities(&src, None);
    let env = Env::new();
    env.init();
    let copy = env.write(
        "en_android_24h.txt",
        &std::fs::read(&src).expect("the twin"),
    );
    env.ingest_json(&copy);
    let c = rusqlite::Connection::open(env.archive().join("catalogue.sqlite")).unwrap();
    let stored: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = c
        .prepare(
            "SELECT r.content, r.id, c.id FROM records r JOIN conversations c ON c.seq = r.conversation
             ORDER BY r.log_index",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(stored.len(), all.len());
    for (i, ((content, _, _), pinned)) in stored.iter().zip(&all).enumerate() {
        assert_eq!(
            content, &pinned.content,
            "record {i}: the archive's canonical content differs from the pinned bytes"
        );
    }
    let log = env.archive().join("store/log/tile/entries");
    assert!(log.exists());
    let report = env.ok(&["verify", "--json"]);
    let v: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    assert_eq!(v["problems"], serde_json::json!([]), "{v}");
    // Record ids and conversation ids are the archive's own (its lookup key and the records'
    // secrets are random), but are distinct per record and shared per conversation.
    let ids: std::collections::HashSet<&Vec<u8>> = stored.iter().map(|(_, id, _)| id).collect();
    assert_eq!(ids.len(), stored.len());
    let convs: std::collections::HashSet<&Vec<u8>> = stored.iter().map(|(_, _, c)| c).collect();
    assert_eq!(convs.len(), 1);
}
