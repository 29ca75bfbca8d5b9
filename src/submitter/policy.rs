//! Which outbox batches to post now (operator-contract §5 submit step 3). Pure: the caller
//! supplies the frontier and the L1 heads. Staleness is the scheduler's own rule
//! (`canonical::scheduler::is_overdue`) measured against the L1 safe head, so submit can never
//! disagree with the fold about which batch L1 would skip as stale.

use super::outbox::OutboxBatch;
use crate::canonical::scheduler::is_overdue;
use crate::outcome::{Done, Outcome, Stop, VerdictKind};

/// The protocol timing pinned at init.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub max_wait_blocks: u64,
    pub preemptive_margin_blocks: u64,
}

impl Timing {
    /// A batch this old is posted with a warning.
    pub fn danger_blocks(&self) -> u64 {
        self.max_wait_blocks
            .saturating_sub(self.preemptive_margin_blocks)
    }
}

/// How old a batch is for L1: the scheduler's own staleness rule at the safe head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    Fresh {
        age_blocks: u64,
    },
    /// Past `max_wait − margin`: post it now, with a warning.
    Danger {
        age_blocks: u64,
    },
    /// At or past `max_wait`: L1 can never accept it.
    Stale {
        age_blocks: u64,
    },
}

impl Timing {
    /// The one staleness judgement submit and `recover`'s diagnosis share.
    pub fn staleness(&self, safe: u64, first_safe_block: u64) -> Staleness {
        let age_blocks = safe.saturating_sub(first_safe_block);
        if is_overdue(safe, first_safe_block, self.max_wait_blocks) {
            Staleness::Stale { age_blocks }
        } else if is_overdue(safe, first_safe_block, self.danger_blocks()) {
            Staleness::Danger { age_blocks }
        } else {
            Staleness::Fresh { age_blocks }
        }
    }
}

/// A batch posted inside the danger zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DangerWarning {
    pub batch_nonce: u64,
    pub age_blocks: u64,
}

/// What to post now.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Consecutive batches from the frontier.
    pub batches: Vec<OutboxBatch>,
    /// Why the selection stopped early (a gap, a batch L1 cannot take yet).
    pub hold: Option<String>,
    pub danger: Vec<DangerWarning>,
}

/// The consecutive outbox batches from `start`, stopping at the first gap or at a batch L1
/// could not accept yet. A batch the scheduler would skip as stale at the safe head can never be
/// accepted: that is the `recovery_required` verdict.
pub fn select(
    unaccepted: &[OutboxBatch],
    start: u64,
    safe: u64,
    latest: u64,
    timing: Timing,
) -> Result<Selection, Stop> {
    let mut selection = Selection::default();
    let candidates = unaccepted.iter().filter(|b| b.nonce >= start);
    for (expected, batch) in (start..).zip(candidates) {
        if batch.nonce != expected {
            selection.hold = Some(format!(
                "waiting for batch {expected}: the outbox has {} but not {expected}",
                batch.nonce
            ));
            break;
        }
        if let Some(first) = batch.first_safe_block() {
            let staleness = timing.staleness(safe, first);
            if let Staleness::Stale { age_blocks: age } = staleness {
                return Err(Stop::Verdict {
                    kind: VerdictKind::RecoveryRequired,
                    outcome: Outcome::RecoveryRequired,
                    message: format!(
                        "batch {} (first frame safe block {first}) is {age} blocks behind the L1 \
                         safe head {safe}, at or past max_wait_blocks {}: L1 can never accept \
                         it. Run `warden recover` then `warden recover flush --yes`, and have \
                         the sequencer reseal from L1",
                        batch.nonce, timing.max_wait_blocks
                    ),
                });
            }
            if let Staleness::Danger { age_blocks } = staleness {
                selection.danger.push(DangerWarning {
                    batch_nonce: batch.nonce,
                    age_blocks,
                });
            }
        }
        if let Some(last) = batch.last_safe_block()
            && last > latest
        {
            selection.hold = Some(format!(
                "batch {} references safe block {last} beyond the L1 latest block {latest}; it \
                 is posted once L1 reaches it",
                batch.nonce
            ));
            break;
        }
        selection.batches.push(batch.clone());
    }
    Ok(selection)
}

/// The outcome when nothing is sent this run.
pub fn nothing_to_send(hold: Option<String>, latest: u64, pending: u64) -> Done {
    if pending > latest {
        return Done::new(
            Outcome::Waiting,
            format!(
                "nothing new to post; {} transaction(s) of the submitter are pending (wallet \
                 nonces {latest}..{}); the next run re-checks",
                pending - latest,
                pending - 1
            ),
        );
    }
    match hold {
        Some(reason) => Done::new(Outcome::Waiting, reason),
        None => Done::new(Outcome::Idle, "nothing to post: L1 has every outbox batch"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::batch::{Batch, Frame};

    fn batch(nonce: u64, safe_block: u64) -> OutboxBatch {
        let batch = Batch {
            nonce,
            frames: vec![Frame {
                user_ops: vec![],
                safe_block,
                fee_price: 0,
            }],
        };
        OutboxBatch {
            nonce,
            path: format!("{nonce:020}.ssz").into(),
            bytes: batch.to_ssz(),
            batch,
        }
    }

    const TIMING: Timing = Timing {
        max_wait_blocks: 100,
        preemptive_margin_blocks: 30,
    };

    #[test]
    fn staleness_is_the_schedulers_rule() {
        let fresh = select(&[batch(0, 150)], 0, 249, 300, TIMING).unwrap();
        assert_eq!(fresh.batches.len(), 1);
        assert_eq!(fresh.danger.len(), 1, "age 99 is past the danger line 70");
        let stale = select(&[batch(0, 150)], 0, 250, 300, TIMING).unwrap_err();
        assert!(matches!(
            stale,
            Stop::Verdict {
                kind: VerdictKind::RecoveryRequired,
                ..
            }
        ));
    }

    #[test]
    fn gaps_and_future_safe_blocks_hold() {
        let gap = select(&[batch(0, 10), batch(2, 10)], 0, 20, 30, TIMING).unwrap();
        assert_eq!(gap.batches.len(), 1);
        assert!(gap.hold.unwrap().contains("waiting for batch 1"));
        let future = select(&[batch(5, 40)], 5, 20, 30, TIMING).unwrap();
        assert!(future.batches.is_empty());
        assert!(future.hold.unwrap().contains("beyond the L1 latest"));
    }
}
