//! `recover restore --from BUNDLE --yes`: make a verified snapshot bundle the head. The replaced
//! head and every checkpoint move to `archive/<stamp>/` (hard links, so nothing is copied and the
//! state is never without a valid head), then the bundle's checkpoint is published and the head
//! flipped.

use super::print_plan;
use crate::canonical::liveness::SchedulerSeed;
use crate::cli::GlobalArgs;
use crate::commands::bootstrap::{Claim, bootstrap_on_l1, bundle_for};
use crate::commands::{connect_cross_check, connect_l1, runtime, within};
use crate::events::Events;
use crate::outcome::{Done, Outcome, Stop};
use crate::state::checkpoint::{CheckpointMeta, list_checkpoints, load_head, publish_seeded};
use crate::state::config::load_config;
use crate::state::fs::{Fs, RealFs, read_regular};
use crate::state::latch::{self, Latch};
use crate::state::lock::{LockDomain, StateLock};
use crate::state::{StateDir, StateError, fresh_path};
use crate::timefmt::{compact_stamp, rfc3339_millis};
use serde_json::json;
use std::path::Path;
use std::time::SystemTime;

pub fn run(global: &GlobalArgs, from: &Path, yes: bool, events: &Events) -> Result<Done, Stop> {
    let started = std::time::Instant::now();
    let state = global.require_state_dir()?;
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;
    let config = load_config(&state)?;
    let bundle = bundle_for(from, &config)?;
    let checkpoint = &bundle.meta.checkpoint;
    // The bundle's block must still be canonical with its hash and hold exactly its inputs.
    let l1 = connect_l1(global, Some(config.chain_id))?;
    let cross = connect_cross_check(global, Some(config.chain_id))?;
    let rt = runtime()?;
    let block = rt.block_on(within(
        global.deadline(started, None),
        bootstrap_on_l1(
            &l1,
            cross.as_ref(),
            events,
            &config,
            Claim {
                block: checkpoint.block,
                expected_hash: Some(checkpoint.block_hash),
                input_count: checkpoint.input_count,
                advice: "the bundle must come from this application's history",
            },
        ),
    ))?;

    let current = load_head(&state).ok().map(|h| h.head);
    if let Some(head) = &current
        && head.block == checkpoint.block
        && head.input_count == checkpoint.input_count
        && head.state_sha256 == checkpoint.state_sha256
    {
        print_plan(&json!({
            "action": "none",
            "head": head,
            "next": "the bundle is the head already; `warden tick` continues from it",
        }))?;
        return Ok(Done::new(
            Outcome::Done,
            format!(
                "the bundle's block {} is already the head with the same state; nothing to restore",
                checkpoint.block
            ),
        ));
    }
    let archive_dir = fresh_path(&state.archive(), &compact_stamp(SystemTime::now()));
    let latched = !latch::read(&state).is_clear();
    print_plan(&json!({
        "action": "restore",
        "bundle": from.display().to_string(),
        "new_head": {
            "block": checkpoint.block,
            "block_hash": format!("{:#x}", checkpoint.block_hash),
            "input_count": checkpoint.input_count,
            "state_sha256": checkpoint.state_sha256,
        },
        "replaced_head": current,
        "archive_to": archive_dir.display().to_string(),
        "latched": latched,
        "next": "then run `warden tick`: it continues from the restored head",
        "applied": yes,
    }))?;
    if !yes {
        return Err(Stop::needs_action(format!(
            "nothing changed; re-run `warden recover restore --from {} --yes` to restore block {}",
            from.display(),
            checkpoint.block
        )));
    }
    let fs = RealFs;
    archive_current(&fs, &state, &archive_dir)?;
    let (head, leftovers) = publish_seeded(
        &fs,
        &state,
        CheckpointMeta {
            block: checkpoint.block,
            block_hash: block.hash,
            input_count: checkpoint.input_count,
        },
        SchedulerSeed::of(&bundle.machine),
        &bundle.machine_bytes,
        checkpoint.state_sha256,
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
    let latched_note = match latch::read(&state) {
        Latch::Clear => "",
        _ => " An incident is still latched: `warden recover` shows how to clear it.",
    };
    Ok(Done::new(
        Outcome::Done,
        format!(
            "restored block {} from {}; the previous head is in {}; run `warden tick` next.{latched_note}",
            head.block,
            from.display(),
            archive_dir.display()
        ),
    ))
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
        state.ensure_real_dir(fs, dir)?;
    }
    if let Ok(bytes) = read_regular(&state.head(), crate::state::checkpoint::RECORD_CAP) {
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
