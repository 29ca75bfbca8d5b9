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
use crate::l1::{L1Client, L1Settings};
use crate::outcome::{Done, Stop};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// After SIGTERM/SIGINT, how long submit may take to reach a safe point, and tick to finish what
/// it is doing; both stay far inside the 5 s operators are promised (and systemd's
/// `TimeoutStopSec`, Kubernetes' grace period).
pub(crate) const SUBMIT_SIGNAL_GRACE: Duration = Duration::from_secs(3);
pub(crate) const TICK_SIGNAL_GRACE: Duration = Duration::from_secs(1);

/// How a run that listens for SIGTERM/SIGINT ended.
pub(crate) enum Ended {
    Finished(Result<Done, Stop>),
    /// A signal arrived; `finished` is the work's result if it ended within the grace period.
    Interrupted {
        signal: &'static str,
        finished: Option<Result<Done, Stop>>,
    },
}

/// Runs `work` until it ends or a signal arrives; then sets `interrupted` (work checks it at its
/// safe points), emits an `interrupted` event and gives the work `grace` to end. Dropping
/// unfinished work is safe: every commit in warden is a synchronous rename.
pub(crate) async fn until_signal(
    work: impl std::future::Future<Output = Result<Done, Stop>>,
    interrupted: &AtomicBool,
    grace: Duration,
    events: &Events,
) -> Ended {
    let mut work = std::pin::pin!(work);
    let signal = tokio::select! {
        outcome = &mut work => return Ended::Finished(outcome),
        signal = shutdown_signal() => signal,
    };
    interrupted.store(true, Ordering::SeqCst);
    events.warn(
        "interrupted",
        serde_json::json!({"signal": signal, "grace_ms": grace.as_millis() as u64}),
    );
    let finished = tokio::time::timeout(grace, &mut work).await.ok();
    Ended::Interrupted { signal, finished }
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

/// The one L1 connection of a run: every endpoint given, the chain pinned (checked on each
/// endpoint's first call). No network call happens here.
pub(crate) fn connect_l1(global: &GlobalArgs, pinned_chain: Option<u64>) -> Result<L1Client, Stop> {
    L1Client::connect(&global.l1_endpoints()?, pinned_chain, L1Settings::default())
}
