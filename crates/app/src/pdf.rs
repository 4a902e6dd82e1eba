//! The PDF transcript of a case bundle (`transcript.pdf`): the same messages, in the same order
//! and with the same `[Redacted: CODE]` markers as `transcript.html`, on A4 pages.
//!
//! **Nothing redacted is in its bytes.** The PDF is made from the disclosures only, and a
//! redacted word is not in a disclosure (a withheld claim is a salted digest): there is no text
//! under a box to recover, because the words were never there. The markers are text.
//!
//! **Text that extracts.** The font is DejaVu Sans (embedded whole, deflated; its licence is in
//! `fonts/`), as a Type 0 font whose CIDs are numbered by first appearance: each CID maps to its
//! glyph (`CIDToGIDMap`) and to its character (`ToUnicode`), so `pdftotext` gives back the exact
//! text even for a character the font has no glyph for (drawn as the empty box). Control
//! characters are drawn as their Unicode control pictures (`␛`), never as controls.
//!
//! **Checkable.** [`render_pdf`] is a pure function of `bundle.json` and the disclosures (no
//! dates, no random file id), so `verify-bundle` makes it again and compares bytes, as it does
//! the HTML transcript.

use std::collections::HashMap;
use std::io::Write as _;

use onrecord_archive::disclose::RecordDisclosure;
use onrecord_content::DisclosedClaim;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::case_bundle::BundleManifest;
use crate::rsmf::text_plain;

/// DejaVu Sans 2.37 (Bitstream Vera licence; `fonts/DejaVuSans-LICENSE.txt`).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;

/// One line to draw: its text, size and grey level (0 black).
struct Line {
    text: String,
    size: f32,
    gray: f32,
    /// Space before it, in points.
    before: f32,
}

/// The font's metrics and the CIDs given out so far.
struct Font<'a> {
    face: ttf_parser::Face<'a>,
    scale: f32,
    cids: HashMap<char, u16>,
    /// By CID: (character, glyph id, width in thousandths of the size).
    order: Vec<(char, u16, f32)>,
}

impl<'a> Font<'a> {
    fn new() -> Font<'a> {
        let face = ttf_parser::Face::parse(FONT, 0).expect("the embedded font parses");
        let scale = 1000.0 / f32::from(face.units_per_em());
        Font {
            face,
            scale,
            cids: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// What a character is drawn as: controls as their control pictures.
    fn visible(c: char) -> char {
        match c {
            '\t' => ' ',
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or('?'),
            '\u{7f}' => '\u{2421}',
            c => c,
        }
    }

    fn width_of(&self, c: char) -> f32 {
        let g = self.face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
        f32::from(self.face.glyph_hor_advance(g).unwrap_or(0)) * self.scale
    }

    /// The width of `s` at `size` points.
    fn measure(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.width_of(c)).sum::<f32>() * size / 1000.0
    }

    /// The CID of a character, given out on first use (CID 0 is the empty glyph).
    fn cid(&mut self, c: char) -> u16 {
        if let Some(&cid) = self.cids.get(&c) {
            return cid;
        }
        let g = self.face.glyph_index(c).map_or(0, |g| g.0);
        let w = self.width_of(c);
        self.order.push((c, g, w));
        let cid = u16::try_from(self.order.len()).unwrap_or(u16::MAX);
        self.cids.insert(c, cid);
        cid
    }

    fn encode(&mut self, s: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len() * 2);
        for c in s.chars() {
            out.extend_from_slice(&self.cid(c).to_be_bytes());
        }
        out
    }
}

