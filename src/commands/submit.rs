//! `warden submit`: posts the sequencer's sealed batches to the InputBox with L1 as the authority,
//! step by step as operator-contract §5 submit numbers them. Every run re-derives what L1
//! accepted, so it is safe to kill at any moment and to repeat.

mod report;
mod send;

use super::{
    Ended, SUBMIT_DEADLINE, SUBMIT_SIGNAL_GRACE, connect_cross_check, connect_l1,
    cross_check_failed, runtime, until_signal,
};
use crate::cli::{GlobalArgs, SubmitArgs};
use crate::events::Events;
use crate::l1::crosscheck::CrossCheck;
use crate::l1::{At, L1Client};
use crate::outcome::{Done, Halt, Stop};
use crate::state::StateDir;
use crate::state::config::{Config, Confirmation, load_config};
use crate::state::fs::RealFs;
use crate::state::lock::{LockDomain, StateLock};
use crate::submitter::frontier::{advance_over_unconfirmed, confirmed_frontier};
use crate::submitter::key::SubmitterKey;
use crate::submitter::outbox::{self, OutboxBatch};
use crate::submitter::policy::{self, Timing};
use crate::submitter::records::{SendKind, write_frontier};
use alloy::primitives::U256;
use report::Observed;
use serde_json::json;
use std::time::Instant;

pub fn run(global: &GlobalArgs, args: &SubmitArgs, events: &Events) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    let mut observed = Observed::default();
    let started = Instant::now();
    if args.dry_run {
        // A dry run changes nothing, so it takes no lock and writes no record.
        return submit(&state, global, args, events, &mut observed, started);
    }
    // 1. The submitter lock; contention exits at once and touches nothing, not even metrics.
    let _lock = StateLock::acquire(&state, LockDomain::Submitter)?;
    let result = submit(&state, global, args, events, &mut observed, started);
    // 5. last_submit.json and submit.prom, whatever the outcome.
    report::record(&state, global, &result, &observed, started, events);
    result
}

fn submit(
    state: &StateDir,
    global: &GlobalArgs,
    args: &SubmitArgs,
    events: &Events,
    observed: &mut Observed,
    started: Instant,
) -> Result<Done, Stop> {
    let config = load_config(state)?;
    observed.config = Some(config.clone());
    // 1. Everything that can be checked without the network is checked first: the key is the
    //    pinned submitter's, and the outbox is readable.
    let key = SubmitterKey::load(args.key_file.as_deref())?;
    key.ensure_pinned(config.batch_submitter)?;
    outbox::list(&args.outbox)?;
    // Recorded for the sequencer's pruning only once it names a readable outbox.
    observed.details.outbox = args.outbox.display().to_string();
    let l1 = connect_l1(global, Some(config.chain_id))?;
    let cross = connect_cross_check(global, Some(config.chain_id))?;
    let rt = runtime()?;
    let interrupted = Halt::on_signal();
    let deadline = global.deadline(started, Some(SUBMIT_DEADLINE));
    let run = Run {
        state,
        config: &config,
        args,
        l1: &l1,
        cross: cross.as_ref(),
        events,
        sender: send::Sender {
            state,
            config: &config,
            args,
            key: &key,
            l1: &l1,
            events,
            interrupted: &interrupted,
            deadline,
        },
    };
    match rt.block_on(until_signal(
        run.cycle(observed),
        &interrupted,
        SUBMIT_SIGNAL_GRACE,
        deadline,
        events,
    )) {
        Ended::Finished(outcome) => outcome,
        // Whatever the work did in the grace period, it sent nothing after the signal; what it
        // had sent is recorded in the attempt journal and the watermark before each send.
        Ended::Interrupted { cause, .. } => Err(Stop::transient(format!(
            "{}: no new broadcast after it; what was sent is recorded, and the next run \
             re-derives everything from L1",
            cause.describe()
        ))),
    }
}

struct Run<'a> {
    state: &'a StateDir,
    config: &'a Config,
    args: &'a SubmitArgs,
    l1: &'a L1Client,
    cross: Option<&'a CrossCheck>,
    events: &'a Events,
    sender: send::Sender<'a>,
}

