//! `recover clear --block B --reason TEXT --yes`: archive a latched incident into
//! `incidents/<stamp>-<kind>-<B>/` with a resolution record. The block guard makes sure the
//! engineer clears the incident they investigated; `--force` archives something named
//! `incident` that is not a valid latch (after a human looked at it).

use super::print_plan;
use crate::cli::GlobalArgs;
use crate::events::Events;
use crate::outcome::{Done, Outcome, Stop};
use crate::state::config::load_config;
use crate::state::fs::RealFs;
use crate::state::latch::{self, Latch, Resolution};
use crate::state::lock::{LockDomain, StateLock};
use crate::timefmt::{compact_stamp, rfc3339_millis};
use serde_json::json;
use std::time::SystemTime;

pub fn run(
    global: &GlobalArgs,
    block: u64,
    reason: &str,
    force: bool,
    yes: bool,
    events: &Events,
) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;
    load_config(&state)?;
    if reason.trim().is_empty() {
        return Err(Stop::operator(
            "--reason must say why clearing is safe (it is kept with the incident)",
        ));
    }
    let now = SystemTime::now();
    let (record, kind) = match latch::read(&state) {
        Latch::Clear => {
            print_plan(
                &json!({"action": "none", "next": "nothing is latched; `warden tick` runs normally"}),
            )?;
            return Ok(Done::new(
                Outcome::Healthy,
                "no incident is latched; nothing to clear",
            ));
        }
        Latch::Unreadable(why) if !force => return Err(Latch::unreadable_stop(&state, &why)),
        Latch::Unreadable(why) => (json!({"unreadable": why}), "unreadable".to_string()),
        Latch::Latched(record) => {
            if record.target_block != block {
                return Err(Stop::operator(format!(
                    "the latched incident ({}) is at block {}, not {block}; pass --block {} \
                     after reviewing it (`warden status` shows the record)",
                    record.kind, record.target_block, record.target_block
                )));
            }
            let kind = record.kind.to_string();
            (serde_json::to_value(&record).unwrap_or_default(), kind)
        }
    };
    print_plan(&json!({
        "action": "clear",
        "incident": record,
        "archive_to": state.incidents().display().to_string(),
        "reason": reason,
        "next": "then run `warden tick`: it resumes from the last agreed head",
        "applied": yes,
    }))?;
    if !yes {
        return Err(Stop::needs_action(format!(
            "nothing changed; re-run `warden recover clear --block {block} --reason ... --yes` \
             to archive the {kind} incident"
        )));
    }
    let stamp = compact_stamp(now);
    let destination = if state.incident().is_dir() && !state.incident().is_symlink() {
        let resolution = Resolution {
            version: 1,
            cleared_at: rfc3339_millis(now),
            block,
            kind: kind.clone(),
            reason: reason.to_string(),
            cleared_by: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            forced: force,
        };
        latch::archive(&RealFs, &state, &resolution, &stamp)?
    } else {
        latch::archive_unreadable(&RealFs, &state, &stamp)?
    };
    events.info(
        "incident_cleared",
        json!({"kind": kind, "block": block, "archived_to": destination.display().to_string()}),
    );
    Ok(Done::new(
        Outcome::Done,
        format!(
            "the {kind} incident at block {block} is archived in {}; run `warden tick` next",
            destination.display()
        ),
    ))
}
