//! `warden recover <verb>`: the on-call toolkit. Mutating verbs take their lock, print the plan
//! on stdout, and act only with `--yes`; every outcome names the next step.

use crate::cli::{GlobalArgs, RecoverArgs, RecoverVerb};
use crate::events::Events;
use crate::outcome::{Done, Outcome, Stop};
use crate::state::checkpoint::{
    checkpoint_of, head_for, list_checkpoints, load_head, newest_intact, newest_intact_archived,
    read_head, restore_checkpoint_copy, write_head,
};
use crate::state::config::load_config;
use crate::state::fs::{Fs, RealFs};
use crate::state::lock::{LockDomain, StateLock};
use crate::state::{StateDir, StateError, fresh_path};
use crate::timefmt::{compact_stamp, rfc3339_millis};
use serde_json::{Value, json};
use std::time::SystemTime;

mod clear;
mod diagnose;
mod flush;
mod replay;
mod restore;

pub fn run(global: &GlobalArgs, args: &RecoverArgs, events: &Events) -> Result<Done, Stop> {
    match &args.verb {
        None => diagnose::run(global, events),
        Some(RecoverVerb::Repair { yes }) => repair(global, *yes, events, &RealFs),
        Some(RecoverVerb::Clear {
            block,
            reason,
            force,
            yes,
        }) => clear::run(global, *block, reason, *force, *yes, events),
        Some(RecoverVerb::Flush {
            key_file,
            max_fee_gwei,
            timeout,
            yes,
        }) => flush::run(
            global,
            &flush::FlushArgs {
                key_file: key_file.clone(),
                max_fee_gwei: *max_fee_gwei,
                timeout: *timeout,
                yes: *yes,
            },
            events,
        ),
        Some(RecoverVerb::Replay {
            from_block,
            to_block,
            from,
            out,
        }) => replay::run(global, *from_block, *to_block, from.as_deref(), out, events),
        Some(RecoverVerb::Restore { from, yes }) => restore::run(global, from, *yes, events),
    }
}

pub(crate) fn print_plan(plan: &Value) -> Result<(), Stop> {
    let text = serde_json::to_string_pretty(plan)
        .map_err(|e| Stop::internal(format!("could not render the plan: {e}")))?;
    println!("{text}");
    Ok(())
}

