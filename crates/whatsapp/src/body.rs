//! What a message is, read from its text: placeholders for omitted media, attachments, deletion
//! markers, the edited marker, locations, contact cards, polls and calls, in English, German,
//! Spanish, French, Italian, Portuguese and Dutch.
//!
//! Everything here works on text whose invisible marks are already removed.

use onrecord_model::MessageKind;

/// The edited marker WhatsApp appends to an edited message's text.
const EDITED: &[&str] = &[
    "<This message was edited>",
    "<Diese Nachricht wurde bearbeitet>",
    "<Se editó este mensaje.>",
    "<Se editó este mensaje>",
    "<Ce message a été modifié>",
    "<Questo messaggio è stato modificato>",
    "<Esta mensagem foi editada>",
    "<Dit bericht is bewerkt>",
];

/// Deletion markers; `true` when the owner deleted it ("You deleted this message").
const DELETED: &[(&str, bool)] = &[
    ("This message was deleted", false),
    ("You deleted this message", true),
    ("Diese Nachricht wurde gelöscht", false),
    ("Du hast diese Nachricht gelöscht", true),
    ("Se eliminó este mensaje", false),
    ("Este mensaje fue eliminado", false),
    ("Eliminaste este mensaje", true),
    ("Ce message a été supprimé", false),
    ("Vous avez supprimé ce message", true),
    ("Questo messaggio è stato eliminato", false),
    ("Hai eliminato questo messaggio", true),
    ("Esta mensagem foi apagada", false),
    ("Mensagem apagada", false),
    ("Você apagou esta mensagem", true),
    ("Dit bericht is verwijderd", false),
    ("Je hebt dit bericht verwijderd", true),
];

/// Placeholders for media left out of the export (compared in lower case).
const OMITTED: &[(&str, MessageKind)] = &[
    ("<media omitted>", MessageKind::Media),
    ("<medien ausgeschlossen>", MessageKind::Media),
    ("<medien weggelassen>", MessageKind::Media),
    ("<multimedia omitido>", MessageKind::Media),
    ("<archivo omitido>", MessageKind::Media),
    ("<médias omis>", MessageKind::Media),
    ("<media omessi>", MessageKind::Media),
    ("<mídia oculta>", MessageKind::Media),
    ("<arquivo de mídia oculto>", MessageKind::Media),
    ("<media weggelaten>", MessageKind::Media),
    ("image omitted", MessageKind::Media),
    ("video omitted", MessageKind::Media),
    ("audio omitted", MessageKind::Media),
    ("gif omitted", MessageKind::Media),
    ("sticker omitted", MessageKind::Sticker),
    ("contact card omitted", MessageKind::Contact),
    ("bild weggelassen", MessageKind::Media),
    ("video weggelassen", MessageKind::Media),
    ("audio weggelassen", MessageKind::Media),
    ("gif weggelassen", MessageKind::Media),
    ("sticker weggelassen", MessageKind::Sticker),
    ("kontaktkarte weggelassen", MessageKind::Contact),
    ("imagen omitida", MessageKind::Media),
    ("video omitido", MessageKind::Media),
    ("audio omitido", MessageKind::Media),
    ("gif omitido", MessageKind::Media),
    ("sticker omitido", MessageKind::Sticker),
    ("tarjeta de contacto omitida", MessageKind::Contact),
    ("image absente", MessageKind::Media),
    ("image omise", MessageKind::Media),
    ("vidéo absente", MessageKind::Media),
    ("vidéo omise", MessageKind::Media),
    ("audio omis", MessageKind::Media),
    ("gif retiré", MessageKind::Media),
    ("gif omis", MessageKind::Media),
    ("sticker omis", MessageKind::Sticker),
    ("autocollant omis", MessageKind::Sticker),
    ("fiche contact omise", MessageKind::Contact),
    ("carte de contact omise", MessageKind::Contact),
    ("immagine omessa", MessageKind::Media),
    ("video omesso", MessageKind::Media),
    ("audio omesso", MessageKind::Media),
    ("gif omessa", MessageKind::Media),
    ("gif omesso", MessageKind::Media),
    ("sticker omesso", MessageKind::Sticker),
    ("scheda contatto omessa", MessageKind::Contact),
    ("imagem ocultada", MessageKind::Media),
    ("imagem omitida", MessageKind::Media),
    ("vídeo omitido", MessageKind::Media),
    ("áudio ocultado", MessageKind::Media),
    ("áudio omitido", MessageKind::Media),
    ("figurinha omitida", MessageKind::Sticker),
    ("cartão de contato omitido", MessageKind::Contact),
    ("afbeelding weggelaten", MessageKind::Media),
    ("video weggelaten", MessageKind::Media),
    ("audio weggelaten", MessageKind::Media),
    ("gif weggelaten", MessageKind::Media),
    ("sticker weggelaten", MessageKind::Sticker),
    ("contactkaart weggelaten", MessageKind::Contact),
];

