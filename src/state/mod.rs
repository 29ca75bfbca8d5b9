//! The state directory (operator-contract §4): locks, checkpoints and `head.json`, the pinned
//! identity, and the small JSON records other runs and operators read.

pub mod bundle;
pub mod checkpoint;
pub mod config;
pub mod fs;
pub mod latch;
pub mod lock;
pub mod records;
pub mod resume;
pub mod rollback;

use crate::outcome::{ErrorClass, Outcome, Stop};
use std::io;
use std::path::{Path, PathBuf};

/// Paths inside one state directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn config(&self) -> PathBuf {
        self.root.join("config.json")
    }

    pub fn head(&self) -> PathBuf {
        self.root.join("head.json")
    }

    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }

    pub fn incident(&self) -> PathBuf {
        self.root.join("incident")
    }

    pub fn incidents(&self) -> PathBuf {
        self.root.join("incidents")
    }

    pub fn archive(&self) -> PathBuf {
        self.root.join("archive")
    }

    pub fn submitter(&self) -> PathBuf {
        self.root.join("submitter")
    }

    pub fn watchdog_lock(&self) -> PathBuf {
        self.root.join("LOCK")
    }

    pub fn submitter_lock(&self) -> PathBuf {
        self.submitter().join("LOCK")
    }

    pub fn last_tick(&self) -> PathBuf {
        self.root.join("last_tick.json")
    }

    pub fn status_prom(&self) -> PathBuf {
        self.root.join("status.prom")
    }

    pub fn submit_prom(&self) -> PathBuf {
        self.root.join("submit.prom")
    }

    pub fn watermark(&self) -> PathBuf {
        self.submitter().join("watermark.json")
    }

    pub fn last_submit(&self) -> PathBuf {
        self.submitter().join("last_submit.json")
    }

    /// `dir` (inside the state directory) must be a real directory, not a symlink to elsewhere.
    pub fn require_real_dir(&self, dir: &Path) -> Result<(), StateError> {
        match std::fs::symlink_metadata(dir) {
            Ok(meta) if meta.is_dir() => Ok(()),
            Ok(_) => Err(StateError::Unsupported(format!(
                "{} is not a directory (a symlink or a file); warden keeps its own files only in \
                 real directories: move it away",
                dir.display()
            ))),
            Err(e) => Err(StateError::io(dir, e)),
        }
    }

    /// Creates `dir` (0700) unless it exists; it must then be a real directory.
    pub fn ensure_real_dir(&self, fs: &dyn fs::Fs, dir: &Path) -> Result<(), StateError> {
        if std::fs::symlink_metadata(dir).is_err() {
            fs.create_dir(dir).map_err(|e| StateError::io(dir, e))?;
        }
        self.require_real_dir(dir)
    }

    /// Fails with an operator error unless the directory exists and is a directory.
    pub fn require_exists(&self) -> Result<(), StateError> {
        match std::fs::metadata(&self.root) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(StateError::Missing(format!(
                "{} is not a directory",
                crate::secret::shown_path(&self.root)
            ))),
            Err(e) => Err(StateError::Missing(format!(
                "{} cannot be read: {}",
                crate::secret::shown_path(&self.root),
                e.kind()
            ))),
        }
    }
}

