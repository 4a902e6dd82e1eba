//! `onrecord parse`: an export's records as JSON Lines, or a summary.

use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Read, Write};

use anyhow::{Context, Result};
use onrecord_model::wire::{WireRecord, format_local};
use onrecord_model::{
    AttachmentStored, Channel, Conversation, EventKind, Kind, MessageKind, Participant, Recent,
    Record, Sink, SinkError, Warning,
};

use crate::Outcome;
use crate::args::ParseArgs;
use crate::visible::visible;

pub fn run(a: ParseArgs) -> Result<Outcome> {
    // Read as `ingest` would read it: the same options, format and passphrase.
    let mut deposit = onrecord_app::Deposit::prepare(&onrecord_app::IngestRequest {
        path: a.file.clone(),
        depositor: None,
        read: crate::read_flags::read_options(&a.read)?,
    })?;
    if deposit.needs_passphrase() {
        deposit.set_passphrase(crate::read_flags::ask_passphrase()?);
    }
    let (format, opts) = (deposit.format(), deposit.parse_options());
    let stdout = std::io::stdout();
    if a.json {
        let mut sink = JsonSink {
            out: BufWriter::with_capacity(1 << 16, stdout.lock()),
            conversations: Recent::new(JSON_TITLES_REMEMBERED),
            last_channel: None,
            error: None,
        };
        let r = onrecord_formats::parse_as(format, &a.file, opts, &mut sink);
        if let Some(e) = sink.error.take() {
            return Err(e).context("writing JSON Lines");
        }
        r.with_context(|| format!("parsing {}", a.file.display()))?;
        sink.out.flush()?;
        return Ok(Outcome::Ok);
    }
    let mut sink = SummarySink::default();
    let report = onrecord_formats::parse_as(format, &a.file, opts, &mut sink)
        .with_context(|| format!("parsing {}", a.file.display()))?;
    let mut out = stdout.lock();
    let s = &sink;
    // Everything below but the counts may come from the deposit (a title, a warning quoting a
    // line, the style an export names itself with) and is shown with `visible`.
    writeln!(
        out,
        "file:           {}",
        visible(&a.file.display().to_string())
    )?;
    writeln!(
        out,
        "format:         {}{}",
        visible(&report.format),
        report
            .style
            .as_deref()
            .map(|s| format!(" ({})", visible(s)))
            .unwrap_or_default()
    )?;
    if let Some((order, decision)) = report.date_order {
        writeln!(
            out,
            "date order:     {} ({})",
            order.as_str(),
            decision.as_str()
        )?;
    }
    writeln!(out, "time zone:      {}", visible(&opts.tz_name))?;
    writeln!(out, "conversations:  {}", s.distinct.len())?;
    for c in &s.conversations {
        writeln!(
            out,
            "  {} [{}] {} participants",
            visible(c.title.as_deref().unwrap_or(&c.key)),
            c.channel.as_str(),
            c.participants.len()
        )?;
    }
    if s.distinct.len() > s.conversations.len() {
        writeln!(
            out,
            "  ... and {} more",
            s.distinct.len() - s.conversations.len()
        )?;
    }
    writeln!(out, "messages:       {}", s.messages)?;
    writeln!(out, "system events:  {}", s.events)?;
    writeln!(out, "media:          {}", s.media)?;
    writeln!(out, "deleted:        {}", s.deleted)?;
    writeln!(
        out,
        "attachments:    {} stored in the export",
        s.attachments
    )?;
    writeln!(out, "authors:        {}", s.authors.len())?;
    let fmt = |t: &Option<(String, String)>| {
        t.as_ref()
            .map(|(l, tz)| format!("{} {}", visible(l), visible(tz)))
            .unwrap_or_else(|| "-".into())
    };
    writeln!(out, "first:          {}", fmt(&s.first))?;
    writeln!(out, "last:           {}", fmt(&s.last))?;
    if !s.disappearing.is_empty() {
        writeln!(
            out,
            "disappearing:   {}",
            visible(&s.disappearing.join("; "))
        )?;
    }
    if s.flagged > 0 {
        writeln!(
            out,
            "flagged times:  {} (backwards, impossible clock, DST fold or gap)",
            s.flagged
        )?;
    }
    writeln!(out, "warnings:       {}", s.warnings.len())?;
    for w in s.warnings.iter().take(10) {
        writeln!(out, "  {}", visible(w))?;
    }
    Ok(Outcome::Ok)
}

/// Hashes attachments and throws them away: `parse` stores nothing.
struct HashSink;

impl HashSink {
    fn attachment(content: &mut dyn Read) -> Result<AttachmentStored, SinkError> {
        let (sha256, size) = onrecord_model::digest::hash_reader(content)?;
        Ok(AttachmentStored { sha256, size })
    }
}

/// How many conversations' channel and title `parse --json` remembers: four times what the email
/// parser remembers (it announces again a conversation it forgot, see `onrecord_email`), so that
/// a record finds its conversation's title.
const JSON_TITLES_REMEMBERED: usize = 16384;

/// How many conversations the summary lists by name (it counts them all).
const SUMMARY_LISTED: usize = 50;

struct JsonSink<W: Write> {
    out: W,
    conversations: Recent<String, (Channel, Option<String>)>,
    /// The channel of the latest conversation, for a record whose conversation was forgotten.
    last_channel: Option<Channel>,
    error: Option<std::io::Error>,
}

