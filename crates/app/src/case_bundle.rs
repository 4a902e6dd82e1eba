//! Disclosure bundles of a case (`case bundle`) and their offline check (`verify-bundle`).
//!
//! A bundle is a folder:
//!
//! ```text
//! transcript.html          the responsive, non-exempt records by conversation, in time order,
//!                          redactions burned in as `[Redacted: CODE]`; records withheld in full
//!                          listed with their code only
//! bundle.json              what the transcript is made from: the case, its regime, the log's
//!                          origin and size, the disclosed records in order, the withheld ones
//! disclosures/<id>.json    each disclosed record's disclosure (docs/disclosure.md, section 5),
//!                          its redacted text segments withheld with the code as their reason
//! checkpoint.txt           the signed checkpoint every proof leads to
//! verifier.key             the log's verifier key (a convenience: a checker uses its own)
//! ```
//!
//! As a BagIt bag (RFC 8493) the same files are the payload under `data/`, with `bagit.txt`,
//! `bag-info.txt`, `manifest-sha256.txt` and `tagmanifest-sha256.txt` around them.
//!
//! **Why the transcript can be checked.** [`render_transcript`] is a pure function of
//! `bundle.json` and the disclosures, and the text it shows is only what the disclosures show
//! (shown claims, and a marker with the withheld claim's reason where withheld claims stood).
//! `verify-bundle` verifies every disclosure against the checkpoint with the caller's key, renders
//! the transcript again and compares bytes: a changed character, a moved marker or a swapped
//! proof fails, naming the file. The redacted words are never in the bundle: a withheld claim is a
//! salted digest whose salt stays in the archive.
//!
//! **What is disclosed.** Every record of the case's scope must have a decision first (an
//! unreviewed record makes the bundle refuse, so that nothing in scope is left out unnoticed);
//! responsive records are disclosed with their redactions; exempt ones are listed by id and code;
//! not responsive ones are left out.
//!
//! `--format rsmf` adds `rsmf/`, one RSMF 2.0 file per conversation and slice of 10,000 events
//! (see [`crate::rsmf`]); `verify-bundle` makes them again from the disclosures and compares
//! bytes. `--format pdf` adds `transcript.pdf` (see [`crate::pdf`]), also made again and compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use onrecord_archive::disclose::{RecordDisclosure, verify_disclosure};
use onrecord_archive::entry::Decision;
use onrecord_archive::{ArchiveReader, cases::redaction_mask};
use onrecord_content::{DisclosedClaim, Withhold};
use onrecord_log::Verifier;
use onrecord_model::Digest;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorKind};

/// The `format` of `bundle.json`.
pub const BUNDLE_FORMAT: &str = "onrecord-case-bundle/1";

/// The PDF transcript's file name in a bundle.
const PDF_FILE: &str = "transcript.pdf";

/// `case bundle --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleFormat {
    Html,
    Bagit,
    /// The HTML bundle plus an RSMF 2.0 file per conversation and slice under `rsmf/`.
    Rsmf,
    /// The HTML bundle plus `transcript.pdf`.
    Pdf,
}

/// `bundle.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleManifest {
    pub format: String,
    pub case: String,
    pub regime: String,
    /// The checkpoint's origin and tree size.
    pub origin: String,
    pub tree_size: u64,
    /// The disclosed records, in the transcript's order.
    pub disclosed: Vec<String>,
    /// The records withheld in full, with their codes.
    pub withheld: Vec<WithheldRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithheldRecord {
    pub record: String,
    pub code: String,
}

/// What `case bundle` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct BundleWritten {
    pub path: PathBuf,
    pub disclosed: usize,
    pub withheld: usize,
    pub redactions: usize,
}

fn io(path: &Path, e: std::io::Error) -> AppError {
    AppError::new(ErrorKind::Input, format!("{}: {e}", path.display()))
}

fn checkpoint_of(proof: &str) -> &str {
    proof.split_once("\n\n").map_or("", |(_, c)| c)
}

