//! The submitter's side of L1: account nonces and balance, fee estimates, simulation, raw
//! broadcasts and receipts. Broadcasting is idempotent (a signed transaction has one hash), so
//! the same bounded retries and failover as every other request apply. Wallet nonce queries live
//! here and nowhere else.

use super::{At, L1Client, L1Error, L1ErrorKind};
use alloy::primitives::{Address, B256, Bytes, U64, U256};
use serde::Deserialize;
use serde_json::json;

/// What a node said to a broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BroadcastReply {
    /// Accepted into the mempool (or already mined).
    Accepted,
    /// This very transaction is already in the mempool: wait for it.
    AlreadyKnown,
    /// Another transaction holds this nonce and ours does not outbid it by enough: wait.
    ReplacementUnderpriced,
    /// The nonce was used meanwhile (a transaction of ours was mined): the next run re-derives.
    NonceTooLow,
    /// The account cannot pay gas × max fee.
    InsufficientFunds(String),
    /// Anything else the node refused (never retried blindly).
    Rejected(String),
}

/// Classifies a node's refusal by its text; geth, reth, nethermind, erigon and anvil word these
/// differently, so each family is matched by the words they share.
pub fn classify_broadcast_error(message: &str) -> BroadcastReply {
    let lower = message.to_ascii_lowercase();
    if lower.contains("already known")
        || lower.contains("alreadyknown")
        || lower.contains("known transaction")
        || lower.contains("already imported")
        || lower.contains("already in the mempool")
        || lower.contains("already exists")
    {
        BroadcastReply::AlreadyKnown
    } else if lower.contains("replacement transaction underpriced")
        || lower.contains("replacement underpriced")
        || lower.contains("replacementnotallowed")
        || lower.contains("replacement not allowed")
        || (lower.contains("replace") && lower.contains("underpriced"))
    {
        BroadcastReply::ReplacementUnderpriced
    } else if lower.contains("nonce too low")
        || lower.contains("noncetoolow")
        || lower.contains("old nonce")
        || lower.contains("nonce has already been used")
    {
        BroadcastReply::NonceTooLow
    } else if lower.contains("insufficient funds") || lower.contains("insufficient balance") {
        BroadcastReply::InsufficientFunds(message.to_string())
    } else {
        BroadcastReply::Rejected(message.to_string())
    }
}

/// A fee suggestion for the next block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeEstimate {
    /// The next block's base fee.
    pub base_fee: u128,
    /// Median priority fee paid in recent blocks (at least `MIN_PRIORITY_FEE`).
    pub priority_fee: u128,
}

/// A tip floor so a quiet chain (whose recent rewards are zero) still orders us in.
pub const MIN_PRIORITY_FEE: u128 = 100_000_000; // 0.1 gwei

impl FeeEstimate {
    /// `2 × base + tip`: survives six full blocks of base-fee growth.
    pub fn max_fee(&self) -> u128 {
        self.base_fee
            .saturating_mul(2)
            .saturating_add(self.priority_fee)
    }
}

/// A mined transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mined {
    pub block: u64,
    pub success: bool,
}