/// `recover repair`: when the head does not verify, point it at the newest intact checkpoint and
/// move the broken pieces to `archive/<stamp>-repair/` for later inspection. Works without L1.
pub fn repair(global: &GlobalArgs, yes: bool, events: &Events, fs: &dyn Fs) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;
    load_config(&state)?;
    let problem = match load_head(&state) {
        Ok(loaded) => {
            print_plan(&json!({
                "action": "none",
                "head": loaded.head,
                "next": "nothing to repair; the next `warden tick` continues from this head",
            }))?;
            return Ok(Done::new(
                Outcome::Healthy,
                format!(
                    "head {} verifies; nothing to repair",
                    loaded.head.checkpoint
                ),
            ));
        }
        Err(StateError::CorruptHead(problem)) => problem,
        Err(other) => return Err(other.into()),
    };
    // checkpoints/ first; archive/ (heads a restore replaced) only when nothing there verifies.
    let (source, name, manifest) = match newest_intact(&state) {
        Some((name, manifest, _)) => (None, name, manifest),
        None => match newest_intact_archived(&state) {
            Some((parent, name, manifest, _)) => (Some(parent), name, manifest),
            None => {
                return Err(Stop::operator(format!(
                    "the head is corrupt ({problem}) and no checkpoint verifies, in checkpoints/ \
                     or archive/; restore a snapshot bundle with `warden recover restore --from \
                     BUNDLE --yes`, or initialise a new state directory with `warden init`"
                )));
            }
        },
    };
    // Newer checkpoints did not verify; with an archived source, none in checkpoints/ did.
    let broken: Vec<String> = list_checkpoints(&state)
        .into_iter()
        .filter(|n| source.is_some() || n.as_str() > name.as_str())
        .collect();
    let previous_pointer = read_head(&state)
        .ok()
        .and_then(|h| checkpoint_of(&h).ok().map(str::to_string));
    let archive_dir = fresh_path(
        &state.archive(),
        &format!("{}-repair", compact_stamp(SystemTime::now())),
    );
    let plan = json!({
        "action": "repair",
        "problem": problem,
        "new_head": {
            "checkpoint": format!("checkpoints/{name}"),
            "block": manifest.block,
            "block_hash": format!("{:#x}", manifest.block_hash),
            "input_count": manifest.input_count,
            "state_sha256": manifest.state_sha256,
        },
        "from": match &source {
            None => "checkpoints/ (the newest checkpoint that verifies)".to_string(),
            Some(parent) => format!(
                "{} (nothing in checkpoints/ verifies; a copy is made, the archive stays)",
                parent.display()
            ),
        },
        "previous_head_checkpoint": previous_pointer,
        "archive": {
            "directory": archive_dir.display().to_string(),
            "head_json": std::fs::symlink_metadata(state.head()).is_ok(),
            "checkpoints": broken,
        },
        "next": "after repair, run `warden tick`: it re-verifies L1 from the repaired head",
        "applied": yes,
    });
    print_plan(&plan)?;
    if !yes {
        return Err(Stop::needs_action(format!(
            "the head is corrupt ({problem}); re-run `warden recover repair --yes` to point it at \
             checkpoints/{name} (block {})",
            manifest.block
        )));
    }
    let head = head_for(&name, &manifest, &rfc3339_millis(SystemTime::now()));
    let corrupt_head =
        crate::state::fs::read_regular(&state.head(), crate::state::checkpoint::RECORD_CAP).ok();
    ensure_archive_dir(fs, &state, &archive_dir)?;
    if let Some(bytes) = corrupt_head {
        let path = archive_dir.join("head.json.corrupt");
        fs.write_file_synced(&path, &bytes)
            .map_err(|e| StateError::io(&path, e))?;
    }
    match &source {
        None => {
            // The head flip comes before moving anything: it is what makes the state usable.
            write_head(fs, &state, &head)?;
            archive_broken(fs, &state, &archive_dir, &broken)?;
        }
        Some(parent) => {
            // Nothing here is usable: move it aside, bring the archived copy in, then flip.
            archive_broken(fs, &state, &archive_dir, &broken)?;
            restore_checkpoint_copy(fs, &state, parent, &name)?;
            write_head(fs, &state, &head)?;
        }
    }
    events.info(
        "head_repaired",
        json!({"checkpoint": head.checkpoint, "block": head.block, "archived": broken}),
    );
    Ok(Done::new(
        Outcome::Done,
        format!(
            "head now points at checkpoints/{name} (block {}); run `warden tick` next",
            manifest.block
        ),
    ))
}

fn ensure_archive_dir(
    fs: &dyn Fs,
    state: &StateDir,
    archive_dir: &std::path::Path,
) -> Result<(), StateError> {
    let archive = state.archive();
    for dir in [archive.as_path(), archive_dir] {
        state.ensure_real_dir(fs, dir)?;
    }
    fs.sync_dir(&archive)
        .and_then(|_| fs.sync_dir(state.root()))
        .map_err(|e| StateError::io(&archive, e))
}

fn archive_broken(
    fs: &dyn Fs,
    state: &StateDir,
    archive_dir: &std::path::Path,
    broken: &[String],
) -> Result<(), StateError> {
    let archive = state.archive();
    for name in broken {
        let from = state.checkpoints().join(name);
        let to = archive_dir.join(name);
        fs.rename(&from, &to)
            .map_err(|e| StateError::io(&from, e))?;
    }
    fs.sync_dir(archive_dir)
        .and_then(|_| fs.sync_dir(&state.checkpoints()))
        .and_then(|_| fs.sync_dir(&archive))
        .map_err(|e| StateError::io(archive_dir, e))
}
