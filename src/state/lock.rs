//! Exclusive, non-blocking `flock`s in two domains: `<state>/LOCK` for watchdog commands and
//! `<state>/submitter/LOCK` for submitter commands, so a long catch-up never blocks batch posting.
//! The lock files' existence means nothing; only the flock held on them does.

use super::{StateDir, StateError};
use std::fs::{DirBuilder, File, OpenOptions, TryLockError};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockDomain {
    Watchdog,
    Submitter,
}

/// A held lock; released when dropped (or when the process dies, however it dies).
#[derive(Debug)]
pub struct StateLock {
    _file: File,
    pub domain: LockDomain,
}

impl StateLock {
    /// Takes the domain's lock at once or fails with `busy`; creates only the lock file (and the
    /// `submitter/` directory for that domain) when missing.
    pub fn acquire(state: &StateDir, domain: LockDomain) -> Result<StateLock, StateError> {
        state.require_exists()?;
        let path = match domain {
            LockDomain::Watchdog => state.watchdog_lock(),
            LockDomain::Submitter => {
                let dir = state.submitter();
                if std::fs::symlink_metadata(&dir).is_err() {
                    DirBuilder::new()
                        .mode(0o700)
                        .create(&dir)
                        .or_else(|e| {
                            if e.kind() == std::io::ErrorKind::AlreadyExists {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        })
                        .map_err(|e| StateError::io(&dir, e))?;
                }
                state.require_real_dir(&dir)?;
                state.submitter_lock()
            }
        };
        let file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(StateLock {
                _file: file,
                domain,
            }),
            Err(TryLockError::WouldBlock) => Err(StateError::Busy(format!(
                "another warden run holds {} ({}); this run touched nothing — the next scheduled \
                 run will try again",
                path.display(),
                match domain {
                    LockDomain::Watchdog => "watchdog lock",
                    LockDomain::Submitter => "submitter lock",
                }
            ))),
            Err(TryLockError::Error(e)) => Err(StateError::io(&path, e)),
        }
    }
}

/// Opens (or creates) a lock file without following a symlink and without blocking (a FIFO
/// planted as `LOCK` cannot hang a run), and requires a regular file.
fn open_lock_file(path: &Path) -> Result<File, StateError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| StateError::io(path, e))?;
    let meta = file.metadata().map_err(|e| StateError::io(path, e))?;
    if !meta.is_file() {
        return Err(StateError::Unsupported(format!(
            "{} is not a regular file; remove it (warden recreates its lock file)",
            path.display()
        )));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_in_the_same_domain_is_busy_and_domains_are_independent() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        let held = StateLock::acquire(&state, LockDomain::Watchdog).unwrap();
        let err = StateLock::acquire(&state, LockDomain::Watchdog).unwrap_err();
        assert!(matches!(err, StateError::Busy(_)));
        let submitter = StateLock::acquire(&state, LockDomain::Submitter).unwrap();
        drop(held);
        StateLock::acquire(&state, LockDomain::Watchdog).unwrap();
        drop(submitter);
    }

    #[test]
    fn missing_state_directory_is_an_operator_error() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path().join("absent"));
        let err = StateLock::acquire(&state, LockDomain::Watchdog).unwrap_err();
        assert!(matches!(err, StateError::Missing(_)));
        assert!(!dir.path().join("absent").exists());
    }
}
