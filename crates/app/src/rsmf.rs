//! RSMF 2.0 (Relativity Short Message Format) files of a case bundle: one per conversation and
//! slice of at most [`SLICE`] events, under the bundle's `rsmf/` folder.
//!
//! An RSMF file is an RFC 5322 message (CRLF lines, ASCII headers, non-ASCII values as RFC 2047
//! encoded words) with `X-RSMF-*` headers, a `text/plain` preview of the slice and an attachment
//! `rsmf.zip` that holds `rsmf_manifest.json` (valid against Relativity's published 2.0.0 schema).
//! In the manifest:
//!
//! - a participant per author of the slice (`P1`, `P2`, … in order of first appearance; a
//!   withheld author is one participant per exemption code, displayed as the marker);
//! - one conversation, whose id is the conversation's id in the log (`C` + its first 16 hex
//!   digits) and whose participants are the slice's;
//! - an event per disclosed record (id: the record id), typed `message`, `join`, `leave`,
//!   `disclaimer` (the encryption notice) or `unknown` (other system events); its body is the
//!   disclosed text with `[Redacted: CODE]` where withheld text stood; `timestamp` only when the
//!   record's time is an instant (`sent_at` shown), else the local time as a custom field;
//!   `parent` only when the record replies to a message of the same slice (by its native id);
//!   the record id, its disclosure file, kind and attachment names as custom fields;
//! - `eventcollectionid`: the conversation's id, the same in every slice of it.
//!
//! Attachments are named, not enclosed: a bundle discloses records' claims, and a file's bytes are
//! not among them, so no attachment reference is left dangling.
//!
//! **Why the files can be checked.** [`rsmf_files`] is a pure function of `bundle.json` and the
//! disclosures (the zip is stored uncompressed with a fixed time, so its bytes do not depend on
//! a compressor's version): `verify-bundle` makes them again and compares bytes, as it does the
//! HTML transcript.

use std::fmt::Write as _;
use std::io::Write as _;

use base64::Engine as _;
use onrecord_archive::disclose::RecordDisclosure;
use onrecord_content::DisclosedClaim;
use serde_json::{Value, json};

use crate::case_bundle::{BundleManifest, Render, field_with, reason_of, shown, text_with};

/// Most events in one RSMF file.
pub const SLICE: usize = 10_000;

/// The folder of a bundle that holds the RSMF files.
pub const DIR: &str = "rsmf";

/// What the generator header says.
fn generator() -> String {
    format!("onrecord {}", env!("CARGO_PKG_VERSION"))
}

fn marker(code: &str) -> String {
    format!("[Redacted: {code}]")
}

/// Text as it is, markers as text.
pub(crate) const PLAIN: Render = Render {
    show: str::to_string,
    mark: marker,
};

fn field(d: &RecordDisclosure, name: &str) -> Option<String> {
    field_with(&PLAIN, d, name)
}

/// The text with a marker for each run of withheld segments (as the HTML transcript shows it).
pub(crate) fn text_plain(d: &RecordDisclosure) -> String {
    text_with(&PLAIN, d)
}

/// The RSMF event type of a record.
fn event_type(d: &RecordDisclosure) -> &'static str {
    if shown(d, "type") != Some("event") {
        return "message";
    }
    match shown(d, "kind").unwrap_or("") {
        "member_joined" | "member_added" | "group_created" => "join",
        "member_left" | "member_removed" => "leave",
        "encryption_notice" => "disclaimer",
        _ => "unknown",
    }
}

/// A `sent_at` that is an RFC 3339 instant, as RSMF's `date-time` wants it.
fn instant(d: &RecordDisclosure) -> Option<String> {
    let t = shown(d, "sent_at")?;
    let ts: jiff::Timestamp = t.parse().ok()?;
    Some(ts.to_string())
}

fn custom(name: &str, value: &str) -> Value {
    json!({ "name": name, "value": value })
}

/// One slice's manifest (`rsmf_manifest.json`) and the facts its headers repeat.
struct Slice {
    manifest: Value,
    participants: Vec<String>,
    begin: Option<String>,
    end: Option<String>,
    preview: String,
    title: String,
    platform: String,
    collection: String,
}

