//! Containers inside deposits: zip files and folders, opened safely.
//!
//! Exports arrive as zips (WhatsApp with media, Slack, Google Takeout) or as folders (Maildir, an
//! unpacked Takeout). [`Bundle`] gives parsers one view of both: a list of relative paths and a way
//! to read each. A zip is checked before anything is read from it: every member name must be a
//! relative path without `..` (no traversal, no absolute paths, no drive letters), and the declared
//! sizes must stay inside [`Limits`] (total size, compression ratio, member count), so that a zip bomb
//! is refused up front. The whole zip is held to the same ratio as one member (the sum of declared
//! sizes against the zip's own length), and members whose compressed data overlap (the "overlapping
//! files" bomb, where thousands of entries share one deflate stream) are refused. While a member is
//! read, its bytes are counted against its declared size, so a member that lies about its size is
//! caught too. Symbolic-link entries are not members: their content is a path, and nothing here
//! ever resolves it. Nothing is ever extracted to disk.
//!
//! A folder is walked without following symbolic links (a link is not a member) and without
//! recursion, and its members are opened with `O_NOFOLLOW` after checking that no folder on the way
//! has become a link, so nothing outside the deposit is ever read.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

/// Bounds on what a zip may expand to.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest total uncompressed size of all members.
    pub max_total_size: u64,
    /// Largest ratio of uncompressed to compressed size for a member bigger than `ratio_floor`.
    pub max_ratio: u64,
    /// Members smaller than this are not held to `max_ratio` (tiny files compress absurdly well).
    pub ratio_floor: u64,
    pub max_members: usize,
}

impl Default for Limits {
    /// 64 GiB in all, at most 250:1 for members above 1 MiB, at most 1,000,000 members. Real chat
    /// text compresses 5–15:1 and media barely at all; 250:1 is far beyond any real export.
    fn default() -> Limits {
        Limits {
            max_total_size: 64 << 30,
            max_ratio: 250,
            ratio_floor: 1 << 20,
            max_members: 1_000_000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("{path}: not a readable zip file: {message}")]
    BadZip { path: PathBuf, message: String },
    #[error(
        "{path}: zip member {name:?} has an unsafe path (absolute, drive letter or `..`); refusing the whole zip"
    )]
    UnsafePath { path: PathBuf, name: String },
    #[error(
        "{path}: zip member {name:?} expands {ratio}:1 ({size} bytes from {compressed}); refusing a likely zip bomb (limit {limit}:1)"
    )]
    Ratio {
        path: PathBuf,
        name: String,
        size: u64,
        compressed: u64,
        ratio: u64,
        limit: u64,
    },
    #[error("{path}: zip expands to {size} bytes, more than the limit of {limit}")]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error(
        "{path}: zip members overlap (several entries share the same compressed bytes); refusing a likely zip bomb"
    )]
    Overlapping { path: PathBuf },
    #[error(
        "{path}: zip declares {size} bytes in all from a {file_len}-byte file, more than {limit}:1; refusing a likely zip bomb"
    )]
    TotalRatio {
        path: PathBuf,
        size: u64,
        file_len: u64,
        limit: u64,
    },
    #[error("{path}: zip has {count} members, more than the limit of {limit}")]
    TooManyMembers {
        path: PathBuf,
        count: usize,
        limit: usize,
    },
    #[error("{path}: no member {name:?}")]
    NoSuchMember { path: PathBuf, name: String },
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// One file inside a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Relative path with `/` separators.
    pub name: String,
    /// Uncompressed size (as declared, for a zip).
    pub size: u64,
    index: usize,
    /// For a folder member whose path is not UTF-8: the path as the file system spells it
    /// (`name` shows it with the bad bytes escaped), so that it is opened by its bytes.
    raw: Option<PathBuf>,
}

/// A checked zip file.
pub struct SafeZip {
    path: PathBuf,
    archive: zip::ZipArchive<BufReader<File>>,
    members: Vec<Member>,
}

/// What format detection sees of a deposit: its path, its first bytes (up to 64 KiB; empty for a
/// folder) and, for a zip or a folder, its member list. Each parser crate has a `detect(&Probe)`.
#[derive(Clone, Copy, Debug)]
pub struct Probe<'a> {
    pub path: &'a Path,
    pub head: &'a [u8],
    pub members: Option<&'a [Member]>,
}

