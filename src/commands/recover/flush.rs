//! `recover flush --yes`: stale-batch recovery for the submitter key. Every wallet nonce in
//! [latest, max(pending, watermark + 1)) is replaced by a 0-value self-transfer priced at 3× the
//! current estimate (and at least 10 % + 1 wei above anything journalled at that nonce), then the
//! run waits, bounded by `--timeout`, until pending ≤ safe and safe ≥ watermark + 1. Nothing a
//! flushed batch carried can land afterwards, so the sequencer can reseal from L1.

use super::print_plan;
use crate::cli::GlobalArgs;
use crate::commands::{
    Ended, FLUSH_DEADLINE_MARGIN, SUBMIT_SIGNAL_GRACE, connect_cross_check, connect_l1,
    cross_check_failed, runtime, until_signal,
};
use crate::events::Events;
use crate::l1::L1Client;
use crate::l1::crosscheck::CrossCheck;
use crate::outcome::{Done, Outcome, Stop};
use crate::state::StateDir;
use crate::state::config::{Config, load_config};
use crate::state::fs::RealFs;
use crate::state::lock::{LockDomain, StateLock};
use crate::submitter::broadcast::{Outgoing, journal_then_broadcast, open_journal};
use crate::submitter::fees::{Fees, gwei_to_wei, plan_flush};
use crate::submitter::key::{SubmitterKey, TxPlan};
use crate::submitter::records::{Attempts, SendKind, read_attempts, read_watermark};
use alloy::primitives::U256;
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A plain transfer's gas.
const TRANSFER_GAS: u64 = 21_000;
/// The most wallet nonces one flush replaces (far above any outbox warden posts from).
const MAX_FLUSH: u64 = 4096;
const POLL: Duration = Duration::from_millis(500);

pub struct FlushArgs {
    pub key_file: Option<PathBuf>,
    pub max_fee_gwei: u64,
    pub timeout: u64,
    pub yes: bool,
}

pub fn run(global: &GlobalArgs, args: &FlushArgs, events: &Events) -> Result<Done, Stop> {
    let started = Instant::now();
    let state = global.require_state_dir()?;
    let _lock = StateLock::acquire(&state, LockDomain::Submitter)?;
    let config = load_config(&state)?;
    let key = SubmitterKey::load(args.key_file.as_deref())?;
    key.ensure_pinned(config.batch_submitter)?;
    let watermark = read_watermark(&state)?.map(|w| w.highest_wallet_nonce);
    let l1 = connect_l1(global, Some(config.chain_id))?;
    let cross = connect_cross_check(global, Some(config.chain_id))?;
    let rt = runtime()?;
    // Ctrl-C during the wait is expected: every replacement is journalled before it is sent, so
    // stopping is safe and re-running re-prices only what is still pending.
    let interrupted = crate::outcome::Halt::on_signal();
    let work = flush(
        &state,
        &config,
        &key,
        &l1,
        cross.as_ref(),
        watermark,
        args,
        events,
    );
    let deadline = global.deadline(
        started,
        Some(Duration::from_secs(args.timeout) + FLUSH_DEADLINE_MARGIN),
    );
    match rt.block_on(until_signal(
        work,
        &interrupted,
        SUBMIT_SIGNAL_GRACE,
        deadline,
        events,
    )) {
        Ended::Finished(outcome) => outcome,
        Ended::Interrupted { cause, .. } => Err(Stop::waiting(format!(
            "{}; what was sent is journalled: re-run `warden recover flush --yes` to continue",
            cause.describe()
        ))),
    }
}