fn slice(ds: &[&RecordDisclosure], part: usize, parts: usize) -> Slice {
    let first = ds[0];
    let collection = format!(
        "C{}",
        &first.conversation_id[..16.min(first.conversation_id.len())]
    );
    let title = field(first, "conversation").unwrap_or_else(|| "(untitled)".into());
    let platform = field(first, "channel").unwrap_or_else(|| "unknown".into());
    let mut names: Vec<String> = Vec::new();
    let pid = |names: &mut Vec<String>, n: &str| -> String {
        let i = match names.iter().position(|x| x == n) {
            Some(i) => i,
            None => {
                names.push(n.to_string());
                names.len() - 1
            }
        };
        format!("P{}", i + 1)
    };
    // Native ids of this slice's records, for `parent`.
    let natives: std::collections::HashMap<&str, &str> = ds
        .iter()
        .filter_map(|d| shown(d, "native_id").map(|n| (n, d.record_id.as_str())))
        .collect();
    let mut events = Vec::with_capacity(ds.len());
    let mut preview = String::new();
    let (mut begin, mut end): (Option<String>, Option<String>) = (None, None);
    for d in ds {
        let mut e = serde_json::Map::new();
        e.insert("id".into(), json!(d.record_id));
        e.insert("type".into(), json!(event_type(d)));
        let author = field(d, "author");
        if let Some(a) = &author {
            e.insert("participant".into(), json!(pid(&mut names, a)));
        }
        e.insert("conversation".into(), json!(collection));
        let ts = instant(d);
        if let Some(t) = &ts {
            e.insert("timestamp".into(), json!(t));
            if begin.as_ref().is_none_or(|b| t < b) {
                begin = Some(t.clone());
            }
            if end.as_ref().is_none_or(|x| t > x) {
                end = Some(t.clone());
            }
        }
        let body = text_plain(d);
        if !body.is_empty() {
            e.insert("body".into(), json!(body));
        }
        if shown(d, "kind") == Some("deleted") {
            e.insert("deleted".into(), json!(true));
        }
        if let Some(parent) = shown(d, "relation.reply_to")
            .or_else(|| shown(d, "relation.quotes"))
            .and_then(|n| natives.get(n))
            .filter(|p| **p != d.record_id)
        {
            e.insert("parent".into(), json!(parent));
        }
        let mut c = vec![
            custom("onrecord record id", &d.record_id),
            custom("disclosure", &format!("disclosures/{}.json", d.record_id)),
        ];
        if let Some(k) = field(d, "kind").filter(|k| !k.is_empty()) {
            c.push(custom("kind", &k));
        }
        let local = field(d, "local_time");
        if let Some(l) = local.as_ref().filter(|l| !l.is_empty()) {
            c.push(custom("local time", l));
        }
        for a in d
            .content
            .claims
            .iter()
            .filter(|c| c.name() == "attachment.name")
        {
            let v = match a {
                DisclosedClaim::Shown { value, .. } => value.clone(),
                w => marker(reason_of(w)),
            };
            if !v.is_empty() {
                c.push(custom("attachment", &v));
            }
        }
        e.insert("custom".into(), Value::Array(c));
        events.push(Value::Object(e));
        let when = ts.or(local).unwrap_or_default();
        let _ = writeln!(
            preview,
            "{when} {}: {body}",
            author.as_deref().unwrap_or("(no author)")
        );
    }
    let participants: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut p = serde_json::Map::new();
            p.insert("id".into(), json!(format!("P{}", i + 1)));
            if !n.is_empty() {
                p.insert("display".into(), json!(n));
            }
            Value::Object(p)
        })
        .collect();
    let mut conv = serde_json::Map::new();
    conv.insert("id".into(), json!(collection));
    conv.insert("display".into(), json!(title));
    conv.insert("platform".into(), json!(platform));
    conv.insert(
        "participants".into(),
        json!(
            (1..=names.len())
                .map(|i| format!("P{i}"))
                .collect::<Vec<_>>()
        ),
    );
    conv.insert(
        "custom".into(),
        json!([
            custom("onrecord conversation id", &first.conversation_id),
            custom("slice", &format!("{part} of {parts}")),
        ]),
    );
    let manifest = json!({
        "version": "2.0.0",
        "eventcollectionid": first.conversation_id,
        "participants": participants,
        "conversations": [Value::Object(conv)],
        "events": events,
    });
    Slice {
        manifest,
        participants: names,
        begin,
        end,
        preview,
        title,
        platform,
        collection: first.conversation_id.clone(),
    }
}

