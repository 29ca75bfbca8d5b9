//! Step 3's regression and step 5's reorg handling: whether the head's block is still canonical,
//! the rollback when it is not, and the two verdicts these checks can reach. Each verdict is
//! taken only on a view re-checked in the same run.

use super::report::Observed;
use super::{Checked, Cycle};
use crate::l1::BlockRef;
use crate::outcome::{Done, Outcome, Stop, VerdictKind};
use crate::state::checkpoint::LoadedHead;
use crate::state::fs::RealFs;
use crate::state::latch::Divergence;
use crate::state::rollback;
use crate::timefmt::rfc3339_millis;
use serde_json::json;
use std::time::SystemTime;

impl Cycle<'_> {
    /// Step 3, the sequencer below the head: idle at the bootstrap block, a rollback when the
    /// head was reorged out from under it, else `inclusion_block_regressed`.
    pub(super) async fn regressed(
        &self,
        head: LoadedHead,
        polled: u64,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) -> Result<Done, Stop> {
        let bootstrap = &self.config.bootstrap;
        if head.head.block == bootstrap.block && head.head.input_count == bootstrap.input_count {
            return Ok(Done::new(
                Outcome::Idle,
                format!(
                    "the sequencer (block {polled}) has not reached the bootstrap block {}",
                    bootstrap.block
                ),
            ));
        }
        let head = match self.canonical_head(head, confirmed, observed).await? {
            Checked::RolledBack(head) if polled >= head.head.block => {
                observed.head_block = Some(head.head.block);
                return Ok(Done::new(
                    Outcome::Idle,
                    format!(
                        "rolled back over an L1 reorg to block {}; the sequencer is at {polled}",
                        head.head.block
                    ),
                ));
            }
            Checked::Kept(head) | Checked::RolledBack(head) => head,
        };
        observed.head_block = Some(head.head.block);
        // The verdict rests on the head's block being canonical: the cross-check agrees.
        self.confirm_hashes(&head, observed).await?;
        let record = Divergence {
            message: format!(
                "the sequencer's finalized block went back from {} to {polled}",
                head.head.block
            ),
            ..self.record(&head, VerdictKind::InclusionBlockRegressed, polled)
        };
        Err(self.latch(record, observed))
    }

    /// Step 5: is the head's block still canonical on an endpoint whose confirmed head is at or
    /// above it? If not, roll back to the newest retained checkpoint that is; with none left,
    /// and the view re-checked, latch `l1_reorg_below_head`.
    pub(super) async fn canonical_head(
        &self,
        head: LoadedHead,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) -> Result<Checked, Stop> {
        let p = head.head.block;
        if confirmed.number < p {
            return Err(Stop::transient(format!(
                "the L1 {} head {} is below the verified head {p}: the endpoint lags; the next \
                 run retries",
                self.config.l1_confirmation.as_str(),
                confirmed.number
            )));
        }
        // One node's view for the whole decision (as for any multi-request proof).
        let l1 = &self.l1.single();
        match l1.block_hash(p).await? {
            Some(hash) if hash == head.block_hash() => return Ok(Checked::Kept(head)),
            Some(_) => {}
            None => {
                return Err(Stop::transient(format!(
                    "the L1 node cannot return the head block {p}; the next run retries"
                )));
            }
        }
        // Rollback deletes checkpoints and a verdict pages: both need a stable view, the
        // confirmed head unchanged and P still replaced.
        let stable = l1.block_hash(confirmed.number).await? == Some(confirmed.hash)
            && l1
                .block_hash(p)
                .await?
                .is_some_and(|h| h != head.block_hash());
        if !stable {
            return Err(Stop::transient(
                "L1 changed while the head's canonicality was checked; the next run retries",
            ));
        }
        // A rollback and a reorg verdict rest on these hashes: the cross-check agrees.
        self.confirm_hashes(&head, observed).await?;
        let rolled = rollback::roll_back(
            &RealFs,
            self.state,
            &head,
            &rfc3339_millis(SystemTime::now()),
            |block, hash| async move {
                match l1.block_hash(block).await? {
                    Some(found) => Ok::<_, Stop>(found == hash),
                    None => Err(Stop::transient(format!(
                        "the L1 node cannot return block {block} (a retained checkpoint's); the \
                         next run retries"
                    ))),
                }
            },
        )
        .await?;
        if let Some(new_head) = rolled {
            self.events.warn(
                "reorg_rollback",
                json!({
                    "from_block": p,
                    "to_block": new_head.head.block,
                    "message": "the head block is no longer canonical on L1; rolled back",
                }),
            );
            return Ok(Checked::RolledBack(new_head));
        }
        let record = Divergence {
            message: format!(
                "the head block {p} is no longer canonical and no retained checkpoint is"
            ),
            ..self.record(&head, VerdictKind::L1ReorgBelowHead, p)
        };
        Err(self.latch(record, observed))
    }
}
