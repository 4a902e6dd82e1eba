//! The shared samples from other projects, read in place (never copied), with hand-checked counts.
//! Skips when `../shared/samples` is absent.

mod support;

use std::path::Path;

use onrecord_model::{EventKind, Flags, Kind, MessageKind, RelationKind};

fn copy_as(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

#[test]
fn telegram_single_chat_sample() {
    let Some(s) = support::samples_dir() else {
        return;
    };
    let (sink, report) =
        support::parse(&s.join("telegram/mlomb__chat-analytics__DM_2A_7M.json")).unwrap();
    assert_eq!(report.format, "telegram-json");
    assert_eq!(sink.records.len(), 7);
    assert_eq!(sink.conversations.len(), 1);
    assert_eq!(sink.conversations[0].key, "telegram:700000000");
    assert_eq!(sink.conversations[0].title.as_deref(), Some("Bob"));
    assert_eq!(sink.records[0].kind, Kind::Event(EventKind::Other));
    assert_eq!(sink.records[1].text, "https://google.com 👀");
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.kind == Kind::Message(MessageKind::Media))
            .count(),
        2
    );
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.flags.contains(Flags::ATTACHMENT_MISSING))
            .count(),
        2
    );
    // 3 records with `date` only (read in Europe/London), 4 with `date_unixtime` only.
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.time.zone_source == onrecord_model::ZoneSource::Assumed)
            .count(),
        3
    );
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.time.zone_source == onrecord_model::ZoneSource::Instant)
            .count(),
        4
    );
    let authors: std::collections::BTreeSet<_> = sink
        .records
        .iter()
        .filter_map(|r| r.author.clone())
        .collect();
    assert_eq!(authors.into_iter().collect::<Vec<_>>(), ["Alice", "Bob"]);
    assert_eq!(sink.conversations[0].participants.len(), 2);
}

#[test]
fn telegram_account_sample() {
    let Some(s) = support::samples_dir() else {
        return;
    };
    let (sink, report) =
        support::parse(&s.join("telegram/mlomb__chat-analytics__MultiChat_2C_6M.json")).unwrap();
    assert_eq!(report.format, "telegram-json");
    assert_eq!(report.style.as_deref(), Some("2 chats"));
    assert_eq!(sink.records.len(), 6);
    let keys: Vec<_> = sink.conversations.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["telegram:700000001", "telegram:700000002"]);
    assert_eq!(sink.conversations[1].is_group, Some(true));
    let call = sink
        .records
        .iter()
        .find(|r| r.kind == Kind::Event(EventKind::Call))
        .unwrap();
    assert_eq!(call.event.as_ref().unwrap().duration_seconds, Some(120));
    // `date` 10:00:00 with `date_unixtime` 12:00:00Z: the export was written at UTC-2.
    assert_eq!(sink.records[0].time.tz, "-02:00");
    assert_eq!(
        sink.records[0].time.instant.unwrap().to_string(),
        "2023-01-01T12:00:00Z"
    );
    // The owner (Test User, user100000001) is a participant of both chats but sent nothing.
    assert!(
        sink.records
            .iter()
            .all(|r| !r.flags.contains(Flags::FROM_OWNER))
    );
    assert!(sink.conversations.iter().all(|c| {
        c.participants
            .iter()
            .any(|p| p.name.as_deref() == Some("Test User"))
    }));
}

#[test]
fn slack_export_sample() {
    let Some(s) = support::samples_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("export");
    copy_as(
        &s.join("slack/rusq__slackdump__users.json"),
        &root.join("users.json"),
    );
    copy_as(
        &s.join("slack/rusq__slackdump__channels.json"),
        &root.join("channels.json"),
    );
    copy_as(
        &s.join("slack/rusq__slackdump__2025-01-11.json"),
        &root.join("B75B4C7/2025-01-11.json"),
    );
    let (sink, report) = support::parse(&root).unwrap();
    assert_eq!(report.format, "slack-export");
    assert_eq!(sink.records.len(), 11);
    assert_eq!(sink.conversations.len(), 1);
    let c = &sink.conversations[0];
    assert_eq!(c.key, "slack:CO69735E8A");
    assert_eq!(c.title.as_deref(), Some("#B75B4C7"));
    assert_eq!(c.participants.len(), 3);
    assert_eq!(sink.records[0].kind, Kind::Event(EventKind::MemberJoined));
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.kind == Kind::Message(MessageKind::Deleted))
            .count(),
        1
    );
    // Four replies in threads (thread_ts differs from ts).
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.related(RelationKind::ReplyTo).is_some())
            .count(),
        4
    );
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.kind == Kind::Message(MessageKind::Media))
            .count(),
        2
    );
    // UOF82F39AE has no display name: the profile's real name stands.
    assert!(
        sink.records
            .iter()
            .any(|r| r.author.as_deref() == Some("WgO268Xc0KtFylJ"))
    );
    assert_eq!(
        sink.records[1].time.precision,
        onrecord_model::Precision::Microsecond
    );
    assert_eq!(
        sink.records[1].native_id.as_deref(),
        Some("1736554746.482349")
    );
    assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
}

