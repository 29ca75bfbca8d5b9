//! The idle path (operator-contract §5 tick, the sequencer still at the head's block) and the
//! liveness figures every verified fold moves on. The fast path reads `head.json` and the
//! manifest alone (§4); anything it cannot decide from them goes to the path with the machine.

use super::Cycle;
use super::report::{Liveness, Observed};
use crate::canonical::Sha256Digest;
use crate::canonical::liveness::{Figures, Preview};
use crate::commands::fold::{Folded, fold};
use crate::l1::BlockRef;
use crate::l1::inputs::{self, Base, Flow, InputSpec, Part, Span, StreamError};
use crate::outcome::{Done, Outcome, Stop};
use crate::state::checkpoint::{HeadPointer, LoadedHead};

impl Cycle<'_> {
    /// The idle path, from the pointer and the manifest alone: the sequencer is still at P and
    /// still serves P's digest, P is still canonical, and the liveness figures move on over
    /// (P, confirmed head] from the manifest's scheduler seed. `None` when any of that does not
    /// hold (or the manifest has no seed, or the sequencer no digest route): the full path
    /// decides with the machine (a mismatch, a rollback, the evidence).
    pub(super) async fn idle(
        &self,
        pointer: &HeadPointer,
        served: Option<Sha256Digest>,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) -> Result<Option<Done>, Stop> {
        let (head, manifest) = (&pointer.head, &pointer.manifest);
        let (Some(seed), Some(served)) = (&manifest.scheduler, served) else {
            return Ok(None);
        };
        if served != head.state_sha256 || confirmed.number < head.block {
            return Ok(None);
        }
        let p = BlockRef {
            number: head.block,
            hash: head.block_hash,
        };
        let Some(mut preview) = Preview::of_seed(
            self.config.scheduler_config(),
            seed,
            head.block,
            head.input_count,
        ) else {
            return Ok(None);
        };
        let streamed = inputs::stream(
            self.l1,
            &InputSpec::of(self.config),
            Base {
                block: head.block,
                hash: Some(head.block_hash),
                input_count: head.input_count,
            },
            Span::new(p, confirmed),
            |part| {
                if let Part::Beyond(inputs) = part {
                    inputs.iter().for_each(|input| preview.observe(input));
                }
                Ok::<_, Stop>(Flow::Continue)
            },
        )
        .await;
        match streamed {
            Ok(_) => {}
            // P is no longer canonical: the full path rolls back or latches.
            Err(StreamError::Reorged { block }) if block == head.block => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        observed.liveness = Some(Liveness {
            figures: Figures::new(&preview, confirmed.number),
            before: seed.liveness(),
            inputs_above_sequencer: preview.inputs,
        });
        Ok(Some(Done::new(
            Outcome::Idle,
            format!(
                "the sequencer is still at block {}, with the same state",
                head.block
            ),
        )))
    }

    /// The sequencer is still at the head's block: its digest must still be the head's (a
    /// sequencer whose served state changes without its block moving is a mismatch), and the
    /// liveness figures move on over (P, confirmed head].
    pub(super) async fn unchanged(
        &self,
        head: LoadedHead,
        at: BlockRef,
        served: Sha256Digest,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) -> Result<Done, Stop> {
        let p = head.head.block;
        let folded = self.fold(&head, at, confirmed, observed).await?;
        self.liveness(&head, &folded, confirmed, observed);
        if served != head.head.state_sha256 {
            return self.mismatch(&head, folded, at, served, observed).await;
        }
        Ok(Done::new(
            Outcome::Idle,
            format!("the sequencer is still at block {p}, with the same state"),
        ))
    }

    /// Folds (P, B] from the verified input stream (the idle path: P = B).
    async fn fold(
        &self,
        head: &LoadedHead,
        target: BlockRef,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) -> Result<Folded, Stop> {
        let folded = fold(
            self.l1,
            &InputSpec::of(self.config),
            head.machine.clone(),
            Base {
                block: head.head.block,
                hash: Some(head.block_hash()),
                input_count: head.head.input_count,
            },
            Span::new(target, confirmed),
            self.events,
        )
        .await?;
        observed.inputs_replayed = folded.replayed;
        Ok(folded)
    }

    /// The liveness figures of a fold that moved on over (B, confirmed head] (not of one whose
    /// scan beyond B a catch-up cut short: those carry forward).
    pub(super) fn liveness(
        &self,
        head: &LoadedHead,
        folded: &Folded,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) {
        if folded.machine.stopped().is_none()
            && folded.verified.span.witness.number == confirmed.number
        {
            observed.liveness = Some(Liveness {
                figures: Figures::new(&folded.preview, confirmed.number),
                before: head.machine.liveness,
                inputs_above_sequencer: folded.preview.inputs,
            });
        }
    }
}
