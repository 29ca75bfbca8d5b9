//! One module per subcommand; each exposes one entry that returns a typed outcome.

pub mod init;
pub mod inspect;
pub mod recover;
pub mod snapshot;
pub mod status;
pub mod submit;
pub mod tick;

use crate::outcome::Stop;

/// A current-thread runtime for one run (a one-shot CLI needs no thread pool for I/O).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Stop> {
    crate::l1::install_crypto_provider();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Stop::internal(format!("cannot start the async runtime: {e}")))
}

pub(crate) fn l1_failure(e: crate::l1::L1Error) -> Stop {
    Stop::transient(format!(
        "L1 RPC: {e}; the next run retries (check the endpoint if this persists)"
    ))
}

pub(crate) fn sequencer_failure(e: crate::sequencer::SequencerError) -> Stop {
    Stop::transient(format!(
        "{e}; the next run retries (check the sequencer if this persists)"
    ))
}