/// The record's disclosure with the case's redactions withheld (each segment's reason the code
/// of the first redaction that covers it).
fn redacted_disclosure(
    archive: &ArchiveReader,
    file: &onrecord_archive::cases::CaseFile,
    record: &Digest,
    redactions: &[(&str, &onrecord_archive::cases::RedactionTarget)],
) -> Result<RecordDisclosure, AppError> {
    let (_, content) = archive.case_record(file, &record.to_hex())?;
    let mut d = archive.disclose(&record.to_hex(), &Withhold::default())?;
    let mut codes: Vec<Option<&str>> =
        vec![None; content.claims.iter().filter(|c| c.name == "text").count()];
    for (code, target) in redactions {
        for (i, hit) in redaction_mask(&content, target).into_iter().enumerate() {
            if hit && codes[i].is_none() {
                codes[i] = Some(code);
            }
        }
    }
    let mut segment = 0;
    for claim in d.content.claims.iter_mut() {
        if claim.name() != "text" {
            continue;
        }
        if let Some(code) = codes[segment] {
            *claim = DisclosedClaim::Withheld {
                name: claim.name().to_string(),
                digest: claim.digest(),
                reason: Some(code.to_string()),
            };
        }
        segment += 1;
    }
    Ok(d)
}

pub(crate) fn shown<'a>(d: &'a RecordDisclosure, name: &str) -> Option<&'a str> {
    d.content.claims.iter().find_map(|c| match c {
        DisclosedClaim::Shown { name: n, value, .. } if n == name => Some(value.as_str()),
        _ => None,
    })
}

/// The order of the transcript: by conversation (in the order of its first message), then by
/// time (`sent_at`, else `local_time`), then by record id.
fn transcript_order(ds: &mut [RecordDisclosure]) {
    let when = |d: &RecordDisclosure| {
        shown(d, "sent_at")
            .or_else(|| shown(d, "local_time"))
            .unwrap_or("")
            .to_string()
    };
    let mut first: BTreeMap<String, String> = BTreeMap::new();
    for d in ds.iter() {
        let w = when(d);
        let e = first.entry(d.conversation_id.clone()).or_insert(w.clone());
        if w < *e {
            *e = w;
        }
    }
    ds.sort_by_cached_key(|d| {
        (
            first[&d.conversation_id].clone(),
            d.conversation_id.clone(),
            when(d),
            d.record_id.clone(),
        )
    });
}

