//! `warden submit`: posts the sequencer's sealed batches to the InputBox with L1 as the authority
//! (operator-contract §5 submit). Every run re-derives what L1 accepted, so it is safe to kill at
//! any moment and to repeat:
//! 1. submitter lock, identity checks (chain id, key = pinned submitter) before any signing;
//! 2. the batch frontier from L1 (`submitter::frontier`);
//! 3. the outbox from that nonce, consecutive, with the staleness verdict;
//! 4. watermark raised and fsynced, then EIP-1559 sends at consecutive wallet nonces from the
//!    `latest` count (a re-send is identical until `--timeout`, then a ≥ 10 % replacement);
//! 5. a bounded wait for confirmations; SIGTERM/SIGINT stops new broadcasts and exits 1.

use super::{Ended, SUBMIT_SIGNAL_GRACE, l1_failure, runtime, until_signal};
use crate::cli::{GlobalArgs, SubmitArgs};
use crate::events::Events;
use crate::l1::L1Client;
use crate::l1::wallet::{BroadcastReply, FeeEstimate};
use crate::metrics::{Health, SubmitterMetrics, render_submitter, write_metrics_file};
use crate::outcome::{Done, Stop, Summary};
use crate::state::StateDir;
use crate::state::config::{Config, Confirmation, load_config};
use crate::state::fs::RealFs;
use crate::state::lock::{LockDomain, StateLock};
use crate::submitter::fees::{self, Fees, gwei_to_wei};
use crate::submitter::frontier::{Frontier, advance_over_unconfirmed, confirmed_frontier};
use crate::submitter::key::{SignedTx, SubmitterKey, TxPlan};
use crate::submitter::outbox::{self, OutboxBatch};
use crate::submitter::records::{
    Attempt, LastSubmit, ReportedTx, SUBMITTER_RECORD_VERSION, raise_watermark, read_attempts,
    read_last_submit, write_attempts, write_frontier, write_last_submit,
};
use crate::timefmt::{parse_rfc3339, rfc3339_millis};
use alloy::eips::BlockId;
use alloy::primitives::U256;
use alloy::sol;
use alloy::sol_types::SolCall;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

sol! {
    function addInput(address appContract, bytes payload) returns (bytes32);
}

/// Confirmation polling interval.
const POLL: Duration = Duration::from_millis(500);
/// Head-room over `eth_estimateGas` (the input count grows between estimate and inclusion).
const GAS_MARGIN_PERCENT: u64 = 25;

/// What the run learned, for `last_submit.json` and `submit.prom` whatever the outcome.
#[derive(Debug, Default)]
struct Observed {
    config: Option<Config>,
    outbox: String,
    accepted_below: Option<u64>,
    accepted_nonces: Vec<u64>,
    pending_nonces: Vec<u64>,
    next_batch_nonce: Option<u64>,
    balance: Option<U256>,
    oldest_unaccepted_age: Option<u64>,
    transactions: Vec<ReportedTx>,
}

pub fn run(global: &GlobalArgs, args: &SubmitArgs, events: &Events) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    if args.dry_run {
        // A dry run changes nothing, so it takes no lock and writes no record.
        let mut observed = Observed::default();
        return submit(&state, global, args, events, &mut observed);
    }
    // Contention exits at once and touches nothing, not even metrics.
    let _lock = StateLock::acquire(&state, LockDomain::Submitter)?;
    let started = Instant::now();
    let mut observed = Observed::default();
    let result = submit(&state, global, args, events, &mut observed);
    record_outcome(&state, global, &result, &observed, started, events);
    result
}