/// An unstructured header's value: ASCII as it is (controls made spaces), otherwise RFC 2047
/// UTF-8 B encoded words of at most 45 bytes of text each, folded one per line.
fn header_value(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.is_ascii() && !s.contains("=?") && s.len() <= 900 {
        return s;
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in s.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| {
            format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w)
            )
        })
        .collect::<Vec<_>>()
        .join("\r\n ")
}

/// Base64 in lines of 76 characters, CRLF-ended.
fn base64_lines(bytes: &[u8]) -> String {
    let b = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = String::with_capacity(b.len() + b.len() / 38 + 2);
    for line in b.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push_str("\r\n");
    }
    out
}

/// `rsmf.zip`: the manifest alone, stored, with a fixed time.
fn zip_of(manifest: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    w.start_file("rsmf_manifest.json", opts)
        .expect("writing to memory");
    w.write_all(manifest).expect("writing to memory");
    w.finish().expect("writing to memory").into_inner()
}

/// The RSMF files of a bundle, `(path under the bundle, bytes)`, in order: a pure function of
/// the manifest and the disclosures (in the manifest's order).
pub fn rsmf_files(m: &BundleManifest, ds: &[RecordDisclosure]) -> Vec<(String, Vec<u8>)> {
    rsmf_files_sliced(m, ds, SLICE)
}

fn rsmf_files_sliced(
    m: &BundleManifest,
    ds: &[RecordDisclosure],
    per_file: usize,
) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut n_conv = 0;
    while i < ds.len() {
        let conv = &ds[i].conversation_id;
        let j = ds[i..]
            .iter()
            .position(|d| &d.conversation_id != conv)
            .map_or(ds.len(), |k| i + k);
        n_conv += 1;
        let records: Vec<&RecordDisclosure> = ds[i..j].iter().collect();
        let parts = records.len().div_ceil(per_file);
        for (k, chunk) in records.chunks(per_file).enumerate() {
            let s = slice(chunk, k + 1, parts);
            let mut manifest = serde_json::to_vec_pretty(&s.manifest).expect("JSON serialises");
            manifest.push(b'\n');
            let zip = zip_of(&manifest);
            let name = format!(
                "{DIR}/{n_conv:03}-{}-{:03}.rsmf",
                &conv[..16.min(conv.len())],
                k + 1
            );
            out.push((name, eml(m, &s, chunk.len(), &zip)));
        }
        i = j;
    }
    out
}

