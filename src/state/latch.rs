//! The incident latch (operator-contract §4–§5): `incident/` holding a valid, versioned
//! `divergence.json` means a verdict is latched and tick repeats it without touching L1. This
//! module is the only code that writes, reads, adds evidence to or archives a latch; tick,
//! `recover` (diagnosis and `clear`), `status` and restore all go through it.

use super::checkpoint::RECORD_CAP;
use super::fs::{Fs, read_regular, write_atomic};
use super::{StateDir, StateError, fresh_path};
use crate::canonical::Sha256Digest;
use crate::canonical::diff::StateDiff;
use crate::outcome::{Outcome, Stop, VerdictKind};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

pub const LATCH_VERSION: u32 = 1;
pub const RECORD_FILE: &str = "divergence.json";
pub const EVIDENCE_FILE: &str = "evidence.json";
pub const RESOLUTION_FILE: &str = "resolution.json";

/// Where and why the canonical machine stopped, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopRecord {
    pub input_index: u64,
    pub block: u64,
    pub reason: String,
}

impl From<&crate::canonical::MachineStop> for StopRecord {
    fn from(stop: &crate::canonical::MachineStop) -> Self {
        Self {
            input_index: stop.input_index,
            block: stop.block,
            reason: stop.reason.to_string(),
        }
    }
}

/// `incident/divergence.json`: the fields of the `divergence` event. Fields an operator adds
/// (a note) are tolerated: a valid latch stays a latch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    pub version: u32,
    pub kind: VerdictKind,
    /// B for a mismatch or a dead machine, the polled block for a regression, P for a reorg.
    pub target_block: u64,
    pub agreed_block: u64,
    pub agreed_input_count: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_sha256: Option<Sha256Digest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequencer_sha256: Option<Sha256Digest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopRecord>,
    pub detected_at: String,
    pub message: String,
}

impl Divergence {
    /// The verdict a run that finds this latch reports (tick, `recover`).
    pub fn latched_stop(&self, next: &str) -> Stop {
        Stop::Verdict {
            kind: self.kind,
            outcome: Outcome::Latched,
            message: format!(
                "incident latched ({} at block {}); nothing was checked. {next}",
                self.kind, self.target_block
            ),
        }
    }
}

/// What `incident` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Latch {
    Clear,
    Latched(Divergence),
    /// Something named `incident` that is not a valid latch: an operator must look at it.
    Unreadable(String),
}

impl Latch {
    pub fn is_clear(&self) -> bool {
        matches!(self, Latch::Clear)
    }

    /// The exit-1 stop for an unreadable latch, naming it.
    pub fn unreadable_stop(state: &StateDir, why: &str) -> Stop {
        Stop::operator(format!(
            "{} is not a valid incident latch ({why}); inspect it, then archive it with `warden \
             recover clear --force --block 0 --reason '...' --yes`",
            state.incident().display()
        ))
    }
}

pub fn read(state: &StateDir) -> Latch {
    let dir = state.incident();
    let meta = match std::fs::symlink_metadata(&dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Latch::Clear,
        Err(e) => return Latch::Unreadable(format!("cannot be inspected: {e}")),
    };
    if !meta.is_dir() {
        return Latch::Unreadable("it is not a directory".into());
    }
    let bytes = match read_regular(&dir.join(RECORD_FILE), RECORD_CAP) {
        Ok(bytes) => bytes,
        Err(e) => return Latch::Unreadable(format!("{RECORD_FILE} {e}")),
    };
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => return Latch::Unreadable(format!("{RECORD_FILE} does not parse: {e}")),
    };
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(u64::from(LATCH_VERSION)) {
        return Latch::Unreadable(format!(
            "{RECORD_FILE} has version {version:?}; this warden reads version {LATCH_VERSION}"
        ));
    }
    match serde_json::from_value(value) {
        Ok(record) => Latch::Latched(record),
        Err(e) => Latch::Unreadable(format!("{RECORD_FILE} is malformed: {e}")),
    }
}

/// Latches `record`: written into a temporary directory, fsynced, renamed to `incident/` (the
/// commit point), and the state directory fsynced.
pub fn write(fs: &dyn Fs, state: &StateDir, record: &Divergence) -> Result<(), StateError> {
    let tmp = state
        .root()
        .join(format!(".incident.tmp-{}", std::process::id()));
    fs.remove_dir_all(&tmp)
        .map_err(|e| StateError::io(&tmp, e))?;
    fs.create_dir(&tmp).map_err(|e| StateError::io(&tmp, e))?;
    let file = tmp.join(RECORD_FILE);
    fs.write_file_synced(&file, &json_bytes(record)?)
        .map_err(|e| StateError::io(&file, e))?;
    fs.sync_dir(&tmp).map_err(|e| StateError::io(&tmp, e))?;
    fs.rename(&tmp, &state.incident())
        .map_err(|e| StateError::io(state.incident(), e))?;
    fs.sync_dir(state.root())
        .map_err(|e| StateError::io(state.root(), e))?;
    // A latched verdict ends the catch-up: `recover` decides what comes next.
    super::resume::discard(fs, state);
    Ok(())
}

/// `incident/evidence.json` and the state files it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub target_block: u64,
    pub canonical_size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequencer_size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_differing_offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic_diff: Option<StateDiff>,
    /// Why the sequencer's bytes are missing, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequencer_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopRecord>,
}