#[allow(clippy::too_many_arguments)]
async fn flush(
    state: &StateDir,
    config: &Config,
    key: &SubmitterKey,
    l1: &L1Client,
    cross: Option<&CrossCheck>,
    watermark: Option<u64>,
    args: &FlushArgs,
    events: &Events,
) -> Result<Done, Stop> {
    // The RPC serves the pinned chain, before anything is signed; with cross-check endpoints,
    // they serve it too and agree on the submitter's (non-pending) nonce.
    l1.chain_id().await?;
    if let Some(cross) = cross {
        cross
            .before_signing(l1, config.batch_submitter)
            .await
            .map_err(|f| cross_check_failed(f, events))?;
    }
    let nonces = l1
        .wallet_now(config.batch_submitter, config.l1_confirmation)
        .await?;
    // Without a pending view, pending counts as latest: the watermark still names every nonce
    // warden may have broadcast.
    let end = nonces
        .pending
        .max(watermark.map_or(0, |w| w.saturating_add(1)));
    // A watermark or a pending count far above what warden ever sends is corrupt or a lie:
    // never plan millions of replacements from it.
    if end.saturating_sub(nonces.latest) > MAX_FLUSH {
        return Err(Stop::operator(format!(
            "{} wallet nonces would need replacing ({}..{end}: the pending count or \
             submitter/watermark.json is implausible); inspect the watermark and the endpoint, \
             then re-run",
            end - nonces.latest,
            nonces.latest
        )));
    }
    let to_replace: Vec<u64> = (nonces.latest..end).collect();
    let cap = gwei_to_wei(args.max_fee_gwei);
    let estimate = l1.fee_estimate().await?;
    let attempts = read_attempts(state)?;
    let mut planned = Vec::with_capacity(to_replace.len());
    for &nonce in &to_replace {
        let fees = plan_flush(attempts.at(nonce), &estimate, cap).map_err(|needed| {
            Stop::operator(format!(
                "a competitive replacement at wallet nonce {nonce} needs a max fee of {} wei, \
                 above --max-fee-gwei {} ({cap} wei); raise --max-fee-gwei and re-run (nothing \
                 was sent)",
                needed.max_fee_per_gas, args.max_fee_gwei
            ))
        })?;
        planned.push((nonce, fees));
    }
    print_plan(&json!({
        "action": if to_replace.is_empty() { "wait" } else { "flush" },
        "submitter": config.batch_submitter.to_checksum(None),
        "wallet_nonce_latest": nonces.latest,
        "wallet_nonce_pending": nonces.pending,
        "wallet_nonce_safe": nonces.confirmed,
        "pending_view": nonces.pending_view,
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
    if to_replace.is_empty() && nonces.confirmed >= end {
        return Ok(Done::new(
            Outcome::Done,
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
        let mut attempts = open_journal(&RealFs, state, last, nonces.latest)?;
        for (nonce, fees) in planned {
            replace_one(state, config, key, l1, &mut attempts, nonce, fees, events).await?;
        }
    }
    wait_until_safe(l1, config, end, Duration::from_secs(args.timeout)).await
}

/// Replaces one wallet nonce with a 0-value self-transfer.
#[allow(clippy::too_many_arguments)]
async fn replace_one(
    state: &StateDir,
    config: &Config,
    key: &SubmitterKey,
    l1: &L1Client,
    attempts: &mut Attempts,
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
    let tx = Outgoing {
        wallet_nonce: nonce,
        batch_nonce: None,
        kind: SendKind::Replaced,
        fees,
        gas_limit: TRANSFER_GAS,
        signed,
        first_sent_at: None,
        sends_before: 0,
    };
    let status = journal_then_broadcast(&RealFs, state, l1, attempts, &tx).await?;
    events.info(
        "flush_broadcast",
        json!({
            "wallet_nonce": nonce,
            "tx_hash": format!("{:#x}", tx.signed.hash),
            "max_fee_per_gas": fees.max_fee_per_gas.to_string(),
            "max_priority_fee_per_gas": fees.max_priority_fee_per_gas.to_string(),
            "status": status.as_str(),
        }),
    );
    Ok(())
}

/// Done when nothing is pending above the confirmed count and the confirmed count passed
/// `end` (the watermark + 1 at least).
async fn wait_until_safe(
    l1: &L1Client,
    config: &Config,
    end: u64,
    timeout: Duration,
) -> Result<Done, Stop> {
    let deadline = Instant::now() + timeout;
    loop {
        let nonces = l1
            .wallet_now(config.batch_submitter, config.l1_confirmation)
            .await?;
        if nonces.pending <= nonces.confirmed && nonces.confirmed >= end {
            return Ok(Done::new(
                Outcome::Done,
                format!(
                    "flushed: every submitter nonce below {end} is {}; have the sequencer reseal \
                     from L1, then run `warden submit`",
                    config.l1_confirmation.as_str()
                ),
            ));
        }
        if Instant::now() >= deadline {
            return Err(Stop::waiting(format!(
                "still waiting: pending {} / {} {} (need both at {end}); re-run `warden recover \
                 flush --yes` — it re-prices only what is still pending",
                nonces.pending,
                config.l1_confirmation.as_str(),
                nonces.confirmed
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}
