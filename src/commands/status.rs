//! `warden status`: a read-only JSON report of the state directory. Takes no lock and never
//! writes; exits 1 when the directory is missing, unreadable or its head does not verify.

use crate::cli::GlobalArgs;
use crate::outcome::{Done, Outcome, Stop};
use crate::state::StateDir;
use crate::state::checkpoint::load_head;
use crate::state::config::load_config;
use crate::state::latch::{self, Latch};
use crate::state::records::read_json_value;
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
    let head = match load_head(state) {
        Ok(loaded) => {
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
        "submitter": {
            "watermark": read_or_error(&state.watermark()),
            "last_submit": read_or_error(&state.last_submit()),
        },
    });
    (report, problem)
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
