//! submit's steps 4–5: price and sign each selected batch at consecutive wallet nonces, then
//! journal-then-broadcast them (`submitter::broadcast`) and wait, bounded, for confirmations.

use super::report::Observed;
use crate::cli::SubmitArgs;
use crate::events::Events;
use crate::l1::wallet::{FeeEstimate, WalletNonces};
use crate::l1::{At, L1Client};
use crate::outcome::{Deadline, Done, Halt, Outcome, Stop};
use crate::state::StateDir;
use crate::state::config::Config;
use crate::state::fs::RealFs;
use crate::submitter::broadcast::{Outgoing, SendStatus, journal_then_broadcast, open_journal};
use crate::submitter::fees::{gwei_to_wei, plan_batch_send};
use crate::submitter::key::{SubmitterKey, TxPlan};
use crate::submitter::outbox::OutboxBatch;
use crate::submitter::records::{ReportedTx, read_attempts};
use crate::timefmt::parse_rfc3339;
use alloy::primitives::U256;
use alloy::sol;
use alloy::sol_types::SolCall;
use serde_json::json;
use std::time::{Duration, Instant, SystemTime};

sol! {
    function addInput(address appContract, bytes payload) returns (bytes32);
}

/// Confirmation polling interval.
const POLL: Duration = Duration::from_millis(500);
/// The confirmation wait ends this long before the run's deadline.
const WAIT_MARGIN: Duration = Duration::from_secs(5);
/// Head-room over `eth_estimateGas` (the input count grows between estimate and inclusion).
const GAS_MARGIN_PERCENT: u64 = 25;

/// A batch and the transaction that carries it.
pub struct Planned {
    pub batch: OutboxBatch,
    pub tx: Outgoing,
}

pub struct Sender<'a> {
    pub state: &'a StateDir,
    pub config: &'a Config,
    pub args: &'a SubmitArgs,
    pub key: &'a SubmitterKey,
    pub l1: &'a L1Client,
    pub events: &'a Events,
    pub interrupted: &'a Halt,
    pub deadline: Option<Deadline>,
}