impl Evidence {
    /// Evidence of the canonical state at `target_block`, nothing else known yet.
    pub fn new(target_block: u64, canonical: &[u8]) -> Self {
        Self {
            target_block,
            canonical_size: canonical.len() as u64,
            sequencer_size: None,
            first_differing_offset: None,
            semantic_diff: None,
            sequencer_state: None,
            stop: None,
        }
    }
}

/// Adds evidence to a latched incident: the canonical state bytes, the sequencer's (when they
/// were fetched for the same block), and `evidence.json`.
pub fn write_evidence(
    fs: &dyn Fs,
    state: &StateDir,
    evidence: &Evidence,
    canonical: &[u8],
    sequencer: Option<&[u8]>,
) -> Result<(), StateError> {
    let dir = state.incident();
    let mut files = vec![("canonical_state.bin", canonical.to_vec())];
    if let Some(bytes) = sequencer {
        files.push(("sequencer_state.bin", bytes.to_vec()));
    }
    files.push((EVIDENCE_FILE, json_bytes(evidence)?));
    for (name, bytes) in files {
        let path = dir.join(name);
        write_atomic(fs, &path, &bytes).map_err(|e| StateError::io(&path, e))?;
    }
    Ok(())
}

/// `resolution.json`, kept with an archived incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub version: u32,
    pub cleared_at: String,
    pub block: u64,
    /// The latched kind, or `unreadable` for a forced clear.
    pub kind: String,
    pub reason: String,
    pub cleared_by: String,
    #[serde(default)]
    pub forced: bool,
}

/// Archives `incident/` into `incidents/<stamp>-<kind>-<block>[-N]/` with its resolution record.
/// The rename is the commit point: tick looks only at `incident/`.
pub fn archive(
    fs: &dyn Fs,
    state: &StateDir,
    resolution: &Resolution,
    stamp: &str,
) -> Result<PathBuf, StateError> {
    let incident = state.incident();
    let resolution_path = incident.join(RESOLUTION_FILE);
    write_atomic(fs, &resolution_path, &json_bytes(resolution)?)
        .map_err(|e| StateError::io(&resolution_path, e))?;
    let incidents = state.incidents();
    state.ensure_real_dir(fs, &incidents)?;
    let destination = fresh_path(
        &incidents,
        &format!("{stamp}-{}-{}", resolution.kind, resolution.block),
    );
    fs.rename(&incident, &destination)
        .and_then(|_| fs.sync_dir(&incidents))
        .and_then(|_| fs.sync_dir(state.root()))
        .map_err(|e| StateError::io(&destination, e))?;
    Ok(destination)
}

/// Moves a non-directory `incident` (a planted or broken latch) aside into `incidents/`.
pub fn archive_unreadable(
    fs: &dyn Fs,
    state: &StateDir,
    stamp: &str,
) -> Result<PathBuf, StateError> {
    let incidents = state.incidents();
    state.ensure_real_dir(fs, &incidents)?;
    let destination = fresh_path(&incidents, &format!("{stamp}-unreadable"));
    fs.rename(&state.incident(), &destination)
        .and_then(|_| fs.sync_dir(&incidents))
        .and_then(|_| fs.sync_dir(state.root()))
        .map_err(|e| StateError::io(&destination, e))?;
    Ok(destination)
}

fn json_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, StateError> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| StateError::Unsupported(format!("cannot serialize a latch record: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fs::RealFs;

    fn record() -> Divergence {
        Divergence {
            version: LATCH_VERSION,
            kind: VerdictKind::StateMismatch,
            target_block: 12,
            agreed_block: 10,
            agreed_input_count: 3,
            canonical_sha256: Some(Sha256Digest([1; 32])),
            sequencer_sha256: Some(Sha256Digest([2; 32])),
            stop: None,
            detected_at: "2026-01-01T00:00:00.000Z".into(),
            message: "m".into(),
        }
    }

    #[test]
    fn latch_read_archive_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        assert_eq!(read(&state), Latch::Clear);
        write(&RealFs, &state, &record()).unwrap();
        assert_eq!(read(&state), Latch::Latched(record()));
        let resolution = Resolution {
            version: 1,
            cleared_at: "now".into(),
            block: 12,
            kind: "state_mismatch".into(),
            reason: "fixed".into(),
            cleared_by: "test".into(),
            forced: false,
        };
        let first = archive(&RealFs, &state, &resolution, "20260101T000000Z").unwrap();
        write(&RealFs, &state, &record()).unwrap();
        let second = archive(&RealFs, &state, &resolution, "20260101T000000Z").unwrap();
        assert_ne!(first, second, "a clash of stamps must not overwrite");
        assert!(second.to_string_lossy().ends_with("-2"));
        assert_eq!(read(&state), Latch::Clear);
    }

    #[test]
    fn anything_else_named_incident_is_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::new(dir.path());
        std::fs::write(state.incident(), b"x").unwrap();
        assert!(matches!(read(&state), Latch::Unreadable(_)));
        std::fs::remove_file(state.incident()).unwrap();
        std::fs::create_dir(state.incident()).unwrap();
        std::fs::write(state.incident().join(RECORD_FILE), b"{\"version\":7}").unwrap();
        assert!(matches!(read(&state), Latch::Unreadable(_)));
    }
}
