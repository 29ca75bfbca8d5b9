//! node_exporter textfile metrics (operator-contract §6). Names, labels and the order of the
//! status states match the reference's files so existing alert rules keep working. Labels are
//! sorted and escaped; files are written to a temp file in the same directory, then renamed.

use crate::events::Events;
use crate::state::StateError;
use crate::state::fs::{Fs, RealFs, write_atomic};
use std::fmt::Write;
use std::path::Path;

/// `cartesi_watchdog_status`'s `state` label: exit 0 → ok, 1 → warning, 2 → failed.
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

/// Everything `status.prom` reports after a tick.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchdogMetrics {
    /// EIP-55 checksummed application address.
    pub app_address: String,
    /// Chain id in decimal.
    pub chain: String,
    pub health: Health,
    /// Set while an incident is latched.
    pub divergence_kind: Option<String>,
    pub head_block: Option<u64>,
    pub last_tick_timestamp_seconds: f64,
    pub last_success_timestamp_seconds: Option<f64>,
    pub tick_duration_seconds: f64,
    /// L1 safe (or finalized) head minus the head block, when L1 was reached.
    pub head_lag_blocks: Option<u64>,
    pub inputs_replayed: u64,
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

/// `{k1="v1",k2="v2"}` with keys sorted.
fn labels(pairs: &[(&str, &str)]) -> String {
    let mut sorted: Vec<_> = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let body: Vec<String> = sorted
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// One sample per state, 1 for the current one, in the reference's order (ok, warning, failed).
fn status_lines(
    out: &mut String,
    name: &str,
    help: &str,
    base: [(&str, &str); 2],
    current: Health,
) {
    header(out, name, help);
    for health in [Health::Ok, Health::Warning, Health::Failed] {
        let l = labels(&[base[0], base[1], ("state", health.as_str())]);
        let v = u8::from(current == health);
        let _ = writeln!(out, "{name}{l} {v}");
    }
}

pub fn render_watchdog(m: &WatchdogMetrics) -> String {
    let base = [
        ("app_address", m.app_address.as_str()),
        ("chain", m.chain.as_str()),
    ];
    let mut out = String::new();
    status_lines(
        &mut out,
        "cartesi_watchdog_status",
        "Current watchdog compare state (1 = active).",
        base,
        m.health,
    );
    if let Some(kind) = &m.divergence_kind {
        header(
            &mut out,
            "cartesi_watchdog_divergence_info",
            "Divergence kind from the last tick (1 = present).",
        );
        let l = labels(&[base[0], base[1], ("kind", kind.as_str())]);
        let _ = writeln!(out, "cartesi_watchdog_divergence_info{l} 1");
    }
    let l = labels(&base);
    let mut gauge = |name: &str, help: &str, value: String| {
        header(&mut out, name, help);
        let _ = writeln!(out, "{name}{l} {value}");
    };
    if let Some(block) = m.head_block {
        gauge(
            "cartesi_watchdog_head_block",
            "L1 block of the verified head checkpoint.",
            block.to_string(),
        );
    }
    gauge(
        "cartesi_watchdog_last_tick_timestamp_seconds",
        "Unix time the last tick finished.",
        number(m.last_tick_timestamp_seconds),
    );
    if let Some(ts) = m.last_success_timestamp_seconds {
        gauge(
            "cartesi_watchdog_last_success_timestamp_seconds",
            "Unix time of the last tick that exited 0.",
            number(ts),
        );
    }
    gauge(
        "cartesi_watchdog_tick_duration_seconds",
        "Wall-clock duration of the last tick.",
        format!("{:.3}", m.tick_duration_seconds),
    );
    if let Some(lag) = m.head_lag_blocks {
        gauge(
            "cartesi_watchdog_head_lag_blocks",
            "Blocks between the L1 confirmed head and the verified head.",
            lag.to_string(),
        );
    }
    gauge(
        "cartesi_watchdog_inputs_replayed",
        "Inputs re-executed by the last tick.",
        m.inputs_replayed.to_string(),
    );
    out
}

/// Everything `submit.prom` reports after a submit (`cartesi_submitter_*` only, so it never shares
/// a series with `status.prom`).
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitterMetrics {
    pub app_address: String,
    pub chain: String,
    pub health: Health,
    /// Decimal wei (u256).
    pub balance_wei: Option<String>,
    pub next_batch_nonce: Option<u64>,
    pub pending_batches: u64,
    pub oldest_unaccepted_batch_age_blocks: Option<u64>,
    pub last_run_timestamp_seconds: f64,
    pub last_success_timestamp_seconds: Option<f64>,
    pub run_duration_seconds: f64,
}

pub fn render_submitter(m: &SubmitterMetrics) -> String {
    let base = [
        ("app_address", m.app_address.as_str()),
        ("chain", m.chain.as_str()),
    ];
    let mut out = String::new();
    status_lines(
        &mut out,
        "cartesi_submitter_status",
        "Outcome of the last submit (ok = exit 0, warning = exit 1, failed = exit 2).",
        base,
        m.health,
    );
    let l = labels(&base);
    let mut gauge = |name: &str, help: &str, value: String| {
        header(&mut out, name, help);
        let _ = writeln!(out, "{name}{l} {value}");
    };
    if let Some(balance) = &m.balance_wei {
        gauge(
            "cartesi_submitter_balance_wei",
            "Balance of the batch submitter account in wei.",
            balance.clone(),
        );
    }
    if let Some(nonce) = m.next_batch_nonce {
        gauge(
            "cartesi_submitter_next_batch_nonce",
            "Next batch nonce to post (accepted frontier including unconfirmed own batches).",
            nonce.to_string(),
        );
    }
    gauge(
        "cartesi_submitter_pending_batches",
        "Outbox batches not yet accepted at the confirmed L1 head.",
        m.pending_batches.to_string(),
    );
    if let Some(age) = m.oldest_unaccepted_batch_age_blocks {
        gauge(
            "cartesi_submitter_oldest_unaccepted_batch_age_blocks",
            "Blocks between the confirmed L1 head and the oldest unaccepted batch's first frame.",
            age.to_string(),
        );
    }
    gauge(
        "cartesi_submitter_last_run_timestamp_seconds",
        "Unix time the last submit finished.",
        number(m.last_run_timestamp_seconds),
    );
    if let Some(ts) = m.last_success_timestamp_seconds {
        gauge(
            "cartesi_submitter_last_success_timestamp_seconds",
            "Unix time of the last submit that exited 0.",
            number(ts),
        );
    }
    gauge(
        "cartesi_submitter_run_duration_seconds",
        "Wall-clock duration of the last submit.",
        format!("{:.3}", m.run_duration_seconds),
    );
    out
}

pub fn write_metrics_file(fs: &dyn Fs, path: &Path, text: &str) -> Result<(), StateError> {
    write_atomic(fs, path, text.as_bytes()).map_err(|e| StateError::io(path, e))
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

    fn metrics(app: &str, chain: &str, health: Health, kind: Option<&str>) -> WatchdogMetrics {
        WatchdogMetrics {
            app_address: app.into(),
            chain: chain.into(),
            health,
            divergence_kind: kind.map(str::to_string),
            head_block: Some(10),
            last_tick_timestamp_seconds: 1_795_467_600.0,
            last_success_timestamp_seconds: Some(1_795_467_600.0),
            tick_duration_seconds: 0.25,
            head_lag_blocks: Some(3),
            inputs_replayed: 4,
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn every_sample_line_is_well_formed() {
        let text = render_watchdog(&metrics(
            "0xAb",
            "1",
            Health::Failed,
            Some("state_mismatch"),
        ));
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
    }
}