impl Sender<'_> {
    /// Assigns wallet nonces from the `latest` count and prices each send (`plan_batch_send`).
    pub async fn plan(
        &self,
        selected: Vec<OutboxBatch>,
        wallet: &WalletNonces,
        estimate: &FeeEstimate,
    ) -> Result<Vec<Planned>, Stop> {
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
        // The RPC's nonce is data, not truth: one near u64::MAX cannot be real (EIP-2681).
        if wallet.latest.checked_add(selected.len() as u64).is_none() {
            return Err(Stop::transient(format!(
                "the L1 RPC reports wallet nonce {} for the submitter, which no account can \
                 reach; the next run retries (try another --l1-rpc-url if this persists)",
                wallet.latest
            )));
        }
        let attempts = read_attempts(self.state)?;
        let now = SystemTime::now();
        let timeout = Duration::from_secs(self.args.timeout);
        let mut planned = Vec::with_capacity(selected.len());
        for (wallet_nonce, batch) in (wallet.latest..).zip(selected) {
            let data = addInputCall {
                appContract: self.config.app,
                payload: batch.bytes.clone().into(),
            }
            .abi_encode();
            let previous = attempts.at(wallet_nonce);
            let since_last_send = previous
                .and_then(|p| parse_rfc3339(&p.last_sent_at))
                .and_then(|t| now.duration_since(t).ok());
            let plan = plan_batch_send(
                previous,
                batch.nonce,
                wallet_nonce < wallet.pending,
                since_last_send,
                timeout,
                estimate,
                cap,
            );
            if let Some(needed) = plan.capped {
                self.events.warn(
                    "replacement_capped",
                    json!({
                        "wallet_nonce": wallet_nonce,
                        "needed_max_fee_wei": needed.max_fee_per_gas.to_string(),
                        "cap_wei": cap.to_string(),
                        "message": "a valid replacement needs more than --max-fee-gwei allows; \
                                    the transaction keeps its fees and waits",
                    }),
                );
            }
            let gas_limit = match plan.keep_gas {
                Some(gas) => gas,
                None => self.gas_limit(&data).await?,
            };
            let signed = self.key.sign(&TxPlan {
                chain_id: self.config.chain_id,
                nonce: wallet_nonce,
                to: self.config.input_box,
                value: U256::ZERO,
                data,
                gas_limit,
                max_fee_per_gas: plan.fees.max_fee_per_gas,
                max_priority_fee_per_gas: plan.fees.max_priority_fee_per_gas,
            })?;
            planned.push(Planned {
                tx: Outgoing {
                    wallet_nonce,
                    batch_nonce: Some(batch.nonce),
                    kind: plan.kind,
                    fees: plan.fees,
                    gas_limit,
                    signed,
                    first_sent_at: plan.first_sent_at,
                    sends_before: plan.sends_before,
                },
                batch,
            });
        }
        Ok(planned)
    }

    /// `eth_estimateGas` (which also simulates the call) plus head-room.
    async fn gas_limit(&self, data: &[u8]) -> Result<u64, Stop> {
        let estimate = self
            .l1
            .estimate_gas(self.config.batch_submitter, self.config.input_box, data)
            .await?
            .map_err(|reason| {
                Stop::operator(format!(
                    "InputBox.addInput would revert for this batch ({reason}); check the \
                     application address and the batch size"
                ))
            })?;
        Ok(estimate.saturating_add(estimate * GAS_MARGIN_PERCENT / 100))
    }

    pub async fn broadcast_and_wait(
        &self,
        sends: Vec<Planned>,
        wallet_latest: u64,
        hold: Option<String>,
        observed: &mut Observed,
    ) -> Result<Done, Stop> {
        let fs = RealFs;
        let highest = wallet_latest + sends.len() as u64 - 1;
        let mut attempts = open_journal(&fs, self.state, highest, wallet_latest)?;
        let mut waiting_reasons = Vec::new();
        let mut sent = Vec::new();
        for Planned { batch, tx } in &sends {
            if self.interrupted.signalled() {
                break;
            }
            let status =
                match journal_then_broadcast(&fs, self.state, self.l1, &mut attempts, tx).await {
                    Ok(status) => status,
                    Err(stop) => {
                        observed.details.transactions = sent;
                        return Err(stop);
                    }
                };
            match status {
                SendStatus::Underpriced => waiting_reasons.push(format!(
                    "wallet nonce {} is held by a transaction our fees do not outbid yet",
                    tx.wallet_nonce
                )),
                SendStatus::NonceUsed => waiting_reasons.push(format!(
                    "wallet nonce {} was used meanwhile; the next run re-derives",
                    tx.wallet_nonce
                )),
                SendStatus::Accepted(_) | SendStatus::InMempool => {}
            }
            self.events.info(
                "broadcast",
                json!({
                    "batch_nonce": batch.nonce,
                    "wallet_nonce": tx.wallet_nonce,
                    "tx_hash": format!("{:#x}", tx.signed.hash),
                    "max_fee_per_gas": tx.fees.max_fee_per_gas.to_string(),
                    "max_priority_fee_per_gas": tx.fees.max_priority_fee_per_gas.to_string(),
                    "status": status.as_str(),
                }),
            );
            sent.push(ReportedTx {
                batch_nonce: Some(batch.nonce),
                wallet_nonce: tx.wallet_nonce,
                tx_hash: tx.signed.hash,
                status: status.as_str().to_string(),
            });
            if status == SendStatus::NonceUsed {
                break;
            }
        }
        observed.details.transactions = sent.clone();
        if self.interrupted.signalled() {
            return Err(Stop::transient("interrupted"));
        }
        let target = wallet_latest + sent.len() as u64;
        let confirmed = self.wait_for_confirmations(wallet_latest, target).await?;
        for tx in observed.details.transactions.iter_mut() {
            if tx.wallet_nonce < confirmed {
                tx.status = "confirmed".into();
            }
        }
        let posted: Vec<u64> = sent.iter().filter_map(|t| t.batch_nonce).collect();
        if confirmed >= target && waiting_reasons.is_empty() && hold.is_none() {
            return Ok(Done::new(
                Outcome::Submitted,
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
        Ok(Done::new(Outcome::Waiting, reasons.join("; ")))
    }

    /// Waits until every wallet nonce below `target` is `--confirmations` deep, bounded by
    /// `--timeout` and by a signal; returns the count of confirmed nonces reached.
    async fn wait_for_confirmations(&self, from: u64, target: u64) -> Result<u64, Stop> {
        // `--timeout`, and never past the run's deadline (with room to write the records).
        let mut deadline = Instant::now() + Duration::from_secs(self.args.timeout);
        if let Some(run) = self.deadline {
            deadline = deadline.min(run.at.checked_sub(WAIT_MARGIN).unwrap_or(run.at));
        }
        let depth = self.args.confirmations.max(1);
        let mut confirmed = from;
        loop {
            let latest = self.l1.latest_head().await?.number;
            if latest.saturating_add(1) >= depth {
                let deep = latest.saturating_add(1) - depth;
                confirmed = self
                    .l1
                    .transaction_count(self.config.batch_submitter, At::Number(deep))
                    .await?;
            }
            if confirmed >= target || Instant::now() >= deadline || self.interrupted.signalled() {
                return Ok(confirmed);
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

pub fn print_dry_run(sends: &[Planned]) -> Result<Done, Stop> {
    let plan: Vec<_> = sends
        .iter()
        .map(|Planned { batch, tx }| {
            json!({
                "batch_nonce": batch.nonce,
                "file": batch.path.display().to_string(),
                "bytes": batch.bytes.len(),
                "wallet_nonce": tx.wallet_nonce,
                "tx_hash": format!("{:#x}", tx.signed.hash),
                "gas_limit": tx.gas_limit,
                "max_fee_per_gas": tx.fees.max_fee_per_gas.to_string(),
                "max_priority_fee_per_gas": tx.fees.max_priority_fee_per_gas.to_string(),
                "kind": tx.kind.as_str(),
                "simulated": "ok",
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&json!({"dry_run": true, "transactions": plan}))
        .map_err(|e| Stop::internal(format!("cannot render the plan: {e}")))?;
    println!("{text}");
    Ok(Done::new(
        Outcome::Idle,
        format!(
            "dry run: {} transaction(s) built, signed and simulated; nothing was sent",
            sends.len()
        ),
    ))
}
