//! `recover flush --yes`: stale-batch recovery for the submitter key. Every wallet nonce in
//! [latest, max(pending, watermark + 1)) is replaced by a 0-value self-transfer priced at 3× the
//! current estimate (and at least 10 % + 1 wei above anything journalled at that nonce), then the
//! run waits, bounded by `--timeout`, until pending ≤ safe and safe ≥ watermark + 1. Nothing a
//! flushed batch carried can land afterwards, so the sequencer can reseal from L1.

use super::print_plan;
use crate::cli::GlobalArgs;
use crate::commands::{Ended, SUBMIT_SIGNAL_GRACE, l1_failure, runtime, until_signal};
use crate::events::Events;
use crate::l1::L1Client;
use crate::l1::wallet::BroadcastReply;
use crate::outcome::{Done, ErrorClass, Stop};
use crate::state::StateDir;
use crate::state::config::{Config, Confirmation, load_config};
use crate::state::fs::RealFs;
use crate::state::lock::{LockDomain, StateLock};
use crate::submitter::fees::{self, Fees, bump, gwei_to_wei};
use crate::submitter::key::{SubmitterKey, TxPlan};
use crate::submitter::records::{
    Attempt, raise_watermark, read_attempts, read_watermark, write_attempts,
};
use crate::timefmt::rfc3339_millis;
use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::primitives::U256;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// A plain transfer's gas.
const TRANSFER_GAS: u64 = 21_000;
/// Flush outbids whatever is pending by pricing at this multiple of the estimate.
const FLUSH_PRICE_FACTOR: u128 = 3;
const POLL: Duration = Duration::from_millis(500);

pub struct FlushArgs {
    pub key_file: Option<PathBuf>,
    pub max_fee_gwei: u64,
    pub timeout: u64,
    pub yes: bool,
}

/// The submitter's wallet as L1 sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WalletNonces {
    pub latest: u64,
    pub pending: u64,
    pub safe: u64,
}

pub(crate) async fn wallet_nonces(
    l1: &L1Client,
    config: &Config,
) -> Result<WalletNonces, crate::l1::L1Error> {
    let who = config.batch_submitter;
    let confirmed = match config.l1_confirmation {
        Confirmation::Safe => BlockNumberOrTag::Safe,
        Confirmation::Finalized => BlockNumberOrTag::Finalized,
    };
    let latest = l1.transaction_count(who, BlockId::latest()).await?;
    let pending = l1.transaction_count(who, BlockId::pending()).await?;
    let safe = l1
        .transaction_count(who, BlockId::Number(confirmed))
        .await?;
    Ok(WalletNonces {
        latest,
        pending: pending.max(latest),
        safe,
    })
}

pub fn run(global: &GlobalArgs, args: &FlushArgs, events: &Events) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    let _lock = StateLock::acquire(&state, LockDomain::Submitter)?;
    let config = load_config(&state)?;
    let key = SubmitterKey::load(args.key_file.as_deref())?;
    key.ensure_pinned(config.batch_submitter)?;
    let watermark = read_watermark(&state)?.map(|w| w.highest_wallet_nonce);
    let l1_urls = global.l1_endpoints()?;
    let rt = runtime()?;
    let l1 = L1Client::new(&l1_urls).map_err(|e| Stop::operator(e.0))?;
    // Ctrl-C during the wait is expected: every replacement is journalled before it is sent, so
    // stopping is safe and re-running re-prices only what is still pending.
    let interrupted = std::sync::atomic::AtomicBool::new(false);
    let work = flush(&state, &config, &key, &l1, watermark, args, events);
    match rt.block_on(until_signal(
        work,
        &interrupted,
        SUBMIT_SIGNAL_GRACE,
        events,
    )) {
        Ended::Finished(outcome) => outcome,
        Ended::Interrupted { signal, .. } => Err(Stop::NotDone {
            class: ErrorClass::Transient,
            outcome: "waiting",
            message: format!(
                "interrupted by {signal}; what was sent is journalled: re-run `warden recover \
                 flush --yes` to continue"
            ),
        }),
    }
}

