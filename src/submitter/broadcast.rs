//! Journal, then broadcast: the one way `submit` and `recover flush` put a transaction on the
//! wire. Before the first broadcast the watermark is raised and fsynced to the highest wallet
//! nonce about to be used (so `recover flush` knows every nonce that may be in flight); before
//! each broadcast the attempt is journalled (so a kill in between leaves a record the next run
//! re-sends identically, never a transaction nobody knows about).

use super::fees::Fees;
use super::key::SignedTx;
use super::records::{Attempt, Attempts, SendKind, raise_watermark, read_attempts, write_attempts};
use crate::l1::L1Client;
use crate::l1::wallet::BroadcastReply;
use crate::outcome::Stop;
use crate::state::StateDir;
use crate::state::fs::Fs;
use crate::timefmt::rfc3339_millis;
use std::time::SystemTime;

/// One signed transaction to put on the wire.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub wallet_nonce: u64,
    /// The batch carried, or none for a flush self-transfer.
    pub batch_nonce: Option<u64>,
    pub kind: SendKind,
    pub fees: Fees,
    pub gas_limit: u64,
    pub signed: SignedTx,
    /// When the first transaction at this nonce for this batch went out (kept across sends).
    pub first_sent_at: Option<String>,
    pub sends_before: u32,
}

/// What the node did with a broadcast that was not refused outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStatus {
    /// Accepted as sent / resent / replaced.
    Accepted(SendKind),
    /// This very transaction was already in the mempool.
    InMempool,
    /// Another transaction holds the nonce and ours does not outbid it yet.
    Underpriced,
    /// The nonce was used meanwhile (a transaction of ours was mined).
    NonceUsed,
}

impl SendStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SendStatus::Accepted(kind) => kind.as_str(),
            SendStatus::InMempool => "in_mempool",
            SendStatus::Underpriced => "underpriced",
            SendStatus::NonceUsed => "nonce_used",
        }
    }
}

/// Raises the watermark to `highest` (fsynced: the commit point before any broadcast) and
/// returns the attempt journal without the entries L1 has already used (below `latest`).
pub fn open_journal(
    fs: &dyn Fs,
    state: &StateDir,
    highest: u64,
    latest: u64,
) -> Result<Attempts, Stop> {
    raise_watermark(fs, state, highest)?;
    let mut attempts = read_attempts(state)?;
    attempts.forget_below(latest);
    Ok(attempts)
}

/// Journals `tx`, then broadcasts it. Refusals that mean "wait" come back as a status; a
/// refusal that needs money is an operator error, any other refusal is transient (nothing later
/// is sent, so no nonce gap opens).
pub async fn journal_then_broadcast(
    fs: &dyn Fs,
    state: &StateDir,
    l1: &L1Client,
    attempts: &mut Attempts,
    tx: &Outgoing,
) -> Result<SendStatus, Stop> {
    let now = rfc3339_millis(SystemTime::now());
    let last_sent_at = match tx.kind {
        // An identical re-send does not restart the clock that decides the next replacement.
        SendKind::Resent => attempts
            .at(tx.wallet_nonce)
            .map(|a| a.last_sent_at.clone())
            .unwrap_or_else(|| now.clone()),
        SendKind::Sent | SendKind::Replaced => now.clone(),
    };
    attempts.record(Attempt {
        wallet_nonce: tx.wallet_nonce,
        batch_nonce: tx.batch_nonce,
        tx_hash: tx.signed.hash,
        fees: tx.fees,
        gas_limit: tx.gas_limit,
        first_sent_at: tx.first_sent_at.clone().unwrap_or(now),
        last_sent_at,
        sends: tx.sends_before + 1,
    });
    write_attempts(fs, state, attempts)?;
    let what = match tx.batch_nonce {
        Some(batch) => format!("batch {batch}"),
        None => "the flush".to_string(),
    };
    match l1.broadcast(&tx.signed.raw).await? {
        BroadcastReply::Accepted => Ok(SendStatus::Accepted(tx.kind)),
        BroadcastReply::AlreadyKnown => Ok(SendStatus::InMempool),
        BroadcastReply::ReplacementUnderpriced => Ok(SendStatus::Underpriced),
        BroadcastReply::NonceTooLow => Ok(SendStatus::NonceUsed),
        BroadcastReply::InsufficientFunds(message) => Err(Stop::operator(format!(
            "insufficient funds for {what} at wallet nonce {}: the node says {message:?}; fund \
             the submitter account, then re-run",
            tx.wallet_nonce
        ))),
        BroadcastReply::Rejected(message) => Err(Stop::transient(format!(
            "the node refused {what} at wallet nonce {}: {message}; nothing later was sent (no \
             nonce gap); the next run retries",
            tx.wallet_nonce
        ))),
    }
}
