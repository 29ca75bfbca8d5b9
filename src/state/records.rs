//! Run records: `last_tick.json` and `submitter/last_submit.json`, written by one writer on every
//! exit path but `busy`, with the outcome every record shares (exit code, outcome, class, kind,
//! message, duration, the last success carried forward) and the command's own details.

use super::StateError;
use super::checkpoint::RECORD_CAP;
use super::fs::{Fs, ReadError, read_regular, write_atomic, write_replace};
use crate::outcome::{Done, ErrorClass, Outcome, Stop, Summary, VerdictKind};
use crate::timefmt::rfc3339_millis;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Instant, SystemTime};

pub const RUN_RECORD_VERSION: u32 = 1;

/// One run's record; `details` is the command's own part, flattened into the same object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord<D> {
    pub version: u32,
    pub finished_at: String,
    pub exit_code: i32,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<ErrorClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<VerdictKind>,
    pub message: String,
    pub duration_ms: u64,
    /// When a run last exited 0 (carried forward across failures).
    #[serde(default)]
    pub last_success_at: Option<String>,
    #[serde(flatten)]
    pub details: D,
}

/// Writes the record of a run that ended with `result`, carrying `last_success_at` forward from
/// the previous record at `path`. Returns what was written.
pub fn write_run_record<D: Serialize>(
    fs: &dyn Fs,
    path: &Path,
    result: &Result<Done, Stop>,
    started: Instant,
    details: D,
) -> Result<RunRecord<D>, StateError> {
    let summary = Summary::of(result);
    let finished_at = rfc3339_millis(SystemTime::now());
    let last_success_at = if summary.code == crate::exit::SUCCESS {
        Some(finished_at.clone())
    } else {
        previous_success(path)
    };
    let record = RunRecord {
        version: RUN_RECORD_VERSION,
        finished_at,
        exit_code: summary.code,
        outcome: summary.outcome,
        class: summary.class,
        kind: summary.kind,
        message: summary.message,
        duration_ms: started.elapsed().as_millis() as u64,
        last_success_at,
        details,
    };
    let mut bytes = serde_json::to_vec_pretty(&record).map_err(|e| {
        StateError::Unsupported(format!("cannot serialize {}: {e}", path.display()))
    })?;
    bytes.push(b'\n');
    // A report, not a commit point: replaced atomically, never fsynced.
    write_replace(fs, path, &bytes).map_err(|e| StateError::io(path, e))?;
    Ok(record)
}

/// The previous record's `last_success_at`, whatever its details.
fn previous_success(path: &Path) -> Option<String> {
    let bytes = read_regular(path, RECORD_CAP).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value["last_success_at"].as_str().map(str::to_string)
}

/// A run record, when present and readable.
pub fn read_run_record<D: DeserializeOwned>(path: &Path) -> Option<RunRecord<D>> {
    let bytes = read_regular(path, RECORD_CAP).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub fn write_json<T: Serialize>(fs: &dyn Fs, path: &Path, value: &T) -> Result<(), StateError> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|e| {
        StateError::Unsupported(format!("cannot serialize {}: {e}", path.display()))
    })?;
    bytes.push(b'\n');
    write_atomic(fs, path, &bytes).map_err(|e| StateError::io(path, e))
}

/// Reads any JSON record, bounded: `Ok(None)` when absent, `Err` with a description when it
/// cannot be read or parsed.
pub fn read_json_value(path: &Path) -> Result<Option<serde_json::Value>, String> {
    match read_regular(path, RECORD_CAP) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} does not parse: {e}", path.display())),
        Err(ReadError::NotFound) => Ok(None),
        Err(e) => Err(format!("{} {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fs::RealFs;

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    struct Details {
        head_block: Option<u64>,
    }

    #[test]
    fn last_success_is_carried_across_failures() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("last.json");
        let ok: Result<Done, Stop> = Ok(Done::new(Outcome::Agreed, "fine"));
        let first = write_run_record(
            &RealFs,
            &path,
            &ok,
            Instant::now(),
            Details {
                head_block: Some(1),
            },
        )
        .unwrap();
        let failed: Result<Done, Stop> = Err(Stop::transient("down"));
        let second = write_run_record(
            &RealFs,
            &path,
            &failed,
            Instant::now(),
            Details { head_block: None },
        )
        .unwrap();
        assert_eq!(second.last_success_at, first.last_success_at);
        assert_eq!(second.class, Some(ErrorClass::Transient));
        let read: RunRecord<Details> = read_run_record(&path).unwrap();
        assert_eq!(read, second);
        let json = read_json_value(&path).unwrap().unwrap();
        assert_eq!(json["outcome"], "failed");
        assert_eq!(json["class"], "transient");
        assert!(json.get("kind").is_none());
    }
}
