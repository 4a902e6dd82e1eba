//! Legacy charsets (issue 17): messages written here in GB2312, GBK, GB18030, Big5, Shift_JIS,
//! ISO-2022-JP, EUC-KR, KOI8-R and windows-1250/1251/1252 (encoded with encoding_rs, the tables
//! mail-parser decodes with), in RFC 2047 encoded words (B and Q), in bodies declared with a
//! charset (8-bit, base64, quoted-printable, in a multipart), in RFC 2231 file names and in raw
//! 8-bit headers under a declared charset. Each must read back as the text it was written from.
//! Also: a header block followed by the body with no blank line.

use onrecord_email::{MessageContext, parse_message};
use onrecord_model::{CollectSink, Flags, ParseOptions, Record};

/// (MIME charset name, the encoding that writes it, subject, body, display name).
const CASES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "gb2312",
        "gbk",
        "会议纪要",
        "今天下午三点开会，请准时参加。",
        "王小明",
    ),
    ("GBK", "gbk", "关于采购合同的说明", "合同已签署。", "李华"),
    ("gb18030", "gb18030", "会议纪要 𠀀", "附件见下 €", "张伟"),
    (
        "big5",
        "big5",
        "會議記錄",
        "今天下午開會，請準時參加。",
        "陳大文",
    ),
    (
        "shift_jis",
        "shift_jis",
        "会議の議事録",
        "本日午後三時に会議を行います。",
        "山田太郎",
    ),
    (
        "iso-2022-jp",
        "iso-2022-jp",
        "会議の議事録",
        "本日午後三時に会議を行います。",
        "山田太郎",
    ),
    (
        "euc-kr",
        "euc-kr",
        "회의록",
        "오늘 오후 세 시에 회의가 있습니다.",
        "김민수",
    ),
    (
        "koi8-r",
        "koi8-r",
        "Протокол совещания",
        "Привет, мир! Договор подписан.",
        "Иван Петров",
    ),
    (
        "windows-1250",
        "windows-1250",
        "Zażółć gęślą jaźń",
        "Příliš žluťoučký kůň úpěl ďábelské ódy.",
        "Paweł Łęcki",
    ),
    (
        "windows-1251",
        "windows-1251",
        "Протокол совещания",
        "Договор подписан, сумма 5 000 руб.",
        "Иван Петров",
    ),
    (
        "windows-1252",
        "windows-1252",
        "¡Reunión mañana!",
        "El ñandú comió ñoquis — 5 € «bien».",
        "José Müller",
    ),
];

fn opts() -> ParseOptions {
    ParseOptions::new("Europe/London", "x").unwrap()
}

fn encode(encoding: &str, text: &str) -> Vec<u8> {
    let enc = encoding_rs::Encoding::for_label(encoding.as_bytes()).expect(encoding);
    let (bytes, _, unmappable) = enc.encode(text);
    assert!(!unmappable, "{encoding} cannot write {text:?}");
    bytes.into_owned()
}

fn b64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Quoted-printable for an encoded word (Q) or a body (every non-ASCII byte and `=`, `?`, `_`
/// escaped; spaces as `_` in a word).
fn qp(bytes: &[u8], word: bool) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b' ' if word => out.push('_'),
            b'=' | b'?' | b'_' | 0x80..=0xff | 0..=0x1f => out.push_str(&format!("={b:02X}")),
            _ => out.push(b as char),
        }
    }
    out
}

fn read(bytes: &[u8]) -> (Record, CollectSink) {
    let mut sink = CollectSink::default();
    parse_message(bytes, &MessageContext::default(), &opts(), &mut sink).unwrap();
    assert_eq!(sink.records.len(), 1, "{:?}", sink.warnings);
    (sink.records[0].clone(), sink)
}

fn subject(r: &Record) -> &str {
    r.email
        .as_ref()
        .unwrap()
        .subject
        .as_deref()
        .unwrap_or_default()
}

fn clean(r: &Record, sink: &CollectSink, what: &str) {
    assert!(
        !r.flags.contains(Flags::ENCODING_PROBLEM),
        "{what}: flagged {:?}, warnings {:?}",
        r.flags,
        sink.warnings
    );
    assert!(!r.text.contains('\u{fffd}'), "{what}: {:?}", r.text);
}

/// Subject in B and Q encoded words, From display name in a B word, body in 8-bit.
#[test]
fn encoded_words_and_8bit_bodies() {
    for &(charset, enc, subj, body, name) in CASES {
        for q in [false, true] {
            let word = |t: &str| {
                let b = encode(enc, t);
                if q {
                    format!("=?{charset}?Q?{}?=", qp(&b, true))
                } else {
                    format!("=?{charset}?B?{}?=", b64(&b))
                }
            };
            let mut m = format!(
                "From: {} <writer@gov.example>\nTo: a@gov.example\nSubject: {}\n\
                 Date: Mon, 2 Mar 2020 09:15:00 +0000\nMIME-Version: 1.0\n\
                 Content-Type: text/plain; charset=\"{charset}\"\nContent-Transfer-Encoding: 8bit\n\n",
                word(name),
                word(subj)
            )
            .into_bytes();
            m.extend_from_slice(&encode(enc, body));
            m.push(b'\n');
            let (r, sink) = read(&m);
            let what = format!("{charset} ({})", if q { "Q" } else { "B" });
            assert_eq!(subject(&r), subj, "{what}");
            assert_eq!(r.text, format!("{body}\n"), "{what}");
            let from = sink.conversations[0]
                .participants
                .iter()
                .find(|p| p.address.as_deref() == Some("writer@gov.example"))
                .unwrap();
            assert_eq!(from.name.as_deref(), Some(name), "{what}");
            clean(&r, &sink, &what);
        }
    }
}