impl StateDir {
    /// What an interrupted `init` left that the next `init` may remove (operator-contract §4:
    /// init touches only what it recognises as its own). Entries warden writes before init
    /// (locks, run records of timers that ran early) stay; anything unrecognised is refused,
    /// named, before anything is removed.
    pub fn init_leftovers(&self) -> Result<Vec<PathBuf>, StateError> {
        let mut doomed = Vec::new();
        for (path, meta) in entries(&self.root)? {
            let name = file_name(&path);
            match name.as_str() {
                "LOCK" | "last_tick.json" | "last_tick.json.tmp" | "lost+found"
                    if !meta.is_symlink() => {}
                "head.json" | "head.json.tmp" | "config.json.tmp" if meta.is_file() => {
                    doomed.push(path)
                }
                "submitter" if meta.is_dir() => {
                    for (entry, meta) in entries(&path)? {
                        let ok = matches!(
                            file_name(&entry).as_str(),
                            "LOCK" | "last_submit.json" | "last_submit.json.tmp"
                        ) && meta.is_file();
                        if !ok {
                            return Err(foreign(&entry));
                        }
                    }
                }
                // Checkpoints and resume points: directories of warden's names holding only
                // machine.bin and manifest.json.
                "checkpoints" | resume::RESUME_DIR if meta.is_dir() => {
                    for (entry, meta) in entries(&path)? {
                        let name = file_name(&entry);
                        let ours = meta.is_dir()
                            && (checkpoint::is_checkpoint_name(&name) || name.starts_with(".tmp-"))
                            && entries(&entry)?.iter().all(|(file, meta)| {
                                meta.is_file()
                                    && matches!(
                                        file_name(file).as_str(),
                                        checkpoint::MACHINE_FILE | checkpoint::MANIFEST_FILE
                                    )
                            });
                        if !ours {
                            return Err(foreign(&entry));
                        }
                    }
                    doomed.push(path)
                }
                _ => return Err(foreign(&path)),
            }
        }
        Ok(doomed)
    }
}

fn entries(dir: &Path) -> Result<Vec<(PathBuf, std::fs::Metadata)>, StateError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| StateError::io(dir, e))? {
        let entry = entry.map_err(|e| StateError::io(dir, e))?;
        let meta =
            std::fs::symlink_metadata(entry.path()).map_err(|e| StateError::io(entry.path(), e))?;
        out.push((entry.path(), meta));
    }
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default()
}

fn foreign(path: &Path) -> StateError {
    StateError::Unsupported(format!(
        "{} is not something `warden init` created; init refuses a directory with foreign \
         content (nothing was changed): move it away, or choose another --state-dir",
        path.display()
    ))
}

/// `parent/base`, or `parent/base-2`, `-3`, … when that name is taken (archive and incident
/// names never overwrite one another).
pub fn fresh_path(parent: &Path, base: &str) -> PathBuf {
    let taken = |path: &Path| std::fs::symlink_metadata(path).is_ok();
    let first = parent.join(base);
    if !taken(&first) {
        return first;
    }
    (2u64..)
        .map(|n| parent.join(format!("{base}-{n}")))
        .find(|p| !taken(p))
        .unwrap_or(first)
}

/// Failures of the state directory, each mapped to exit 1 with a class and a next step.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state directory {0}; create it with `warden init`, or pass the right --state-dir")]
    Missing(String),
    #[error("{path}: {source}; {advice}")]
    Io {
        path: PathBuf,
        source: io::Error,
        advice: &'static str,
    },
    #[error(
        "corrupt state: {0}; run `warden recover repair` to roll back to the newest intact checkpoint"
    )]
    CorruptHead(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Busy(String),
    #[error(
        "state directory {0} has checkpoints but no config.json: an interrupted `warden init`; run \
         the same `warden init` again"
    )]
    InterruptedInit(String),
    #[error("state directory {0} is not initialised; run `warden init` first")]
    NotInitialised(String),
}

impl StateError {
    /// An I/O failure with advice that depends on what went wrong.
    pub fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        let advice = match source.raw_os_error() {
            // ENOSPC
            Some(28) => "the disk is full: free space, then re-run (the previous head is intact)",
            // EDQUOT
            Some(122) => {
                "the disk quota is exhausted: raise it, then re-run (the previous head is intact)"
            }
            // EIO
            Some(5) => {
                "an I/O error from the disk: check the device, then re-run (the previous head is intact)"
            }
            // EACCES, EPERM
            Some(13) | Some(1) => {
                "permission denied: the state directory must be owned by the user running warden"
            }
            // EROFS
            Some(30) => {
                "the filesystem is read-only: mount it read-write (ReadWritePaths= under systemd)"
            }
            _ => "check the state directory, then re-run (the previous head is intact)",
        };
        StateError::Io {
            path: path.into(),
            source,
            advice,
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self {
            StateError::Busy(_) => ErrorClass::Busy,
            _ => ErrorClass::Operator,
        }
    }
}

impl From<StateError> for Stop {
    fn from(error: StateError) -> Self {
        Stop::NotDone {
            class: error.class(),
            outcome: Outcome::Failed,
            message: error.to_string(),
        }
    }
}
