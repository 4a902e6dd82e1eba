//! Conversation titles from file names, as WhatsApp names its exports.
//!
//! Android names the export `WhatsApp Chat with X.txt` (translated: `WhatsApp Chat mit X`,
//! `Chat de WhatsApp con X`, `Discussion WhatsApp avec X`, `Chat WhatsApp con X`, `Conversa do
//! WhatsApp com X`, `WhatsApp-chat met X`); iOS names the zip `WhatsApp Chat - X.zip` and the chat
//! inside it `_chat.txt`. Browsers and file managers add ` (1)` when a name is taken.

/// Prefixes, compared case-insensitively, that precede the chat's name.
const PREFIXES: &[&str] = &[
    "WhatsApp Chat with ",
    "WhatsApp Chat - ",
    "WhatsApp Chat – ",
    "WhatsApp Chat mit ",
    "WhatsApp-Chat mit ",
    "Chat de WhatsApp con ",
    "Chat WhatsApp con ",
    "Chat di WhatsApp con ",
    "Discussion WhatsApp avec ",
    "Conversation WhatsApp avec ",
    "Conversa do WhatsApp com ",
    "Conversa de WhatsApp com ",
    "Chat do WhatsApp com ",
    "WhatsApp-chat met ",
    "WhatsApp Chat met ",
    "WhatsApp-Chat met ",
];

/// The last path component of `name` (either separator).
pub fn base_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// The chat's name from an export's file name, or `None` when the name is not WhatsApp's.
pub fn from_file_name(name: &str) -> Option<String> {
    let mut stem = base_name(name).trim();
    for ext in [".txt", ".zip"] {
        if stem.len() > ext.len()
            && stem.is_char_boundary(stem.len() - ext.len())
            && stem[stem.len() - ext.len()..].eq_ignore_ascii_case(ext)
        {
            stem = &stem[..stem.len() - ext.len()];
        }
    }
    // ` (1)`, ` (23)`: a copy's suffix (one or two digits, so that a group called `Cabinet (2020)` keeps its year).
    let stem = match stem.strip_suffix(')').and_then(|s| s.rsplit_once(" (")) {
        Some((head, n)) if (1..=2).contains(&n.len()) && n.bytes().all(|c| c.is_ascii_digit()) => {
            head
        }
        _ => stem,
    };
    for p in PREFIXES {
        if stem.len() > p.len()
            && stem.is_char_boundary(p.len())
            && stem[..p.len()].eq_ignore_ascii_case(p)
        {
            let title = crate::marks::clean_name(&stem[p.len()..]);
            return if title.is_empty() { None } else { Some(title) };
        }
    }
    None
}

/// Whether a zip member is, by its name alone, a WhatsApp chat file.
pub fn is_chat_member_name(name: &str) -> bool {
    let base = base_name(name);
    base == "_chat.txt"
        || (base.to_ascii_lowercase().ends_with(".txt") && from_file_name(base).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(
            from_file_name("WhatsApp Chat with Jane Doe.txt").as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(
            from_file_name("dir/WhatsApp Chat with Jane Doe (1).txt").as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(
            from_file_name("WhatsApp Chat - Cabinet (2020).zip").as_deref(),
            Some("Cabinet (2020)")
        );
        assert_eq!(
            from_file_name("WhatsApp Chat mit Anna.txt").as_deref(),
            Some("Anna")
        );
        assert_eq!(
            from_file_name("Chat de WhatsApp con Ana.txt").as_deref(),
            Some("Ana")
        );
        assert_eq!(
            from_file_name("Discussion WhatsApp avec Marie.txt").as_deref(),
            Some("Marie")
        );
        assert_eq!(
            from_file_name("Chat WhatsApp con Luca.txt").as_deref(),
            Some("Luca")
        );
        assert_eq!(
            from_file_name("Conversa do WhatsApp com João.txt").as_deref(),
            Some("João")
        );
        assert_eq!(
            from_file_name("WhatsApp-chat met Jan.txt").as_deref(),
            Some("Jan")
        );
        assert_eq!(from_file_name("_chat.txt"), None);
        assert_eq!(from_file_name("notes.txt"), None);
        assert!(is_chat_member_name("x/_chat.txt"));
        assert!(is_chat_member_name("WhatsApp Chat with A.txt"));
        assert!(!is_chat_member_name("IMG-1.jpg"));
    }
}