async fn flush(
    state: &StateDir,
    config: &Config,
    key: &SubmitterKey,
    l1: &L1Client,
    watermark: Option<u64>,
    args: &FlushArgs,
    events: &Events,
) -> Result<Done, Stop> {
    let chain_id = l1.chain_id().await.map_err(l1_failure)?;
    if chain_id != config.chain_id {
        return Err(Stop::operator(format!(
            "the L1 RPC serves chain {chain_id} but this state directory is pinned to chain {}; \
             point --l1-rpc-url at the right network (nothing was signed)",
            config.chain_id
        )));
    }
    let nonces = wallet_nonces(l1, config).await.map_err(l1_failure)?;
    let end = nonces.pending.max(watermark.map_or(0, |w| w + 1));
    let to_replace: Vec<u64> = (nonces.latest..end).collect();
    let cap = gwei_to_wei(args.max_fee_gwei);
    let estimate = l1.fee_estimate().await.map_err(l1_failure)?;
    let attempts = read_attempts(state)?;
    let mut planned = Vec::with_capacity(to_replace.len());
    for &nonce in &to_replace {
        let mut fees = fees::scaled(&estimate, FLUSH_PRICE_FACTOR, u128::MAX);
        if let Some(previous) = attempts.at(nonce) {
            fees.max_fee_per_gas = fees
                .max_fee_per_gas
                .max(bump(previous.fees.max_fee_per_gas));
            fees.max_priority_fee_per_gas = fees
                .max_priority_fee_per_gas
                .max(bump(previous.fees.max_priority_fee_per_gas));
        }
        if fees.max_fee_per_gas > cap || fees.max_priority_fee_per_gas > cap {
            return Err(Stop::operator(format!(
                "a competitive replacement at wallet nonce {nonce} needs a max fee of {} wei, \
                 above --max-fee-gwei {} ({cap} wei); raise --max-fee-gwei and re-run (nothing \
                 was sent)",
                fees.max_fee_per_gas, args.max_fee_gwei
            )));
        }
        planned.push((nonce, fees));
    }
    print_plan(&json!({
        "action": if to_replace.is_empty() { "wait" } else { "flush" },
        "submitter": config.batch_submitter.to_checksum(None),
        "wallet_nonce_latest": nonces.latest,
        "wallet_nonce_pending": nonces.pending,
        "wallet_nonce_safe": nonces.safe,
        "watermark": watermark,
        "replace": planned.iter().map(|(n, f)| json!({
            "wallet_nonce": n,
            "max_fee_per_gas": f.max_fee_per_gas.to_string(),
            "max_priority_fee_per_gas": f.max_priority_fee_per_gas.to_string(),
        })).collect::<Vec<_>>(),
        "next": "after the flush is safe, have the sequencer reseal its batches from L1 and run \
                 `warden submit`",
        "applied": args.yes,
    }))?;
    if to_replace.is_empty() && nonces.safe >= end {
        return Ok(Done::new(
            "done",
            "nothing to flush: no submitter transaction is pending and every broadcast nonce is \
             safe",
        ));
    }
    if !to_replace.is_empty() && !args.yes {
        return Err(Stop::needs_action(format!(
            "nothing changed; re-run `warden recover flush --yes` to replace wallet nonces \
                 {}..{}",
            nonces.latest,
            end - 1
        )));
    }
    if let Some(&last) = to_replace.last() {
        raise_watermark(&RealFs, state, last)?;
    }
    let mut attempts = attempts;
    attempts.forget_below(nonces.latest);
    for (nonce, fees) in planned {
        replace_one(state, config, key, l1, &mut attempts, nonce, fees, events).await?;
    }
    wait_until_safe(l1, config, end, Duration::from_secs(args.timeout)).await
}

#[allow(clippy::too_many_arguments)]
async fn replace_one(
    state: &StateDir,
    config: &Config,
    key: &SubmitterKey,
    l1: &L1Client,
    attempts: &mut crate::submitter::records::Attempts,
    nonce: u64,
    fees: Fees,
    events: &Events,
) -> Result<(), Stop> {
    let signed = key.sign(&TxPlan {
        chain_id: config.chain_id,
        nonce,
        to: config.batch_submitter,
        value: U256::ZERO,
        data: Vec::new(),
        gas_limit: TRANSFER_GAS,
        max_fee_per_gas: fees.max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
    })?;
    let now = rfc3339_millis(SystemTime::now());
    attempts.record(Attempt {
        wallet_nonce: nonce,
        batch_nonce: None,
        tx_hash: signed.hash,
        fees,
        gas_limit: TRANSFER_GAS,
        first_sent_at: now.clone(),
        last_sent_at: now,
        sends: 1,
    });
    write_attempts(&RealFs, state, attempts)?;
    let reply = l1.broadcast(&signed.raw).await.map_err(l1_failure)?;
    let status = match reply {
        BroadcastReply::Accepted => "replaced",
        BroadcastReply::AlreadyKnown => "in_mempool",
        BroadcastReply::NonceTooLow => "already_mined",
        BroadcastReply::ReplacementUnderpriced => "underpriced",
        BroadcastReply::InsufficientFunds(message) => {
            return Err(Stop::operator(format!(
                "insufficient funds for the flush at wallet nonce {nonce} ({message}); fund the \
                 submitter {}, then re-run",
                config.batch_submitter
            )));
        }
        BroadcastReply::Rejected(message) => {
            return Err(Stop::transient(format!(
                "the node refused the flush at wallet nonce {nonce}: {message}; re-run"
            )));
        }
    };
    events.info(
        "flush_broadcast",
        json!({
            "wallet_nonce": nonce,
            "tx_hash": format!("{:#x}", signed.hash),
            "max_fee_per_gas": fees.max_fee_per_gas.to_string(),
            "max_priority_fee_per_gas": fees.max_priority_fee_per_gas.to_string(),
            "status": status,
        }),
    );
    Ok(())
}

async fn wait_until_safe(
    l1: &L1Client,
    config: &Config,
    end: u64,
    timeout: Duration,
) -> Result<Done, Stop> {
    let deadline = Instant::now() + timeout;
    loop {
        let nonces = wallet_nonces(l1, config).await.map_err(l1_failure)?;
        if nonces.pending <= nonces.safe && nonces.safe >= end {
            return Ok(Done::new(
                "done",
                format!(
                    "flushed: every submitter nonce below {end} is {}; have the sequencer reseal \
                     from L1, then run `warden submit`",
                    config.l1_confirmation.as_str()
                ),
            ));
        }
        if Instant::now() >= deadline {
            return Err(Stop::NotDone {
                class: ErrorClass::Transient,
                outcome: "waiting",
                message: format!(
                    "still waiting: pending {} / safe {} (need both at {end}); re-run `warden \
                     recover flush --yes` — it re-prices only what is still pending",
                    nonces.pending, nonces.safe
                ),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}
