//! Rows for the backends' own tests of the catalogue contract: one SQLite and one PostgreSQL
//! test module write the same records, so they are made in one place.

use onrecord_model::Digest;

use super::*;

pub(crate) fn deposit(seq: i64, log_index: u64) -> DepositRow {
    DepositRow {
        seq,
        id: Digest::of(&seq.to_be_bytes()),
        log_index,
        first_index: 0,
        file_name: format!("d{seq}.txt"),
        size: 10,
        format: "whatsapp-txt".into(),
        style: None,
        depositor: "Private Office".into(),
        received_at_us: 1,
        tz: "Europe/London".into(),
        date_order: None,
        date_order_decision: None,
        n_records: 1,
        n_new: 1,
        n_warnings: 0,
        manifest: Digest::of(b"m"),
        contents: Digest::of(b"c"),
        checkpoint_size: log_index + 1,
        original: Digest::of(b"o"),
        original_root: Digest::of(b"r"),
        n_pieces: 1,
        split: false,
    }
}

/// One record and its deposit, committed at log size `index + 2`.
pub(crate) fn add_one(w: &mut dyn CatalogueWrite, seq: i64, index: u64, author: &str) {
    let conv = w
        .upsert_conversation(&NewConversation {
            id: Digest::of(b"conv"),
            channel: "whatsapp",
            depositor: "Private Office",
            key: "Chat",
            title: Some("Chat"),
            title_source: "file_name",
            participants_json: "[]",
            is_group: None,
        })
        .unwrap();
    w.add_record(&NewRecord {
        log_index: index,
        id: Digest::of(&index.to_be_bytes()),
        lookup: Digest::of(&index.to_be_bytes()),
        secret: &[0; 32],
        conversation: conv,
        occurrence: 0,
        deposit_seq: seq,
        channel: "whatsapp",
        type_: "message",
        kind: "text",
        author: Some(author),
        sent_at_us: None,
        local_time: Some("2021-03-12T14:05"),
        content: b"{}",
        source: SourceRef {
            line: Some(1),
            offset: 0,
            path: None,
        },
    })
    .unwrap();
    w.add_deposit(&deposit(seq, index + 1)).unwrap();
}
