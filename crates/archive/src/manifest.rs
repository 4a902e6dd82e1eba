//! The deposit manifest's compressor, on a thread of its own.
//!
//! The writer thread formats the manifest's lines (it alone knows whether each record is new or
//! held, and at which log index) but compressing them was a fifth of its time, and the writer is
//! ingest's bottleneck. [`ManifestPipe`] buffers the lines and hands them in chunks over a bounded
//! channel to an `onrecord-manifest` thread that runs zstd into the manifest's temporary file:
//! memory stays at a few chunks whatever the size of the deposit.

use std::io::{BufWriter, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::{Scope, ScopedJoinHandle};

/// How many bytes of lines go to the compressor at a time.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight between the writer and the compressor.
const IN_FLIGHT: usize = 4;

/// A `Write` that compresses on another thread. Call [`ManifestPipe::finish`] to get the result:
/// an error of the compressor shows there (and as a failed write once it has stopped).
pub(crate) struct ManifestPipe<'scope> {
    buf: Vec<u8>,
    to_compressor: Option<SyncSender<Vec<u8>>>,
    /// Emptied chunks coming back, so that the buffers are reused.
    recycled: Receiver<Vec<u8>>,
    compressor: Option<ScopedJoinHandle<'scope, std::io::Result<()>>>,
}

impl<'scope> ManifestPipe<'scope> {
    /// Starts the compressor thread writing zstd (level 1) into `file`.
    pub(crate) fn spawn<'env>(
        scope: &'scope Scope<'scope, 'env>,
        file: &'scope mut std::fs::File,
    ) -> std::io::Result<Self> {
        let (to_compressor, chunks) = sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (give_back, recycled) = sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let compressor = std::thread::Builder::new()
            .name("onrecord-manifest".into())
            .spawn_scoped(scope, move || -> std::io::Result<()> {
                let mut z =
                    zstd::stream::write::Encoder::new(BufWriter::with_capacity(1 << 20, file), 1)?;
                for mut chunk in chunks {
                    z.write_all(&chunk)?;
                    chunk.clear();
                    // The writer may have stopped taking buffers back: then this one is dropped.
                    let _ = give_back.try_send(chunk);
                }
                z.do_finish()?;
                z.get_mut().flush()
            })?;
        Ok(ManifestPipe {
            buf: Vec::with_capacity(CHUNK),
            to_compressor: Some(to_compressor),
            recycled,
            compressor: Some(compressor),
        })
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let next = self
            .recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let chunk = std::mem::replace(&mut self.buf, next);
        let sent = match &self.to_compressor {
            Some(tx) => tx.send(chunk).is_ok(),
            None => false,
        };
        if sent {
            Ok(())
        } else {
            // The compressor stopped: its own error is the one to report.
            self.to_compressor = None;
            Err(self
                .join()
                .err()
                .unwrap_or_else(|| std::io::Error::other("the manifest compressor stopped early")))
        }
    }

    fn join(&mut self) -> std::io::Result<()> {
        match self.compressor.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the manifest compressor panicked"))),
            None => Ok(()),
        }
    }

    /// Sends what is buffered, ends the zstd frame and waits for the file to be written.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        self.send()?;
        self.to_compressor = None;
        self.join()
    }
}

impl Write for ManifestPipe<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_goes_in_comes_out_of_zstd() {
        let mut file = tempfile::tempfile().unwrap();
        let mut expected = Vec::new();
        std::thread::scope(|s| {
            let mut pipe = ManifestPipe::spawn(s, &mut file).unwrap();
            for i in 0..100_000u32 {
                let line = format!("R\t{i}\t{}\n", i.wrapping_mul(2_654_435_761));
                pipe.write_all(line.as_bytes()).unwrap();
                expected.extend_from_slice(line.as_bytes());
            }
            pipe.finish().unwrap();
        });
        use std::io::{Seek, SeekFrom};
        file.seek(SeekFrom::Start(0)).unwrap();
        let got = zstd::stream::decode_all(&file).unwrap();
        assert!(expected.len() > 4 * CHUNK);
        assert_eq!(got, expected);
    }

    #[test]
    fn an_empty_manifest_is_an_empty_frame() {
        let mut file = tempfile::tempfile().unwrap();
        std::thread::scope(|s| {
            ManifestPipe::spawn(s, &mut file).unwrap().finish().unwrap();
        });
        use std::io::{Seek, SeekFrom};
        file.seek(SeekFrom::Start(0)).unwrap();
        assert!(zstd::stream::decode_all(&file).unwrap().is_empty());
    }
}

