//! Relations between messages through the binary: a Telegram export and a Signal (sigtop JSON)
//! export, each built here, ingested, and shown as a transcript whose replies, edits, reactions,
//! forwards and deletions name the message they point at.

mod util;

use util::Env;

/// Telegram: a reply, a named forward, and a reply to a message the export does not hold.
const TELEGRAM: &str = r#"{
 "name": "Relations Desk",
 "type": "private_group",
 "id": 5566778899,
 "messages": [
  {"id": 10, "type": "message", "date": "2024-05-02T14:02:00", "date_unixtime": "1714654920",
   "from": "Jane Doe", "from_id": "user2001",
   "text": "The figures for the second quarter are ready for review, all of them", "text_entities": []},
  {"id": 11, "type": "message", "date": "2024-05-02T14:03:00", "date_unixtime": "1714654980",
   "from": "John Roe", "from_id": "user2002", "reply_to_message_id": 10,
   "text": "Thanks, reading now", "text_entities": []},
  {"id": 12, "type": "message", "date": "2024-05-02T14:05:00", "date_unixtime": "1714655100",
   "from": "John Roe", "from_id": "user2002", "forwarded_from": "Press Office",
   "text": "Statement goes out at five", "text_entities": []},
  {"id": 14, "type": "message", "date": "2024-05-02T14:07:00", "date_unixtime": "1714655220",
   "from": "Jane Doe", "from_id": "user2001", "reply_to_message_id": 9,
   "text": "Answering something before this export began", "text_entities": []}
 ]
}
"#;

/// Signal Desktop through sigtop: a message, a quoted reply, a reaction, an edited message with
/// its earlier version, and a message deleted for everyone.
const SIGTOP: &str = r#"[
{"id": "s1", "conversationId": "desk-1", "type": "incoming", "body": "Can you send the briefing?", "sent_at": 1714654920000, "source": "+447700900111", "attachments": [], "reactions": [{"emoji": "👍", "fromId": "+447700900222", "timestamp": 1714654990000}]},
{"id": "s2", "conversationId": "desk-1", "type": "outgoing", "body": "Sent it", "sent_at": 1714655040000, "attachments": [], "quote": {"id": 1714654920000, "text": "Can you send the briefing?"}},
{"id": "s3", "conversationId": "desk-1", "type": "incoming", "body": "Meeting at 3pm", "sent_at": 1714655160000, "source": "+447700900111", "editHistory": [{"body": "Meeting at 3pm", "timestamp": 1714655220000}, {"body": "Meeting at 2pm", "timestamp": 1714655160000}]},
{"id": "s4", "conversationId": "desk-1", "type": "incoming", "sent_at": 1714655280000, "source": "+447700900111", "deletedForEveryone": true}
]
"#;

fn conversation_id(env: &Env, channel: &str) -> String {
    let list = env.ok(&["show", "--list", "--json"]);
    list.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|c| c["channel"] == channel)
        .unwrap_or_else(|| panic!("no {channel} conversation in {list}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn has_line(transcript: &str, needle: &str) {
    assert!(
        transcript.lines().any(|l| l.trim_start() == needle),
        "no line {needle:?} in\n{transcript}"
    );
}

#[test]
fn transcripts_show_replies_forwards_edits_reactions_and_deletions() {
    let env = Env::new();
    env.init();
    let tg = env.write("result.json", TELEGRAM.as_bytes());
    let signal = env.write("desk.json", SIGTOP.as_bytes());
    env.ingest_json(&tg);
    env.ingest_json(&signal);

    let t = env.ok(&["show", &conversation_id(&env, "telegram")]);
    has_line(
        &t,
        "↪ reply to Jane Doe, 14:02: \"The figures for the second quarter are r…\"",
    );
    has_line(&t, "forwarded from Press Office");
    has_line(&t, "↪ reply to message 9 (not in this transcript)");

    let s = env.ok(&["show", &conversation_id(&env, "signal")]);
    has_line(
        &s,
        "reaction 👍 to +447700900111, 14:02: \"Can you send the briefing?\"",
    );
    has_line(
        &s,
        "↪ reply quoting +447700900111, 14:02: \"Can you send the briefing?\"",
    );
    has_line(&s, "✎ edit of the message of 14:06: \"Meeting at 2pm\"");
    has_line(&s, "⌫ deleted (was message 1714655280000)");
    // The relation line sits under the record it belongs to.
    let lines: Vec<&str> = s.lines().collect();
    let edit = lines
        .iter()
        .position(|l| l.trim_start().starts_with("✎ edit of"))
        .unwrap();
    assert!(lines[edit - 1].contains("Meeting at 3pm"), "{s}");

    // The JSON lines carry the relations, and `reply_to` for older readers.
    let json = env.ok(&["show", &conversation_id(&env, "signal"), "--json"]);
    let reply: serde_json::Value = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["text"].as_str().is_some_and(|t| t.ends_with("Sent it")))
        .unwrap();
    assert_eq!(reply["reply_to"], "1714654920000");
    assert_eq!(
        reply["relations"],
        serde_json::json!([
            {"kind": "reply_to", "target": "1714654920000"},
            {"kind": "quotes", "target": "1714654920000"}
        ])
    );
}