impl<W: Write> Sink for JsonSink<W> {
    fn conversation(&mut self, c: Conversation) -> Result<(), SinkError> {
        self.last_channel = Some(c.channel);
        self.conversations.insert(c.key, (c.channel, c.title));
        Ok(())
    }
    fn record(&mut self, r: Record) -> Result<(), SinkError> {
        let (channel, title) = match self.conversations.get_mut(r.conversation.as_str()) {
            Some(known) => known.clone(),
            None => (self.last_channel.unwrap_or(Channel::WhatsApp), None),
        };
        let mut w = WireRecord::from_record(&r, channel);
        w.conversation_title = title;
        let res = serde_json::to_writer(&mut self.out, &w)
            .map_err(std::io::Error::from)
            .and_then(|_| self.out.write_all(b"\n"));
        if let Err(e) = res {
            let msg = e.to_string();
            self.error = Some(e);
            return Err(SinkError(msg));
        }
        Ok(())
    }
    fn attachment(
        &mut self,
        _name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        HashSink::attachment(content)
    }
    fn warning(&mut self, w: Warning) -> Result<(), SinkError> {
        eprintln!("onrecord: warning: {}", visible(&w.to_string()));
        Ok(())
    }
}

#[derive(Default)]
struct SummarySink {
    /// The first [`SUMMARY_LISTED`] conversations, in the order first announced; `by_key` finds
    /// one (an mbox announces a thread per message and one again when its participants grew).
    conversations: Vec<Conversation>,
    by_key: HashMap<String, usize>,
    /// Every conversation key, hashed, for the count: 8 bytes a conversation (a count off by
    /// one needs two of a deposit's keys to share 64 bits of hash).
    distinct: HashSet<u64>,
    messages: u64,
    events: u64,
    media: u64,
    deleted: u64,
    attachments: u64,
    flagged: u64,
    authors: HashSet<String>,
    first: Option<(String, String)>,
    last: Option<(String, String)>,
    disappearing: Vec<String>,
    warnings: Vec<String>,
    hasher: std::hash::RandomState,
}

/// A later announcement of a conversation: its title if it has one, and participants united
/// with the earlier ones (parsers may announce a conversation again with only the new ones).
fn merge_participants(known: &mut Conversation, later: Conversation) {
    if later.title.is_some() {
        known.title = later.title;
        known.title_source = later.title_source;
    }
    // A set of the known ones beside the list: linear, where `contains` on the list was
    // quadratic (an SMS group of 200,000 addresses announced twice took 23 minutes).
    if later.participants.is_empty() {
        return;
    }
    let mut seen: HashSet<Participant> = known.participants.iter().cloned().collect();
    for p in later.participants {
        if !seen.contains(&p) {
            seen.insert(p.clone());
            known.participants.push(p);
        }
    }
}

impl Sink for SummarySink {
    fn conversation(&mut self, c: Conversation) -> Result<(), SinkError> {
        self.distinct
            .insert(std::hash::BuildHasher::hash_one(&self.hasher, &c.key));
        match self.by_key.get(&c.key) {
            Some(&i) => {
                if let Some(slot) = self.conversations.get_mut(i) {
                    merge_participants(slot, c);
                }
            }
            None if self.conversations.len() < SUMMARY_LISTED => {
                self.by_key.insert(c.key.clone(), self.conversations.len());
                self.conversations.push(c);
            }
            None => {}
        }
        Ok(())
    }
    fn record(&mut self, r: Record) -> Result<(), SinkError> {
        match r.kind {
            Kind::Message(k) => {
                self.messages += 1;
                if matches!(k, MessageKind::Media | MessageKind::Sticker) {
                    self.media += 1;
                }
                if k == MessageKind::Deleted {
                    self.deleted += 1;
                }
                if let Some(a) = &r.author
                    && !self.authors.contains(a)
                {
                    self.authors.insert(a.clone());
                }
            }
            Kind::Event(k) => {
                self.events += 1;
                if matches!(k, EventKind::DisappearingOn | EventKind::DisappearingOff)
                    && self.disappearing.len() < 20
                {
                    let when = r
                        .time
                        .local
                        .map(|l| format_local(l, r.time.precision))
                        .unwrap_or_default();
                    self.disappearing.push(format!(
                        "{} {when}",
                        if k == EventKind::DisappearingOn {
                            "on"
                        } else {
                            "off"
                        }
                    ));
                }
            }
        }
        use onrecord_model::Flags;
        if r.flags.0
            & (Flags::TIME_BACKWARDS
                | Flags::CLOCK_OUT_OF_RANGE
                | Flags::TIME_FOLD
                | Flags::TIME_GAP)
                .0
            != 0
        {
            self.flagged += 1;
        }
        if let Some(l) = r.time.local {
            let s = format_local(l, r.time.precision);
            if self.first.as_ref().is_none_or(|(f, _)| s < *f) {
                self.first = Some((s.clone(), r.time.tz.clone()));
            }
            if self.last.as_ref().is_none_or(|(l, _)| s > *l) {
                self.last = Some((s, r.time.tz));
            }
        }
        Ok(())
    }
    fn attachment(
        &mut self,
        _name: &str,
        content: &mut dyn Read,
    ) -> Result<AttachmentStored, SinkError> {
        self.attachments += 1;
        HashSink::attachment(content)
    }
    fn warning(&mut self, w: Warning) -> Result<(), SinkError> {
        if self.warnings.len() < 1000 {
            self.warnings.push(w.to_string());
        }
        Ok(())
    }
}