impl Run<'_> {
    async fn cycle(&self, observed: &mut Observed) -> Result<Done, Stop> {
        let (config, l1) = (self.config, self.l1);
        // 1. The RPC serves the pinned chain, before anything is signed; with cross-check
        //    endpoints, they serve it too and agree on the submitter's (non-pending) nonce.
        l1.chain_id().await?;
        if let Some(cross) = self.cross {
            cross
                .before_signing(l1, config.batch_submitter)
                .await
                .map_err(|f| cross_check_failed(f, self.events))?;
        }
        // 2. The accepted batch-nonce frontier, from L1.
        let confirmed_head = l1.confirmed_head(config.l1_confirmation).await?;
        let confirmed = confirmed_frontier(l1, self.state, config, confirmed_head).await?;
        if !self.args.dry_run
            && let Err(e) = write_frontier(&RealFs, self.state, &confirmed)
        {
            // Only a cache: losing it costs a longer fold next time, never correctness.
            self.events.warn(
                "frontier_cache_not_written",
                json!({"message": e.to_string()}),
            );
        }
        let mut latest = l1.latest_head().await?;
        if latest.number < confirmed.block {
            latest = confirmed_head;
        }
        let frontier = advance_over_unconfirmed(l1, config, &confirmed, latest).await?;
        let submitter = config.batch_submitter;
        let wallet = l1
            .wallet_nonces(
                submitter,
                latest.number,
                At::confirmed(config.l1_confirmation),
            )
            .await?;
        if !wallet.pending_view {
            self.events.warn(
                "pending_nonce_unavailable",
                json!({"message": "the provider has no pending view; nothing is counted as in flight", "assumed": wallet.latest}),
            );
        }
        let balance = l1.balance(submitter, At::Number(latest.number)).await?;
        observed.balance = Some(balance);
        observed.next_batch_nonce = Some(frontier.start);
        observed.details.accepted_below = Some(confirmed.next_expected_batch_nonce);

        // 3. The outbox from the frontier: every unaccepted file must be well formed, and a
        //    batch L1 can never accept is the `recovery_required` verdict.
        let files = outbox::list(&self.args.outbox)?;
        let mut unaccepted = Vec::new();
        for (&nonce, path) in &files {
            if nonce < confirmed.next_expected_batch_nonce {
                observed.details.accepted_nonces.push(nonce);
            } else {
                observed.details.pending_nonces.push(nonce);
                unaccepted.push(outbox::load(nonce, path)?);
            }
        }
        // Staleness is measured against the safe head, whatever confirmation level the frontier
        // uses (a finalized frontier lags safe, which would only delay a certain verdict).
        let safe = match config.l1_confirmation {
            Confirmation::Safe => confirmed_head.number,
            Confirmation::Finalized => l1.confirmed_head(Confirmation::Safe).await?.number,
        };
        observed.oldest_unaccepted_age = unaccepted
            .iter()
            .filter_map(OutboxBatch::first_safe_block)
            .map(|first| safe.saturating_sub(first))
            .max();
        let timing = Timing {
            max_wait_blocks: config.max_wait_blocks,
            preemptive_margin_blocks: config.preemptive_margin_blocks,
        };
        let selection = policy::select(&unaccepted, frontier.start, safe, latest.number, timing)?;
        for warning in &selection.danger {
            self.events.warn(
                "stale_batch_danger",
                json!({
                    "batch_nonce": warning.batch_nonce,
                    "age_blocks": warning.age_blocks,
                    "danger_threshold_blocks": timing.danger_blocks(),
                    "max_wait_blocks": timing.max_wait_blocks,
                }),
            );
        }
        self.events.info(
            "frontier",
            json!({
                "confirmed_block": confirmed.block,
                "latest_block": latest.number,
                "accepted_below": confirmed.next_expected_batch_nonce,
                "next_batch_nonce": frontier.start,
                "own_batches_unconfirmed": frontier.in_latest,
                "wallet_nonce_latest": wallet.latest,
                "wallet_nonce_pending": wallet.pending,
                "outbox_unaccepted": unaccepted.len(),
                "to_post": selection.batches.len(),
            }),
        );
        if selection.batches.is_empty() {
            return Ok(policy::nothing_to_send(
                selection.hold,
                wallet.latest,
                wallet.pending,
            ));
        }

        // 4. Price and sign at consecutive wallet nonces from `latest`; refuse what the
        //    account cannot pay for; a dry run stops here.
        let estimate = l1.fee_estimate().await?;
        let sends = self
            .sender
            .plan(selection.batches, &wallet, &estimate)
            .await?;
        let needed: U256 = sends
            .iter()
            .filter(|s| s.tx.kind != SendKind::Resent)
            .map(|s| U256::from(s.tx.gas_limit) * U256::from(s.tx.fees.max_fee_per_gas))
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
            return send::print_dry_run(&sends);
        }
        // 4–5. Watermark, journal, broadcast; then a bounded wait for confirmations.
        self.sender
            .broadcast_and_wait(sends, wallet.latest, selection.hold, observed)
            .await
    }
}