/// Breaks `text` into lines no wider than `WIDTH` at `size`: at spaces where it can, inside a
/// word where it must; each `\n` starts a line. The line's width is kept as it grows, so a line
/// of many zero-width characters costs no more than any other (linear in the text).
fn wrap(font: &Font<'_>, text: &str, size: f32) -> Vec<String> {
    let width = |c: char| font.width_of(c) * size / 1000.0;
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let para: String = para.chars().map(Font::visible).collect();
        let mut line = String::new();
        let mut w = 0.0f32;
        for word in para.split_inclusive(' ') {
            if w + font.measure(word.trim_end(), size) <= WIDTH {
                line.push_str(word);
                w += font.measure(word, size);
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
                w = 0.0;
            }
            for c in word.chars() {
                if w + width(c) > WIDTH && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    w = 0.0;
                }
                line.push(c);
                w += width(c);
            }
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

fn shown_or_marker(d: &RecordDisclosure, name: &str) -> Option<String> {
    crate::case_bundle::field_with(&crate::rsmf::PLAIN, d, name)
}

/// The lines of the transcript, before they are put on pages.
fn lines_of(font: &Font<'_>, m: &BundleManifest, ds: &[RecordDisclosure]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut push = |font: &Font<'_>, text: &str, size: f32, gray: f32, before: f32| {
        for (i, l) in wrap(font, text, size).into_iter().enumerate() {
            out.push(Line {
                text: l,
                size,
                gray,
                before: if i == 0 { before } else { 0.0 },
            });
        }
    };
    push(
        font,
        &format!("Disclosure for request {}", m.case),
        15.0,
        0.0,
        0.0,
    );
    push(
        font,
        &format!(
            "Regime: {}. {} record{} disclosed, {} withheld in full. Every message carries its \
             disclosure (disclosures/<record id>.json) with its inclusion proof in log {} at size \
             {} (checkpoint.txt); check them with `onrecord verify-bundle` and the log's verifier \
             key obtained from the archive. Text removed under an exemption reads [Redacted: CODE].",
            m.regime.to_uppercase(),
            ds.len(),
            if ds.len() == 1 { "" } else { "s" },
            m.withheld.len(),
            m.origin,
            m.tree_size
        ),
        8.5,
        0.35,
        6.0,
    );
    let mut current: Option<&str> = None;
    for d in ds {
        if current != Some(d.conversation_id.as_str()) {
            current = Some(&d.conversation_id);
            let title = shown_or_marker(d, "conversation").unwrap_or_else(|| "(untitled)".into());
            let channel = shown_or_marker(d, "channel").unwrap_or_default();
            push(font, &title, 12.5, 0.0, 16.0);
            push(
                font,
                &format!(
                    "{channel} · conversation {}",
                    &d.conversation_id[..16.min(d.conversation_id.len())]
                ),
                8.0,
                0.35,
                0.0,
            );
        }
        let when = shown_or_marker(d, "local_time")
            .or_else(|| shown_or_marker(d, "sent_at"))
            .unwrap_or_default();
        let author = shown_or_marker(d, "author").unwrap_or_else(|| "(no author)".into());
        let kind = shown_or_marker(d, "kind").unwrap_or_default();
        let kind = if kind == "text" {
            String::new()
        } else {
            format!(" · {kind}")
        };
        push(font, &format!("{when} · {author}{kind}"), 8.5, 0.35, 8.0);
        push(font, &text_plain(d), 10.0, 0.0, 1.0);
        let attachments: Vec<String> = d
            .content
            .claims
            .iter()
            .filter(|c| c.name() == "attachment.name")
            .map(|c| match c {
                DisclosedClaim::Shown { value, .. } => value.clone(),
                w => format!("[Redacted: {}]", crate::case_bundle::reason_of(w)),
            })
            .collect();
        if !attachments.is_empty() {
            push(
                font,
                &format!("Attachments: {}", attachments.join(", ")),
                8.5,
                0.35,
                1.0,
            );
        }
        push(font, &format!("Record {}", d.record_id), 7.0, 0.5, 1.0);
    }
    if !m.withheld.is_empty() {
        let regime: Option<onrecord_deadlines::Regime> = m.regime.parse().ok();
        push(font, "Withheld in full", 12.5, 0.0, 16.0);
        for w in &m.withheld {
            let heading = regime
                .and_then(|r| onrecord_archive::exemptions::heading(r, &w.code))
                .map_or(String::new(), |h| format!(" ({h})"));
            push(
                font,
                &format!("Record {} withheld under {}{heading}", w.record, w.code),
                8.5,
                0.0,
                3.0,
            );
        }
    }
    out
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(bytes).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// The PDF transcript: a pure function of the manifest and the disclosures (in the manifest's
/// order).
pub fn render_pdf(m: &BundleManifest, ds: &[RecordDisclosure]) -> Vec<u8> {
    let mut font = Font::new();
    let lines = lines_of(&font, m, ds);
    // Lay the lines out on pages.
    let bottom = MARGIN + 20.0;
    let mut pages: Vec<Vec<(f32, &Line)>> = vec![Vec::new()];
    let mut y = PAGE_H - MARGIN;
    for l in &lines {
        let step = l.before + l.size * 1.3;
        if y - step < bottom && !pages.last().is_some_and(Vec::is_empty) {
            pages.push(Vec::new());
            y = PAGE_H - MARGIN;
        }
        let before = if pages.last().is_some_and(Vec::is_empty) {
            0.0
        } else {
            l.before
        };
        y -= before + l.size * 1.3;
        pages.last_mut().expect("one page").push((y, l));
    }
    let n_pages = pages.len();

    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let info = alloc();
    let type0 = alloc();
    let cid_font = alloc();
    let descriptor = alloc();
    let font_file = alloc();
    let to_unicode = alloc();
    let gid_map = alloc();
    let page_refs: Vec<(Ref, Ref)> = (0..n_pages).map(|_| (alloc(), alloc())).collect();

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(i32::try_from(n_pages).unwrap_or(i32::MAX));
    pdf.document_info(info)
        .title(TextStr(&format!("Disclosure for request {}", m.case)))
        .producer(TextStr("onrecord"));
    let font_name = Name(b"F1");
    for (i, (page, (page_ref, content_ref))) in pages.iter().zip(&page_refs).enumerate() {
        let mut c = Content::new();
        let draw = |c: &mut Content, font: &mut Font<'_>, x: f32, y: f32, l: &Line| {
            let bytes = font.encode(&l.text);
            c.set_fill_gray(l.gray);
            c.begin_text();
            c.set_font(font_name, l.size);
            c.next_line(x, y);
            c.show(Str(&bytes));
            c.end_text();
        };
        for (y, l) in page {
            draw(&mut c, &mut font, MARGIN, *y, l);
        }
        let footer = Line {
            text: format!("Case {} · page {} of {}", m.case, i + 1, n_pages),
            size: 7.5,
            gray: 0.5,
            before: 0.0,
        };
        draw(&mut c, &mut font, MARGIN, MARGIN - 20.0, &footer);
        let content = deflate(&c.finish());
        pdf.stream(*content_ref, &content)
            .filter(Filter::FlateDecode);
        let mut p = pdf.page(*page_ref);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        p.parent(tree);
        p.contents(*content_ref);
        p.resources().fonts().pair(font_name, type0);
        p.finish();
    }

    let base = Name(b"DejaVuSans");
    let system = pdf_writer::types::SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(type0)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    {
        let mut cf = pdf.cid_font(cid_font);
        cf.subtype(pdf_writer::types::CidFontType::Type2);
        cf.base_font(base);
        cf.system_info(system);
        cf.font_descriptor(descriptor);
        cf.default_width(0.0);
        cf.cid_to_gid_map_stream(gid_map);
        cf.widths()
            .consecutive(1, font.order.iter().map(|(_, _, w)| *w));
        cf.finish();
    }
    let face = &font.face;
    let bbox = face.global_bounding_box();
    let s = font.scale;
    pdf.font_descriptor(descriptor)
        .name(base)
        .flags(pdf_writer::types::FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * s,
            f32::from(bbox.y_min) * s,
            f32::from(bbox.x_max) * s,
            f32::from(bbox.y_max) * s,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(face.ascender()) * s)
        .descent(f32::from(face.descender()) * s)
        .cap_height(f32::from(face.capital_height().unwrap_or(face.ascender())) * s)
        .stem_v(80.0)
        .font_file2(font_file);
    let packed = deflate(FONT);
    pdf.stream(font_file, &packed)
        .filter(Filter::FlateDecode)
        .pair(
            Name(b"Length1"),
            i32::try_from(FONT.len()).unwrap_or(i32::MAX),
        );
    let mut map = vec![0u8, 0u8];
    for (_, g, _) in &font.order {
        map.extend_from_slice(&g.to_be_bytes());
    }
    pdf.stream(gid_map, &deflate(&map))
        .filter(Filter::FlateDecode);
    let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"onrecord-UCS"), system);
    for (i, (c, _, _)) in font.order.iter().enumerate() {
        cmap.pair(u16::try_from(i + 1).unwrap_or(u16::MAX), *c);
    }
    let cmap = cmap.finish();
    pdf.cmap(to_unicode, &cmap);
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_within_the_page_and_keep_every_character() {
        let f = Font::new();
        let text = format!("{} {}\nnext\u{1b}[2K", "word ".repeat(60), "q".repeat(300));
        let lines = wrap(&f, &text, 10.0);
        assert!(lines.len() > 3, "{lines:?}");
        for l in &lines {
            assert!(f.measure(l, 10.0) <= WIDTH + 0.01, "{l}");
        }
        let joined: String = lines.concat();
        assert_eq!(joined.matches('q').count(), 300);
        assert!(
            joined.contains("next\u{241b}[2K"),
            "a control shown as its picture"
        );
    }

    #[test]
    fn the_same_transcript_gives_the_same_bytes() {
        let m: BundleManifest =
            serde_json::from_str(include_str!("../testdata/bundle.json")).unwrap();
        let d: RecordDisclosure =
            serde_json::from_str(include_str!("../testdata/disclosure.json")).unwrap();
        let a = render_pdf(&m, std::slice::from_ref(&d));
        assert!(a.starts_with(b"%PDF-"));
        assert_eq!(a, render_pdf(&m, std::slice::from_ref(&d)));
        // Many records: several pages.
        let many: Vec<RecordDisclosure> = (0..300).map(|_| d.clone()).collect();
        let b = render_pdf(&m, &many);
        let count = |pdf: &[u8]| pdf.windows(11).filter(|w| *w == b"/Type /Page").count();
        // `/Type /Page` for each page, and once more as the prefix of `/Type /Pages`.
        assert_eq!(count(&a), 2);
        assert!(count(&b) > 3, "{}", count(&b));
    }
}
