//! The sequencer's outbox (operator-contract §5 submit): a directory of `<%020d nonce>.ssz` batch
//! files written with write-then-rename. warden only reads it; the sequencer prunes what
//! `status` / `last_submit.json` report accepted. Anything else in the directory (temp files of
//! an in-progress write, dotfiles) is ignored.

use crate::canonical::batch::{Batch, decode_batch};
use crate::outcome::Stop;
use crate::state::fs::{ReadError, read_regular};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The largest `addInput` payload the InputBox accepts (canonical-protocol §1).
pub const MAX_PAYLOAD: usize = 65_216;

/// A decoded outbox batch.
#[derive(Debug, Clone)]
pub struct OutboxBatch {
    pub nonce: u64,
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub batch: Batch,
}

impl OutboxBatch {
    /// The first frame's safe block: what the staleness gate measures from (none for an empty
    /// batch, which is never stale).
    pub fn first_safe_block(&self) -> Option<u64> {
        self.batch.frames.first().map(|f| f.safe_block)
    }

    pub fn last_safe_block(&self) -> Option<u64> {
        self.batch.frames.last().map(|f| f.safe_block)
    }
}

/// The nonces present in the outbox, with their files.
pub fn list(dir: &Path) -> Result<BTreeMap<u64, PathBuf>, Stop> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Stop::operator(format!(
            "cannot read the outbox {}: {}; check --outbox and that warden may read it",
            crate::secret::shown_path(dir),
            e.kind()
        ))
    })?;
    let mut found = BTreeMap::new();
    for entry in entries {
        let entry = entry
            .map_err(|e| Stop::transient(format!("reading the outbox {}: {e}", dir.display())))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(stem) = name.strip_suffix(".ssz") else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Stop::operator(format!(
                "outbox file {} is not named <20-digit nonce>.ssz; the sequencer must write \
                 batches as %020d.ssz (rename or remove it)",
                path.display()
            )));
        }
        let nonce: u64 = stem.parse().map_err(|_| {
            Stop::operator(format!(
                "outbox file {} names a nonce beyond u64; remove it",
                path.display()
            ))
        })?;
        found.insert(nonce, path);
    }
    Ok(found)
}

/// Reads and checks one outbox file: a regular file (never a link followed, never a FIFO
/// waited on) no larger than one input, that decodes, whose nonce matches its name. Messages
/// name the file, field paths, positions and sizes, never a value read from it.
pub fn load(nonce: u64, path: &Path) -> Result<OutboxBatch, Stop> {
    let bytes = read_regular(path, MAX_PAYLOAD as u64).map_err(|e| match e {
        ReadError::TooLarge { size, .. } => Stop::operator(format!(
            "outbox file {} is {size} bytes, above the InputBox limit of {MAX_PAYLOAD}; it can \
             never be posted: the sequencer must split it",
            path.display()
        )),
        other => Stop::operator(format!(
            "outbox file {} {other}; the sequencer writes batches as regular files (write, then \
             rename)",
            path.display()
        )),
    })?;
    let batch = decode_batch(&bytes).map_err(|e| {
        Stop::operator(format!(
            "outbox file {} does not decode as a batch ({}); the sequencer must rewrite it \
             (`warden inspect batch` shows the details)",
            path.display(),
            e.redacted()
        ))
    })?;
    if batch.nonce != nonce {
        return Err(Stop::operator(format!(
            "outbox file {} holds another batch nonce than its name says ({nonce}); the \
             sequencer must rewrite it",
            path.display()
        )));
    }
    if let Some(frame) = batch
        .frames
        .windows(2)
        .position(|w| w[1].safe_block < w[0].safe_block)
    {
        return Err(Stop::operator(format!(
            "outbox file {} has frames with decreasing safe_block (frame {} below frame {frame}); \
             L1 would reject it, so the sequencer must reseal it",
            path.display(),
            frame + 1
        )));
    }
    Ok(OutboxBatch {
        nonce,
        path: path.to_path_buf(),
        bytes,
        batch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::batch::Frame;

    fn write(dir: &Path, name: &str, batch: &Batch) {
        std::fs::write(dir.join(name), batch.to_ssz()).unwrap();
    }

    fn batch(nonce: u64, safe_blocks: &[u64]) -> Batch {
        Batch {
            nonce,
            frames: safe_blocks
                .iter()
                .map(|&safe_block| Frame {
                    user_ops: vec![],
                    safe_block,
                    fee_price: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn lists_contract_names_and_ignores_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "00000000000000000001.ssz", &batch(1, &[5]));
        write(dir.path(), "00000000000000000000.ssz", &batch(0, &[]));
        write(dir.path(), "00000000000000000002.ssz.tmp", &batch(2, &[]));
        write(dir.path(), ".00000000000000000003.ssz", &batch(3, &[]));
        let found = list(dir.path()).unwrap();
        assert_eq!(found.keys().copied().collect::<Vec<_>>(), vec![0, 1]);
        let loaded = load(1, &found[&1]).unwrap();
        assert_eq!(loaded.first_safe_block(), Some(5));
    }

    #[test]
    fn bad_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "7.ssz", &batch(7, &[]));
        assert!(list(dir.path()).unwrap_err().message().contains("7.ssz"));
        std::fs::remove_file(dir.path().join("7.ssz")).unwrap();

        let name = "00000000000000000004.ssz";
        write(dir.path(), name, &batch(5, &[]));
        let err = load(4, &dir.path().join(name)).unwrap_err();
        assert!(err.message().contains(name) && err.message().contains("another batch nonce"));

        std::fs::write(dir.path().join(name), b"\x01\x02").unwrap();
        let err = load(4, &dir.path().join(name)).unwrap_err();
        assert!(err.message().contains("does not decode"), "{err}");

        write(dir.path(), name, &batch(4, &[9, 3]));
        let err = load(4, &dir.path().join(name)).unwrap_err();
        assert!(err.message().contains("decreasing"), "{err}");
    }
}
