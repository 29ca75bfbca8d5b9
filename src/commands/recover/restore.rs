//! `recover restore --from BUNDLE --yes`: make a verified snapshot bundle the head. The replaced
//! head and every checkpoint move to `archive/<stamp>/` (hard links, so nothing is copied and the
//! state is never without a valid head), then the bundle's checkpoint is published and the head
//! flipped.

use super::print_plan;
use crate::cli::GlobalArgs;
use crate::commands::{l1_failure, runtime};
use crate::events::Events;
use crate::l1::L1Client;
use crate::outcome::{Done, Stop};
use crate::state::bundle::VerifiedBundle;
use crate::state::checkpoint::{CheckpointMeta, list_checkpoints, load_head, publish};
use crate::state::config::{Config, load_config};
use crate::state::fs::{Fs, RealFs};
use crate::state::lock::{LockDomain, StateLock};
use crate::state::{StateDir, StateError};
use crate::timefmt::{compact_stamp, rfc3339_millis};
use alloy::eips::BlockId;
use alloy::primitives::B256;
use serde_json::json;
use std::path::Path;
use std::time::SystemTime;

pub fn run(global: &GlobalArgs, from: &Path, yes: bool, events: &Events) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;
    let config = load_config(&state)?;
    let bundle = super::bundle_for(from, &config)?;
    let l1_urls = global.l1_endpoints()?;
    let rt = runtime()?;
    let l1 = L1Client::new(&l1_urls).map_err(|e| Stop::operator(e.0))?;
    let block_hash = rt.block_on(check_on_l1(&l1, &config, &bundle))?;

    let current = load_head(&state).ok().map(|h| h.head);
    let stamp = compact_stamp(SystemTime::now());
    let archive_dir = state.archive().join(&stamp);
    let checkpoint = &bundle.meta.checkpoint;
    print_plan(&json!({
        "action": "restore",
        "bundle": from.display().to_string(),
        "new_head": {
            "block": checkpoint.block,
            "block_hash": checkpoint.block_hash,
            "input_count": checkpoint.input_count,
            "state_sha256": checkpoint.state_sha256,
        },
        "replaced_head": current,
        "archive_to": archive_dir.display().to_string(),
        "latched": state.incident().exists(),
        "next": "then run `warden tick`: it continues from the restored head",
        "applied": yes,
    }))?;
    if !yes {
        return Err(Stop::needs_action(format!(
            "nothing changed; re-run `warden recover restore --from {} --yes` to restore \
                 block {}",
            from.display(),
            checkpoint.block
        )));
    }
    let fs = RealFs;
    archive_current(&fs, &state, &archive_dir)?;
    let (head, leftovers) = publish(
        &fs,
        &state,
        CheckpointMeta {
            block: checkpoint.block,
            block_hash,
            input_count: checkpoint.input_count,
        },
        &bundle.machine_bytes,
        &checkpoint.state_sha256,
        1,
        &rfc3339_millis(SystemTime::now()),
    )?;
    if !leftovers.is_empty() {
        events.warn("gc_incomplete", json!({"paths": leftovers}));
    }
    events.info(
        "restored",
        json!({
            "block": head.block,
            "state_sha256": head.state_sha256,
            "archive": archive_dir.display().to_string(),
        }),
    );
    let latched_note = if state.incident().exists() {
        " An incident is still latched: `warden recover` shows how to clear it."
    } else {
        ""
    };
    Ok(Done::new(
        "done",
        format!(
            "restored block {} from {}; the previous head is in {}; run `warden tick` next.{latched_note}",
            head.block,
            from.display(),
            archive_dir.display()
        ),
    ))
}

/// The bundle's block must still be canonical and hold exactly its input count.
pub(crate) async fn check_on_l1(
    l1: &L1Client,
    config: &Config,
    bundle: &VerifiedBundle,
) -> Result<B256, Stop> {
    let checkpoint = &bundle.meta.checkpoint;
    let chain_id = l1.chain_id().await.map_err(l1_failure)?;
    if chain_id != config.chain_id {
        return Err(Stop::operator(format!(
            "the L1 RPC serves chain {chain_id}, not the pinned {}; point --l1-rpc-url at the \
             right network",
            config.chain_id
        )));
    }
    let hash = l1
        .block_hash(checkpoint.block)
        .await
        .map_err(l1_failure)?
        .ok_or_else(|| Stop::transient(format!("the L1 node has no block {}", checkpoint.block)))?;
    if !checkpoint
        .block_hash
        .eq_ignore_ascii_case(&format!("{hash:#x}"))
    {
        return Err(Stop::operator(format!(
            "the bundle's block {} has hash {}, but L1 has {hash:#x} there (reorged away); use a \
             bundle of a final block",
            checkpoint.block, checkpoint.block_hash
        )));
    }
    let inputs = l1
        .number_of_inputs(config.input_box, config.app, BlockId::hash(hash))
        .await
        .map_err(l1_failure)?;
    if inputs != checkpoint.input_count {
        return Err(Stop::operator(format!(
            "getNumberOfInputs at block {} is {inputs}, the bundle holds {}; it is not this \
             application's history",
            checkpoint.block, checkpoint.input_count
        )));
    }
    Ok(hash)
}

/// Hard-links `head.json` and every checkpoint into the archive (never garbage-collected).
fn archive_current(fs: &dyn Fs, state: &StateDir, archive_dir: &Path) -> Result<(), StateError> {
    let archive = state.archive();
    let archived_checkpoints = archive_dir.join("checkpoints");
    for dir in [
        archive.as_path(),
        archive_dir,
        archived_checkpoints.as_path(),
    ] {
        if !dir.is_dir() {
            fs.create_dir(dir).map_err(|e| StateError::io(dir, e))?;
        }
    }
    if let Ok(bytes) = std::fs::read(state.head()) {
        let path = archive_dir.join("head.json");
        fs.write_file_synced(&path, &bytes)
            .map_err(|e| StateError::io(&path, e))?;
    }
    for name in list_checkpoints(state) {
        let from = state.checkpoints().join(&name);
        let to = archived_checkpoints.join(&name);
        fs.create_dir(&to).map_err(|e| StateError::io(&to, e))?;
        let entries = std::fs::read_dir(&from).map_err(|e| StateError::io(&from, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| StateError::io(&from, e))?;
            let target = to.join(entry.file_name());
            std::fs::hard_link(entry.path(), &target).map_err(|e| StateError::io(&target, e))?;
        }
        fs.sync_dir(&to).map_err(|e| StateError::io(&to, e))?;
    }
    fs.sync_dir(&archived_checkpoints)
        .and_then(|_| fs.sync_dir(archive_dir))
        .and_then(|_| fs.sync_dir(&archive))
        .and_then(|_| fs.sync_dir(state.root()))
        .map_err(|e| StateError::io(archive_dir, e))
}