/// Bodies in base64 and quoted-printable, as the text part of a multipart/alternative beside an
/// HTML part, with an attachment whose RFC 2231 file name is in the same charset.
#[test]
fn transfer_encoded_bodies_in_multiparts_and_2231_names() {
    for &(charset, enc, subj, body, _) in CASES {
        let file = format!("{subj}.txt");
        let pct: String = encode(enc, &file)
            .iter()
            .map(|b| format!("%{b:02X}"))
            .collect();
        let m = format!(
            "From: writer@gov.example\nSubject: =?{charset}?B?{}?=\nDate: Mon, 2 Mar 2020 09:15:00 +0000\n\
             MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"outer\"\n\n\
             --outer\nContent-Type: multipart/alternative; boundary=\"inner\"\n\n\
             --inner\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: base64\n\n{}\n\
             --inner\nContent-Type: text/html; charset={charset}\nContent-Transfer-Encoding: quoted-printable\n\n{}\n\
             --inner--\n\
             --outer\nContent-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: quoted-printable\n\
             Content-Disposition: attachment; filename*={charset}''{pct}\n\n{}\n\
             --outer--\n",
            b64(&encode(enc, subj)),
            b64(&encode(enc, &format!("{body}\n"))),
            qp(&encode(enc, &format!("<p>{body}</p>")), false),
            qp(&encode(enc, body), false),
        );
        let (r, sink) = read(m.as_bytes());
        assert_eq!(subject(&r), subj, "{charset}");
        assert_eq!(r.text, format!("{body}\n"), "{charset}");
        assert!(
            r.attachments.iter().any(|a| a.name == file),
            "{charset}: {:?}",
            r.attachments
        );
        clean(&r, &sink, charset);
    }
}

/// Raw 8-bit headers (no encoded words) in the charset the message declares are read in that
/// charset; ISO-2022-JP's 7-bit escapes too.
#[test]
fn raw_8bit_headers_under_a_declared_charset() {
    for &(charset, enc, subj, body, name) in CASES {
        let mut m = b"From: ".to_vec();
        m.extend_from_slice(&encode(enc, name));
        m.extend_from_slice(b" <writer@gov.example>\nSubject: ");
        m.extend_from_slice(&encode(enc, subj));
        m.extend_from_slice(
            format!(
                "\nDate: Mon, 2 Mar 2020 09:15:00 +0000\nContent-Type: text/plain; charset={charset}\n\n"
            )
            .as_bytes(),
        );
        m.extend_from_slice(&encode(enc, body));
        let (r, sink) = read(&m);
        assert_eq!(subject(&r), subj, "{charset}");
        assert_eq!(r.text, body, "{charset}");
        let from = &sink.conversations[0].participants[0];
        assert_eq!(from.name.as_deref(), Some(name), "{charset}");
        assert_eq!(from.address.as_deref(), Some("writer@gov.example"));
        clean(&r, &sink, charset);
    }
}

/// 8-bit headers that the declared charset cannot read (or with no charset) are read lossily
/// and flagged, as before.
#[test]
fn undeclared_8bit_headers_are_flagged() {
    let m = b"From: a@gov.example\nSubject: caf\xe9 \xff\xfe\n\nbody\n";
    let (r, _) = read(m);
    assert!(r.flags.contains(Flags::ENCODING_PROBLEM));
    let m = b"From: a@gov.example\nSubject: \x81\x20\nContent-Type: text/plain; charset=shift_jis\n\nbody\n";
    let (r, _) = read(m);
    assert!(
        r.flags.contains(Flags::ENCODING_PROBLEM),
        "{:?}",
        subject(&r)
    );
}

/// A header block followed directly by the body: the headers end at the first line that is not
/// a header or a continuation; the body is read from there, flagged malformed with a warning.
#[test]
fn body_straight_after_the_headers() {
    for eol in ["\n", "\r\n"] {
        let m = [
            "From: Jane <jane@gov.example>",
            "To: tom@gov.example",
            "Subject: no gap",
            "  continued",
            "Date: Mon, 2 Mar 2020 09:15:00 +0000",
            "The contract goes to Lexmoor.",
            "Note: this line has a colon but is body.",
            "",
            "Last line.",
            "",
        ]
        .join(eol);
        let (r, sink) = read(m.as_bytes());
        assert_eq!(subject(&r), "no gap continued");
        assert_eq!(r.author.as_deref(), Some("jane@gov.example"));
        assert_eq!(
            r.text,
            "The contract goes to Lexmoor.\nNote: this line has a colon but is body.\n\nLast line.\n"
        );
        assert!(r.flags.contains(Flags::MALFORMED));
        assert!(!r.flags.contains(Flags::TIME_MISSING));
        assert!(
            sink.warnings
                .iter()
                .any(|w| w.message.contains("no blank line") && w.message.contains("line 6")),
            "{:?}",
            sink.warnings
        );
    }
    // A well-formed message gives no such warning.
    let (r, sink) =
        read(b"From: a@gov.example\nSubject: x\nDate: Mon, 2 Mar 2020 09:15:00 +0000\n\nbody\n");
    assert!(!r.flags.contains(Flags::MALFORMED));
    assert!(sink.warnings.is_empty(), "{:?}", sink.warnings);
}
