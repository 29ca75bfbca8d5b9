//! The accepted batch-nonce frontier, derived from L1 (the authority) each run:
//! 1. fold the scheduler's batch gates (no signature work) over the application's inputs up to
//!    the confirmed head, from a cursor checked against its block hash;
//! 2. advance it over this submitter's own batches seen in (confirmed, latest], the reference's
//!    `decide_submit_start`: for each observed batch nonce in order, if it is the expected one,
//!    expect the next.

use super::records::{FrontierCursor, SUBMITTER_RECORD_VERSION, read_frontier};
use crate::canonical::batch::decode_batch;
use crate::canonical::input::InputExpectation;
use crate::canonical::scheduler::{BatchFrontier, SchedulerConfig};
use crate::l1::logs::{ScanError, scan};
use crate::l1::{L1Client, log_to_input};
use crate::outcome::Stop;
use crate::state::StateDir;
use crate::state::checkpoint::load_head;
use crate::state::config::Config;
use alloy::eips::BlockId;
use alloy::primitives::{B256, U256};

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

enum FoldError {
    Scan(ScanError),
    Input(String),
}

impl From<ScanError> for FoldError {
    fn from(e: ScanError) -> Self {
        FoldError::Scan(e)
    }
}

fn fold_failure(e: FoldError) -> Stop {
    match e {
        FoldError::Scan(e) => Stop::transient(format!(
            "{e}; the next run retries (if the provider caps ranges with another error code, add \
             it to --long-range-error-codes at init)"
        )),
        FoldError::Input(e) => Stop::transient(format!(
            "the L1 view is inconsistent: {e}; the next run retries"
        )),
    }
}

fn l1_failure(e: crate::l1::L1Error) -> Stop {
    crate::commands::l1_failure(e)
}

/// Where the fold may start: the cached cursor, else the verified head checkpoint, else the
/// genesis bootstrap; each only if its block is still canonical and not above `confirmed`.
async fn base_cursor(
    l1: &L1Client,
    state: &StateDir,
    config: &Config,
    confirmed: u64,
) -> Result<FrontierCursor, Stop> {
    let canonical = |block: u64, hash: B256| async move {
        if block > confirmed {
            return Ok(false);
        }
        Ok::<bool, Stop>(l1.block_hash(block).await.map_err(l1_failure)? == Some(hash))
    };
    // A torn or foreign cursor is only a cache: fall back to rebuilding it.
    if let Ok(Some(cursor)) = read_frontier(state)
        && canonical(cursor.block, cursor.block_hash).await?
    {
        return Ok(cursor);
    }
    if let Ok(head) = load_head(state) {
        let hash = head.block_hash();
        if canonical(head.head.block, hash).await? {
            return Ok(FrontierCursor {
                version: SUBMITTER_RECORD_VERSION,
                block: head.head.block,
                block_hash: hash,
                input_count: head.machine.inputs_processed,
                next_expected_batch_nonce: head.machine.next_expected_batch_nonce,
            });
        }
    }
    if config.bootstrap.kind == "genesis" && config.bootstrap.block <= confirmed {
        let hash = l1
            .block_hash(config.bootstrap.block)
            .await
            .map_err(l1_failure)?
            .ok_or_else(|| {
                Stop::transient(format!(
                    "the L1 node has no block {} (the bootstrap block); the next run retries",
                    config.bootstrap.block
                ))
            })?;
        return Ok(FrontierCursor {
            version: SUBMITTER_RECORD_VERSION,
            block: config.bootstrap.block,
            block_hash: hash,
            input_count: config.bootstrap.input_count,
            next_expected_batch_nonce: 0,
        });
    }
    Err(Stop::transient(
        "no canonical starting point for the batch frontier (the head checkpoint is not yet \
         confirmed on L1, or was reorged); the next run retries — run `warden tick` if this \
         persists",
    ))
}

