//! The accepted batch-nonce frontier, derived from L1 (the authority) each run:
//! 1. fold the scheduler's batch gates (no signature work) over the application's inputs up to
//!    the confirmed head, from a cursor checked against its block hash;
//! 2. advance it over this submitter's own batches seen in (confirmed, latest], the reference's
//!    `decide_submit_start`: for each observed batch nonce in order, if it is the expected one,
//!    expect the next.
//!
//! Both folds read L1 through the verified input stream, so an incomplete view sends nothing.

use super::records::{FrontierCursor, SUBMITTER_RECORD_VERSION, read_frontier};
use crate::canonical::batch::decode_batch;
use crate::canonical::scheduler::{BatchFrontier, SchedulerConfig};
use crate::l1::inputs::{self, Base, Flow, InputSpec, Part, Span, StreamError};
use crate::l1::{BlockRef, L1Client};
use crate::outcome::Stop;
use crate::state::StateDir;
use crate::state::checkpoint::load_head;
use crate::state::config::Config;

/// The frontier at both heights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frontier {
    /// The cursor at the confirmed head (what is durably accepted).
    pub confirmed: FrontierCursor,
    /// The next batch nonce to post, counting own batches in (confirmed, latest].
    pub start: u64,
    /// Own batches seen in (confirmed, latest] that advanced the start.
    pub in_latest: u64,
}

/// True when L1 still has `hash` at `block` and the block is not above `confirmed`.
async fn usable(
    l1: &L1Client,
    block: u64,
    hash: alloy::primitives::B256,
    confirmed: u64,
) -> Result<bool, Stop> {
    Ok(block <= confirmed && l1.block_hash(block).await? == Some(hash))
}

fn cursor_base(cursor: &FrontierCursor) -> Base {
    Base {
        block: cursor.block,
        hash: Some(cursor.block_hash),
        input_count: cursor.input_count,
    }
}

/// Where the fold may start, and the next expected batch nonce there: the cached cursor, else
/// the verified head checkpoint, else the genesis bootstrap; each only if its block is still
/// canonical and not above `confirmed`.
async fn starting_point(
    l1: &L1Client,
    state: &StateDir,
    config: &Config,
    confirmed: u64,
) -> Result<(Base, u64), Stop> {
    // A torn or foreign cursor is only a cache: fall back to rebuilding it.
    if let Ok(Some(cursor)) = read_frontier(state)
        && usable(l1, cursor.block, cursor.block_hash, confirmed).await?
    {
        return Ok((cursor_base(&cursor), cursor.next_expected_batch_nonce));
    }
    if let Ok(head) = load_head(state)
        && usable(l1, head.head.block, head.block_hash(), confirmed).await?
    {
        let base = Base {
            block: head.head.block,
            hash: Some(head.block_hash()),
            input_count: head.machine.inputs_processed,
        };
        return Ok((base, head.machine.next_expected_batch_nonce));
    }
    if config.bootstrap.kind == "genesis" && config.bootstrap.block <= confirmed {
        let base = Base {
            block: config.bootstrap.block,
            hash: None,
            input_count: config.bootstrap.input_count,
        };
        return Ok((base, 0));
    }
    Err(Stop::transient(
        "no canonical starting point for the batch frontier (the head checkpoint is not yet \
         confirmed on L1, or was reorged); the next run retries — run `warden tick` if this \
         persists",
    ))
}

/// Folds the batch gates over (base, confirmed] through the verified input stream.
pub async fn confirmed_frontier(
    l1: &L1Client,
    state: &StateDir,
    config: &Config,
    confirmed: BlockRef,
) -> Result<FrontierCursor, Stop> {
    let (base, nonce) = starting_point(l1, state, config, confirmed.number).await?;
    if base.block == confirmed.number && base.hash == Some(confirmed.hash) {
        return Ok(FrontierCursor {
            version: SUBMITTER_RECORD_VERSION,
            block: confirmed.number,
            block_hash: confirmed.hash,
            input_count: base.input_count,
            next_expected_batch_nonce: nonce,
        });
    }
    let scheduler = SchedulerConfig {
        batch_submitter: config.batch_submitter,
        max_wait_blocks: config.max_wait_blocks,
    };
    let mut frontier = BatchFrontier {
        next_expected_batch_nonce: nonce,
    };
    let verified = inputs::stream(
        l1,
        &InputSpec::of(config),
        base,
        Span {
            target: confirmed,
            witness: confirmed,
        },
        |part| {
            if let Part::Upto { inputs, .. } = part {
                for input in &inputs {
                    frontier.observe(&scheduler, input.sender, &input.payload, input.block_number);
                }
            }
            Ok::<_, Stop>(Flow::Continue)
        },
    )
    .await?;
    Ok(FrontierCursor {
        version: SUBMITTER_RECORD_VERSION,
        block: confirmed.number,
        block_hash: confirmed.hash,
        input_count: verified.input_count,
        next_expected_batch_nonce: frontier.next_expected_batch_nonce,
    })
}

/// `decide_submit_start`: own batches in (confirmed, latest] advance the expected nonce when
/// they carry exactly it. A dropped log here would only cost a duplicate post (L1 rejects it by
/// nonce), but a run that cannot see everything should not spend fees: it is verified too. The
/// tip moves: when `latest` is replaced during the scan, the scan is redone once from a fresh
/// latest head.
pub async fn advance_over_unconfirmed(
    l1: &L1Client,
    config: &Config,
    confirmed: &FrontierCursor,
    latest: BlockRef,
) -> Result<Frontier, Stop> {
    let mut latest = latest;
    for attempt in 0..2 {
        let mut start = confirmed.next_expected_batch_nonce;
        let mut in_latest = 0;
        if latest.number > confirmed.block {
            let scanned = inputs::stream(
                l1,
                &InputSpec::of(config),
                cursor_base(confirmed),
                Span {
                    target: latest,
                    witness: latest,
                },
                |part| {
                    let Part::Upto { inputs, .. } = part else {
                        return Ok(Flow::Continue);
                    };
                    for input in &inputs {
                        if input.sender != config.batch_submitter {
                            continue;
                        }
                        if let Ok(batch) = decode_batch(&input.payload)
                            && batch.nonce == start
                        {
                            start += 1;
                            in_latest += 1;
                        }
                    }
                    Ok::<_, Stop>(Flow::Continue)
                },
            )
            .await;
            match scanned {
                Err(StreamError::Reorged { block }) if attempt == 0 && block > confirmed.block => {
                    latest = l1.latest_head().await?;
                    continue;
                }
                other => {
                    other?;
                }
            }
        }
        return Ok(Frontier {
            confirmed: *confirmed,
            start,
            in_latest,
        });
    }
    Err(Stop::transient(
        "the L1 tip kept moving while the submitter's own batches were read; the next run retries",
    ))
}
