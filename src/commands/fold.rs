//! Folding the verified input stream into the canonical machine: what tick's step 6 and
//! `recover replay` both do. A stop ends the folding but not the verification, which covers the
//! whole span before the caller concludes anything.

use crate::canonical::executor::{Executor, NativeExecutor};
use crate::canonical::liveness::Preview;
use crate::canonical::{AdvanceError, Machine};
use crate::events::{Events, Progress};
use crate::l1::L1Client;
use crate::l1::inputs::{self, Base, Flow, InputSpec, Part, Span, StreamError, Verified};
use crate::outcome::Stop;

/// A fold over a verified span.
pub(crate) struct Folded {
    /// The machine after the last input folded (stopped, when an input stopped it).
    pub machine: Machine,
    pub replayed: u64,
    /// The scheduler's view at the witness block: the machine's, moved on over the inputs
    /// beyond the target without signature work (liveness figures only).
    pub preview: Preview,
    /// What the stream proved (for the cross-check).
    pub verified: Verified,
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
    let mut preview: Option<Preview> = None;
    let verified = inputs::stream(l1, spec, base, span, |part| {
        let (end, inputs) = match part {
            Part::Upto { end, inputs } => (end, inputs),
            Part::Beyond(inputs) => {
                let preview = preview.get_or_insert_with(|| Preview::of(&executor.machine));
                inputs.iter().for_each(|input| preview.observe(input));
                return Ok(Flow::Continue);
            }
        };
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
    let preview = preview.unwrap_or_else(|| Preview::of(&executor.machine));
    Ok(Folded {
        machine: executor.machine,
        replayed,
        preview,
        verified,
    })
}