/// Writes a case's bundle at `out` (which must not exist).
pub fn case_bundle(
    archive: &ArchiveReader,
    name: &str,
    format: BundleFormat,
    out: &Path,
) -> Result<BundleWritten, AppError> {
    if out.exists() {
        return Err(AppError::caller(format!(
            "-o {}: exists already (a bundle is written to a new folder)",
            out.display()
        )));
    }
    let file = archive.case(name)?;
    let regime = file.regime()?;
    let review = archive.case_review(name)?;
    let scope = archive.case_scope_records(name)?;
    let unreviewed: Vec<&Digest> = scope
        .iter()
        .filter(|id| !review.marks.contains_key(id))
        .collect();
    if let Some(first) = unreviewed.first() {
        return Err(AppError::caller(format!(
            "case {name:?}: {} record{} in scope {} no decision yet (first: {}); mark each with `case mark`",
            unreviewed.len(),
            if unreviewed.len() == 1 { "" } else { "s" },
            if unreviewed.len() == 1 { "has" } else { "have" },
            first.to_hex()
        )));
    }
    let mut disclosures = Vec::new();
    let mut withheld = Vec::new();
    let mut n_redactions = 0;
    for (record, (decision, code, _)) in &review.marks {
        match decision {
            Decision::NotResponsive => {}
            Decision::Exempt => withheld.push(WithheldRecord {
                record: record.to_hex(),
                code: code.clone(),
            }),
            Decision::Responsive => {
                let mine: Vec<(&str, &onrecord_archive::cases::RedactionTarget)> = review
                    .redactions
                    .iter()
                    .filter(|(r, ..)| r == record)
                    .map(|(_, code, t, _)| (code.as_str(), t))
                    .collect();
                n_redactions += mine.len();
                disclosures.push(redacted_disclosure(archive, &file, record, &mine)?);
            }
        }
    }
    transcript_order(&mut disclosures);
    let checkpoint = match disclosures.first() {
        Some(d) => checkpoint_of(&d.proof).to_string(),
        None => archive.checkpoint()?,
    };
    if disclosures
        .iter()
        .any(|d| checkpoint_of(&d.proof) != checkpoint)
    {
        return Err(AppError::new(
            ErrorKind::Input,
            "the log grew while the bundle was made; run `case bundle` again",
        ));
    }
    let body = checkpoint.rfind("\n\n").map_or("", |i| &checkpoint[..=i]);
    let cp = onrecord_log::Checkpoint::parse(body)
        .map_err(|e| AppError::new(ErrorKind::Input, format!("the checkpoint: {e}")))?;
    let manifest = BundleManifest {
        format: BUNDLE_FORMAT.to_string(),
        case: name.to_string(),
        regime: regime.name().to_string(),
        origin: cp.origin.clone(),
        tree_size: cp.size,
        disclosed: disclosures.iter().map(|d| d.record_id.clone()).collect(),
        withheld,
    };
    let payload = match format {
        BundleFormat::Html | BundleFormat::Rsmf | BundleFormat::Pdf => out.to_path_buf(),
        BundleFormat::Bagit => out.join("data"),
    };
    std::fs::create_dir_all(payload.join("disclosures")).map_err(|e| io(out, e))?;
    let write = |rel: &str, bytes: &[u8]| {
        let p = payload.join(rel);
        std::fs::write(&p, bytes).map_err(|e| io(&p, e))
    };
    for d in &disclosures {
        let mut json = serde_json::to_string_pretty(d).expect("a disclosure serialises");
        json.push('\n');
        write(
            &format!("disclosures/{}.json", d.record_id),
            json.as_bytes(),
        )?;
    }
    let mut m = serde_json::to_string_pretty(&manifest).expect("a manifest serialises");
    m.push('\n');
    write("bundle.json", m.as_bytes())?;
    write("checkpoint.txt", checkpoint.as_bytes())?;
    write(
        "verifier.key",
        format!("{}\n", archive.verifier_key()).as_bytes(),
    )?;
    write(
        "transcript.html",
        render_transcript(&manifest, &disclosures).as_bytes(),
    )?;
    if format == BundleFormat::Pdf {
        write(PDF_FILE, &crate::pdf::render_pdf(&manifest, &disclosures))?;
    }
    if format == BundleFormat::Rsmf {
        std::fs::create_dir_all(payload.join(crate::rsmf::DIR)).map_err(|e| io(out, e))?;
        for (rel, bytes) in crate::rsmf::rsmf_files(&manifest, &disclosures) {
            write(&rel, &bytes)?;
        }
    }
    if format == BundleFormat::Bagit {
        write_bag(out, &manifest)?;
    }
    crate::audit::read(
        archive,
        "case-bundle",
        name,
        disclosures.iter().map(|d| d.record_id.as_str()),
    )?;
    Ok(BundleWritten {
        path: out.to_path_buf(),
        disclosed: disclosures.len(),
        withheld: manifest.withheld.len(),
        redactions: n_redactions,
    })
}

