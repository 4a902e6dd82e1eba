//! The claim names of content v2 and their fixed order.
//!
//! Every claim name belongs to one *slot*; the slots are listed here in the order claims appear.
//! The table is the single source of the order: [`crate::Content::from_record`] emits claims slot
//! by slot and [`crate::Content::decode`] checks them against it, so the two cannot drift apart.

/// How many claims of a slot may follow one another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repeat {
    /// At most one claim.
    Once,
    /// Any number, one after another (`flag`, `text`, `email.to`, …).
    Many,
    /// `attachment.name`: opens a new attachment group, so it may also follow the later claims of
    /// the previous group (`attachment.media_type`, `attachment.size`, `attachment.sha256`).
    GroupStart,
    /// A claim inside an attachment group (after its `attachment.name`).
    InGroup,
}

/// The slots in order: `(names, repeat)`. `relation.*` is one slot with six names, because a
/// record's relations keep their own order whatever their kinds.
const SLOTS: &[(&[&str], Repeat)] = &[
    (&["channel"], Repeat::Once),
    (&["conversation"], Repeat::Once),
    (&["type"], Repeat::Once),
    (&["kind"], Repeat::Once),
    (&["author"], Repeat::Once),
    (&["sent_at"], Repeat::Once),
    (&["local_time"], Repeat::Once),
    (&["tz"], Repeat::Once),
    (&["zone_source"], Repeat::Once),
    (&["precision"], Repeat::Once),
    (&["ambiguity"], Repeat::Once),
    (&["time_written"], Repeat::Once),
    (&["native_id"], Repeat::Once),
    (&["flag"], Repeat::Many),
    (
        &[
            "relation.reply_to",
            "relation.quotes",
            "relation.reaction_to",
            "relation.edit_of",
            "relation.forwarded_from",
            "relation.deleted_placeholder_of",
        ],
        Repeat::Many,
    ),
    (&["attachment.name"], Repeat::GroupStart),
    (&["attachment.media_type"], Repeat::InGroup),
    (&["attachment.size"], Repeat::InGroup),
    (&["attachment.sha256"], Repeat::InGroup),
    (&["event.target"], Repeat::Many),
    (&["event.duration_seconds"], Repeat::Once),
    (&["event.old"], Repeat::Once),
    (&["event.new"], Repeat::Once),
    (&["email.subject"], Repeat::Once),
    (&["email.message_id"], Repeat::Once),
    (&["email.in_reply_to"], Repeat::Once),
    (&["email.reference"], Repeat::Many),
    (&["email.to"], Repeat::Many),
    (&["email.cc"], Repeat::Many),
    (&["email.bcc"], Repeat::Many),
    (&["email.reply_to"], Repeat::Many),
    (&["email.label"], Repeat::Many),
    (&["text"], Repeat::Many),
];

/// Every claim name, in order (the order within `relation.*` is the order of
/// `onrecord_model::RelationKind::ALL`, which is not an ordering constraint).
pub fn all_names() -> impl Iterator<Item = &'static str> {
    SLOTS.iter().flat_map(|(names, _)| names.iter().copied())
}

/// The slot index of a claim name, or `None` for a name content v2 does not know.
pub fn slot_of(name: &str) -> Option<usize> {
    SLOTS.iter().position(|(names, _)| names.contains(&name))
}

/// Whether a claim in slot `next` may follow one in slot `prev` (`None`: it is the first claim).
pub fn may_follow(prev: Option<usize>, next: usize) -> bool {
    let Some(prev) = prev else {
        // An attachment's later claims need their `attachment.name` first.
        return SLOTS[next].1 != Repeat::InGroup;
    };
    match SLOTS[next].1 {
        _ if next > prev => SLOTS[next].1 != Repeat::InGroup || in_attachment(prev),
        Repeat::Many => next == prev,
        Repeat::GroupStart => in_attachment(prev),
        Repeat::Once | Repeat::InGroup => false,
    }
}

fn in_attachment(slot: usize) -> bool {
    matches!(SLOTS[slot].1, Repeat::GroupStart | Repeat::InGroup)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(names: &[&str]) -> bool {
        let mut prev = None;
        for n in names {
            let slot = slot_of(n).unwrap();
            if !may_follow(prev, slot) {
                return false;
            }
            prev = Some(slot);
        }
        true
    }

    #[test]
    fn order() {
        assert!(ok(&[
            "channel", "type", "kind", "flag", "flag", "text", "text"
        ]));
        assert!(ok(&["relation.edit_of", "relation.reply_to"]));
        assert!(ok(&[
            "attachment.name",
            "attachment.sha256",
            "attachment.name",
            "attachment.name",
            "attachment.media_type",
            "event.target"
        ]));
        assert!(!ok(&["type", "channel"]));
        assert!(!ok(&["author", "author"]));
        assert!(!ok(&["attachment.size"]));
        assert!(!ok(&["flag", "attachment.size"]));
        assert!(!ok(&[
            "attachment.name",
            "attachment.size",
            "attachment.size"
        ]));
        assert!(!ok(&[
            "attachment.name",
            "attachment.size",
            "attachment.media_type"
        ]));
        assert!(!ok(&["text", "flag"]));
    }

    #[test]
    fn every_relation_kind_has_a_name() {
        for k in onrecord_model::RelationKind::ALL {
            assert!(slot_of(&format!("relation.{}", k.as_str())).is_some());
        }
        assert_eq!(all_names().count(), 38);
    }
}
