//! Step 7: compare the canonical digest with the sequencer's; publish the new head on
//! agreement (after the cross-check), latch `state_mismatch` and collect evidence otherwise.

use super::Cycle;
use super::evidence;
use super::report::Observed;
use crate::canonical::Sha256Digest;
use crate::canonical::codec::encode_machine;
use crate::canonical::liveness::SchedulerSeed;
use crate::commands::fold::Folded;
use crate::l1::BlockRef;
use crate::outcome::{Done, Outcome, Stop, VerdictKind};
use crate::state::checkpoint::{CheckpointMeta, LoadedHead, publish_seeded};
use crate::state::fs::RealFs;
use crate::state::latch::Divergence;
use crate::timefmt::rfc3339_millis;
use serde_json::json;
use std::time::SystemTime;

impl Cycle<'_> {
    /// Step 7.
    pub(super) async fn compare(
        &self,
        head: &LoadedHead,
        mut folded: Folded,
        target: BlockRef,
        served: Sha256Digest,
        observed: &mut Observed,
    ) -> Result<Done, Stop> {
        folded.machine.advance_to_block(target.number);
        let canonical = Sha256Digest(folded.machine.state_sha256());
        if canonical != served {
            return self.mismatch(head, folded, target, served, observed).await;
        }
        // The head flips only on a view the cross-check endpoints confirm too.
        self.confirm_inputs(&folded, observed).await?;
        let inputs = folded.machine.inputs_processed;
        let machine_bytes =
            encode_machine(&folded.machine).map_err(|e| Stop::internal(e.to_string()))?;
        let (new_head, leftovers) = publish_seeded(
            &RealFs,
            self.state,
            CheckpointMeta {
                block: target.number,
                block_hash: target.hash,
                input_count: inputs,
            },
            SchedulerSeed::of(&folded.machine),
            &machine_bytes,
            canonical,
            self.args.keep as usize,
            &rfc3339_millis(SystemTime::now()),
        )?;
        if !leftovers.is_empty() {
            self.events
                .warn("gc_incomplete", json!({"paths": leftovers}));
        }
        observed.head_block = Some(new_head.block);
        Ok(Done::new(
            Outcome::Agreed,
            format!(
                "agreed at block {} ({inputs} inputs, {} replayed), state sha256 {canonical}",
                target.number, observed.inputs_replayed
            ),
        ))
    }

    /// Latches `state_mismatch` at `target`, then collects the evidence.
    pub(super) async fn mismatch(
        &self,
        head: &LoadedHead,
        folded: Folded,
        target: BlockRef,
        served: Sha256Digest,
        observed: &mut Observed,
    ) -> Result<Done, Stop> {
        self.confirm_inputs(&folded, observed).await?;
        let canonical_bytes = folded.machine.state_bytes();
        let canonical = Sha256Digest::of(&canonical_bytes);
        let record = Divergence {
            canonical_sha256: Some(canonical),
            sequencer_sha256: Some(served),
            message: format!(
                "state mismatch at block {}: canonical {canonical}, sequencer {served}",
                target.number
            ),
            ..self.record(head, VerdictKind::StateMismatch, target.number)
        };
        let verdict = self.latch(record, observed);
        evidence::mismatch(
            self.state,
            self.sequencer,
            target.number,
            &canonical_bytes,
            self.events,
        )
        .await;
        Err(verdict)
    }
}
