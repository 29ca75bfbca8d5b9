//! Folding the verified input stream into the canonical machine: what tick's step 6 and
//! `recover replay` both do. A stop ends the folding but not the verification, which covers the
//! whole span before the caller concludes anything.

use crate::canonical::executor::{Executor, NativeExecutor};
use crate::canonical::{AdvanceError, Machine};
use crate::events::{Events, Progress};
use crate::l1::L1Client;
use crate::l1::inputs::{self, Base, Flow, InputSpec, Span, StreamError};
use crate::outcome::Stop;

/// A fold over a verified span.
pub(crate) struct Folded {
    /// The machine after the last input folded (stopped, when an input stopped it).
    pub machine: Machine,
    pub replayed: u64,
}

/// Streams (base, span.target] into `machine` (which must be at `base`), reporting progress.
pub(crate) async fn fold(
    l1: &L1Client,
    spec: &InputSpec,
    machine: Machine,
    base: Base,
    span: Span,
    events: &Events,
) -> Result<Folded, StreamError<Stop>> {
    let mut executor = NativeExecutor::new(machine);
    let mut progress = Progress::new(events, span.target.number - base.block);
    let mut replayed = 0u64;
    inputs::stream(l1, spec, base, span, |end, inputs| {
        let outcome = executor.advance_window(&inputs);
        replayed += outcome.reports.len() as u64;
        match outcome.error {
            Some(AdvanceError::Stopped(_)) => return Ok(Flow::Enough),
            Some(other) => {
                return Err(Stop::transient(format!(
                    "the L1 view is inconsistent: {other}; the next run retries"
                )));
            }
            None => {}
        }
        progress.update(end - base.block, replayed);
        Ok(Flow::Continue)
    })
    .await?;
    Ok(Folded {
        machine: executor.machine,
        replayed,
    })
}
