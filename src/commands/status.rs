//! `warden status`: a read-only JSON report of the state directory. Takes no lock and never
//! writes; exits 1 when the directory is missing, unreadable or its head does not verify.

use crate::cli::GlobalArgs;
use crate::commands::tick::{TickDetails, catch_up_report};
use crate::outcome::{Done, Outcome, Stop};
use crate::state::StateDir;
use crate::state::checkpoint::load_head;
use crate::state::config::load_config;
use crate::state::latch::{self, Latch};
use crate::state::records::{RunRecord, read_json_value, read_run_record};
use crate::timefmt::rfc3339_millis;
use serde_json::{Value, json};
use std::time::SystemTime;

pub fn run(global: &GlobalArgs) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    state.require_exists()?;
    let (report, problem) = build_report(&state);
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Stop::internal(format!("could not render the report: {e}")))?;
    println!("{text}");
    match problem {
        Some(stop) => Err(stop),
        None => Ok(Done::new(Outcome::Ok, "reported")),
    }
}

/// The report, and the first problem that makes the run exit 1 (the report is printed anyway).
pub fn build_report(state: &StateDir) -> (Value, Option<Stop>) {
    let mut problem: Option<Stop> = None;
    let identity = match load_config(state) {
        Ok(config) => serde_json::to_value(&config).unwrap_or(Value::Null),
        Err(e) => {
            let value = json!({ "error": e.to_string() });
            problem.get_or_insert(e.into());
            value
        }
    };
    let mut committed = Value::Null;
    let head = match load_head(state) {
        Ok(loaded) => {
            committed = committed_liveness(&loaded.machine.liveness);
            let age = age_seconds(&loaded.head.created_at);
            json!({
                "checkpoint": loaded.head.checkpoint,
                "block": loaded.head.block,
                "block_hash": loaded.head.block_hash,
                "input_count": loaded.head.input_count,
                "state_sha256": loaded.head.state_sha256,
                "created_at": loaded.head.created_at,
                "age_seconds": age,
            })
        }
        Err(e) => {
            let value = json!({ "error": e.to_string() });
            problem.get_or_insert(e.into());
            value
        }
    };
    let (latched, divergence) = match latch::read(state) {
        Latch::Clear => (false, Value::Null),
        Latch::Latched(record) => (true, serde_json::to_value(&record).unwrap_or_default()),
        Latch::Unreadable(why) => {
            problem.get_or_insert(Latch::unreadable_stop(state, &why));
            (false, json!({ "error": why }))
        }
    };
    let report = json!({
        "state_dir": state.root().display().to_string(),
        "generated_at": rfc3339_millis(SystemTime::now()),
        "identity": identity,
        "head": head,
        "latched": latched,
        "divergence": divergence,
        "last_tick": read_or_error(&state.last_tick()),
        "liveness": liveness(state, committed),
        "catch_up": catch_up_report(state),
        "submitter": {
            "watermark": read_or_error(&state.watermark()),
            "last_submit": read_or_error(&state.last_submit()),
        },
    });
    (report, problem)
}

/// The liveness figures of the last tick that measured them (at its L1 confirmed head), and the
/// head checkpoint's own counters (where they start: a state written before the counters
/// existed starts them at its migration block).
fn liveness(state: &StateDir, committed: Value) -> Value {
    let last: Option<RunRecord<TickDetails>> = read_run_record(&state.last_tick());
    let details = last.map(|r| r.details);
    json!({
        "figures": details.as_ref().and_then(|d| d.liveness.clone()),
        "sequencer_stalled": details.as_ref().and_then(|d| d.sequencer_stalled),
        "committed": committed,
    })
}

fn committed_liveness(liveness: &crate::canonical::liveness::Liveness) -> Value {
    use crate::canonical::liveness::{BatchOutcome, OpOutcome};
    let batches: serde_json::Map<String, Value> = BatchOutcome::ALL
        .iter()
        .map(|o| (o.as_str().to_string(), json!(liveness.batches_of(*o))))
        .collect();
    let ops: serde_json::Map<String, Value> = OpOutcome::ALL
        .iter()
        .map(|o| (o.as_str().to_string(), json!(liveness.ops_of(*o))))
        .collect();
    json!({
        "counters_since_block": liveness.since_block,
        "batches": batches,
        "user_ops": ops,
        "last_accepted_batch_block": liveness.last_accepted_batch_block,
    })
}

fn read_or_error(path: &std::path::Path) -> Value {
    match read_json_value(path) {
        Ok(Some(value)) => value,
        Ok(None) => Value::Null,
        Err(e) => json!({ "error": e }),
    }
}

/// Seconds since an RFC 3339 timestamp warden wrote (`None` if it does not parse).
fn age_seconds(created_at: &str) -> Option<u64> {
    let then = crate::timefmt::parse_rfc3339(created_at)?;
    SystemTime::now()
        .duration_since(then)
        .ok()
        .map(|d| d.as_secs())
}
