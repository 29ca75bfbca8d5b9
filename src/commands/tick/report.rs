//! What a tick reports whatever its outcome (operator-contract §5 tick step 8): `last_tick.json`,
//! `status.prom`, and the liveness warnings (`backstop_imminent`, `batches_rejected`,
//! `sequencer_stalled`), which repeat on every run while their condition holds.

use crate::canonical::liveness::{BatchOutcome, Figures};
use crate::cli::{GlobalArgs, TickArgs};
use crate::commands::record_run;
use crate::events::Events;
use crate::metrics::{self, Labels, RunEnd, WatchdogMetrics, render_watchdog};
use crate::outcome::{CatchUp, Done, Stop, Summary, VerdictKind};
use crate::state::StateDir;
use crate::state::config::Config;
use crate::state::records::{RunRecord, read_run_record};
use crate::state::resume;
use crate::timefmt::{parse_rfc3339, unix_seconds};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::{Instant, SystemTime};

/// What the run learned, for the records whatever the outcome.
#[derive(Debug, Default)]
pub struct Observed {
    pub config: Option<Config>,
    pub head_block: Option<u64>,
    pub confirmed_head: Option<u64>,
    pub inputs_replayed: u64,
    pub divergence: Option<VerdictKind>,
    /// The sequencer's finalized block, as polled.
    pub sequencer_block: Option<u64>,
    /// Liveness figures, from runs that verified a view.
    pub liveness: Option<Liveness>,
    /// Whether the cross-check endpoints agreed, in runs that compared.
    pub endpoints_agree: Option<bool>,
    /// The verdict this run latched, if any (what the run ends with, whatever interrupts it).
    pub latched: Option<Stop>,
    /// The progress a catch-up saved in this run.
    pub catch_up: Option<super::catchup::Progress>,
}

/// What a run learnt about liveness.
#[derive(Debug, Clone)]
pub struct Liveness {
    pub figures: Figures,
    /// The counters at the head the run started from (what is new in this run).
    pub before: crate::canonical::liveness::Liveness,
    /// Inputs on L1 above the sequencer's finalized block, up to the confirmed head.
    pub inputs_above_sequencer: u64,
}

/// tick's part of `last_tick.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickDetails {
    pub head_block: Option<u64>,
    /// The latest liveness figures (this run's, or carried from the last run that had them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Figures>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequencer_stalled: Option<bool>,
    /// A catch-up's progress (`resume_block`, `target_block`, `blocks_remaining`): from this
    /// run when it saved a resume point, else from the resume point a failed run left.
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub catch_up: Option<CatchUp>,
    /// Seconds of catching up left at this run's rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_seconds_left: Option<u64>,
}

/// Where a catch-up stands, for `status` and `recover`: the saved resume point, and the last
/// tick's progress and estimate. `None` when no catch-up is under way.
pub fn catch_up_report(state: &StateDir) -> Option<serde_json::Value> {
    let point = match resume::latest_manifest(state) {
        Ok(point) => point?,
        Err(why) => return Some(json!({ "error": why })),
    };
    let last: Option<RunRecord<TickDetails>> = read_run_record(&state.last_tick());
    let estimate = last
        .as_ref()
        .filter(|r| {
            r.details
                .catch_up
                .is_some_and(|c| c.resume_block == point.block)
        })
        .and_then(|r| r.details.estimated_seconds_left);
    Some(json!({
        "resume_block": point.block,
        "target_block": point.target_block,
        "blocks_remaining": point.target_block.saturating_sub(point.block),
        "input_count": point.input_count,
        "saved_at": point.created_at,
        "witnessed": point.witnessed,
        "extends_head": point.base.checkpoint,
        "estimated_seconds_left": estimate,
    }))
}

