//! Rollback over an L1 reorg (operator-contract §5 tick step 5): the newest retained checkpoint
//! older than the head whose block hash L1 still has becomes the head, and the reorged ones are
//! removed. L1 is asked about a checkpoint's hash (from its small manifest) before the checkpoint
//! is read in full and verified. The caller supplies the question, so this module needs no L1.

use super::checkpoint::{
    LoadedHead, checkpoint_name, head_for, list_checkpoints, read_manifest, verify_checkpoint,
    write_head,
};
use super::fs::Fs;
use super::{StateDir, StateError};
use alloy::primitives::B256;
use std::future::Future;

/// A retained checkpoint older than the head, as its manifest describes it (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub block: u64,
    pub block_hash: B256,
}

/// Retained checkpoints strictly older than `head_name`, newest first. Checkpoints whose manifest
/// does not even parse are skipped (they could never verify).
pub fn candidates(state: &StateDir, head_name: &str) -> Vec<Candidate> {
    list_checkpoints(state)
        .into_iter()
        .rev()
        .filter(|name| name.as_str() < head_name)
        .filter_map(|name| {
            let manifest = read_manifest(state, &name).ok()?;
            let named = checkpoint_name(manifest.block, manifest.input_count) == name;
            named.then_some(Candidate {
                name,
                block: manifest.block,
                block_hash: manifest.block_hash,
            })
        })
        .collect()
}

/// Rolls the head back to the newest candidate that `is_canonical(block, hash)` confirms and
/// that verifies completely, removing every checkpoint newer than it. `Ok(None)` when no
/// retained checkpoint is canonical (the caller latches `l1_reorg_below_head`).
pub async fn roll_back<F, Fut, E>(
    fs: &dyn Fs,
    state: &StateDir,
    head: &LoadedHead,
    created_at: &str,
    mut is_canonical: F,
) -> Result<Option<LoadedHead>, E>
where
    F: FnMut(u64, B256) -> Fut,
    Fut: Future<Output = Result<bool, E>>,
    E: From<StateError>,
{
    for candidate in candidates(state, &head.name()) {
        if !is_canonical(candidate.block, candidate.block_hash).await? {
            continue;
        }
        let Ok((manifest, machine)) = verify_checkpoint(state, &candidate.name) else {
            continue;
        };
        let new_head = head_for(&candidate.name, &manifest, created_at);
        write_head(fs, state, &new_head)?;
        for doomed in list_checkpoints(state)
            .into_iter()
            .filter(|n| *n > candidate.name)
        {
            let path = state.checkpoints().join(&doomed);
            fs.remove_dir_all(&path)
                .map_err(|e| StateError::io(&path, e))?;
        }
        return Ok(Some(LoadedHead {
            head: new_head,
            manifest,
            machine,
        }));
    }
    Ok(None)
}
