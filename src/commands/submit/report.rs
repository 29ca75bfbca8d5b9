//! What a submit reports whatever its outcome (operator-contract §5 submit step 5):
//! `submitter/last_submit.json` and `submit.prom`.

use crate::cli::GlobalArgs;
use crate::commands::record_run;
use crate::events::Events;
use crate::metrics::{self, Labels, RunEnd, SubmitterMetrics, render_submitter};
use crate::outcome::{Done, Stop, Summary};
use crate::state::StateDir;
use crate::state::config::Config;
use crate::submitter::records::SubmitDetails;
use crate::timefmt::{parse_rfc3339, unix_seconds};
use alloy::primitives::U256;
use std::time::{Instant, SystemTime};

/// What the run learned, for the records whatever the outcome.
#[derive(Debug, Default)]
pub struct Observed {
    pub config: Option<Config>,
    pub details: SubmitDetails,
    pub next_batch_nonce: Option<u64>,
    pub balance: Option<U256>,
    pub oldest_unaccepted_age: Option<u64>,
}

pub fn record(
    state: &StateDir,
    global: &GlobalArgs,
    result: &Result<Done, Stop>,
    observed: &Observed,
    started: Instant,
    events: &Events,
) {
    let record = record_run(
        &state.last_submit(),
        result,
        started,
        observed.details.clone(),
        events,
    );
    let Some(config) = &observed.config else {
        return;
    };
    let metrics = SubmitterMetrics {
        labels: Labels::of(config),
        end: RunEnd::of(&Summary::of(result)),
        balance_wei: observed.balance.map(|b| b.to_string()),
        next_batch_nonce: observed.next_batch_nonce,
        pending_batches: observed.details.pending_nonces.len() as u64,
        oldest_unaccepted_batch_age_blocks: observed.oldest_unaccepted_age,
        last_run_timestamp_seconds: unix_seconds(SystemTime::now()),
        last_success_timestamp_seconds: record
            .and_then(|r| r.last_success_at)
            .as_deref()
            .and_then(parse_rfc3339)
            .map(unix_seconds),
        run_duration_seconds: started.elapsed().as_secs_f64(),
    };
    metrics::publish(
        global.metrics_file.as_deref(),
        &state.submit_prom(),
        &render_submitter(&metrics),
        events,
    );
}
