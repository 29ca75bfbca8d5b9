//! node_exporter textfile metrics (operator-contract §6). Names, labels and the order of the
//! status states match the reference's files so existing alert rules keep working. Labels are
//! sorted and escaped; files are written to a temp file in the same directory, then renamed.
//! `status.prom` carries `cartesi_watchdog_*` series only and `submit.prom`
//! `cartesi_submitter_*` only, so the two files never share a series.

use crate::canonical::liveness::Figures;
use crate::events::Events;
use crate::outcome::{ErrorClass, Outcome, Summary};
use crate::state::StateError;
use crate::state::fs::{Fs, RealFs, write_replace};
use std::fmt::Write;
use std::path::Path;

/// `cartesi_*_status`'s `state` label: exit 0 → ok, 1 → warning, 2 → failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    Warning,
    Failed,
}

impl Health {
    pub fn from_exit_code(code: i32) -> Self {
        match code {
            0 => Health::Ok,
            2 => Health::Failed,
            _ => Health::Warning,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Warning => "warning",
            Health::Failed => "failed",
        }
    }
}

/// The labels every series of a file carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    /// EIP-55 checksummed application address.
    pub app_address: String,
    /// Chain id in decimal.
    pub chain: String,
}

impl Labels {
    pub fn of(config: &crate::state::config::Config) -> Self {
        Self {
            app_address: config.app.to_checksum(None),
            chain: config.chain_id.to_string(),
        }
    }
}

/// How the run ended: `*_status{state}` and `*_last_exit_info{class,outcome}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunEnd {
    pub health: Health,
    /// The exit-1 class; `None` for exit 0 and 2 (the label reads `none`).
    pub class: Option<ErrorClass>,
    pub outcome: Outcome,
}

impl RunEnd {
    pub fn of(summary: &Summary) -> Self {
        Self {
            health: Health::from_exit_code(summary.code),
            class: summary.class,
            outcome: summary.outcome,
        }
    }
}

/// Everything `status.prom` reports after a tick.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchdogMetrics {
    pub labels: Labels,
    pub end: RunEnd,
    /// Set while an incident is latched.
    pub divergence_kind: Option<String>,
    pub head_block: Option<u64>,
    pub last_tick_timestamp_seconds: f64,
    pub last_success_timestamp_seconds: Option<f64>,
    pub tick_duration_seconds: f64,
    /// L1 safe (or finalized) head minus the head block, when L1 was reached.
    pub head_lag_blocks: Option<u64>,
    pub inputs_replayed: u64,
    /// The latest liveness figures known (this run's, or carried from the last run that had
    /// them).
    pub liveness: Option<Figures>,
    pub sequencer_stalled: Option<bool>,
    /// Written only by runs that compared endpoints.
    pub l1_endpoints_agree: Option<bool>,
    /// Blocks a catch-up still has to verify (resume point to target).
    pub catchup_remaining_blocks: Option<u64>,
}

/// Everything `submit.prom` reports after a submit.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitterMetrics {
    pub labels: Labels,
    pub end: RunEnd,
    /// Decimal wei (u256).
    pub balance_wei: Option<String>,
    pub next_batch_nonce: Option<u64>,
    pub pending_batches: u64,
    pub oldest_unaccepted_batch_age_blocks: Option<u64>,
    pub last_run_timestamp_seconds: f64,
    pub last_success_timestamp_seconds: Option<f64>,
    pub run_duration_seconds: f64,
}

/// Escapes a label value per the exposition format.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// One textfile being written: every series carries the file's labels; extra labels are
/// sorted in with them.
struct Exposition<'a> {
    out: String,
    labels: &'a Labels,
}

impl<'a> Exposition<'a> {
    fn new(labels: &'a Labels) -> Self {
        Self {
            out: String::new(),
            labels,
        }
    }

    fn header(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, extra: &[(&str, &str)], value: &str) {
        let mut pairs: Vec<(&str, &str)> = vec![
            ("app_address", self.labels.app_address.as_str()),
            ("chain", self.labels.chain.as_str()),
        ];
        pairs.extend_from_slice(extra);
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
            .collect();
        let _ = writeln!(self.out, "{name}{{{}}} {value}", body.join(","));
    }

    fn gauge(&mut self, name: &str, help: &str, value: impl ToString) {
        self.header(name, "gauge", help);
        self.sample(name, &[], &value.to_string());
    }

    /// One sample per label value, 1 for the current one, in the reference's order.
    fn one_hot(&mut self, name: &str, help: &str, label: &str, values: &[&str], current: &str) {
        self.header(name, "gauge", help);
        for value in values {
            let v = u8::from(*value == current);
            self.sample(name, &[(label, value)], &v.to_string());
        }
    }

