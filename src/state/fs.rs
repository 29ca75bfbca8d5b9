//! The filesystem operations the state directory uses, behind a seam so tests can crash the
//! process at any one of them, or fail any write with ENOSPC/EIO, which a real disk will not do on
//! demand. Production code uses [`RealFs`]; the fault seam compiles only for tests.
//!
//! Every file warden reads goes through [`read_regular`]: opened without following a symlink and
//! without blocking (a FIFO cannot hang a run), checked with fstat to be a regular file, and its
//! size checked against a cap before a byte is read.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
#[cfg(any(test, feature = "testkit"))]
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("does not exist")]
    NotFound,
    #[error("is not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("is {size} bytes, above the {cap}-byte limit")]
    TooLarge { size: u64, cap: u64 },
    #[error("{0}")]
    Io(io::Error),
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::NotFound)
    }
}

fn file_kind(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symlink"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "not a file"
    }
}

/// Opens `path` for reading without following a final symlink and without blocking, and checks
/// that it is a regular file no larger than `cap`.
pub fn open_regular(path: &Path, cap: u64) -> Result<(File, u64), ReadError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ENOENT) => ReadError::NotFound,
            Some(libc::ELOOP) => ReadError::NotRegular("a symlink"),
            _ => ReadError::Io(e),
        })?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(file_kind(&meta)));
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    Ok((file, meta.len()))
}

/// Reads a regular file of at most `cap` bytes (see [`open_regular`]); a file that grows past
/// the cap while read is refused too.
pub fn read_regular(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let (file, size) = open_regular(path, cap)?;
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            cap,
        });
    }
    Ok(bytes)
}

pub trait Fs: Send + Sync {
    /// Creates one directory with mode 0700.
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    /// Creates a new file with mode 0600 (never over an existing entry, never through a
    /// symlink), writes all bytes and fsyncs it.
    fn write_file_synced(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// As `write_file_synced`, without the fsync (reports that are not commit points).
    fn write_file(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.write_file_synced(path, bytes)
    }
    /// fsyncs a directory so the entries created or renamed in it are durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Swaps two entries atomically (`renameat2` with `RENAME_EXCHANGE`).
    fn exchange(&self, a: &Path, b: &Path) -> io::Result<()>;
    fn remove_dir_all(&self, path: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
}

/// The real filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

/// Creates `path` with mode 0600 and writes `bytes`. Exclusive: a planted file or symlink at
/// the name is never written through.
fn create_new_file(path: &Path, bytes: &[u8]) -> io::Result<File> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    file.write_all(bytes)?;
    Ok(file)
}

impl Fs for RealFs {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        DirBuilder::new().mode(0o700).create(path)
    }

    fn write_file_synced(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        create_new_file(path, bytes)?.sync_all()
    }

    fn write_file(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        create_new_file(path, bytes).map(drop)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        File::open(path)?.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn exchange(&self, a: &Path, b: &Path) -> io::Result<()> {
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            std::ffi::CString::new(p.as_os_str().as_bytes())
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in a path"))
        };
        let (a, b) = (c(a)?, c(b)?);
        // SAFETY: both are valid NUL-terminated paths; renameat2 reads them and nothing else.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                a.as_ptr(),
                libc::AT_FDCWD,
                b.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        match fs::remove_dir_all(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        match fs::remove_file(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

/// What a [`FaultFs`] does at its chosen operation.
#[cfg(any(test, feature = "testkit"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Abort the process at filesystem operation `n` (0-based, every operation counts). A write
    /// chosen this way first writes a prefix of `torn_len` bytes (capped at the full length),
    /// like a process killed mid-write.
    CrashAt { op: u64, torn_len: usize },
    /// Fail write number `n` (0-based, counting writes only) with the given errno.
    FailWrite { write: u64, errno: i32 },
    /// Never fault; only count operations.
    None,
}

/// Test seam: the real filesystem plus one injected fault.
#[cfg(any(test, feature = "testkit"))]
#[derive(Debug)]
pub struct FaultFs {
    fault: Fault,
    ops: AtomicU64,
    writes: AtomicU64,
}

#[cfg(any(test, feature = "testkit"))]
impl FaultFs {
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            ops: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }

    /// Operations performed so far (to enumerate crash points).
    pub fn ops(&self) -> u64 {
        self.ops.load(Ordering::SeqCst)
    }

    fn before_op(&self) {
        let op = self.ops.fetch_add(1, Ordering::SeqCst);
        if let Fault::CrashAt { op: at, .. } = self.fault
            && op == at
        {
            std::process::abort();
        }
    }
}

#[cfg(any(test, feature = "testkit"))]
impl Fs for FaultFs {
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.before_op();
        RealFs.create_dir(path)
    }

    fn write_file_synced(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let op = self.ops.fetch_add(1, Ordering::SeqCst);
        let write = self.writes.fetch_add(1, Ordering::SeqCst);
        match self.fault {
            Fault::CrashAt { op: at, torn_len } if op == at => {
                let _ = RealFs.write_file_synced(path, &bytes[..torn_len.min(bytes.len())]);
                std::process::abort();
            }
            Fault::FailWrite { write: at, errno } if write == at => {
                // A failed write may still leave a partial file behind.
                let _ = RealFs.write_file_synced(path, &bytes[..bytes.len() / 2]);
                Err(io::Error::from_raw_os_error(errno))
            }
            _ => RealFs.write_file_synced(path, bytes),
        }
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.before_op();
        RealFs.sync_dir(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.before_op();
        RealFs.rename(from, to)
    }

    fn exchange(&self, a: &Path, b: &Path) -> io::Result<()> {
        self.before_op();
        RealFs.exchange(a, b)
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.before_op();
        RealFs.remove_dir_all(path)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.before_op();
        RealFs.remove_file(path)
    }
}

/// Temporary names `write_atomic` tries before giving up (a clash means a planted entry or a
/// crashed run with the same pid).
const TMP_ATTEMPTS: u32 = 16;

/// The temporary name for `name` written by this process, attempt `n`.
pub fn tmp_name(name: &str, n: u32) -> String {
    match n {
        0 => format!("{name}.tmp-{}", std::process::id()),
        n => format!("{name}.tmp-{}-{n}", std::process::id()),
    }
}

/// Replaces a report that is not a commit point (`last_tick.json`, the metrics textfiles):
/// atomic for readers (a new temporary file, renamed over `path`), but nothing is fsynced —
/// a crash may lose the latest report, never the state it reports on.
pub fn write_replace(fs: &dyn Fs, path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_beside(fs, path, bytes, false)
}

/// Writes a file atomically: a new temporary file beside it (exclusive create, no symlink
/// followed), fsync, rename over `path`, fsync the directory. The rename replaces whatever
/// entry `path` is (a planted symlink included) without following it.
pub fn write_atomic(fs: &dyn Fs, path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_beside(fs, path, bytes, true)
}

fn write_beside(fs: &dyn Fs, path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no parent"))?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?
        .to_string_lossy()
        .to_string();
    let mut attempt = 0;
    let tmp = loop {
        let candidate = dir.join(tmp_name(&name, attempt));
        let written = if durable {
            fs.write_file_synced(&candidate, bytes)
        } else {
            fs.write_file(&candidate, bytes)
        };
        match written {
            Ok(()) => break candidate,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt + 1 < TMP_ATTEMPTS => {
                attempt += 1
            }
            Err(e) => return Err(e),
        }
    };
    fs.rename(&tmp, path)?;
    if durable { fs.sync_dir(dir) } else { Ok(()) }
}