/// `last_tick.json` and `status.prom` on every exit path but `busy` (which never gets here).
pub fn record(
    state: &StateDir,
    global: &GlobalArgs,
    args: &TickArgs,
    result: &Result<Done, Stop>,
    observed: &Observed,
    started: Instant,
    events: &Events,
) {
    if !state.root().is_dir() {
        return;
    }
    let previous: Option<RunRecord<TickDetails>> = read_run_record(&state.last_tick());
    let stalled = observed
        .liveness
        .as_ref()
        .and_then(|l| stall(observed, l, args));
    if let (Some(liveness), Some(config)) = (&observed.liveness, &observed.config) {
        warn(liveness, stalled, observed, config, args, events);
    }
    let previous = previous.map(|p| p.details);
    let catch_up = observed.catch_up.map(|p| p.progress).or_else(|| {
        // A run that failed mid catch-up still reports where the saved one stands.
        result
            .as_ref()
            .err()
            .and_then(|_| resume::latest_manifest(state).ok().flatten())
            .map(|m| CatchUp::new(m.block, m.target_block))
    });
    let details = TickDetails {
        head_block: observed.head_block,
        liveness: observed
            .liveness
            .as_ref()
            .map(|l| l.figures.clone())
            .or_else(|| previous.as_ref().and_then(|p| p.liveness.clone())),
        sequencer_stalled: stalled
            .map(|s| s.stalled)
            .or_else(|| previous.as_ref().and_then(|p| p.sequencer_stalled)),
        catch_up,
        estimated_seconds_left: observed.catch_up.and_then(|p| p.estimated_seconds_left()),
    };
    let record = record_run(&state.last_tick(), result, started, details.clone(), events);
    let Some(config) = &observed.config else {
        return;
    };
    let metrics = WatchdogMetrics {
        labels: Labels::of(config),
        end: RunEnd::of(&Summary::of(result)),
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
        liveness: details.liveness,
        sequencer_stalled: details.sequencer_stalled,
        l1_endpoints_agree: observed.endpoints_agree,
        catchup_remaining_blocks: details.catch_up.map(|c| c.blocks_remaining),
    };
    metrics::publish(
        global.metrics_file.as_deref(),
        &state.status_prom(),
        &render_watchdog(&metrics),
        events,
    );
}

/// Whether the sequencer stalls: its finalized block trails the confirmed head by more than the
/// threshold while L1 holds inputs above it.
#[derive(Debug, Clone, Copy)]
struct Stall {
    stalled: bool,
    lag_blocks: u64,
}

fn stall(observed: &Observed, liveness: &Liveness, args: &TickArgs) -> Option<Stall> {
    let lag_blocks = observed
        .confirmed_head?
        .saturating_sub(observed.sequencer_block?);
    Some(Stall {
        stalled: lag_blocks > args.stall_threshold_blocks && liveness.inputs_above_sequencer > 0,
        lag_blocks,
    })
}

/// The liveness warnings of this run (never a page: the alert rules warn).
fn warn(
    liveness: &Liveness,
    stall: Option<Stall>,
    observed: &Observed,
    config: &Config,
    args: &TickArgs,
    events: &Events,
) {
    let f = &liveness.figures;
    if let Some(margin) = f.backstop_margin_blocks
        && margin < config.preemptive_margin_blocks as i64
    {
        events.warn(
            "backstop_imminent",
            json!({
                "fridge_inputs": f.fridge_inputs,
                "fridge_oldest_age_blocks": f.fridge_oldest_age_blocks,
                "backstop_margin_blocks": margin,
                "preemptive_margin_blocks": config.preemptive_margin_blocks,
                "at_block": f.at_block,
                "message": "direct inputs wait in the fridge and the backstop will execute them \
                            soon: check that the sequencer includes deposits in its batches",
            }),
        );
    }
    let rejected: serde_json::Map<String, serde_json::Value> = BatchOutcome::ALL
        .iter()
        .filter(|o| !o.accepted())
        .filter_map(|o| {
            let now = f.batches.get(o.as_str()).copied().unwrap_or(0);
            let new = now.saturating_sub(liveness.before.batches_of(*o));
            (new > 0).then(|| (o.as_str().to_string(), json!(new)))
        })
        .collect();
    if !rejected.is_empty() {
        events.warn(
            "batches_rejected",
            json!({
                "outcomes": rejected,
                "at_block": f.at_block,
                "message": "L1 holds batches the scheduler did not accept: check the \
                            sequencer's batch nonces, safe blocks and staleness",
            }),
        );
    }
    if let Some(stall) = stall.filter(|s| s.stalled) {
        events.warn(
            "sequencer_stalled",
            json!({
                "sequencer_block": observed.sequencer_block,
                "confirmed_head": observed.confirmed_head,
                "lag_blocks": stall.lag_blocks,
                "stall_threshold_blocks": args.stall_threshold_blocks,
                "inputs_above_sequencer": liveness.inputs_above_sequencer,
                "message": "the sequencer's finalized block is not moving while L1 holds inputs \
                            for the application: check that it runs and posts batches",
            }),
        );
    }
}