fn eml(m: &BundleManifest, s: &Slice, n_events: usize, zip: &[u8]) -> Vec<u8> {
    const BOUNDARY: &str = "onrecord-rsmf-boundary";
    let mut h = String::new();
    let mut header = |name: &str, value: &str| {
        let _ = write!(h, "{name}: {}\r\n", header_value(value));
    };
    header("MIME-Version", "1.0");
    header("X-RSMF-Version", "2.0.0");
    header("X-RSMF-Generator", &generator());
    if let Some(b) = &s.begin {
        header("X-RSMF-BeginDate", b);
    }
    if let Some(e) = &s.end {
        header("X-RSMF-EndDate", e);
    }
    header("X-RSMF-EventCount", &n_events.to_string());
    header("X-RSMF-Application", &s.platform);
    header("X-RSMF-Participants", &s.participants.join(", "));
    header("X-RSMF-AttachmentCount", "0");
    header("X-RSMF-EventCollectionID", &s.collection);
    header(
        "Subject",
        &format!("{} (case {}, {})", s.title, m.case, m.regime.to_uppercase()),
    );
    header(
        "From",
        &format!("onrecord <{}>", "disclosure@onrecord.invalid"),
    );
    header(
        "Content-Type",
        &format!("multipart/mixed; boundary=\"{BOUNDARY}\""),
    );
    h.push_str("\r\n");
    let _ = write!(
        h,
        "--{BOUNDARY}\r\nContent-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(s.preview.as_bytes())
    );
    let _ = write!(
        h,
        "--{BOUNDARY}\r\nContent-Type: application/zip; name=\"rsmf.zip\"\r\nContent-Disposition: attachment; filename=\"rsmf.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}--{BOUNDARY}--\r\n",
        base64_lines(zip)
    );
    h.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_ascii_and_folded() {
        assert_eq!(header_value("Board"), "Board");
        let v = header_value(&"Café ".repeat(30));
        assert!(v.is_ascii());
        assert!(v.lines().all(|l| l.len() <= 78), "{v}");
        assert_eq!(header_value("a\r\nBcc: x"), "a  Bcc: x");
        // Text that looks like an encoded word is encoded, not passed on.
        assert!(header_value("=?UTF-8?B?x?=").starts_with("=?UTF-8?B?"));
    }

    /// A disclosure and a manifest written by `case bundle` (test data of this crate).
    fn sample() -> (BundleManifest, RecordDisclosure) {
        let m = serde_json::from_str(include_str!("../testdata/bundle.json")).unwrap();
        let d = serde_json::from_str(include_str!("../testdata/disclosure.json")).unwrap();
        (m, d)
    }

    fn manifest_of(eml: &[u8]) -> Value {
        let text = std::str::from_utf8(eml).unwrap();
        let b64: String = text
            .split("filename=\"rsmf.zip\"")
            .nth(1)
            .unwrap()
            .lines()
            .skip(3)
            .take_while(|l| !l.starts_with("--"))
            .collect();
        let zip = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name("rsmf_manifest.json").unwrap(), &mut s)
            .unwrap();
        serde_json::from_str(&s).unwrap()
    }

    #[test]
    fn a_conversation_is_sliced_and_each_slice_stands_alone() {
        let (m, d) = sample();
        // 7 records of one conversation and 2 of another, 3 events per file.
        let mut ds = Vec::new();
        for i in 0..9 {
            let mut d = d.clone();
            d.record_id = format!("{i:064x}");
            if i >= 7 {
                d.conversation_id = format!("{:064x}", 0xabcu32);
            }
            ds.push(d);
        }
        let files = rsmf_files_sliced(&m, &ds, 3);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 4, "{names:?}");
        assert!(names[0].ends_with("-001.rsmf") && names[2].ends_with("-003.rsmf"));
        assert!(names[3].starts_with("rsmf/002-") && names[3].ends_with("-001.rsmf"));
        let counts: Vec<usize> = files
            .iter()
            .map(|(_, b)| manifest_of(b)["events"].as_array().unwrap().len())
            .collect();
        assert_eq!(counts, [3, 3, 1, 2]);
        for (n, b) in &files {
            let man = manifest_of(b);
            let text = std::str::from_utf8(b).unwrap();
            let count = man["events"].as_array().unwrap().len();
            assert!(
                text.contains(&format!("X-RSMF-EventCount: {count}\r\n")),
                "{n}"
            );
            // Every slice of a conversation is one collection, and names its own participants.
            assert_eq!(man["eventcollectionid"].as_str().unwrap().len(), 64, "{n}");
            let people: Vec<&str> = man["participants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap())
                .collect();
            for e in man["events"].as_array().unwrap() {
                assert!(people.contains(&e["participant"].as_str().unwrap()), "{n}");
                assert_eq!(e["conversation"], man["conversations"][0]["id"]);
            }
        }
        assert_eq!(
            manifest_of(&files[0].1)["eventcollectionid"],
            manifest_of(&files[2].1)["eventcollectionid"]
        );
        assert_ne!(
            manifest_of(&files[0].1)["eventcollectionid"],
            manifest_of(&files[3].1)["eventcollectionid"]
        );
        // The same input, the same bytes.
        assert_eq!(files, rsmf_files_sliced(&m, &ds, 3));
    }

    #[test]
    fn the_zip_is_the_same_bytes_every_time() {
        let a = zip_of(b"{}\n");
        assert_eq!(a, zip_of(b"{}\n"));
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(a)).unwrap();
        assert_eq!(z.len(), 1);
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name("rsmf_manifest.json").unwrap(), &mut s)
            .unwrap();
        assert_eq!(s, "{}\n");
    }
}