fn submit(
    state: &StateDir,
    global: &GlobalArgs,
    args: &SubmitArgs,
    events: &Events,
    observed: &mut Observed,
) -> Result<Done, Stop> {
    let config = load_config(state)?;
    observed.config = Some(config.clone());
    observed.outbox = args.outbox.display().to_string();
    // Everything that can be checked without the network is checked first.
    let key = SubmitterKey::load(args.key_file.as_deref())?;
    key.ensure_pinned(config.batch_submitter)?;
    outbox::list(&args.outbox)?;
    let l1_urls = global.l1_endpoints()?;
    let rt = runtime()?;
    let l1 = L1Client::new(&l1_urls).map_err(|e| Stop::operator(e.0))?;
    let interrupted = Arc::new(AtomicBool::new(false));
    let run = Run {
        state,
        config: &config,
        args,
        key: &key,
        l1: &l1,
        events,
        interrupted: &interrupted,
    };
    match rt.block_on(until_signal(
        run.cycle(observed),
        &interrupted,
        SUBMIT_SIGNAL_GRACE,
        events,
    )) {
        Ended::Finished(outcome) => outcome,
        // Whatever the work did in the grace period, it sent nothing after the signal; what it
        // had sent is recorded in the attempt journal and the watermark before each send.
        Ended::Interrupted { signal, .. } => Err(Stop::transient(format!(
            "interrupted by {signal}: no new broadcast after the signal; what was sent is \
             recorded, and the next run re-derives everything from L1"
        ))),
    }
}

struct Run<'a> {
    state: &'a StateDir,
    config: &'a Config,
    args: &'a SubmitArgs,
    key: &'a SubmitterKey,
    l1: &'a L1Client,
    events: &'a Events,
    interrupted: &'a AtomicBool,
}

/// One transaction this run will broadcast (or found in flight).
struct Send {
    batch: OutboxBatch,
    wallet_nonce: u64,
    fees: Fees,
    gas_limit: u64,
    /// `sent`, `resent` (identical to an earlier attempt) or `replaced`.
    kind: &'static str,
    signed: SignedTx,
    first_sent_at: Option<String>,
    sends: u32,
}