/// The first bytes of a zip (local header or an empty archive's end record).
pub fn looks_like_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

fn safe_name(name: &str) -> bool {
    if name.is_empty() || name.starts_with('/') || name.starts_with('\\') || name.contains('\0') {
        return false;
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[1] == b':' {
        return false;
    }
    !name.split(['/', '\\']).any(|part| part == "..")
}

impl SafeZip {
    pub fn open(path: &Path, limits: Limits) -> Result<SafeZip, ContainerError> {
        let io_err = |source| ContainerError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(io_err)?;
        let file_len = file.metadata().map_err(io_err)?.len();
        let archive =
            zip::ZipArchive::new(BufReader::new(file)).map_err(|e| ContainerError::BadZip {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        let mut zip = SafeZip {
            path: path.to_path_buf(),
            archive,
            members: Vec::new(),
        };
        zip.check(limits, file_len)?;
        Ok(zip)
    }

    fn check(&mut self, limits: Limits, file_len: u64) -> Result<(), ContainerError> {
        let path = self.path.clone();
        let count = self.archive.len();
        if count > limits.max_members {
            return Err(ContainerError::TooManyMembers {
                path,
                count,
                limit: limits.max_members,
            });
        }
        let mut total = 0u64;
        for index in 0..count {
            let f = self
                .archive
                .by_index_raw(index)
                .map_err(|e| ContainerError::BadZip {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            let name = f
                .name()
                .map_err(|e| ContainerError::BadZip {
                    path: path.clone(),
                    message: e.to_string(),
                })?
                .to_string();
            if !safe_name(&name) {
                return Err(ContainerError::UnsafePath { path, name });
            }
            let (size, compressed) = (f.size(), f.compressed_size());
            if size > limits.ratio_floor {
                let ratio = size / compressed.max(1);
                if ratio > limits.max_ratio {
                    return Err(ContainerError::Ratio {
                        path,
                        name,
                        size,
                        compressed,
                        ratio,
                        limit: limits.max_ratio,
                    });
                }
            }
            total = total.saturating_add(size);
            if total > limits.max_total_size {
                return Err(ContainerError::TooLarge {
                    path,
                    size: total,
                    limit: limits.max_total_size,
                });
            }
            // A symbolic link's content is a path: it is never a member, so it can never be
            // followed.
            if !f.is_dir() && !f.is_symlink() {
                self.members.push(Member {
                    name: name.replace('\\', "/"),
                    size,
                    index,
                    raw: None,
                });
            }
        }
        if total > limits.ratio_floor && total / file_len.max(1) > limits.max_ratio {
            return Err(ContainerError::TotalRatio {
                path,
                size: total,
                file_len,
                limit: limits.max_ratio,
            });
        }
        // Entries that share compressed bytes multiply what a small file expands to.
        let overlapping =
            self.archive
                .has_overlapping_files()
                .map_err(|e| ContainerError::BadZip {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
        if overlapping {
            return Err(ContainerError::Overlapping { path });
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// Reads a member. The reader fails if the member yields more bytes than it declared.
    pub fn open_member(&mut self, member: &Member) -> Result<impl Read + '_, ContainerError> {
        let path = self.path.clone();
        let f = self
            .archive
            .by_index(member.index)
            .map_err(|e| ContainerError::BadZip {
                path: path.clone(),
                message: e.to_string(),
            })?;
        Ok(Bounded {
            inner: f,
            remaining: member.size,
            name: member.name.clone(),
        })
    }
}

/// Fails once more than the declared size has been read.
struct Bounded<R> {
    inner: R,
    remaining: u64,
    name: String,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.remaining {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "zip member {:?} is larger than its declared size",
                    self.name
                ),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A zip or a folder, seen as a list of relative paths.
pub enum Bundle {
    Zip(SafeZip),
    Dir { root: PathBuf, members: Vec<Member> },
}

impl Bundle {
    /// Opens a zip file (checked against `limits`) or walks a folder (without following symlinks
    /// out of it).
    pub fn open(path: &Path, limits: Limits) -> Result<Bundle, ContainerError> {
        let io_err = |source| ContainerError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io_err)?;
        if meta.is_dir() {
            let mut members = Vec::new();
            walk(path, &mut members, limits.max_members).map_err(|e| {
                if e.kind() == io::ErrorKind::QuotaExceeded {
                    ContainerError::TooManyMembers {
                        path: path.to_path_buf(),
                        count: limits.max_members + 1,
                        limit: limits.max_members,
                    }
                } else {
                    io_err(e)
                }
            })?;
            members.sort_by(|a, b| a.name.cmp(&b.name));
            for (i, m) in members.iter_mut().enumerate() {
                m.index = i;
            }
            Ok(Bundle::Dir {
                root: path.to_path_buf(),
                members,
            })
        } else {
            Ok(Bundle::Zip(SafeZip::open(path, limits)?))
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Bundle::Zip(z) => z.path(),
            Bundle::Dir { root, .. } => root,
        }
    }

    pub fn members(&self) -> &[Member] {
        match self {
            Bundle::Zip(z) => z.members(),
            Bundle::Dir { members, .. } => members,
        }
    }

    pub fn find(&self, name: &str) -> Option<Member> {
        self.members().iter().find(|m| m.name == name).cloned()
    }

    pub fn open_member(&mut self, member: &Member) -> Result<Box<dyn Read + '_>, ContainerError> {
        match self {
            Bundle::Zip(z) => Ok(Box::new(z.open_member(member)?)),
            Bundle::Dir { root, .. } => {
                let rel = member
                    .raw
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(&member.name));
                let f = open_inside(root, &rel).map_err(|source| ContainerError::Io {
                    path: root.join(&rel),
                    source,
                })?;
                Ok(Box::new(BufReader::new(f)))
            }
        }
    }

    /// Reads a whole member into memory, refusing members above `max` bytes.
    pub fn read_member(&mut self, member: &Member, max: u64) -> Result<Vec<u8>, ContainerError> {
        let path = self.path().to_path_buf();
        if member.size > max {
            return Err(ContainerError::TooLarge {
                path,
                size: member.size,
                limit: max,
            });
        }
        let mut out = Vec::with_capacity(member.size as usize);
        self.open_member(member)?
            .take(max + 1)
            .read_to_end(&mut out)
            .map_err(|source| ContainerError::Io {
                path: path.join(&member.name),
                source,
            })?;
        if out.len() as u64 > max {
            return Err(ContainerError::TooLarge {
                path,
                size: out.len() as u64,
                limit: max,
            });
        }
        Ok(out)
    }
}

/// Lists the regular files below `root`, without following symbolic links (a link, to a file or
/// a folder, is not listed) and without recursion (a deep tree cannot exhaust the stack). More
/// than `max` files is an error of kind `QuotaExceeded`.
fn walk(root: &Path, out: &mut Vec<Member>, max: usize) -> io::Result<()> {
    let mut stack = vec![PathBuf::new()];
    while let Some(rel_dir) = stack.pop() {
        for entry in std::fs::read_dir(root.join(&rel_dir))? {
            let entry = entry?;
            // `file_type` does not follow links: a link is neither a folder nor a file here.
            let ft = entry.file_type()?;
            let rel = rel_dir.join(entry.file_name());
            if ft.is_dir() {
                stack.push(rel);
            } else if ft.is_file() {
                if out.len() >= max {
                    return Err(io::Error::new(
                        io::ErrorKind::QuotaExceeded,
                        "too many files in the folder",
                    ));
                }
                let name = rel
                    .components()
                    .map(|c| name_text(c.as_os_str()))
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(Member {
                    name,
                    size: entry.metadata()?.len(),
                    index: 0,
                    raw: rel.to_str().is_none().then_some(rel),
                });
            }
        }
    }
    Ok(())
}

/// A file name as text: UTF-8 as it is; on Unix any byte that is not UTF-8 as `\xNN`, so that a
/// name is never refused and always shows the same way (a Maildir file's name is its provenance);
/// elsewhere lossily.
pub fn name_text(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    if let Some(t) = s.to_str() {
        return t.into();
    }
    #[cfg(unix)]
    {
        use std::fmt::Write;
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in s.as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
        out.into()
    }
    #[cfg(not(unix))]
    s.to_string_lossy()
}

/// Opens `rel` below `root` for reading without passing through a symbolic link: every folder on
/// the way is checked with `symlink_metadata`, and the file itself is opened with `O_NOFOLLOW` (on
/// Unix), so a link put in place after the walk is not followed out of the deposit.
fn open_inside(root: &Path, rel: &Path) -> io::Result<File> {
    let refuse = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, why.to_string());
    let mut at = root.to_path_buf();
    let parts: Vec<_> = rel.components().collect();
    for (i, c) in parts.iter().enumerate() {
        let std::path::Component::Normal(part) = c else {
            return Err(refuse("a member path that is not plainly relative"));
        };
        at.push(part);
        if i + 1 < parts.len() && !std::fs::symlink_metadata(&at)?.is_dir() {
            return Err(refuse("a folder on the member's path is a symbolic link"));
        }
    }
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    let f = o.open(&at)?;
    if !f.metadata()?.is_file() {
        return Err(refuse("a member that is not a regular file"));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn make_zip(path: &Path, members: &[(&str, &[u8])]) {
        let f = File::create(path).unwrap();
        let mut w = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }

    #[test]
    fn reads_members() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.zip");
        make_zip(&p, &[("chat.txt", b"hello"), ("media/a.jpg", b"\xff\xd8")]);
        let mut b = Bundle::open(&p, Limits::default()).unwrap();
        let names: Vec<_> = b.members().iter().map(|m| m.name.clone()).collect();
        assert_eq!(names, ["chat.txt", "media/a.jpg"]);
        let m = b.find("chat.txt").unwrap();
        assert_eq!(b.read_member(&m, 100).unwrap(), b"hello");
    }

    #[test]
    fn refuses_traversal_and_absolute_paths() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            "../evil.txt",
            "/etc/passwd",
            "a/../../b",
            "C:/x",
            "a\\..\\b",
        ] {
            let p = dir.path().join("bad.zip");
            make_zip(&p, &[("ok.txt", b"x"), (bad, b"x")]);
            let err = SafeZip::open(&p, Limits::default()).err().expect(bad);
            assert!(
                matches!(err, ContainerError::UnsafePath { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn refuses_bombs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bomb.zip");
        make_zip(&p, &[("zeros", &vec![0u8; 8 << 20])]);
        let err = SafeZip::open(&p, Limits::default()).err().unwrap();
        assert!(matches!(err, ContainerError::Ratio { .. }), "{err}");
        let err = SafeZip::open(
            &p,
            Limits {
                max_total_size: 1 << 20,
                max_ratio: u64::MAX,
                ..Limits::default()
            },
        )
        .err()
        .unwrap();
        assert!(matches!(err, ContainerError::TooLarge { .. }), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn folder_names_that_are_not_utf8_are_escaped_and_still_read() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("cur")).unwrap();
        let bad = std::ffi::OsStr::from_bytes(b"1.h\xffst\xc3(:2,S");
        std::fs::write(dir.path().join("cur").join(bad), b"hello").unwrap();
        std::fs::write(dir.path().join("cur/2.ok"), b"ok").unwrap();
        let mut b = Bundle::open(dir.path(), Limits::default()).unwrap();
        let names: Vec<_> = b.members().iter().map(|m| m.name.clone()).collect();
        assert_eq!(names, ["cur/1.h\\xffst\\xc3(:2,S", "cur/2.ok"]);
        let m = b.members()[0].clone();
        assert_eq!(b.read_member(&m, 100).unwrap(), b"hello");
    }

    #[test]
    fn symlink_entries_are_not_members() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("links.zip");
        let f = File::create(&p).unwrap();
        let mut w = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("a.txt", opts).unwrap();
        w.write_all(b"a").unwrap();
        w.add_symlink("passwd", "/etc/passwd", opts).unwrap();
        w.add_symlink("up", "../../..", opts).unwrap();
        w.finish().unwrap();
        let b = Bundle::open(&p, Limits::default()).unwrap();
        let names: Vec<_> = b.members().iter().map(|m| m.name.clone()).collect();
        assert_eq!(names, ["a.txt"]);
    }

    #[test]
    fn overlapping_members_and_a_whole_zip_that_expands_too_far_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        // Many members just under the per-member floor, each 1000:1: the whole zip is a bomb.
        let p = dir.path().join("many.zip");
        let zeros = vec![0u8; 1 << 20];
        let members: Vec<(String, &[u8])> =
            (0..16).map(|i| (format!("m{i}"), &zeros[..])).collect();
        let refs: Vec<(&str, &[u8])> = members.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        make_zip(&p, &refs);
        let err = SafeZip::open(&p, Limits::default()).err().unwrap();
        assert!(matches!(err, ContainerError::TotalRatio { .. }), "{err}");
        // Entries sharing one compressed stream.
        let p = dir.path().join("overlap.zip");
        let f = File::create(&p).unwrap();
        let mut w = zip::ZipWriter::new(f);
        w.start_file("a", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&[7u8; 1000]).unwrap();
        for i in 0..3 {
            w.shallow_copy_file("a", &format!("b{i}")).unwrap();
        }
        w.finish().unwrap();
        let err = SafeZip::open(&p, Limits::default()).err().unwrap();
        assert!(matches!(err, ContainerError::Overlapping { .. }), "{err}");
    }

    #[test]
    fn a_member_that_inflates_past_its_declared_size_is_cut_off() {
        // The declared size is patched down to 10 bytes in both headers; the data inflates to 1 MiB.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("liar.zip");
        make_zip(&p, &[("big", &vec![b'x'; 1 << 20])]);
        let mut bytes = std::fs::read(&p).unwrap();
        let size = (1u32 << 20).to_le_bytes();
        let mut patched = 0;
        let mut i = 0;
        while i + 4 <= bytes.len() {
            if bytes[i..i + 4] == size {
                bytes[i..i + 4].copy_from_slice(&10u32.to_le_bytes());
                patched += 1;
            }
            i += 1;
        }
        assert!(patched >= 2);
        std::fs::write(&p, &bytes).unwrap();
        let mut b = Bundle::open(&p, Limits::default()).unwrap();
        let m = b.members()[0].clone();
        assert_eq!(m.size, 10);
        let mut out = Vec::new();
        let r = b.open_member(&m).unwrap().read_to_end(&mut out);
        assert!(r.is_err(), "read {} bytes", out.len());
        assert!(out.len() <= 10);
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_never_leads_outside_itself() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"secret").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::fs::write(dir.path().join("real/a.txt"), b"a").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("Attachments")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("s.txt"))
            .unwrap();
        let mut b = Bundle::open(dir.path(), Limits::default()).unwrap();
        let names: Vec<_> = b.members().iter().map(|m| m.name.clone()).collect();
        assert_eq!(names, ["real/a.txt"]);
        // The folder is swapped for a link after the walk: the member is not read through it.
        let m = b.members()[0].clone();
        std::fs::rename(dir.path().join("real"), dir.path().join("gone")).unwrap();
        std::fs::create_dir(outside.path().join("x")).unwrap();
        std::fs::write(outside.path().join("x/a.txt"), b"outside").unwrap();
        std::os::unix::fs::symlink(outside.path().join("x"), dir.path().join("real")).unwrap();
        assert!(b.open_member(&m).is_err());
        // A deep tree is walked without recursion.
        let deep = tempfile::tempdir().unwrap();
        let mut p = deep.path().to_path_buf();
        for _ in 0..200 {
            p.push("d");
        }
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("f"), b"f").unwrap();
        let b = Bundle::open(deep.path(), Limits::default()).unwrap();
        assert_eq!(b.members().len(), 1);
        let small = Limits {
            max_members: 0,
            ..Limits::default()
        };
        assert!(matches!(
            Bundle::open(deep.path(), small),
            Err(ContainerError::TooManyMembers { .. })
        ));
    }

    #[test]
    fn truncated_zip_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.zip");
        make_zip(&p, &[("chat.txt", b"hello world hello world")]);
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        assert!(matches!(
            SafeZip::open(&p, Limits::default()),
            Err(ContainerError::BadZip { .. })
        ));
    }
}
