//! `onrecord parse`: an export's records as JSON Lines, or a summary.

use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Read, Write};

use anyhow::{Context, Result};
use onrecord_model::wire::{WireRecord, format_local};
use onrecord_model::{
    AttachmentStored, Channel, Conversation, EventKind, Kind, MessageKind, Record, Sink, SinkError,
    Warning,
};

use crate::Outcome;
use crate::args::ParseArgs;

pub fn run(a: ParseArgs) -> Result<Outcome> {
    let file_name = a
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut opts = crate::tz::parse_options(&a.read, &file_name)?;
    let format = onrecord_formats::detect(&a.file)?;
    crate::tz::ask_passphrase_if_needed(format, &mut opts)?;
    let stdout = std::io::stdout();
    if a.json {
        let mut sink = JsonSink {
            out: BufWriter::with_capacity(1 << 16, stdout.lock()),
            conversations: HashMap::new(),
            error: None,
        };
        let r = onrecord_formats::parse_as(format, &a.file, &opts, &mut sink);
        if let Some(e) = sink.error.take() {
            return Err(e).context("writing JSON Lines");
        }
        r.with_context(|| format!("parsing {}", a.file.display()))?;
        sink.out.flush()?;
        return Ok(Outcome::Ok);
    }
    let mut sink = SummarySink::default();
    let report = onrecord_formats::parse_as(format, &a.file, &opts, &mut sink)
        .with_context(|| format!("parsing {}", a.file.display()))?;
    let mut out = stdout.lock();
    let s = &sink;
    writeln!(out, "file:           {}", a.file.display())?;
    writeln!(
        out,
        "format:         {}{}",
        report.format,
        report
            .style
            .as_deref()
            .map(|s| format!(" ({s})"))
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
    writeln!(out, "time zone:      {}", opts.tz_name)?;
    writeln!(out, "conversations:  {}", s.conversations.len())?;
    for c in &s.conversations {
        writeln!(
            out,
            "  {} [{}] {} participants",
            c.title.as_deref().unwrap_or(&c.key),
            c.channel.as_str(),
            c.participants.len()
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
            .map(|(l, tz)| format!("{l} {tz}"))
            .unwrap_or_else(|| "-".into())
    };
    writeln!(out, "first:          {}", fmt(&s.first))?;
    writeln!(out, "last:           {}", fmt(&s.last))?;
    if !s.disappearing.is_empty() {
        writeln!(out, "disappearing:   {}", s.disappearing.join("; "))?;
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
        writeln!(out, "  {w}")?;
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

struct JsonSink<W: Write> {
    out: W,
    conversations: HashMap<String, (Channel, Option<String>)>,
    error: Option<std::io::Error>,
}

impl<W: Write> Sink for JsonSink<W> {
    fn conversation(&mut self, c: Conversation) -> Result<(), SinkError> {
        self.conversations
            .insert(c.key.clone(), (c.channel, c.title.clone()));
        Ok(())
    }
    fn record(&mut self, r: Record) -> Result<(), SinkError> {
        let (channel, title) = self
            .conversations
            .get(&r.conversation)
            .cloned()
            .unwrap_or((Channel::WhatsApp, None));
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
        eprintln!("onrecord: warning: {w}");
        Ok(())
    }
}

#[derive(Default)]
struct SummarySink {
    /// In the order first announced; `by_key` finds one (an mbox announces a thread per message).
    conversations: Vec<Conversation>,
    by_key: HashMap<String, usize>,
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
}

impl Sink for SummarySink {
    fn conversation(&mut self, c: Conversation) -> Result<(), SinkError> {
        match self.by_key.get(&c.key) {
            Some(&i) => self.conversations[i] = c,
            None => {
                self.by_key.insert(c.key.clone(), self.conversations.len());
                self.conversations.push(c);
            }
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