    /// `*_status{state}`, in the reference's order (ok, warning, failed).
    fn status(&mut self, name: &str, help: &str, end: &RunEnd) {
        self.one_hot(
            name,
            help,
            "state",
            &["ok", "warning", "failed"],
            end.health.as_str(),
        );
    }

    fn last_exit(&mut self, prefix: &str, end: &RunEnd) {
        let name = format!("{prefix}_last_exit_info");
        self.header(
            &name,
            "gauge",
            "The last run's exit class (none for exit 0 and 2) and outcome (1 = the last run).",
        );
        let class = end.class.map_or("none", |c| c.as_str());
        self.sample(
            &name,
            &[("class", class), ("outcome", end.outcome.as_str())],
            "1",
        );
    }
}

pub fn render_watchdog(m: &WatchdogMetrics) -> String {
    let mut x = Exposition::new(&m.labels);
    x.status(
        "cartesi_watchdog_status",
        "Current watchdog compare state (1 = active).",
        &m.end,
    );
    if let Some(kind) = &m.divergence_kind {
        x.header(
            "cartesi_watchdog_divergence_info",
            "gauge",
            "Divergence kind from the last tick (1 = present).",
        );
        x.sample("cartesi_watchdog_divergence_info", &[("kind", kind)], "1");
    }
    x.last_exit("cartesi_watchdog", &m.end);
    if let Some(block) = m.head_block {
        x.gauge(
            "cartesi_watchdog_head_block",
            "L1 block of the verified head checkpoint.",
            block,
        );
    }
    x.gauge(
        "cartesi_watchdog_last_tick_timestamp_seconds",
        "Unix time the last tick finished.",
        number(m.last_tick_timestamp_seconds),
    );
    if let Some(ts) = m.last_success_timestamp_seconds {
        x.gauge(
            "cartesi_watchdog_last_success_timestamp_seconds",
            "Unix time of the last tick that exited 0.",
            number(ts),
        );
    }
    x.gauge(
        "cartesi_watchdog_tick_duration_seconds",
        "Wall-clock duration of the last tick.",
        format!("{:.3}", m.tick_duration_seconds),
    );
    if let Some(lag) = m.head_lag_blocks {
        x.gauge(
            "cartesi_watchdog_head_lag_blocks",
            "Blocks between the L1 confirmed head and the verified head.",
            lag,
        );
    }
    x.gauge(
        "cartesi_watchdog_inputs_replayed",
        "Inputs re-executed by the last tick.",
        m.inputs_replayed,
    );
    if let Some(f) = &m.liveness {
        liveness(&mut x, f);
    }
    if let Some(stalled) = m.sequencer_stalled {
        x.gauge(
            "cartesi_watchdog_sequencer_stalled",
            "1 while the sequencer's finalized block trails the L1 confirmed head by more than \
             the stall threshold and L1 holds inputs above it.",
            u8::from(stalled),
        );
    }
    if let Some(agree) = m.l1_endpoints_agree {
        x.gauge(
            "cartesi_watchdog_l1_endpoints_agree",
            "1 when every cross-check L1 endpoint agreed in the last run that compared.",
            u8::from(agree),
        );
    }
    if let Some(remaining) = m.catchup_remaining_blocks {
        x.gauge(
            "cartesi_watchdog_catchup_remaining_blocks",
            "Blocks a catch-up still has to verify, from its resume point to its target.",
            remaining,
        );
    }
    x.out
}

fn liveness(x: &mut Exposition<'_>, f: &Figures) {
    x.gauge(
        "cartesi_watchdog_fridge_inputs",
        "Direct inputs (deposits) waiting in the fridge at the L1 confirmed head.",
        f.fridge_inputs,
    );
    if let Some(age) = f.fridge_oldest_age_blocks {
        x.gauge(
            "cartesi_watchdog_fridge_oldest_age_blocks",
            "L1 confirmed head minus the oldest waiting direct input's block.",
            age,
        );
    }
    if let Some(margin) = f.backstop_margin_blocks {
        x.gauge(
            "cartesi_watchdog_backstop_margin_blocks",
            "Blocks left before the backstop executes the oldest waiting direct input \
             (negative when overdue).",
            margin,
        );
    }
    x.header(
        "cartesi_watchdog_batches_total",
        "counter",
        "Batches the scheduler took, by outcome, since the counters started.",
    );
    for (outcome, count) in &f.batches {
        x.sample(
            "cartesi_watchdog_batches_total",
            &[("outcome", outcome)],
            &count.to_string(),
        );
    }
    x.header(
        "cartesi_watchdog_user_ops_total",
        "counter",
        "User ops of accepted batches, executed or by skip reason, since the counters started.",
    );
    for (outcome, count) in &f.user_ops {
        x.sample(
            "cartesi_watchdog_user_ops_total",
            &[("outcome", outcome)],
            &count.to_string(),
        );
    }
    x.gauge(
        "cartesi_watchdog_blocks_since_executed_batch",
        "L1 confirmed head minus the block of the last accepted batch (empty ones included).",
        f.blocks_since_executed_batch,
    );
}

