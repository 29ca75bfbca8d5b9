//! Small JSON records other runs, `status` and operators read: `last_tick.json`, and the
//! submitter's files (read here as opaque JSON; `submit` owns their shape).

use super::fs::{Fs, write_atomic};
use super::{StateDir, StateError};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const LAST_TICK_VERSION: u32 = 1;

/// The outcome of the last tick, written on every exit path except `busy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastTick {
    pub version: u32,
    pub finished_at: String,
    pub exit_code: i32,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub message: String,
    pub head_block: Option<u64>,
    pub duration_ms: u64,
    /// When a tick last exited 0 (carried forward across failures).
    #[serde(default)]
    pub last_success_at: Option<String>,
}

pub fn write_json<T: Serialize>(fs: &dyn Fs, path: &Path, value: &T) -> Result<(), StateError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| {
        StateError::Unsupported(format!("cannot serialize {}: {e}", path.display()))
    })?;
    bytes.push(b'\n');
    write_atomic(fs, path, &bytes).map_err(|e| StateError::io(path, e))
}

pub fn write_last_tick(fs: &dyn Fs, state: &StateDir, record: &LastTick) -> Result<(), StateError> {
    write_json(fs, &state.last_tick(), record)
}

/// Reads any JSON record: `Ok(None)` when absent, `Err` with a description when unreadable.
pub fn read_json_value(path: &Path) -> Result<Option<serde_json::Value>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} does not parse: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