impl Run<'_> {
    async fn cycle(&self, observed: &mut Observed) -> Result<Done, Stop> {
        let (config, l1) = (self.config, self.l1);
        let chain_id = l1.chain_id().await.map_err(l1_failure)?;
        if chain_id != config.chain_id {
            return Err(Stop::operator(format!(
                "the L1 RPC serves chain {chain_id} but this state directory is pinned to chain \
                 {}; point --l1-rpc-url at the right network (nothing was signed)",
                config.chain_id
            )));
        }
        let confirmed_head = l1
            .confirmed_head(config.l1_confirmation)
            .await
            .map_err(l1_failure)?;
        let confirmed = confirmed_frontier(l1, self.state, config, confirmed_head).await?;
        if !self.args.dry_run {
            // Only a cache: losing it costs a longer fold next time, never correctness.
            if let Err(e) = write_frontier(&RealFs, self.state, &confirmed) {
                self.events.warn(
                    "frontier_cache_not_written",
                    json!({"message": e.to_string()}),
                );
            }
        }
        let latest = l1.latest_block_number().await.map_err(l1_failure)?;
        let latest = latest.max(confirmed.block);
        let frontier = advance_over_unconfirmed(l1, config, &confirmed, latest).await?;
        let submitter = config.batch_submitter;
        let wallet_latest = l1
            .transaction_count(submitter, BlockId::number(latest))
            .await
            .map_err(l1_failure)?;
        // Providers without a mempool view refuse `pending`; treating nothing as in flight is
        // safe (a send over one of ours comes back "already known" or "underpriced": waiting).
        let wallet_pending = match l1.transaction_count(submitter, BlockId::pending()).await {
            Ok(count) => count.max(wallet_latest),
            Err(e) => {
                self.events.warn(
                    "pending_nonce_unavailable",
                    json!({"message": e.0, "assumed": wallet_latest}),
                );
                wallet_latest
            }
        };
        let balance = l1
            .balance(submitter, BlockId::latest())
            .await
            .map_err(l1_failure)?;
        observed.balance = Some(balance);
        observed.next_batch_nonce = Some(frontier.start);
        observed.accepted_below = Some(confirmed.next_expected_batch_nonce);

        let files = outbox::list(&self.args.outbox)?;
        for (&nonce, _) in files.iter() {
            if nonce < confirmed.next_expected_batch_nonce {
                observed.accepted_nonces.push(nonce);
            } else {
                observed.pending_nonces.push(nonce);
            }
        }
        // Every unaccepted file must be well formed, posted now or later.
        let mut unaccepted = Vec::new();
        for (&nonce, path) in files.range(confirmed.next_expected_batch_nonce..) {
            unaccepted.push(outbox::load(nonce, path)?);
        }
        // Staleness is measured against the safe head, whatever confirmation level the frontier
        // uses (a finalized frontier lags safe, which would only delay a certain verdict).
        let safe = match config.l1_confirmation {
            Confirmation::Safe => confirmed_head.0,
            Confirmation::Finalized => {
                l1.confirmed_head(Confirmation::Safe)
                    .await
                    .map_err(l1_failure)?
                    .0
            }
        };
        observed.oldest_unaccepted_age = unaccepted
            .iter()
            .filter_map(OutboxBatch::first_safe_block)
            .map(|first| safe.saturating_sub(first))
            .max();
        let (selected, hold) = self.select(&unaccepted, &frontier, safe, latest)?;
        self.events.info(
            "frontier",
            json!({
                "confirmed_block": confirmed.block,
                "latest_block": latest,
                "accepted_below": confirmed.next_expected_batch_nonce,
                "next_batch_nonce": frontier.start,
                "own_batches_unconfirmed": frontier.in_latest,
                "wallet_nonce_latest": wallet_latest,
                "wallet_nonce_pending": wallet_pending,
                "outbox_unaccepted": unaccepted.len(),
                "to_post": selected.len(),
            }),
        );
        if selected.is_empty() {
            return Ok(self.nothing_to_send(hold, wallet_latest, wallet_pending));
        }

        let estimate = l1.fee_estimate().await.map_err(l1_failure)?;
        let sends = self
            .plan(selected, wallet_latest, wallet_pending, &estimate)
            .await?;
        let needed: U256 = sends
            .iter()
            .filter(|s| s.kind != "resent")
            .map(|s| U256::from(s.gas_limit) * U256::from(s.fees.max_fee_per_gas))
            .sum();
        if needed > balance {
            return Err(Stop::operator(format!(
                "insufficient funds: the submitter {submitter} holds {balance} wei but {} \
                 transaction(s) at the current max fee need up to {needed} wei; fund the \
                 submitter account, then re-run",
                sends.len()
            )));
        }
        if self.args.dry_run {
            return self.print_dry_run(&sends);
        }
        self.broadcast_and_wait(sends, wallet_latest, hold, observed)
            .await
    }

    /// The consecutive outbox batches from the frontier, stopping at the first gap or at a batch
    /// L1 could not accept yet; errors with the staleness verdict.
    fn select(
        &self,
        unaccepted: &[OutboxBatch],
        frontier: &Frontier,
        safe: u64,
        latest: u64,
    ) -> Result<(Vec<OutboxBatch>, Option<String>), Stop> {
        let config = self.config;
        let danger = config
            .max_wait_blocks
            .saturating_sub(config.preemptive_margin_blocks);
        let mut selected = Vec::new();
        let mut hold = None;
        let candidates = unaccepted.iter().filter(|b| b.nonce >= frontier.start);
        for (expected, batch) in (frontier.start..).zip(candidates) {
            if batch.nonce != expected {
                hold = Some(format!(
                    "waiting for batch {expected}: the outbox has {} but not {expected}",
                    batch.nonce
                ));
                break;
            }
            if let Some(first) = batch.first_safe_block() {
                let age = safe.saturating_sub(first);
                if age >= config.max_wait_blocks {
                    return Err(Stop::Verdict {
                        kind: "recovery_required",
                        outcome: "recovery_required",
                        message: format!(
                            "batch {} (first frame safe block {first}) is {age} blocks behind the \
                             L1 safe head {safe}, at or past max_wait_blocks {}: L1 can never \
                             accept it. Run `warden recover` then `warden recover flush --yes`, \
                             and have the sequencer reseal from L1",
                            batch.nonce, config.max_wait_blocks
                        ),
                    });
                }
                if age >= danger {
                    self.events.warn(
                        "stale_batch_danger",
                        json!({
                            "batch_nonce": batch.nonce,
                            "age_blocks": age,
                            "danger_threshold_blocks": danger,
                            "max_wait_blocks": config.max_wait_blocks,
                        }),
                    );
                }
            }
            if batch.last_safe_block().is_some_and(|s| s > latest) {
                hold = Some(format!(
                    "batch {} references safe block {} beyond the L1 latest block {latest}; it \
                     is posted once L1 reaches it",
                    batch.nonce,
                    batch.last_safe_block().unwrap_or_default()
                ));
                break;
            }
            selected.push(batch.clone());
        }
        Ok((selected, hold))
    }

    fn nothing_to_send(&self, hold: Option<String>, latest: u64, pending: u64) -> Done {
        if pending > latest {
            return Done::new(
                "waiting",
                format!(
                    "nothing new to post; {} transaction(s) of the submitter are pending (wallet \
                     nonces {latest}..{}); the next run re-checks",
                    pending - latest,
                    pending - 1
                ),
            );
        }
        match hold {
            Some(reason) => Done::new("waiting", reason),
            None => Done::new("idle", "nothing to post: L1 has every outbox batch"),
        }
    }

    /// Assigns wallet nonces from the `latest` count and prices each send: identical to the
    /// journalled attempt until `--timeout` has passed, then a valid replacement.
    async fn plan(
        &self,
        selected: Vec<OutboxBatch>,
        wallet_latest: u64,
        wallet_pending: u64,
        estimate: &FeeEstimate,
    ) -> Result<Vec<Send>, Stop> {
        let cap = gwei_to_wei(self.args.max_fee_gwei);
        if estimate.base_fee > cap {
            self.events.warn(
                "fee_cap_below_base_fee",
                json!({
                    "base_fee_wei": estimate.base_fee.to_string(),
                    "cap_wei": cap.to_string(),
                    "message": "transactions wait until the base fee drops below --max-fee-gwei",
                }),
            );
        }
        let attempts = read_attempts(self.state)?;
        let now = SystemTime::now();
        let timeout = Duration::from_secs(self.args.timeout);
        let mut sends = Vec::with_capacity(selected.len());
        for (i, batch) in selected.into_iter().enumerate() {
            let wallet_nonce = wallet_latest + i as u64;
            let data = addInputCall {
                appContract: self.config.app,
                payload: batch.bytes.clone().into(),
            }
            .abi_encode();
            let previous = attempts.at(wallet_nonce);
            let (fees, gas_limit, kind, first_sent_at, sends_before) = match previous {
                Some(p) if p.batch_nonce == Some(batch.nonce) => {
                    let age = parse_rfc3339(&p.last_sent_at)
                        .and_then(|t| now.duration_since(t).ok())
                        .unwrap_or(Duration::MAX);
                    if age < timeout {
                        (
                            p.fees,
                            p.gas_limit,
                            "resent",
                            Some(p.first_sent_at.clone()),
                            p.sends,
                        )
                    } else {
                        let fees = self.replacement_fees(p, estimate, cap)?;
                        // A capped replacement keeps the old fees: keep the old gas too, so it
                        // is the identical transaction ("already known"), not a weaker rival.
                        let gas = if fees == p.fees {
                            p.gas_limit
                        } else {
                            self.gas_limit(&data).await?
                        };
                        (
                            fees,
                            gas,
                            "replaced",
                            Some(p.first_sent_at.clone()),
                            p.sends,
                        )
                    }
                }
                // Another transaction of ours (another batch, a flush) holds this nonce: outbid it.
                Some(p) if wallet_nonce < wallet_pending => {
                    let fees = self.replacement_fees(p, estimate, cap)?;
                    (fees, self.gas_limit(&data).await?, "replaced", None, 0)
                }
                _ => (
                    fees::initial(estimate, cap),
                    self.gas_limit(&data).await?,
                    "sent",
                    None,
                    0,
                ),
            };
            let signed = self.key.sign(&TxPlan {
                chain_id: self.config.chain_id,
                nonce: wallet_nonce,
                to: self.config.input_box,
                value: U256::ZERO,
                data,
                gas_limit,
                max_fee_per_gas: fees.max_fee_per_gas,
                max_priority_fee_per_gas: fees.max_priority_fee_per_gas,
            })?;
            sends.push(Send {
                batch,
                wallet_nonce,
                fees,
                gas_limit,
                kind,
                signed,
                first_sent_at,
                sends: sends_before,
            });
        }
        Ok(sends)
    }

    fn replacement_fees(
        &self,
        previous: &Attempt,
        estimate: &FeeEstimate,
        cap: u128,
    ) -> Result<Fees, Stop> {
        match fees::replacement(&previous.fees, estimate, cap) {
            Ok(fees) => Ok(fees),
            Err(needed) => {
                self.events.warn(
                    "replacement_capped",
                    json!({
                        "wallet_nonce": previous.wallet_nonce,
                        "needed_max_fee_wei": needed.max_fee_per_gas.to_string(),
                        "cap_wei": cap.to_string(),
                        "message": "a valid replacement needs more than --max-fee-gwei allows; \
                                    the transaction keeps its fees and waits",
                    }),
                );
                Ok(previous.fees)
            }
        }
    }

    /// `eth_estimateGas` (which also simulates the call) plus head-room.
    async fn gas_limit(&self, data: &[u8]) -> Result<u64, Stop> {
        let estimate = self
            .l1
            .estimate_gas(self.config.batch_submitter, self.config.input_box, data)
            .await
            .map_err(l1_failure)?
            .map_err(|reason| {
                Stop::operator(format!(
                    "InputBox.addInput would revert for this batch ({reason}); check the \
                     application address and the batch size"
                ))
            })?;
        Ok(estimate + estimate * GAS_MARGIN_PERCENT / 100)
    }

    fn print_dry_run(&self, sends: &[Send]) -> Result<Done, Stop> {
        let plan: Vec<_> = sends
            .iter()
            .map(|s| {
                json!({
                    "batch_nonce": s.batch.nonce,
                    "file": s.batch.path.display().to_string(),
                    "bytes": s.batch.bytes.len(),
                    "wallet_nonce": s.wallet_nonce,
                    "tx_hash": format!("{:#x}", s.signed.hash),
                    "gas_limit": s.gas_limit,
                    "max_fee_per_gas": s.fees.max_fee_per_gas.to_string(),
                    "max_priority_fee_per_gas": s.fees.max_priority_fee_per_gas.to_string(),
                    "kind": s.kind,
                    "simulated": "ok",
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&json!({"dry_run": true, "transactions": plan}))
            .map_err(|e| Stop::internal(format!("cannot render the plan: {e}")))?;
        println!("{text}");
        Ok(Done::new(
            "idle",
            format!(
                "dry run: {} transaction(s) built, signed and simulated; nothing was sent",
                sends.len()
            ),
        ))
    }

    async fn broadcast_and_wait(
        &self,
        sends: Vec<Send>,
        wallet_latest: u64,
        hold: Option<String>,
        observed: &mut Observed,
    ) -> Result<Done, Stop> {
        let fs = RealFs;
        let highest = wallet_latest + sends.len() as u64 - 1;
        // The commit point before any broadcast: recover flush must know every nonce in flight.
        raise_watermark(&fs, self.state, highest)?;
        let mut attempts = read_attempts(self.state)?;
        attempts.forget_below(wallet_latest);
        let mut waiting_reasons = Vec::new();
        let mut sent = Vec::new();
        for send in &sends {
            if self.interrupted.load(Ordering::SeqCst) {
                break;
            }
            let now = rfc3339_millis(SystemTime::now());
            // Journal first: a kill between here and the broadcast leaves a record that the next
            // run re-sends identically, never a transaction nobody knows about.
            attempts.record(Attempt {
                wallet_nonce: send.wallet_nonce,
                batch_nonce: Some(send.batch.nonce),
                tx_hash: send.signed.hash,
                fees: send.fees,
                gas_limit: send.gas_limit,
                first_sent_at: send.first_sent_at.clone().unwrap_or_else(|| now.clone()),
                last_sent_at: if send.kind == "resent" {
                    attempts
                        .at(send.wallet_nonce)
                        .map(|a| a.last_sent_at.clone())
                        .unwrap_or_else(|| now.clone())
                } else {
                    now.clone()
                },
                sends: send.sends + 1,
            });
            write_attempts(&fs, self.state, &attempts)?;
            let reply = self
                .l1
                .broadcast(&send.signed.raw)
                .await
                .map_err(l1_failure)?;
            let status = match &reply {
                BroadcastReply::Accepted => send.kind,
                BroadcastReply::AlreadyKnown => "in_mempool",
                BroadcastReply::ReplacementUnderpriced => {
                    waiting_reasons.push(format!(
                        "wallet nonce {} is held by a transaction our fees do not outbid yet",
                        send.wallet_nonce
                    ));
                    "underpriced"
                }
                BroadcastReply::NonceTooLow => {
                    waiting_reasons.push(format!(
                        "wallet nonce {} was used meanwhile; the next run re-derives",
                        send.wallet_nonce
                    ));
                    "nonce_used"
                }
                BroadcastReply::InsufficientFunds(message) => {
                    observed.transactions = sent;
                    return Err(Stop::operator(format!(
                        "insufficient funds to post batch {}: the node says {message:?}; fund \
                         the submitter {}, then re-run",
                        send.batch.nonce, self.config.batch_submitter
                    )));
                }
                BroadcastReply::Rejected(message) => {
                    observed.transactions = sent;
                    return Err(Stop::transient(format!(
                        "the node refused batch {} at wallet nonce {}: {message}; nothing later \
                         was sent (no nonce gap); the next run retries",
                        send.batch.nonce, send.wallet_nonce
                    )));
                }
            };
            self.events.info(
                "broadcast",
                json!({
                    "batch_nonce": send.batch.nonce,
                    "wallet_nonce": send.wallet_nonce,
                    "tx_hash": format!("{:#x}", send.signed.hash),
                    "max_fee_per_gas": send.fees.max_fee_per_gas.to_string(),
                    "max_priority_fee_per_gas": send.fees.max_priority_fee_per_gas.to_string(),
                    "status": status,
                }),
            );
            sent.push(ReportedTx {
                batch_nonce: Some(send.batch.nonce),
                wallet_nonce: send.wallet_nonce,
                tx_hash: send.signed.hash,
                status: status.to_string(),
            });
            if matches!(reply, BroadcastReply::NonceTooLow) {
                break;
            }
        }
        observed.transactions = sent.clone();
        if self.interrupted.load(Ordering::SeqCst) {
            return Err(Stop::transient("interrupted"));
        }
        let target = wallet_latest + sent.len() as u64;
        let confirmed = self.wait_for_confirmations(wallet_latest, target).await?;
        for tx in observed.transactions.iter_mut() {
            if tx.wallet_nonce < confirmed {
                tx.status = "confirmed".into();
            }
        }
        let posted: Vec<u64> = sent.iter().filter_map(|t| t.batch_nonce).collect();
        if confirmed >= target && waiting_reasons.is_empty() && hold.is_none() {
            return Ok(Done::new(
                "submitted",
                format!(
                    "posted and confirmed batch(es) {posted:?} with {} confirmation(s)",
                    self.args.confirmations
                ),
            ));
        }
        let mut reasons = waiting_reasons;
        if confirmed < target {
            reasons.push(format!(
                "{} of {} transaction(s) not confirmed within {} s; the next run re-checks and \
                 bumps fees after --timeout",
                target - confirmed,
                target - wallet_latest,
                self.args.timeout
            ));
        }
        reasons.extend(hold);
        Ok(Done::new("waiting", reasons.join("; ")))
    }

    /// Waits until every wallet nonce below `target` is `--confirmations` deep, bounded by
    /// `--timeout` and by a signal; returns the count of confirmed nonces reached.
    async fn wait_for_confirmations(&self, from: u64, target: u64) -> Result<u64, Stop> {
        let deadline = Instant::now() + Duration::from_secs(self.args.timeout);
        let depth = self.args.confirmations.max(1);
        let mut confirmed = from;
        loop {
            let latest = self.l1.latest_block_number().await.map_err(l1_failure)?;
            if latest + 1 >= depth {
                let deep = latest + 1 - depth;
                confirmed = self
                    .l1
                    .transaction_count(self.config.batch_submitter, BlockId::number(deep))
                    .await
                    .map_err(l1_failure)?;
            }
            if confirmed >= target
                || Instant::now() >= deadline
                || self.interrupted.load(Ordering::SeqCst)
            {
                return Ok(confirmed);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

fn record_outcome(
    state: &StateDir,
    global: &GlobalArgs,
    result: &Result<Done, Stop>,
    observed: &Observed,
    started: Instant,
    events: &Events,
) {
    let fs = RealFs;
    let now = SystemTime::now();
    let finished_at = rfc3339_millis(now);
    let Summary {
        code,
        outcome,
        class,
        kind,
        message,
    } = Summary::of(result);
    let previous = read_last_submit(state);
    let last_success_at = if code == 0 {
        Some(finished_at.clone())
    } else {
        previous.and_then(|p| p.last_success_at)
    };
    let record = LastSubmit {
        version: SUBMITTER_RECORD_VERSION,
        finished_at,
        exit_code: code,
        outcome: outcome.to_string(),
        class: class.map(str::to_string),
        kind: kind.map(str::to_string),
        message,
        outbox: observed.outbox.clone(),
        accepted_below: observed.accepted_below,
        accepted_nonces: observed.accepted_nonces.clone(),
        pending_nonces: observed.pending_nonces.clone(),
        transactions: observed.transactions.clone(),
        duration_ms: started.elapsed().as_millis() as u64,
        last_success_at: last_success_at.clone(),
    };
    if let Err(e) = write_last_submit(&fs, state, &record) {
        events.warn("record_not_written", json!({"message": e.to_string()}));
    }
    let Some(config) = &observed.config else {
        return;
    };
    let unix = |t: SystemTime| {
        t.duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
    };
    let metrics = SubmitterMetrics {
        app_address: config.app.to_checksum(None),
        chain: config.chain_id.to_string(),
        health: Health::from_exit_code(code),
        balance_wei: observed.balance.map(|b| b.to_string()),
        next_batch_nonce: observed.next_batch_nonce,
        pending_batches: observed.pending_nonces.len() as u64,
        oldest_unaccepted_batch_age_blocks: observed.oldest_unaccepted_age,
        last_run_timestamp_seconds: unix(now),
        last_success_timestamp_seconds: last_success_at
            .as_deref()
            .and_then(parse_rfc3339)
            .map(unix),
        run_duration_seconds: started.elapsed().as_secs_f64(),
    };
    let path = global
        .metrics_file
        .clone()
        .unwrap_or_else(|| state.submit_prom());
    if let Err(e) = write_metrics_file(&fs, &path, &render_submitter(&metrics)) {
        events.warn("metrics_not_written", json!({"message": e.to_string()}));
    }
}