/// `getNumberOfInputs(app)` at `at` must equal the inputs the scan saw.
async fn require_witness(
    l1: &L1Client,
    config: &Config,
    at: BlockId,
    block: u64,
    seen: u64,
) -> Result<(), Stop> {
    let witness = l1
        .number_of_inputs(config.input_box, config.app, at)
        .await
        .map_err(l1_failure)?;
    if witness != seen {
        return Err(Stop::transient(format!(
            "the L1 view is incomplete: getNumberOfInputs at block {block} is {witness} but \
             {seen} inputs were seen; the next run retries (try another --l1-rpc-url if this \
             persists)"
        )));
    }
    Ok(())
}

/// Streams the application's inputs over (after, to] into `visit`, checking each against its
/// log and the contiguous index from `next_index`, then the completeness witness at `witness_at`.
/// Returns the input count after `to`.
async fn for_each_input(
    l1: &L1Client,
    config: &Config,
    after: u64,
    to: u64,
    next_index: u64,
    witness_at: BlockId,
    mut visit: impl FnMut(&crate::canonical::Input),
) -> Result<u64, Stop> {
    let mut expectation = InputExpectation {
        chain_id: U256::from(config.chain_id),
        app: config.app,
        next_index,
    };
    let mut source = l1.input_logs(config.input_box, config.app);
    scan::<FoldError>(
        &mut source,
        after + 1,
        to,
        config.max_log_range,
        &config.long_range_error_codes,
        |_, _, logs| {
            for log in &logs {
                let input = log_to_input(log, &expectation).map_err(FoldError::Input)?;
                expectation.next_index += 1;
                visit(&input);
            }
            Ok(())
        },
    )
    .await
    .map_err(fold_failure)?;
    require_witness(l1, config, witness_at, to, expectation.next_index).await?;
    Ok(expectation.next_index)
}

/// Folds the batch gates over (base, confirmed] and checks the completeness witness.
pub async fn confirmed_frontier(
    l1: &L1Client,
    state: &StateDir,
    config: &Config,
    confirmed: (u64, B256),
) -> Result<FrontierCursor, Stop> {
    let (block, hash) = confirmed;
    let base = base_cursor(l1, state, config, block).await?;
    if base.block == block {
        return Ok(base);
    }
    let scheduler = SchedulerConfig {
        batch_submitter: config.batch_submitter,
        max_wait_blocks: config.max_wait_blocks,
    };
    let mut frontier = BatchFrontier {
        next_expected_batch_nonce: base.next_expected_batch_nonce,
    };
    let input_count = for_each_input(
        l1,
        config,
        base.block,
        block,
        base.input_count,
        BlockId::hash(hash),
        |input| {
            frontier.observe(&scheduler, input.sender, &input.payload, input.block_number);
        },
    )
    .await?;
    Ok(FrontierCursor {
        version: SUBMITTER_RECORD_VERSION,
        block,
        block_hash: hash,
        input_count,
        next_expected_batch_nonce: frontier.next_expected_batch_nonce,
    })
}

/// `decide_submit_start`: own batches in (confirmed, latest] advance the expected nonce when
/// they carry exactly it.
pub async fn advance_over_unconfirmed(
    l1: &L1Client,
    config: &Config,
    confirmed: &FrontierCursor,
    latest: u64,
) -> Result<Frontier, Stop> {
    let mut start = confirmed.next_expected_batch_nonce;
    let mut in_latest = 0;
    // A dropped log here would only cost a duplicate post (L1 rejects it by nonce), but a run
    // that cannot see everything should not spend fees: the same completeness witness applies.
    for_each_input(
        l1,
        config,
        confirmed.block,
        latest,
        confirmed.input_count,
        BlockId::number(latest),
        |input| {
            if input.sender != config.batch_submitter {
                return;
            }
            if let Ok(batch) = decode_batch(&input.payload)
                && batch.nonce == start
            {
                start += 1;
                in_latest += 1;
            }
        },
    )
    .await?;
    Ok(Frontier {
        confirmed: *confirmed,
        start,
        in_latest,
    })
}
