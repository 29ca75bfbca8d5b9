//! What a tick reports whatever its outcome (operator-contract §5 tick step 8): `last_tick.json`
//! and `status.prom`.

use crate::cli::GlobalArgs;
use crate::commands::record_run;
use crate::events::Events;
use crate::metrics::{self, Health, WatchdogMetrics, render_watchdog};
use crate::outcome::{Done, Stop, VerdictKind};
use crate::state::StateDir;
use crate::state::config::Config;
use crate::timefmt::{parse_rfc3339, unix_seconds};
use serde::{Deserialize, Serialize};
use std::time::{Instant, SystemTime};

/// What the run learned, for the records whatever the outcome.
#[derive(Debug, Default)]
pub struct Observed {
    pub config: Option<Config>,
    pub head_block: Option<u64>,
    pub confirmed_head: Option<u64>,
    pub inputs_replayed: u64,
    pub divergence: Option<VerdictKind>,
    /// The verdict this run latched, if any (what the run ends with, whatever interrupts it).
    pub latched: Option<Stop>,
}

/// tick's part of `last_tick.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickDetails {
    pub head_block: Option<u64>,
}

/// `last_tick.json` and `status.prom` on every exit path but `busy` (which never gets here).
pub fn record(
    state: &StateDir,
    global: &GlobalArgs,
    result: &Result<Done, Stop>,
    observed: &Observed,
    started: Instant,
    events: &Events,
) {
    if !state.root().is_dir() {
        return;
    }
    let details = TickDetails {
        head_block: observed.head_block,
    };
    let record = record_run(&state.last_tick(), result, started, details, events);
    let Some(config) = &observed.config else {
        return;
    };
    let metrics = WatchdogMetrics {
        app_address: config.app.to_checksum(None),
        chain: config.chain_id.to_string(),
        health: Health::from_exit_code(crate::outcome::Summary::of(result).code),
        divergence_kind: observed.divergence.map(|k| k.as_str().to_string()),
        head_block: observed.head_block,
        last_tick_timestamp_seconds: unix_seconds(SystemTime::now()),
        last_success_timestamp_seconds: record
            .and_then(|r| r.last_success_at)
            .as_deref()
            .and_then(parse_rfc3339)
            .map(unix_seconds),
        tick_duration_seconds: started.elapsed().as_secs_f64(),
        head_lag_blocks: observed
            .confirmed_head
            .zip(observed.head_block)
            .map(|(c, h)| c.saturating_sub(h)),
        inputs_replayed: observed.inputs_replayed,
    };
    metrics::publish(
        global.metrics_file.as_deref(),
        &state.status_prom(),
        &render_watchdog(&metrics),
        events,
    );
}