#[test]
fn slack_lone_day_sample() {
    let Some(s) = support::samples_dir() else {
        return;
    };
    let (sink, report) = support::parse(&s.join("slack/rusq__slackdump__2025-01-11.json")).unwrap();
    assert_eq!(report.format, "slack-day");
    assert_eq!(sink.records.len(), 11);
    // Names come from each message's user_profile.
    assert!(
        sink.records
            .iter()
            .any(|r| r.author.as_deref() == Some("YTX35tuC1zyFhKZL"))
    );
}

#[test]
fn googlechat_takeout_sample() {
    let Some(s) = support::samples_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let groups = dir.path().join("Takeout/Google Chat/Groups");
    let gc = s.join("googlechat");
    copy_as(
        &gc.join("wjcarpenter__gvoice-sms-takeout-xml__Space_AAAATeQdkhI__messages.json"),
        &groups.join("Space AAAATeQdkhI/messages.json"),
    );
    copy_as(
        &gc.join("wjcarpenter__gvoice-sms-takeout-xml__Space_AAAATeQdkhI__group_info.json"),
        &groups.join("Space AAAATeQdkhI/group_info.json"),
    );
    copy_as(
        &gc.join("wjcarpenter__gvoice-sms-takeout-xml__DM_2k64eoAAAAE__messages.json"),
        &groups.join("DM 2k64eoAAAAE/messages.json"),
    );
    let (sink, report) = support::parse(&dir.path().join("Takeout")).unwrap();
    assert_eq!(report.format, "googlechat-takeout");
    assert_eq!(sink.records.len(), 11);
    let space = sink
        .conversations
        .iter()
        .find(|c| c.key == "googlechat:AAAATeQdkhI")
        .unwrap();
    assert_eq!(space.title.as_deref(), Some("Group Chat"));
    assert_eq!(space.participants.len(), 2);
    assert_eq!(
        space.participants[0].address.as_deref(),
        Some("søren@authors.example.com")
    );
    let dm = sink
        .conversations
        .iter()
        .find(|c| c.key == "googlechat:2k64eoAAAAE")
        .unwrap();
    assert_eq!(dm.title.as_deref(), Some("DM 2k64eoAAAAE"));
    // Three messages with attachments, none of whose files are in this deposit.
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.kind == Kind::Message(MessageKind::Media))
            .count(),
        3
    );
    assert_eq!(
        sink.records
            .iter()
            .filter(|r| r.flags.contains(Flags::ATTACHMENT_MISSING))
            .count(),
        3
    );
    let first = sink
        .records
        .iter()
        .find(|r| r.native_id.as_deref() == Some("AAAATeQdkhI/-23g6XClfTE/-23g6XClfTE"))
        .unwrap();
    assert_eq!(
        first.time.instant.unwrap().to_string(),
        "2018-11-18T18:02:21Z"
    );
    assert_eq!(
        first.attachments[0].name,
        "390445992115543672?account_id=0.jpg"
    );
    assert!(sink.records.iter().all(|r| r.time.instant.is_some()));
    assert!(
        sink.records
            .iter()
            .any(|r| r.text.contains("I'm really on top of it"))
    );
}

#[test]
fn googlechat_lone_sample() {
    let Some(s) = support::samples_dir() else {
        return;
    };
    let (sink, report) = support::parse(
        &s.join("googlechat/wjcarpenter__gvoice-sms-takeout-xml__Space_AAAATeQdkhI__messages.json"),
    )
    .unwrap();
    assert_eq!(report.format, "googlechat-messages");
    assert_eq!(sink.records.len(), 9);
    // No folder name: the key comes from the message ids.
    assert_eq!(sink.conversations[0].key, "googlechat:AAAATeQdkhI");
}

#[test]
fn detect_names_each_sample() {
    let Some(s) = support::samples_dir() else {
        return;
    };
    for (file, want) in [
        (
            "telegram/mlomb__chat-analytics__DM_2A_7M.json",
            Some("telegram-json"),
        ),
        (
            "telegram/mlomb__chat-analytics__MultiChat_2C_6M.json",
            Some("telegram-json"),
        ),
        ("slack/rusq__slackdump__2025-01-11.json", Some("slack-day")),
        (
            "googlechat/wjcarpenter__gvoice-sms-takeout-xml__DM_2k64eoAAAAE__messages.json",
            Some("googlechat-messages"),
        ),
        ("slack/rusq__slackdump__users.json", None),
        (
            "googlechat/wjcarpenter__gvoice-sms-takeout-xml__Space_AAAATeQdkhI__group_info.json",
            None,
        ),
        ("signal/joweich__chat-miner__test_export.txt", None),
    ] {
        let p = s.join(file);
        let head = std::fs::read(&p).unwrap();
        let probe = onrecord_container::Probe {
            path: &p,
            head: &head,
            members: None,
        };
        assert_eq!(onrecord_messengers::detect(&probe), want, "{file}");
    }
}
