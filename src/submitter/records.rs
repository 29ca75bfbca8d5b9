//! Files under `<state>/submitter/`, all written atomically (temp file, fsync, rename, fsync dir):
//! - `watermark.json`: the highest wallet nonce ever about to be broadcast, raised before the
//!   broadcast and never lowered, so `recover flush` knows every nonce that may be in flight;
//! - `frontier.json`: a cursor of the accepted batch-nonce fold at a safe block, checked against
//!   its block hash before use, so each run folds only new inputs;
//! - `attempts.json`: what was broadcast at which wallet nonce with which fees and when, so a
//!   re-send is identical (a no-op) until the confirmation timeout, then a valid replacement;
//! - `last_submit.json`: the last run's outcome and the accepted and pending batch nonces, which
//!   the sequencer reads to prune its outbox.

use super::fees::Fees;
use crate::jsonfmt;
use crate::state::checkpoint::RECORD_CAP;
use crate::state::fs::{Fs, ReadError, read_regular};
use crate::state::records::{RunRecord, read_run_record, write_json};
use crate::state::{StateDir, StateError};
use alloy::primitives::B256;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const SUBMITTER_RECORD_VERSION: u32 = 1;

pub fn frontier_path(state: &StateDir) -> PathBuf {
    state.submitter().join("frontier.json")
}

pub fn attempts_path(state: &StateDir) -> PathBuf {
    state.submitter().join("attempts.json")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watermark {
    pub version: u32,
    /// Highest wallet nonce a broadcast was (or was about to be) attempted at.
    pub highest_wallet_nonce: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrontierCursor {
    pub version: u32,
    pub block: u64,
    #[serde(with = "jsonfmt::hash")]
    pub block_hash: B256,
    /// Inputs of the application up to and including `block`.
    pub input_count: u64,
    pub next_expected_batch_nonce: u64,
}

/// What a journalled transaction was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendKind {
    /// A first send at this wallet nonce.
    Sent,
    /// The identical transaction again (a no-op for the mempool) within `--timeout`.
    Resent,
    /// A replacement with both fee caps raised.
    Replaced,
}

impl SendKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SendKind::Sent => "sent",
            SendKind::Resent => "resent",
            SendKind::Replaced => "replaced",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub wallet_nonce: u64,
    /// The batch carried, or none for a `recover flush` self-transfer.
    pub batch_nonce: Option<u64>,
    #[serde(with = "jsonfmt::hash")]
    pub tx_hash: B256,
    #[serde(flatten)]
    pub fees: Fees,
    pub gas_limit: u64,
    pub first_sent_at: String,
    pub last_sent_at: String,
    pub sends: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    pub version: u32,
    pub attempts: Vec<Attempt>,
}

impl Attempts {
    pub fn at(&self, wallet_nonce: u64) -> Option<&Attempt> {
        self.attempts
            .iter()
            .find(|a| a.wallet_nonce == wallet_nonce)
    }

    /// Records a send, replacing any earlier attempt at the same wallet nonce.
    pub fn record(&mut self, attempt: Attempt) {
        self.attempts
            .retain(|a| a.wallet_nonce != attempt.wallet_nonce);
        self.attempts.push(attempt);
        self.attempts.sort_by_key(|a| a.wallet_nonce);
    }

    /// Drops attempts whose wallet nonce L1 has already used.
    pub fn forget_below(&mut self, wallet_nonce: u64) {
        self.attempts.retain(|a| a.wallet_nonce >= wallet_nonce);
    }
}

/// Reads a versioned record; `None` when absent. A torn or unknown file is an operator error that
/// says how to recover (every record here can be rebuilt from L1).
fn read_record<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, StateError> {
    let bytes = match read_regular(path, RECORD_CAP) {
        Ok(bytes) => bytes,
        Err(ReadError::NotFound) => return Ok(None),
        Err(ReadError::Io(e)) => return Err(StateError::io(path, e)),
        Err(e) => {
            return Err(StateError::Unsupported(format!(
                "{} {e}; it is rebuilt from L1 if you move it aside",
                path.display()
            )));
        }
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        StateError::Unsupported(format!(
            "{} does not parse ({e}); it is rebuilt from L1 if you move it aside",
            path.display()
        ))
    })?;
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(u64::from(SUBMITTER_RECORD_VERSION)) {
        return Err(StateError::Unsupported(format!(
            "{} has version {version:?}, this warden reads version {SUBMITTER_RECORD_VERSION}; \
             use the warden release that wrote it",
            path.display()
        )));
    }
    serde_json::from_value(value).map(Some).map_err(|e| {
        StateError::Unsupported(format!(
            "{} is malformed ({e}); it is rebuilt from L1 if you move it aside",
            path.display()
        ))
    })
}

pub fn read_watermark(state: &StateDir) -> Result<Option<Watermark>, StateError> {
    read_record(&state.watermark())
}

