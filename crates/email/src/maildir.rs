//! Maildir: one file per message under `cur/` and `new/` (never `tmp/`, which holds deliveries
//! still being written), flags in the file name after `:2,` (`!2,` or `;2,` on file systems
//! that refuse colons), and Maildir++ sub-folders named `.Sent`, `.Work.Projects`.

/// The labels a Maildir member's path gives: its folder (Maildir++ `.Sent` -> `Sent`,
/// `.Work.Projects` -> `Work/Projects`; a plain parent folder `INBOX/cur/...` -> `INBOX`; nothing
/// for the top-level Maildir) and its flags (`seen`, `replied`, `flagged`, `trashed`, `draft`,
/// `passed`).
pub(crate) fn labels(member: &str) -> Vec<String> {
    let mut out = Vec::new();
    let parts: Vec<&str> = member.split('/').collect();
    // The folder is the path component just above `cur`/`new`.
    if parts.len() >= 3
        && let Some(folder) = parts.get(parts.len() - 3)
    {
        let folder = folder
            .strip_prefix('.')
            .map(|f| f.replace('.', "/"))
            .unwrap_or_else(|| folder.to_string());
        if !folder.is_empty() {
            out.push(folder);
        }
    }
    let name = parts.last().copied().unwrap_or_default();
    let flags = [":2,", "!2,", ";2,"]
        .iter()
        .find_map(|sep| name.rfind(sep).and_then(|i| name.get(i + sep.len()..)))
        .unwrap_or_default();
    for c in flags.chars() {
        let label = match c {
            'S' => "seen",
            'R' => "replied",
            'F' => "flagged",
            'T' => "trashed",
            'D' => "draft",
            'P' => "passed",
            _ => continue, // lowercase letters are client-specific keywords (Dovecot)
        };
        if !out.iter().any(|l| l == label) {
            out.push(label.to_string());
        }
    }
    out
}

/// Whether a member path is a message file of a Maildir: a file directly under `cur/` or `new/`
/// whose name does not start with a dot (clients keep index files like `.mh_sequences` there).
pub(crate) fn is_message_member(member: &str) -> bool {
    let mut parts = member.rsplit('/');
    let (Some(name), Some(dir)) = (parts.next(), parts.next()) else {
        return false;
    };
    (dir == "cur" || dir == "new") && !name.is_empty() && !name.starts_with('.')
}

/// Whether a member path looks like a Maildir message by its name as well as its place:
/// delivery names start with the delivery time in seconds, or carry `:2,` flags.
pub(crate) fn looks_like_maildir_member(member: &str) -> bool {
    is_message_member(member) && {
        let name = member.rsplit('/').next().unwrap_or_default();
        name.starts_with(|c: char| c.is_ascii_digit())
            || name.contains(":2,")
            || name.contains("!2,")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_folders_become_labels() {
        assert_eq!(
            labels("cur/1583049600.M1P2.host:2,FRS"),
            ["flagged", "replied", "seen"].map(String::from)
        );
        assert_eq!(
            labels(".Sent/cur/1583049600.M1P2.host:2,S"),
            ["Sent", "seen"].map(String::from)
        );
        assert_eq!(
            labels("Mail/.Work.Projects/new/1583049600.x"),
            ["Work/Projects"].map(String::from)
        );
        assert_eq!(
            labels("INBOX/cur/1.x!2,T"),
            ["INBOX", "trashed"].map(String::from)
        );
        assert!(labels("new/1583049600.x").is_empty());
    }

    #[test]
    fn members() {
        assert!(is_message_member("cur/1.x:2,S"));
        assert!(is_message_member("a/new/1.x"));
        assert!(!is_message_member("tmp/1.x"));
        assert!(!is_message_member("cur/.index"));
        assert!(!is_message_member("cur"));
        assert!(looks_like_maildir_member("new/1583049600.M1.h"));
        assert!(!looks_like_maildir_member("new/readme.txt"));
    }
}