/// One line of a deposit manifest (`onrecord-manifest/3`; ARCHITECTURE.md, "The log and the
/// record model"), as `rebuild` and `verify` read it back.
#[derive(Debug)]
pub(crate) enum Line {
    Conversation(ConversationLine),
    Warning(WarningLine),
    /// A record: its conversation, its log index (`held` when an earlier deposit added it), and
    /// its place in this deposit.
    Record {
        conversation: onrecord_model::Digest,
        index: u64,
        held: bool,
        line: Option<u64>,
        offset: u64,
        path: Option<String>,
    },
    Warnings(u64),
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct ConversationLine {
    pub id: String,
    pub channel: String,
    pub key: String,
    pub title: Option<String>,
    pub title_source: String,
    pub participants: Vec<crate::ingest::ParticipantJson>,
    pub is_group: Option<bool>,
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct WarningLine {
    pub path: Option<String>,
    pub line: Option<u64>,
    pub offset: Option<u64>,
    pub message: String,
}

/// Decompresses a manifest and calls `f` with each line after the magic; an error names the line.
pub(crate) fn read_lines(
    compressed: &[u8],
    f: &mut dyn FnMut(Line) -> Result<(), String>,
) -> Result<(), String> {
    // Read a line at a time: a deposit of millions of records has a manifest of hundreds of
    // megabytes once decompressed, and verify and rebuild need only one line at a time.
    use std::io::BufRead as _;
    let mut reader = std::io::BufReader::with_capacity(
        1 << 16,
        zstd::stream::read::Decoder::new(compressed).map_err(|e| format!("the manifest: {e}"))?,
    );
    let mut buf = String::new();
    let mut next_line = |buf: &mut String| -> Result<bool, String> {
        buf.clear();
        let n = reader
            .read_line(buf)
            .map_err(|e| format!("the manifest: {e}"))?;
        if buf.ends_with('\n') {
            buf.pop();
        }
        Ok(n > 0)
    };
    if !next_line(&mut buf)? || buf != crate::ingest::MANIFEST_MAGIC.trim_end() {
        return Err("not a manifest of this format".into());
    }
    let mut last: Option<onrecord_model::Digest> = None;
    let mut n = 0usize;
    while next_line(&mut buf)? {
        n += 1;
        let line = buf.as_str();
        let bad = |why: &str| format!("manifest line {}: {why}", n + 1);
        let (tag, rest) = line.split_once('\t').ok_or_else(|| bad("no tag"))?;
        let parsed = match tag {
            "C" => {
                last = None;
                Line::Conversation(serde_json::from_str(rest).map_err(|e| bad(&e.to_string()))?)
            }
            "W" => {
                last = None;
                Line::Warning(serde_json::from_str(rest).map_err(|e| bad(&e.to_string()))?)
            }
            "N" => Line::Warnings(rest.parse().map_err(|_| bad("warning count"))?),
            "R" => {
                let fields: Vec<&str> = rest.split('\t').collect();
                let [conv, at, line_no, offset, path] = fields[..] else {
                    return Err(bad("a record line has five fields"));
                };
                let conversation = if conv.is_empty() {
                    last.ok_or_else(|| bad("no conversation before"))?
                } else {
                    onrecord_model::Digest::from_hex(conv).ok_or_else(|| bad("conversation id"))?
                };
                last = Some(conversation);
                let (held, at) = match at.strip_prefix("held:") {
                    Some(h) => (true, h),
                    None => (false, at),
                };
                Line::Record {
                    conversation,
                    index: at.parse().map_err(|_| bad("log index"))?,
                    held,
                    line: match line_no {
                        "-" => None,
                        l => Some(l.parse().map_err(|_| bad("line"))?),
                    },
                    offset: offset.parse().map_err(|_| bad("offset"))?,
                    path: match path {
                        "-" => None,
                        p => Some(serde_json::from_str(p).map_err(|e| bad(&e.to_string()))?),
                    },
                }
            }
            _ => return Err(bad("unknown line")),
        };
        f(parsed)?;
    }
    Ok(())
}

/// Where every record of a deposit starts (its manifest's `R` lines): the cut points of its
/// original's pieces (`crate::original`).
pub(crate) fn cuts(compressed: &[u8]) -> Result<crate::original::Cuts, String> {
    let mut cuts = crate::original::Cuts::default();
    read_lines(compressed, &mut |line| {
        if let Line::Record { offset, path, .. } = line {
            cuts.add(path.as_deref(), offset);
        }
        Ok(())
    })?;
    cuts.finish();
    Ok(cuts)
}