/// Raises the watermark to `wallet_nonce` (never lowers it) and makes it durable.
pub fn raise_watermark(fs: &dyn Fs, state: &StateDir, wallet_nonce: u64) -> Result<(), StateError> {
    let current = read_watermark(state)?;
    if current.is_some_and(|w| w.highest_wallet_nonce >= wallet_nonce) {
        return Ok(());
    }
    write_json(
        fs,
        &state.watermark(),
        &Watermark {
            version: SUBMITTER_RECORD_VERSION,
            highest_wallet_nonce: wallet_nonce,
        },
    )
}

pub fn read_frontier(state: &StateDir) -> Result<Option<FrontierCursor>, StateError> {
    read_record(&frontier_path(state))
}

pub fn write_frontier(
    fs: &dyn Fs,
    state: &StateDir,
    cursor: &FrontierCursor,
) -> Result<(), StateError> {
    write_json(fs, &frontier_path(state), cursor)
}

pub fn read_attempts(state: &StateDir) -> Result<Attempts, StateError> {
    Ok(read_record(&attempts_path(state))?.unwrap_or(Attempts {
        version: SUBMITTER_RECORD_VERSION,
        attempts: Vec::new(),
    }))
}

pub fn write_attempts(
    fs: &dyn Fs,
    state: &StateDir,
    attempts: &Attempts,
) -> Result<(), StateError> {
    write_json(fs, &attempts_path(state), attempts)
}

/// One transaction as reported in `last_submit.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedTx {
    pub batch_nonce: Option<u64>,
    pub wallet_nonce: u64,
    #[serde(with = "jsonfmt::hash")]
    pub tx_hash: B256,
    /// `sent`, `resent`, `replaced`, `in_mempool`, `confirmed`, `mined`, `dry_run`.
    pub status: String,
}

/// `submit`'s part of `last_submit.json` (the shared part is `state::records::RunRecord`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SubmitDetails {
    pub outbox: String,
    /// Every batch nonce below this is accepted on L1 at the safe head: the sequencer may prune
    /// those outbox files.
    pub accepted_below: Option<u64>,
    /// Outbox nonces accepted at the safe head (still present in the outbox).
    pub accepted_nonces: Vec<u64>,
    /// Outbox nonces not yet accepted at the safe head (in flight or to be posted).
    pub pending_nonces: Vec<u64>,
    pub transactions: Vec<ReportedTx>,
}

pub type LastSubmit = RunRecord<SubmitDetails>;

pub fn read_last_submit(state: &StateDir) -> Option<LastSubmit> {
    read_run_record(&state.last_submit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::fs::RealFs;

    #[test]
    fn the_watermark_never_goes_down() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("submitter")).unwrap();
        let state = StateDir::new(dir.path());
        assert_eq!(read_watermark(&state).unwrap(), None);
        raise_watermark(&RealFs, &state, 5).unwrap();
        raise_watermark(&RealFs, &state, 3).unwrap();
        assert_eq!(
            read_watermark(&state)
                .unwrap()
                .unwrap()
                .highest_wallet_nonce,
            5
        );
        raise_watermark(&RealFs, &state, 9).unwrap();
        assert_eq!(
            read_watermark(&state)
                .unwrap()
                .unwrap()
                .highest_wallet_nonce,
            9
        );
    }

    #[test]
    fn unknown_versions_and_torn_files_are_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("submitter")).unwrap();
        let state = StateDir::new(dir.path());
        std::fs::write(
            state.watermark(),
            br#"{"version":7,"highest_wallet_nonce":1}"#,
        )
        .unwrap();
        assert!(
            read_watermark(&state)
                .unwrap_err()
                .to_string()
                .contains("version")
        );
        std::fs::write(frontier_path(&state), b"{\"vers").unwrap();
        assert!(
            read_frontier(&state)
                .unwrap_err()
                .to_string()
                .contains("move it aside")
        );
    }

    #[test]
    fn attempts_keep_one_entry_per_wallet_nonce() {
        let mut attempts = Attempts {
            version: 1,
            attempts: vec![],
        };
        let attempt = |nonce: u64, fee: u128| Attempt {
            wallet_nonce: nonce,
            batch_nonce: Some(nonce + 100),
            tx_hash: B256::repeat_byte(nonce as u8),
            fees: Fees {
                max_fee_per_gas: fee,
                max_priority_fee_per_gas: 1,
            },
            gas_limit: 1,
            first_sent_at: String::new(),
            last_sent_at: String::new(),
            sends: 1,
        };
        attempts.record(attempt(4, 10));
        attempts.record(attempt(3, 10));
        attempts.record(attempt(4, 11));
        assert_eq!(attempts.attempts.len(), 2);
        assert_eq!(attempts.at(4).unwrap().fees.max_fee_per_gas, 11);
        attempts.forget_below(4);
        assert_eq!(attempts.attempts.len(), 1);
        let json = serde_json::to_value(&attempts).unwrap();
        assert_eq!(json["attempts"][0]["max_fee_per_gas"], "11");
    }
}
