//! The scheduler's batch gates (canonical-protocol §5 a–e), shared by the full fold and by
//! `submit`'s cheap accepted-frontier fold (which needs no signature work).

use super::batch::{Batch, decode_batch};
use super::ssz_error::SszError;
use alloy::primitives::Address;

/// Scheduler configuration pinned at `init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerConfig {
    pub batch_submitter: Address,
    /// A batch whose first frame, or a direct input, this many blocks old is overdue (1200).
    pub max_wait_blocks: u64,
}

/// `a − b ≥ max_wait` with saturation, the one age test the reference uses everywhere.
pub fn is_overdue(now_block: u64, since_block: u64, max_wait_blocks: u64) -> bool {
    now_block.saturating_sub(since_block) >= max_wait_blocks
}

/// Why a batch was rejected; its nonce is not consumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchRejection {
    /// Gate a.
    #[error("undecodable batch: {0}")]
    Undecodable(SszError),
    /// Gate b.
    #[error("batch nonce {found} where {expected} was expected")]
    WrongNonce { expected: u64, found: u64 },
    /// Gate d, first half.
    #[error(
        "frame {frame} has safe_block {safe_block} after the inclusion block {inclusion_block}"
    )]
    SafeBlockAfterInclusion {
        frame: usize,
        safe_block: u64,
        inclusion_block: u64,
    },
    /// Gate d, second half.
    #[error("frame {frame} has safe_block {safe_block} below the previous frame's {previous}")]
    SafeBlockDecreasing {
        frame: usize,
        safe_block: u64,
        previous: u64,
    },
}

/// The outcome of gates a–e for one batch input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateVerdict<'a> {
    Rejected(BatchRejection),
    /// Gate c: accepted and the nonce consumed, nothing executed.
    AcceptedEmpty {
        nonce: u64,
    },
    /// Gate e: skipped, nonce not consumed.
    Stale {
        nonce: u64,
        age_blocks: u64,
    },
    /// Passed every gate: execute it (gate f) and consume the nonce.
    Execute(&'a Batch),
}

/// Gates b–e over an already decoded batch (gate a is the decode itself).
pub fn batch_gates<'a>(
    batch: &'a Batch,
    inclusion_block: u64,
    expected_nonce: u64,
    max_wait_blocks: u64,
) -> GateVerdict<'a> {
    if batch.nonce != expected_nonce {
        return GateVerdict::Rejected(BatchRejection::WrongNonce {
            expected: expected_nonce,
            found: batch.nonce,
        });
    }
    let Some(first) = batch.frames.first() else {
        return GateVerdict::AcceptedEmpty { nonce: batch.nonce };
    };
    let mut previous: Option<u64> = None;
    for (frame, f) in batch.frames.iter().enumerate() {
        if f.safe_block > inclusion_block {
            return GateVerdict::Rejected(BatchRejection::SafeBlockAfterInclusion {
                frame,
                safe_block: f.safe_block,
                inclusion_block,
            });
        }
        if let Some(previous) = previous
            && f.safe_block < previous
        {
            return GateVerdict::Rejected(BatchRejection::SafeBlockDecreasing {
                frame,
                safe_block: f.safe_block,
                previous,
            });
        }
        previous = Some(f.safe_block);
    }
    if is_overdue(inclusion_block, first.safe_block, max_wait_blocks) {
        return GateVerdict::Stale {
            nonce: batch.nonce,
            age_blocks: inclusion_block - first.safe_block,
        };
    }
    GateVerdict::Execute(batch)
}

/// The batch-nonce frontier without executing anything: what `submit` needs to know which batch
/// nonce L1 will accept next. Feed it every input in L1 order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchFrontier {
    pub next_expected_batch_nonce: u64,
}

/// What the frontier fold saw of one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrontierStep {
    NotABatch,
    Rejected(BatchRejection),
    Stale { nonce: u64, age_blocks: u64 },
    Accepted { nonce: u64 },
}

impl BatchFrontier {
    pub fn observe(
        &mut self,
        config: &SchedulerConfig,
        sender: Address,
        payload: &[u8],
        inclusion_block: u64,
    ) -> FrontierStep {
        if sender != config.batch_submitter {
            return FrontierStep::NotABatch;
        }
        let batch = match decode_batch(payload) {
            Ok(batch) => batch,
            Err(e) => return FrontierStep::Rejected(BatchRejection::Undecodable(e)),
        };
        match batch_gates(
            &batch,
            inclusion_block,
            self.next_expected_batch_nonce,
            config.max_wait_blocks,
        ) {
            GateVerdict::Rejected(r) => FrontierStep::Rejected(r),
            GateVerdict::Stale { nonce, age_blocks } => FrontierStep::Stale { nonce, age_blocks },
            // At u64::MAX the canonical machine stops (tick's verdict); the frontier stays put.
            GateVerdict::AcceptedEmpty { nonce } => {
                self.next_expected_batch_nonce = self.next_expected_batch_nonce.saturating_add(1);
                FrontierStep::Accepted { nonce }
            }
            GateVerdict::Execute(batch) => {
                self.next_expected_batch_nonce = self.next_expected_batch_nonce.saturating_add(1);
                FrontierStep::Accepted { nonce: batch.nonce }
            }
        }
    }
}