pub fn render_submitter(m: &SubmitterMetrics) -> String {
    let mut x = Exposition::new(&m.labels);
    x.status(
        "cartesi_submitter_status",
        "Outcome of the last submit (ok = exit 0, warning = exit 1, failed = exit 2).",
        &m.end,
    );
    x.last_exit("cartesi_submitter", &m.end);
    if let Some(balance) = &m.balance_wei {
        x.gauge(
            "cartesi_submitter_balance_wei",
            "Balance of the batch submitter account in wei.",
            balance,
        );
    }
    if let Some(nonce) = m.next_batch_nonce {
        x.gauge(
            "cartesi_submitter_next_batch_nonce",
            "Next batch nonce to post (accepted frontier including unconfirmed own batches).",
            nonce,
        );
    }
    x.gauge(
        "cartesi_submitter_pending_batches",
        "Outbox batches not yet accepted at the confirmed L1 head.",
        m.pending_batches,
    );
    if let Some(age) = m.oldest_unaccepted_batch_age_blocks {
        x.gauge(
            "cartesi_submitter_oldest_unaccepted_batch_age_blocks",
            "Blocks between the L1 safe head and the oldest unaccepted batch's first frame.",
            age,
        );
    }
    x.gauge(
        "cartesi_submitter_last_run_timestamp_seconds",
        "Unix time the last submit finished.",
        number(m.last_run_timestamp_seconds),
    );
    if let Some(ts) = m.last_success_timestamp_seconds {
        x.gauge(
            "cartesi_submitter_last_success_timestamp_seconds",
            "Unix time of the last submit that exited 0.",
            number(ts),
        );
    }
    x.gauge(
        "cartesi_submitter_run_duration_seconds",
        "Wall-clock duration of the last submit.",
        format!("{:.3}", m.run_duration_seconds),
    );
    x.out
}

pub fn write_metrics_file(fs: &dyn Fs, path: &Path, text: &str) -> Result<(), StateError> {
    // A report, not a commit point: replaced atomically, never fsynced.
    write_replace(fs, path, text.as_bytes()).map_err(|e| StateError::io(path, e))
}

/// Writes a run's textfile to `--metrics-file` when given, else to the state directory's file;
/// a failure only warns (metrics never turn a run into a failure).
pub fn publish(override_path: Option<&Path>, default: &Path, text: &str, events: &Events) {
    let path = override_path.unwrap_or(default);
    if let Err(e) = write_metrics_file(&RealFs, path, text) {
        events.warn(
            "metrics_not_written",
            serde_json::json!({"message": e.to_string()}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(health: Health, kind: Option<&str>) -> WatchdogMetrics {
        WatchdogMetrics {
            labels: Labels {
                app_address: "0xAb".into(),
                chain: "1".into(),
            },
            end: RunEnd {
                health,
                class: None,
                outcome: Outcome::Agreed,
            },
            divergence_kind: kind.map(str::to_string),
            head_block: Some(10),
            last_tick_timestamp_seconds: 1_795_467_600.0,
            last_success_timestamp_seconds: Some(1_795_467_600.0),
            tick_duration_seconds: 0.25,
            head_lag_blocks: Some(3),
            inputs_replayed: 4,
            liveness: None,
            sequencer_stalled: Some(false),
            l1_endpoints_agree: None,
            catchup_remaining_blocks: None,
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn every_sample_line_is_well_formed() {
        let text = render_watchdog(&metrics(Health::Failed, Some("state_mismatch")));
        for line in text.lines() {
            assert!(
                line.starts_with("# HELP ")
                    || line.starts_with("# TYPE ")
                    || line.starts_with("cartesi_watchdog_"),
                "{line}"
            );
        }
        assert!(
            text.contains("cartesi_watchdog_head_lag_blocks{app_address=\"0xAb\",chain=\"1\"} 3")
        );
        assert!(text.contains(
            "cartesi_watchdog_last_exit_info{app_address=\"0xAb\",chain=\"1\",class=\"none\",\
             outcome=\"agreed\"} 1"
        ));
    }
}
