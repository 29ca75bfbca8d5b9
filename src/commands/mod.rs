//! One module per subcommand; each exposes one entry that returns a typed outcome.

mod bootstrap;
mod fold;
pub mod init;
pub mod inspect;
pub mod recover;
pub mod snapshot;
pub mod status;
pub mod submit;
pub mod tick;

use crate::cli::GlobalArgs;
use crate::events::Events;
use crate::l1::crosscheck::{CheckFailure, CrossCheck};
use crate::l1::{L1Client, L1Settings};
use crate::outcome::{Deadline, Done, Halt, Stop};
use std::time::Duration;

/// After SIGTERM/SIGINT, how long submit may take to reach a safe point, and tick to finish what
/// it is doing; both stay far inside the 5 s operators are promised (and systemd's
/// `TimeoutStopSec`, Kubernetes' grace period).
pub(crate) const SUBMIT_SIGNAL_GRACE: Duration = Duration::from_secs(3);
pub(crate) const TICK_SIGNAL_GRACE: Duration = Duration::from_secs(3);
/// After the deadline, how long work may take to reach a safe point (at most the signal grace):
/// a deadline is a budget, so the run overruns it by little (a catch-up already stopped early
/// enough to save its progress within it).
pub(crate) const DEADLINE_GRACE: Duration = Duration::from_secs(1);

/// Default deadlines (operator-contract §8), inside the shipped units' timeouts.
pub(crate) const TICK_DEADLINE: Duration = Duration::from_secs(25 * 60);
pub(crate) const SUBMIT_DEADLINE: Duration = Duration::from_secs(8 * 60);
pub(crate) const SNAPSHOT_DEADLINE: Duration = Duration::from_secs(10 * 60);
/// `recover flush`: its `--timeout` plus this.
pub(crate) const FLUSH_DEADLINE_MARGIN: Duration = Duration::from_secs(60);

/// Why a run stopped before its work finished.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Interruption {
    Signal(&'static str),
    Deadline(Deadline),
}

impl Interruption {
    /// "interrupted by SIGTERM" / "the run's deadline (25m) passed".
    pub(crate) fn describe(&self) -> String {
        match self {
            Interruption::Signal(signal) => format!("interrupted by {signal}"),
            Interruption::Deadline(deadline) => format!("{} passed", deadline.describe()),
        }
    }
}

/// How a run that listens for SIGTERM/SIGINT and its deadline ended.
pub(crate) enum Ended {
    Finished(Result<Done, Stop>),
    /// `finished` is the work's result if it ended within the grace period.
    Interrupted {
        cause: Interruption,
        finished: Option<Result<Done, Stop>>,
    },
}

/// Runs `work` until it ends, a signal arrives or the deadline passes; then requests `halt`
/// (work checks it at its safe points), emits an `interrupted` event and gives the work `grace`
/// after a signal, [`DEADLINE_GRACE`] (or less) after the deadline, to end. Dropping unfinished
/// work is safe: every commit in warden is a synchronous rename.
pub(crate) async fn until_signal(
    work: impl std::future::Future<Output = Result<Done, Stop>>,
    halt: &Halt,
    grace: Duration,
    deadline: Option<Deadline>,
    events: &Events,
) -> Ended {
    let mut work = std::pin::pin!(work);
    let expiry = async {
        match deadline {
            Some(d) => {
                tokio::time::sleep_until(tokio::time::Instant::from_std(d.at)).await;
                Interruption::Deadline(d)
            }
            None => std::future::pending().await,
        }
    };
    let cause = tokio::select! {
        outcome = &mut work => return Ended::Finished(outcome),
        signal = shutdown_signal() => Interruption::Signal(signal),
        cause = expiry => cause,
    };
    halt.request();
    let (signal, deadline_ms, grace) = match cause {
        Interruption::Signal(signal) => (signal, None, grace),
        Interruption::Deadline(d) => (
            "deadline",
            Some(d.limit.as_millis() as u64),
            grace.min(DEADLINE_GRACE),
        ),
    };
    events.warn(
        "interrupted",
        serde_json::json!({
            "signal": signal,
            "deadline_ms": deadline_ms,
            "grace_ms": grace.as_millis() as u64,
        }),
    );
    let finished = tokio::time::timeout(grace, &mut work).await.ok();
    Ended::Interrupted { cause, finished }
}

/// Runs `work` within the deadline, if any (commands without safe points to reach: the work is
/// dropped, nothing is committed but by a synchronous rename).
pub(crate) async fn within<T>(
    deadline: Option<Deadline>,
    work: impl std::future::Future<Output = Result<T, Stop>>,
) -> Result<T, Stop> {
    match deadline {
        None => work.await,
        Some(d) => tokio::time::timeout(d.remaining(), work)
            .await
            .unwrap_or_else(|_| {
                Err(Stop::transient(format!(
                    "{} passed; nothing was committed by the unfinished work — re-run, or raise \
                     --deadline",
                    d.describe()
                )))
            }),
    }
}

async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without handlers the default disposition applies; never resolve.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}

/// A current-thread runtime for one run (a one-shot CLI needs no thread pool for I/O).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Stop> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Stop::internal(format!("cannot start the async runtime: {e}")))
}

/// Writes a run record (`last_tick.json`, `last_submit.json`); a failure only warns. Returns
/// what was written, for the metrics' last-success time.
pub(crate) fn record_run<D: serde::Serialize>(
    path: &std::path::Path,
    result: &Result<Done, Stop>,
    started: std::time::Instant,
    details: D,
    events: &Events,
) -> Option<crate::state::records::RunRecord<D>> {
    match crate::state::records::write_run_record(
        &crate::state::fs::RealFs,
        path,
        result,
        started,
        details,
    ) {
        Ok(record) => Some(record),
        Err(e) => {
            events.warn(
                "run_record_not_written",
                serde_json::json!({"path": path.display().to_string(), "message": e.to_string()}),
            );
            None
        }
    }
}

/// The cross-check endpoints of a run (`--l1-cross-check-url`), when any.
pub(crate) fn connect_cross_check(
    global: &GlobalArgs,
    pinned_chain: Option<u64>,
) -> Result<Option<CrossCheck>, Stop> {
    CrossCheck::connect(
        &global.l1_cross_check_endpoints()?,
        pinned_chain,
        l1_settings(global),
    )
}

/// A cross-check that did not pass: the `l1_endpoints_disagree` event, and exit 1.
pub(crate) fn cross_check_failed(failure: CheckFailure, events: &Events) -> Stop {
    match failure {
        CheckFailure::Disagree(d) => {
            events.warn("l1_endpoints_disagree", d.event());
            d.stop()
        }
        CheckFailure::L1(e) => Stop::from(e).context("a cross-check L1 endpoint"),
    }
}

fn l1_settings(global: &GlobalArgs) -> L1Settings {
    L1Settings {
        max_response_bytes: global.max_response_bytes,
        ..L1Settings::default()
    }
}

/// The one L1 connection of a run: every endpoint given, the chain pinned (checked on each
/// endpoint's first call). No network call happens here.
pub(crate) fn connect_l1(global: &GlobalArgs, pinned_chain: Option<u64>) -> Result<L1Client, Stop> {
    L1Client::connect(&global.l1_endpoints()?, pinned_chain, l1_settings(global))
}