/// Document placeholders end the line (iOS writes `Report.pdf • 3 pages document omitted`).
const DOCUMENT_OMITTED: &[&str] = &[
    "document omitted",
    "dokument weggelassen",
    "documento omitido",
    "document omis",
    "documento omesso",
    "document weggelaten",
];

/// View-once media: the content is never in an export.
const VIEW_ONCE: &[&str] = &[
    "view once",
    "<view once",
    "einmalansicht",
    "einmal ansehen",
    "ver una vez",
    "visualización única",
    "vue unique",
    "visualizzazione singola",
    "visualização única",
    "eenmalige weergave",
    "eenmalig bekijken",
];

/// iOS attachment tags: `<attached: NAME>`.
const ATTACHED_TAGS: &[&str] = &[
    "attached",
    "angehängt",
    "adjunto",
    "pièce jointe",
    "joint",
    "allegato",
    "anexado",
    "bijgevoegd",
];

/// Android attachment suffixes: `NAME (file attached)`.
const ATTACHED_SUFFIXES: &[&str] = &[
    " (file attached)",
    " (Datei angehängt)",
    " (archivo adjunto)",
    " (fichier joint)",
    " (file allegato)",
    " (arquivo anexado)",
    " (ficheiro anexado)",
    " (bestand bijgevoegd)",
];

/// `location: https://maps.google.com/?q=…` (compared in lower case, before the URL).
const LOCATION: &[&str] = &[
    "location:",
    "standort:",
    "ubicación:",
    "position :",
    "position:",
    "localisation :",
    "posizione:",
    "localização:",
    "locatie:",
];

const LIVE_LOCATION: &[&str] = &[
    "live location shared",
    "live-standort wird geteilt",
    "ubicación en tiempo real compartida",
    "position en direct partagée",
    "posizione in tempo reale condivisa",
    "localização em tempo real compartilhada",
    "live locatie gedeeld",
    "live-locatie gedeeld",
];

const POLL: &[&str] = &[
    "POLL:",
    "UMFRAGE:",
    "ENCUESTA:",
    "SONDAGE :",
    "SONDAGE:",
    "SONDAGGIO:",
    "ENQUETE:",
    "PEILING:",
];
const OPTION: &[&str] = &[
    "OPTION:", "OPCIÓN:", "OPTION :", "OPZIONE:", "OPÇÃO:", "OPTIE:",
];

const CALLS: &[&str] = &[
    "missed voice call",
    "missed video call",
    "missed group voice call",
    "missed group video call",
    "silenced voice call",
    "silenced video call",
    "voice call",
    "video call",
    "group voice call",
    "group video call",
    "verpasster sprachanruf",
    "verpasster videoanruf",
    "sprachanruf",
    "videoanruf",
    "llamada perdida",
    "videollamada perdida",
    "llamada de voz perdida",
    "llamada de voz",
    "videollamada",
    "appel vocal manqué",
    "appel vidéo manqué",
    "appel vocal",
    "appel vidéo",
    "chiamata vocale persa",
    "videochiamata persa",
    "chiamata vocale",
    "videochiamata",
    "chamada de voz perdida",
    "chamada de vídeo perdida",
    "chamada de voz",
    "chamada de vídeo",
    "gemiste spraakoproep",
    "gemiste video-oproep",
    "spraakoproep",
    "video-oproep",
];

/// What the classifier found in a message's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub kind: MessageKind,
    /// The file the message names (an attachment), if any.
    pub attachment: Option<String>,
    /// The edited marker was present (and has been removed from the text).
    pub edited: bool,
    /// The marker says the owner did it ("You deleted this message").
    pub by_owner: bool,
}