/// Escapes text for HTML content and attribute values: every `<>&"'`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:50em;margin:2em auto;padding:0 1em;color:#111}\
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}\
article{margin:.8em 0;padding:.4em .8em;border-left:3px solid #ccc}\
.meta{color:#555;font-size:.85em}.text{white-space:pre-wrap}\
.redacted{background:#eee;border:1px solid #999;padding:0 .2em;font-family:monospace}\
footer,.proof{font-size:.8em;color:#555;word-break:break-all}";

fn marker(code: &str) -> String {
    format!(
        "<span class=\"redacted\">[Redacted: {}]</span>",
        escape(code)
    )
}

pub(crate) fn reason_of(c: &DisclosedClaim) -> &str {
    match c {
        DisclosedClaim::Withheld { reason, .. } => reason.as_deref().unwrap_or("withheld"),
        DisclosedClaim::Shown { .. } => "",
    }
}

/// How a rendering shows text: `show` for a shown value, `mark` for a withheld claim's code.
/// The HTML transcript escapes and wraps its markers; RSMF and the PDF give them as text.
pub(crate) struct Render {
    pub show: fn(&str) -> String,
    pub mark: fn(&str) -> String,
}

const HTML: Render = Render {
    show: escape,
    mark: marker,
};

/// One field of a message: its value, or a marker when withheld; `None` when absent.
pub(crate) fn field_with(r: &Render, d: &RecordDisclosure, name: &str) -> Option<String> {
    d.content
        .claims
        .iter()
        .find(|c| c.name() == name)
        .map(|c| match c {
            DisclosedClaim::Shown { value, .. } => (r.show)(value),
            w => (r.mark)(reason_of(w)),
        })
}

fn field(d: &RecordDisclosure, name: &str) -> Option<String> {
    field_with(&HTML, d, name)
}

/// The message's text: shown segments as `r` shows them, each run of withheld segments one
/// marker (with the code of its first segment; a new marker where the code changes).
pub(crate) fn text_with(r: &Render, d: &RecordDisclosure) -> String {
    let mut out = String::new();
    let mut open: Option<String> = None;
    for c in d.content.claims.iter().filter(|c| c.name() == "text") {
        match c {
            DisclosedClaim::Shown { value, .. } => {
                open = None;
                out.push_str(&(r.show)(value));
            }
            w => {
                let code = reason_of(w).to_string();
                if open.as_deref() != Some(code.as_str()) {
                    if open.is_none() && !out.is_empty() && !out.ends_with(char::is_whitespace) {
                        out.push(' ');
                    }
                    out.push_str(&(r.mark)(&code));
                    out.push(' ');
                    open = Some(code);
                }
            }
        }
    }
    out
}

fn text_html(d: &RecordDisclosure) -> String {
    text_with(&HTML, d)
}

/// The transcript: a pure function of the manifest and the disclosures (in the manifest's
/// order), so that `verify-bundle` can render it again and compare bytes.
pub fn render_transcript(m: &BundleManifest, ds: &[RecordDisclosure]) -> String {
    let regime: Option<onrecord_deadlines::Regime> = m.regime.parse().ok();
    let heading = |code: &str| {
        regime
            .and_then(|r| onrecord_archive::exemptions::heading(r, code))
            .map_or(String::new(), |h| format!(" ({})", escape(h)))
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<title>Disclosure: {case}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
<h1>Disclosure for request {case}</h1>\n\
<p class=\"meta\">Regime: {regime}. {n} record{s} disclosed, {w} withheld in full. \
Every message below carries its disclosure (<code>disclosures/&lt;record id&gt;.json</code>) \
with its inclusion proof in log <code>{origin}</code> at size {size} (<code>checkpoint.txt</code>); \
check them with <code>onrecord verify-bundle</code> and the log&#39;s verifier key obtained from the archive. \
Text removed under an exemption reads <span class=\"redacted\">[Redacted: CODE]</span>.</p>\n",
        case = escape(&m.case),
        regime = escape(&m.regime.to_uppercase()),
        n = ds.len(),
        s = if ds.len() == 1 { "" } else { "s" },
        w = m.withheld.len(),
        origin = escape(&m.origin),
        size = m.tree_size,
    );
    let mut current: Option<&str> = None;
    for d in ds {
        if current != Some(d.conversation_id.as_str()) {
            if current.is_some() {
                h.push_str("</section>\n");
            }
            current = Some(&d.conversation_id);
            let title = field(d, "conversation").unwrap_or_else(|| "(untitled)".into());
            let channel = field(d, "channel").unwrap_or_default();
            let _ = writeln!(
                h,
                "<section>\n<h2>{title} <span class=\"meta\">{channel} · conversation {}</span></h2>",
                escape(&d.conversation_id[..16.min(d.conversation_id.len())])
            );
        }
        let when = field(d, "local_time")
            .or_else(|| field(d, "sent_at"))
            .unwrap_or_default();
        let author = field(d, "author").unwrap_or_else(|| "(no author)".into());
        let kind = field(d, "kind").unwrap_or_default();
        let _ = write!(
            h,
            "<article id=\"r-{id}\">\n<div class=\"meta\">{when} · <b>{author}</b>{kind}</div>\n",
            id = escape(&d.record_id),
            kind = if kind == "text" {
                String::new()
            } else {
                format!(" · {kind}")
            },
        );
        let attachments: Vec<String> = d
            .content
            .claims
            .iter()
            .filter(|c| c.name() == "attachment.name")
            .map(|c| match c {
                DisclosedClaim::Shown { value, .. } => escape(value),
                w => marker(reason_of(w)),
            })
            .collect();
        let _ = writeln!(h, "<div class=\"text\">{}</div>", text_html(d));
        if !attachments.is_empty() {
            let _ = writeln!(
                h,
                "<div class=\"meta\">Attachments: {}</div>",
                attachments.join(", ")
            );
        }
        let _ = writeln!(
            h,
            "<div class=\"proof\">Record {id} · <a href=\"disclosures/{id}.json\">disclosure and proof</a></div>\n</article>",
            id = escape(&d.record_id)
        );
    }
    if current.is_some() {
        h.push_str("</section>\n");
    }
    if !m.withheld.is_empty() {
        h.push_str("<section>\n<h2>Withheld in full</h2>\n<ul>\n");
        for w in &m.withheld {
            let _ = writeln!(
                h,
                "<li>Record {} withheld under {}{}</li>",
                escape(&w.record),
                escape(&w.code),
                heading(&w.code)
            );
        }
        h.push_str("</ul>\n</section>\n");
    }
    h.push_str("<footer>Made by onrecord. Nothing in this file is loaded from elsewhere.</footer>\n</body>\n</html>\n");
    h
}

fn sha256_hex(bytes: &[u8]) -> String {
    Digest::of(bytes).to_hex()
}

/// Every file under `dir`, as paths relative to `base` with `/`, sorted.
fn files_under(base: &Path, dir: &Path) -> Result<Vec<String>, AppError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| io(&d, e))? {
            let e = e.map_err(|e| io(&d, e))?;
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(base).expect("under base");
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    Ok(out)
}

fn write_bag(out: &Path, m: &BundleManifest) -> Result<(), AppError> {
    let payload = files_under(out, &out.join("data"))?;
    let mut manifest = String::new();
    let mut octets = 0u64;
    for rel in &payload {
        let bytes = std::fs::read(out.join(rel)).map_err(|e| io(&out.join(rel), e))?;
        octets += bytes.len() as u64;
        let _ = writeln!(manifest, "{}  {rel}", sha256_hex(&bytes));
    }
    let one_line = |s: &str| s.replace(['\r', '\n'], " ");
    let tags = [
        (
            "bagit.txt",
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_string(),
        ),
        (
            "bag-info.txt",
            format!(
                "Source-Organization: {}\nBagging-Date: {}\nPayload-Oxum: {octets}.{}\nExternal-Description: Disclosure bundle of information request case {} ({})\nExternal-Identifier: {}\n",
                one_line(&m.origin),
                crate::cases::today(),
                payload.len(),
                one_line(&m.case),
                m.regime.to_uppercase(),
                one_line(&m.case),
            ),
        ),
        ("manifest-sha256.txt", manifest),
    ];
    let mut tagmanifest = String::new();
    for (name, text) in &tags {
        let p = out.join(name);
        std::fs::write(&p, text).map_err(|e| io(&p, e))?;
        let _ = writeln!(tagmanifest, "{}  {name}", sha256_hex(text.as_bytes()));
    }
    let p = out.join("tagmanifest-sha256.txt");
    std::fs::write(&p, tagmanifest).map_err(|e| io(&p, e))
}

/// What `verify-bundle` found: the problems, each naming its file (none: the bundle verifies).
#[derive(Clone, Debug, Serialize)]
pub struct BundleCheck {
    pub case: String,
    pub disclosed: usize,
    pub withheld: usize,
    pub bag: bool,
    pub problems: Vec<String>,
}

/// Checks a bag's manifests: every payload file listed with its checksum, and the tag files.
fn check_bag(bag: &Path, problems: &mut Vec<String>) -> Result<(), AppError> {
    let read =
        |name: &str| std::fs::read_to_string(bag.join(name)).map_err(|e| io(&bag.join(name), e));
    let check = |listing: &str, which: &str, problems: &mut Vec<String>| -> Vec<String> {
        let mut listed = Vec::new();
        for line in listing.lines().filter(|l| !l.trim().is_empty()) {
            let Some((sum, rel)) = line.split_once(char::is_whitespace) else {
                problems.push(format!("{which}: unreadable line {line:?}"));
                continue;
            };
            let rel = rel.trim_start();
            listed.push(rel.to_string());
            if rel.split('/').any(|c| c == ".." || c.is_empty()) {
                problems.push(format!("{which}: {rel:?} is not a path inside the bag"));
                continue;
            }
            match std::fs::read(bag.join(rel)) {
                Ok(b) if sha256_hex(&b) == sum.to_ascii_lowercase() => {}
                Ok(_) => problems.push(format!("{rel}: its SHA-256 is not the one {which} lists")),
                Err(e) => problems.push(format!("{rel}: listed in {which} but unreadable: {e}")),
            }
        }
        listed
    };
    let manifest = read("manifest-sha256.txt")?;
    let listed = check(&manifest, "manifest-sha256.txt", problems);
    for rel in files_under(bag, &bag.join("data"))? {
        if !listed.contains(&rel) {
            problems.push(format!(
                "{rel}: in the payload but not in manifest-sha256.txt"
            ));
        }
    }
    let tags = read("tagmanifest-sha256.txt")?;
    let tagged = check(&tags, "tagmanifest-sha256.txt", problems);
    for t in ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"] {
        if !tagged.iter().any(|x| x == t) {
            problems.push(format!("{t}: not in tagmanifest-sha256.txt"));
        }
    }
    Ok(())
}

/// Checks the RSMF files of a bundle, if it has an `rsmf/` folder: each must be the bytes its
/// disclosures make, and none may be missing or added.
fn check_rsmf(
    payload: &Path,
    manifest: &BundleManifest,
    ds: &[RecordDisclosure],
    problems: &mut Vec<String>,
) {
    let dir = payload.join(crate::rsmf::DIR);
    if !dir.is_dir() {
        return;
    }
    let want = crate::rsmf::rsmf_files(manifest, ds);
    for (rel, bytes) in &want {
        match std::fs::read(payload.join(rel)) {
            Ok(b) if &b == bytes => {}
            Ok(b) => {
                let at = b
                    .iter()
                    .zip(bytes)
                    .position(|(x, y)| x != y)
                    .unwrap_or(b.len().min(bytes.len()));
                problems.push(format!(
                    "{rel}: does not match its disclosures (first difference at byte {at})"
                ));
            }
            Err(e) => problems.push(format!("{rel}: missing or unreadable: {e}")),
        }
    }
    for rel in files_under(payload, &dir).unwrap_or_default() {
        if !want.iter().any(|(w, _)| *w == rel) {
            problems.push(format!(
                "{rel}: not an RSMF file of this bundle's disclosures"
            ));
        }
    }
}

/// Checks a bundle (a bag's folder, a bundle folder, or its `transcript.html`) offline against
/// the verifier key the caller trusts. `Err` (kind `Input`) when the path is no bundle.
pub fn verify_bundle(path: &Path, key: &Verifier) -> Result<BundleCheck, AppError> {
    let dir = if path.is_file() {
        path.parent().unwrap_or(Path::new(".")).to_path_buf()
    } else {
        path.to_path_buf()
    };
    let mut problems = Vec::new();
    let bag = dir.join("bagit.txt").is_file();
    let payload = if bag {
        check_bag(&dir, &mut problems)?;
        dir.join("data")
    } else {
        dir.clone()
    };
    let not_bundle = |m: String| AppError::new(ErrorKind::Input, m);
    let mpath = payload.join("bundle.json");
    let mtext = std::fs::read_to_string(&mpath)
        .map_err(|e| not_bundle(format!("{}: not a bundle: {e}", mpath.display())))?;
    let manifest: BundleManifest =
        serde_json::from_str(&mtext).map_err(|e| not_bundle(format!("bundle.json: {e}")))?;
    if manifest.format != BUNDLE_FORMAT {
        return Err(not_bundle(format!(
            "bundle.json: unknown format {:?}",
            manifest.format
        )));
    }
    let checkpoint = std::fs::read_to_string(payload.join("checkpoint.txt")).unwrap_or_default();
    match onrecord_log::verify_note(&checkpoint, std::slice::from_ref(key)) {
        Ok(_) => {}
        Err(e) => problems.push(format!(
            "checkpoint.txt: its signature does not verify with the key given: {e}"
        )),
    }
    match std::fs::read_to_string(payload.join("verifier.key")) {
        Ok(k) if k.trim() == key.verifier_key_text() => {}
        Ok(_) => problems.push(
            "verifier.key: not the key given (the bundle was checked with the key given)".into(),
        ),
        Err(e) => problems.push(format!("verifier.key: {e}")),
    }
    let mut ds = Vec::new();
    for id in &manifest.disclosed {
        let rel = format!("disclosures/{id}.json");
        let d: RecordDisclosure = match std::fs::read_to_string(payload.join(&rel))
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("{rel}: not a record disclosure: {e}"));
                continue;
            }
        };
        if &d.record_id != id {
            problems.push(format!(
                "{rel}: is the disclosure of record {}",
                d.record_id
            ));
        }
        if let Err(e) = verify_disclosure(&d, key) {
            problems.push(format!("{rel}: {e}"));
        }
        if checkpoint_of(&d.proof) != checkpoint {
            problems.push(format!("{rel}: its proof is not against checkpoint.txt"));
        }
        ds.push(d);
    }
    let listed: Vec<String> = manifest
        .disclosed
        .iter()
        .map(|id| format!("disclosures/{id}.json"))
        .collect();
    for rel in files_under(&payload, &payload.join("disclosures")).unwrap_or_default() {
        if !listed.contains(&rel) {
            problems.push(format!("{rel}: not a disclosure bundle.json lists"));
        }
    }
    if ds.len() == manifest.disclosed.len() {
        let html = std::fs::read(payload.join("transcript.html")).unwrap_or_default();
        let want = render_transcript(&manifest, &ds);
        if html != want.as_bytes() {
            let at = html
                .iter()
                .zip(want.as_bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(html.len().min(want.len()));
            problems.push(format!(
                "transcript.html: does not match its disclosures (first difference at byte {at})"
            ));
        }
        check_rsmf(&payload, &manifest, &ds, &mut problems);
        if let Ok(pdf) = std::fs::read(payload.join(PDF_FILE)) {
            let want = crate::pdf::render_pdf(&manifest, &ds);
            if pdf != want {
                let at = pdf
                    .iter()
                    .zip(&want)
                    .position(|(a, b)| a != b)
                    .unwrap_or(pdf.len().min(want.len()));
                problems.push(format!(
                    "{PDF_FILE}: does not match its disclosures (first difference at byte {at})"
                ));
            }
        }
    }
    Ok(BundleCheck {
        case: manifest.case,
        disclosed: manifest.disclosed.len(),
        withheld: manifest.withheld.len(),
        bag,
        problems,
    })
}
