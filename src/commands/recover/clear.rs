//! `recover clear --block B --reason TEXT --yes`: archive a latched incident into
//! `incidents/<stamp>-<kind>-<B>/` with a resolution record. The block guard makes sure the
//! engineer clears the incident they investigated.

use super::print_plan;
use crate::cli::GlobalArgs;
use crate::events::Events;
use crate::outcome::{Done, Stop};
use crate::state::StateError;
use crate::state::config::load_config;
use crate::state::fs::{Fs, RealFs};
use crate::state::lock::{LockDomain, StateLock};
use crate::timefmt::{compact_stamp, rfc3339_millis};
use serde_json::{Value, json};
use std::time::SystemTime;

pub fn run(
    global: &GlobalArgs,
    block: u64,
    reason: &str,
    yes: bool,
    events: &Events,
) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;
    load_config(&state)?;
    let fs = RealFs;
    if !state.incident().exists() {
        print_plan(
            &json!({"action": "none", "next": "nothing is latched; `warden tick` runs normally"}),
        )?;
        return Ok(Done::new(
            "healthy",
            "no incident is latched; nothing to clear",
        ));
    }
    let record_path = state.incident().join("divergence.json");
    let record: Value = std::fs::read(&record_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| {
            Stop::operator(format!(
                "{} is missing or unreadable; inspect {} by hand, then move it aside to clear",
                record_path.display(),
                state.incident().display()
            ))
        })?;
    let kind = record["kind"].as_str().unwrap_or("unknown").to_string();
    let latched_block = record["target_block"].as_u64();
    if latched_block != Some(block) {
        return Err(Stop::operator(format!(
            "the latched incident ({kind}) is at block {}, not {block}; pass --block {} after \
             reviewing it (`warden status` shows the record)",
            latched_block.map_or("unknown".into(), |b| b.to_string()),
            latched_block.map_or("<target_block>".into(), |b| b.to_string()),
        )));
    }
    if reason.trim().is_empty() {
        return Err(Stop::operator(
            "--reason must say why clearing is safe (it is kept with the incident)",
        ));
    }
    let now = SystemTime::now();
    let destination = state
        .incidents()
        .join(format!("{}-{kind}-{block}", compact_stamp(now)));
    print_plan(&json!({
        "action": "clear",
        "incident": record,
        "archive_to": destination.display().to_string(),
        "reason": reason,
        "next": "then run `warden tick`: it resumes from the last agreed head",
        "applied": yes,
    }))?;
    if !yes {
        return Err(Stop::needs_action(format!(
            "nothing changed; re-run `warden recover clear --block {block} --reason ... \
                 --yes` to archive the {kind} incident"
        )));
    }
    let resolution = json!({
        "version": 1,
        "cleared_at": rfc3339_millis(now),
        "block": block,
        "kind": kind,
        "reason": reason,
        "cleared_by": std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    });
    let mut bytes = serde_json::to_vec_pretty(&resolution)
        .map_err(|e| Stop::internal(format!("cannot render the resolution: {e}")))?;
    bytes.push(b'\n');
    let resolution_path = state.incident().join("resolution.json");
    fs.write_file_synced(&resolution_path, &bytes)
        .and_then(|_| fs.sync_dir(&state.incident()))
        .map_err(|e| StateError::io(&resolution_path, e))?;
    if !state.incidents().is_dir() {
        fs.create_dir(&state.incidents())
            .map_err(|e| StateError::io(state.incidents(), e))?;
    }
    // The rename is the commit point: tick looks only at `incident/`.
    fs.rename(&state.incident(), &destination)
        .and_then(|_| fs.sync_dir(&state.incidents()))
        .and_then(|_| fs.sync_dir(state.root()))
        .map_err(|e| StateError::io(&destination, e))?;
    events.info(
        "incident_cleared",
        json!({"kind": kind, "block": block, "archived_to": destination.display().to_string()}),
    );
    Ok(Done::new(
        "done",
        format!(
            "the {kind} incident at block {block} is archived in {}; run `warden tick` next",
            destination.display()
        ),
    ))
}