/// Removes the edited marker from the end of `text`; true when it was there.
pub fn strip_edited(text: &mut String) -> bool {
    let trimmed_len = text.trim_end().len();
    for m in EDITED {
        if text[..trimmed_len].ends_with(m) {
            let cut = trimmed_len - m.len();
            let keep = text[..cut]
                .trim_end_matches([' ', '\u{a0}', '\u{202f}'])
                .len();
            text.truncate(keep);
            return true;
        }
    }
    false
}

/// The owner-deletion phrases, to learn the owner's name from "Name: You deleted this message".
pub fn is_owner_deleted(text: &str) -> bool {
    let t = text.trim();
    let t = t.strip_suffix('.').unwrap_or(t);
    DELETED.iter().any(|(p, owner)| *owner && *p == t)
}

/// Reads what kind of message `text` is (the edited marker already removed).
pub fn classify(text: &str) -> Reading {
    let mut r = Reading {
        kind: MessageKind::Text,
        attachment: None,
        edited: false,
        by_owner: false,
    };
    let first = text.split('\n').next().unwrap_or("").trim();
    if first.is_empty() {
        return r;
    }
    let whole = text.trim();
    let no_dot = whole.strip_suffix('.').unwrap_or(whole);
    if no_dot.len() <= 64
        && let Some((_, owner)) = DELETED.iter().find(|(p, _)| *p == no_dot)
    {
        r.kind = MessageKind::Deleted;
        r.by_owner = *owner;
        return r;
    }
    if no_dot.starts_with("This message was deleted by ") {
        r.kind = MessageKind::Deleted;
        return r;
    }
    // Placeholders are compared ignoring ASCII case, with a length check first, so that ordinary
    // text costs a few integer comparisons and no allocation.
    if let Some((_, kind)) = OMITTED.iter().find(|(p, _)| eq_ci(first, p)) {
        r.kind = *kind;
        return r;
    }
    if DOCUMENT_OMITTED.iter().any(|p| ends_with_ci(first, p)) {
        r.kind = MessageKind::Media;
        return r;
    }
    if VIEW_ONCE.iter().any(|p| starts_with_ci(first, p)) {
        r.kind = MessageKind::ViewOnce;
        return r;
    }
    if LIVE_LOCATION.iter().any(|p| starts_with_ci(first, p)) {
        r.kind = MessageKind::LiveLocation;
        return r;
    }
    if is_call(first) {
        r.kind = MessageKind::Call;
        return r;
    }
    if let Some(name) = attachment_name(first) {
        r.kind = kind_of_file(&name);
        r.attachment = Some(name);
        return r;
    }
    if starts_with_location(first) {
        r.kind = MessageKind::Location;
        return r;
    }
    if POLL.iter().any(|p| first.starts_with(p))
        && text
            .split('\n')
            .skip(1)
            .any(|l| OPTION.iter().any(|o| l.trim_start().starts_with(o)))
    {
        r.kind = MessageKind::Poll;
    }
    r
}

/// `a == b` ignoring ASCII case (`b` is written in lower case).
fn eq_ci(a: &str, b: &str) -> bool {
    bytes_eq_ci(a.as_bytes(), b.as_bytes())
}

/// `a == b` ignoring ASCII case in `a`, leaving at the first difference: ordinary messages differ
/// from every placeholder in their first byte or two, so this costs almost nothing for them.
#[inline]
fn bytes_eq_ci(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_ascii_lowercase() == *y)
}

fn starts_with_ci(a: &str, b: &str) -> bool {
    a.as_bytes()
        .get(..b.len())
        .is_some_and(|h| bytes_eq_ci(h, b.as_bytes()))
}

fn ends_with_ci(a: &str, b: &str) -> bool {
    a.len() >= b.len()
        && a.as_bytes()
            .get(a.len() - b.len()..)
            .is_some_and(|t| bytes_eq_ci(t, b.as_bytes()))
}

fn is_call(first: &str) -> bool {
    CALLS.iter().any(|c| {
        match starts_with_ci(first, c)
            .then(|| first.get(c.len()..))
            .flatten()
        {
            Some(rest) => {
                rest.is_empty()
                    || rest.starts_with(", ")
                    || rest.starts_with(" (")
                    || rest.starts_with(" •")
                    || rest.starts_with('.')
            }
            None => false,
        }
    })
}