/// The submitter's wallet as L1 sees it: the transaction counts at `latest`, `pending` and the
/// confirmed head. A provider without a mempool view (it refuses `pending`) counts as nothing in
/// flight: `pending = latest`, and `pending_view` says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletNonces {
    pub latest: u64,
    pub pending: u64,
    pub confirmed: u64,
    pub pending_view: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FeeHistoryJson {
    #[serde(default)]
    base_fee_per_gas: Vec<U256>,
    #[serde(default)]
    reward: Option<Vec<Vec<U256>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptJson {
    block_number: Option<U64>,
    #[serde(default)]
    status: Option<U64>,
}

impl L1Client {
    pub async fn transaction_count(&self, account: Address, at: At) -> Result<u64, L1Error> {
        let count: U64 = self
            .require("eth_getTransactionCount", json!([account, at.param()]))
            .await?;
        Ok(count.to())
    }

    pub async fn balance(&self, account: Address, at: At) -> Result<U256, L1Error> {
        self.require("eth_getBalance", json!([account, at.param()]))
            .await
    }

    /// The wallet nonces at `latest`, `pending` (or `latest` without a mempool view) and the
    /// confirmed head `confirmed` (a number, so both views are of one block).
    pub async fn wallet_nonces(
        &self,
        account: Address,
        latest: u64,
        confirmed: At,
    ) -> Result<WalletNonces, L1Error> {
        let latest_count = self.transaction_count(account, At::Number(latest)).await?;
        let pending: Result<Option<U64>, L1Error> = self
            .request(
                "eth_getTransactionCount",
                json!([account, At::Pending.param()]),
            )
            .await;
        // A provider without a mempool view refuses `pending` (an RPC error, an HTTP client
        // error) or answers null: nothing is counted as in flight.
        let (pending, pending_view) = match pending {
            Ok(Some(count)) => (count.to::<u64>().max(latest_count), true),
            Ok(None) => (latest_count, false),
            Err(e) if e.rpc_code().is_some() => (latest_count, false),
            Err(L1Error {
                kind: L1ErrorKind::Http { status, .. },
                ..
            }) if (400..500).contains(&status) && status != 429 => (latest_count, false),
            Err(e) => return Err(e),
        };
        let confirmed = self.transaction_count(account, confirmed).await?;
        Ok(WalletNonces {
            latest: latest_count,
            pending,
            confirmed,
            pending_view,
        })
    }

    /// The wallet nonces now: at the latest block, pending, and the `level` confirmed head.
    pub async fn wallet_now(
        &self,
        account: Address,
        level: crate::state::config::Confirmation,
    ) -> Result<WalletNonces, L1Error> {
        let latest = self.latest_head().await?;
        self.wallet_nonces(account, latest.number, At::confirmed(level))
            .await
    }

    /// Base fee of the next block and the median tip of the last ten blocks; providers without
    /// `eth_feeHistory` fall back to the latest block's base fee and the tip floor.
    pub async fn fee_estimate(&self) -> Result<FeeEstimate, L1Error> {
        let history: Result<Option<FeeHistoryJson>, L1Error> = self
            .request("eth_feeHistory", json!(["0xa", "latest", [50.0]]))
            .await;
        let history = match history {
            Ok(Some(history)) if !history.base_fee_per_gas.is_empty() => history,
            Ok(_) => return self.fee_estimate_from_latest_block().await,
            Err(e) if e.rpc_code().is_some() => return self.fee_estimate_from_latest_block().await,
            Err(e) => return Err(e),
        };
        let base_fee = history
            .base_fee_per_gas
            .last()
            .map(|f| f.saturating_to::<u128>())
            .unwrap_or_default();
        let mut tips: Vec<u128> = history
            .reward
            .unwrap_or_default()
            .iter()
            .filter_map(|block| block.first().map(|t| t.saturating_to::<u128>()))
            .collect();
        tips.sort_unstable();
        let median = tips.get(tips.len() / 2).copied().unwrap_or(0);
        Ok(FeeEstimate {
            base_fee,
            priority_fee: median.max(MIN_PRIORITY_FEE),
        })
    }

    async fn fee_estimate_from_latest_block(&self) -> Result<FeeEstimate, L1Error> {
        let base_fee = self.latest_base_fee().await?.ok_or_else(|| L1Error {
            endpoint: self.endpoints().join(","),
            method: "eth_getBlockByNumber",
            kind: L1ErrorKind::Malformed(
                "the latest block has no base fee: warden sends EIP-1559 transactions only".into(),
            ),
        })?;
        Ok(FeeEstimate {
            // The next block's base fee can rise by 12.5 %.
            base_fee: base_fee.saturating_add(base_fee / 8),
            priority_fee: MIN_PRIORITY_FEE,
        })
    }

    /// `eth_estimateGas` of a call from `from`; an RPC refusal (a revert) is `Ok(Err(reason))`.
    pub async fn estimate_gas(
        &self,
        from: Address,
        to: Address,
        data: &[u8],
    ) -> Result<Result<u64, String>, L1Error> {
        let call = json!([{"from": from, "to": to, "data": Bytes::copy_from_slice(data)}]);
        match self.require::<U64>("eth_estimateGas", call).await {
            Ok(gas) => Ok(Ok(gas.to())),
            Err(L1Error {
                kind: L1ErrorKind::Rpc { code, message },
                ..
            }) => Ok(Err(format!("error {code}: {message}"))),
            Err(e) => Err(e),
        }
    }

    /// Broadcasts a signed transaction; refusals come back classified, never as errors.
    pub async fn broadcast(&self, raw: &[u8]) -> Result<BroadcastReply, L1Error> {
        match self
            .request::<B256>(
                "eth_sendRawTransaction",
                json!([Bytes::copy_from_slice(raw)]),
            )
            .await
        {
            Ok(_) => Ok(BroadcastReply::Accepted),
            Err(L1Error {
                kind: L1ErrorKind::Rpc { code, message },
                ..
            }) => Ok(classify_broadcast_error(&format!(
                "error {code}: {message}"
            ))),
            Err(e) => Err(e),
        }
    }

    /// The receipt of a transaction, when it has been mined.
    pub async fn mined(&self, hash: B256) -> Result<Option<Mined>, L1Error> {
        let receipt: Option<ReceiptJson> = self
            .request("eth_getTransactionReceipt", json!([hash]))
            .await?;
        Ok(receipt.and_then(|r| {
            r.block_number.map(|block| Mined {
                block: block.to(),
                success: r.status.is_some_and(|s| s == U64::from(1)),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_refusals_are_classified_by_family() {
        for text in [
            "server returned an error response: error code -32000: already known",
            "error code -32010: AlreadyKnown",
            "Known transaction: 0xabc",
            "transaction already imported",
        ] {
            assert_eq!(
                classify_broadcast_error(text),
                BroadcastReply::AlreadyKnown,
                "{text}"
            );
        }
        for text in [
            "replacement transaction underpriced",
            "ReplacementNotAllowed",
            "could not replace existing tx: underpriced",
        ] {
            assert_eq!(
                classify_broadcast_error(text),
                BroadcastReply::ReplacementUnderpriced,
                "{text}"
            );
        }
        assert_eq!(
            classify_broadcast_error("nonce too low: next nonce 5, tx nonce 4"),
            BroadcastReply::NonceTooLow
        );
        assert!(matches!(
            classify_broadcast_error("insufficient funds for gas * price + value"),
            BroadcastReply::InsufficientFunds(_)
        ));
        assert!(matches!(
            classify_broadcast_error("intrinsic gas too low"),
            BroadcastReply::Rejected(_)
        ));
    }
}
