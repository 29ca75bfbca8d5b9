//! The submitter's side of L1: account nonces and balance, fee estimates, simulation, raw
//! broadcasts and receipts. Broadcasting is idempotent (a signed transaction has one hash), so
//! the same bounded retries and failover as every other request apply.

use super::{L1Client, L1Error};
use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;

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

impl L1Client {
    pub async fn transaction_count(&self, account: Address, at: BlockId) -> Result<u64, L1Error> {
        self.request("eth_getTransactionCount", |p| async move {
            p.get_transaction_count(account)
                .block_id(at)
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    pub async fn balance(&self, account: Address, at: BlockId) -> Result<U256, L1Error> {
        self.request("eth_getBalance", |p| async move {
            p.get_balance(account)
                .block_id(at)
                .await
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// Base fee of the next block and the median tip of the last ten blocks; providers without
    /// `eth_feeHistory` fall back to the latest block's base fee and the tip floor.
    pub async fn fee_estimate(&self) -> Result<FeeEstimate, L1Error> {
        let history = self
            .request("eth_feeHistory", |p| async move {
                p.get_fee_history(10, BlockNumberOrTag::Latest, &[50.0])
                    .await
                    .map_err(|e| e.to_string())
            })
            .await;
        let history = match history {
            Ok(history) if !history.base_fee_per_gas.is_empty() => history,
            Ok(_) | Err(_) => return self.fee_estimate_from_latest_block().await,
        };
        let base_fee = history.base_fee_per_gas.last().copied().unwrap_or_default();
        let mut tips: Vec<u128> = history
            .reward
            .unwrap_or_default()
            .iter()
            .filter_map(|block| block.first().copied())
            .collect();
        tips.sort_unstable();
        let median = tips.get(tips.len() / 2).copied().unwrap_or(0);
        Ok(FeeEstimate {
            base_fee,
            priority_fee: median.max(MIN_PRIORITY_FEE),
        })
    }

    async fn fee_estimate_from_latest_block(&self) -> Result<FeeEstimate, L1Error> {
        let block = self
            .request("eth_getBlockByNumber", |p| async move {
                p.get_block_by_number(BlockNumberOrTag::Latest)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await?
            .ok_or_else(|| L1Error("the L1 node has no latest block".into()))?;
        let base_fee = block.header.base_fee_per_gas.ok_or_else(|| {
            L1Error(
                "the latest block has no base fee: warden sends EIP-1559 transactions only".into(),
            )
        })?;
        Ok(FeeEstimate {
            // The next block's base fee can rise by 12.5 %.
            base_fee: u128::from(base_fee) + u128::from(base_fee) / 8,
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
        let tx = TransactionRequest::default()
            .with_from(from)
            .with_to(to)
            .with_input(Bytes::copy_from_slice(data));
        let outcome = self
            .request("eth_estimateGas", |p| {
                let tx = tx.clone();
                async move {
                    match p.estimate_gas(tx).await {
                        Ok(gas) => Ok(Ok(gas)),
                        Err(e) => {
                            let text = e.to_string();
                            if text.contains("server returned an error response") {
                                Ok(Err(text))
                            } else {
                                Err(text)
                            }
                        }
                    }
                }
            })
            .await?;
        Ok(outcome)
    }

    /// Broadcasts a signed transaction; refusals come back classified, never as errors.
    pub async fn broadcast(&self, raw: &[u8]) -> Result<BroadcastReply, L1Error> {
        self.request("eth_sendRawTransaction", |p| async move {
            match p.send_raw_transaction(raw).await {
                Ok(_) => Ok(BroadcastReply::Accepted),
                Err(e) => {
                    let text = e.to_string();
                    if text.contains("server returned an error response") {
                        Ok(classify_broadcast_error(&text))
                    } else {
                        Err(text)
                    }
                }
            }
        })
        .await
    }

    /// The receipt of a transaction, when it has been mined.
    pub async fn mined(&self, hash: B256) -> Result<Option<Mined>, L1Error> {
        let receipt = self
            .request("eth_getTransactionReceipt", |p| async move {
                p.get_transaction_receipt(hash)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await?;
        Ok(receipt.and_then(|r| {
            r.block_number.map(|block| Mined {
                block,
                success: r.status(),
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