fn starts_with_location(first: &str) -> bool {
    LOCATION.iter().any(|p| {
        starts_with_ci(first, p)
            && first
                .get(p.len()..)
                .is_some_and(|r| r.trim_start().starts_with("http"))
    })
}

/// The attachment a first line names: `<attached: NAME>` or `NAME (file attached)`.
pub fn attachment_name(first: &str) -> Option<String> {
    if let Some(inner) = first.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
        for tag in ATTACHED_TAGS {
            if let Some(rest) = inner.strip_prefix(tag) {
                let rest = rest.trim_start();
                if let Some(name) = rest.strip_prefix(':') {
                    let name = name.trim();
                    if !name.is_empty() {
                        return Some(name.to_string());
                    }
                }
            }
        }
    }
    for suffix in ATTACHED_SUFFIXES {
        if let Some(name) = first.strip_suffix(suffix) {
            let name = name.trim();
            if !name.is_empty() {
                return Some(name.to_string());
            }
        }
    }
    None
}

fn kind_of_file(name: &str) -> MessageKind {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".vcf") {
        MessageKind::Contact
    } else if lower.starts_with("stk-") || lower.contains("-sticker-") {
        MessageKind::Sticker
    } else {
        MessageKind::Media
    }
}

/// A media type guessed from a file name's extension.
pub fn media_type(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "mp4" => "video/mp4",
        "3gp" => "video/3gpp",
        "mov" => "video/quicktime",
        "opus" | "ogg" => "audio/ogg",
        "m4a" => "audio/mp4",
        "mp3" => "audio/mpeg",
        "aac" => "audio/aac",
        "amr" => "audio/amr",
        "wav" => "audio/wav",
        "pdf" => "application/pdf",
        "vcf" => "text/vcard",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "zip" => "application/zip",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> MessageKind {
        classify(s).kind
    }

    #[test]
    fn kinds() {
        assert_eq!(kind("<Media omitted>"), MessageKind::Media);
        assert_eq!(kind("<Medien ausgeschlossen>"), MessageKind::Media);
        assert_eq!(kind("sticker omitted"), MessageKind::Sticker);
        assert_eq!(
            kind("Report.pdf • 3 pages document omitted"),
            MessageKind::Media
        );
        assert_eq!(kind("This message was deleted"), MessageKind::Deleted);
        assert!(classify("You deleted this message.").by_owner);
        assert_eq!(
            kind("location: https://maps.google.com/?q=1,2"),
            MessageKind::Location
        );
        assert_eq!(
            kind("Standort: https://maps.google.com/?q=1,2"),
            MessageKind::Location
        );
        assert_eq!(
            kind("Live-Standort wird geteilt."),
            MessageKind::LiveLocation
        );
        assert_eq!(
            kind("POLL:\nLunch?\nOPTION: yes (2 votes)\nOPTION: no (0 votes)"),
            MessageKind::Poll
        );
        assert_eq!(kind("Missed voice call"), MessageKind::Call);
        assert_eq!(kind("Voice call me later"), MessageKind::Text);
        assert_eq!(kind("Jane.vcf (file attached)"), MessageKind::Contact);
        assert_eq!(
            kind("STK-20200301-WA0001.webp (file attached)"),
            MessageKind::Sticker
        );
        assert_eq!(kind(""), MessageKind::Text);
        let r = classify("<attached: 00000012-PHOTO-2020-03-01-08-05-09.jpg>");
        assert_eq!(
            (r.kind, r.attachment.as_deref()),
            (
                MessageKind::Media,
                Some("00000012-PHOTO-2020-03-01-08-05-09.jpg")
            )
        );
        let r = classify("IMG-20200301-WA0001.jpg (Datei angehängt)\ncaption");
        assert_eq!(r.attachment.as_deref(), Some("IMG-20200301-WA0001.jpg"));
        assert_eq!(kind("<angehängt: PTT-1.opus>"), MessageKind::Media);
    }

    #[test]
    fn edited_marker_is_removed() {
        let mut t = "see you at 5 <This message was edited>".to_string();
        assert!(strip_edited(&mut t));
        assert_eq!(t, "see you at 5");
        let mut t = "plain".to_string();
        assert!(!strip_edited(&mut t));
        let mut t = "a\nb <Se editó este mensaje.>\r".to_string();
        assert!(strip_edited(&mut t));
        assert_eq!(t, "a\nb");
    }
}
