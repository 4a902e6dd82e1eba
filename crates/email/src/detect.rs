//! Telling an email deposit from the other formats, by its first bytes or its member list.

use onrecord_container::Probe;

use crate::{maildir, mbox};

/// Header names that only mail starts with; at least one must appear in a lone file's first
/// header block before we call it an email, so that a `key: value` text file is not claimed.
const MAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "delivered-to",
    "x-gm-thrid",
    "x-gmail-labels",
    "content-type",
    "reply-to",
    "cc",
];

/// `Name: value`: a field name of printable ASCII without spaces or colons, then a colon.
pub(crate) fn is_header_line(line: &[u8]) -> bool {
    header_name(line).is_some()
}

fn header_name(line: &[u8]) -> Option<&[u8]> {
    let colon = memchr::memchr(b':', line.get(..line.len().min(100))?)?;
    let name = line.get(..colon)?;
    let name = name
        .strip_suffix(b" ")
        .unwrap_or(name)
        .strip_suffix(b"\t")
        .unwrap_or(name);
    (!name.is_empty() && name.iter().all(|&b| b.is_ascii_graphic() && b != b':')).then_some(name)
}

/// Whether the first bytes are an RFC 5322 header block: header and continuation lines up to the
/// first blank line (or the end of what we see), with at least one name only mail uses; or, for a
/// body written straight after the headers, up to the first other line after two such names.
pub(crate) fn looks_like_message(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let mut known = false;
    let (mut n_lines, mut n_known) = (0, 0);
    let mut complete_lines = head.split(|&b| b == b'\n').peekable();
    while let Some(line) = complete_lines.next() {
        let is_last = complete_lines.peek().is_none();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if line.starts_with(b" ") || line.starts_with(b"\t") {
            if n_lines == 0 {
                return false;
            }
            continue;
        }
        match header_name(line) {
            Some(name) => {
                let name = String::from_utf8_lossy(name).to_ascii_lowercase();
                if MAIL_HEADERS.contains(&name.as_str()) {
                    known = true;
                    n_known += 1;
                }
            }
            // The last line may be cut off by the end of the probe.
            None if is_last && n_lines > 0 => break,
            // The body straight after the headers, without a blank line: still mail when two
            // names only mail uses came first.
            None if n_known >= 2 => break,
            None => return false,
        }
        n_lines += 1;
    }
    known
}

/// See [`crate::detect`].
pub fn detect(probe: &Probe<'_>) -> Option<&'static str> {
    match probe.members {
        Some(members) => {
            if members
                .iter()
                .any(|m| maildir::looks_like_maildir_member(&m.name))
            {
                Some("maildir")
            } else if members.iter().any(|m| has_ext(&m.name, ".mbox")) {
                Some("mbox")
            } else if members.iter().any(|m| has_ext(&m.name, ".eml")) {
                Some("eml-folder")
            } else {
                None
            }
        }
        None => {
            if mbox::looks_like_mbox(probe.head) {
                Some("mbox")
            } else if looks_like_message(probe.head) {
                Some("eml")
            } else {
                None
            }
        }
    }
}

pub(crate) fn has_ext(name: &str, ext: &str) -> bool {
    name.len() > ext.len()
        && name
            .get(name.len() - ext.len()..)
            .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn lone(head: &[u8]) -> Option<&'static str> {
        detect(&Probe {
            path: Path::new("x"),
            head,
            members: None,
        })
    }

    #[test]
    fn lone_files() {
        assert_eq!(
            lone(b"From a@b Mon Jan  6 09:05:01 2020\nReturn-Path: <a@b>\n"),
            Some("mbox")
        );
        assert_eq!(
            lone(b"Received: from x\n\tby y; Mon, 6 Jan 2020 09:05:01 +0000\nSubject: hi\n\nbody"),
            Some("eml")
        );
        assert_eq!(
            lone(b"\xef\xbb\xbfFrom: a@b\r\nTo: c@d\r\nSubj"),
            Some("eml")
        );
        assert_eq!(lone(b"12/01/2020, 10:00 - Jane: hello\n"), None);
        assert_eq!(lone(b"{\"messages\": []}"), None);
        assert_eq!(lone(b"name: value\nother: thing\n"), None);
        assert_eq!(
            lone(b"From: a@b\nSubject: x\nThe body, no blank line\n"),
            Some("eml")
        );
        assert_eq!(lone(b"From: a@b\nThe body\n"), None);
        assert_eq!(lone(b""), None);
        assert_eq!(lone(b"PK\x03\x04"), None);
    }

    #[test]
    fn folders() {
        use onrecord_container::Bundle;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("cur")).unwrap();
        std::fs::write(
            dir.path().join("cur/1583049600.M1P2.h:2,S"),
            b"From: a@b\n\nx",
        )
        .unwrap();
        let b = Bundle::open(dir.path(), Default::default()).unwrap();
        assert_eq!(
            detect(&Probe {
                path: dir.path(),
                head: b"",
                members: Some(b.members())
            }),
            Some("maildir")
        );

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.EML"), b"From: a@b\n\nx").unwrap();
        let b = Bundle::open(dir.path(), Default::default()).unwrap();
        assert_eq!(
            detect(&Probe {
                path: dir.path(),
                head: b"",
                members: Some(b.members())
            }),
            Some("eml-folder")
        );

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("chat.txt"), b"x").unwrap();
        let b = Bundle::open(dir.path(), Default::default()).unwrap();
        assert_eq!(
            detect(&Probe {
                path: dir.path(),
                head: b"",
                members: Some(b.members())
            }),
            None
        );
    }
}
