//! Fee policy for EIP-1559 sends and replacements. Pure: the caller supplies the estimate, the
//! journalled attempt and the clock.

use super::records::{Attempt, SendKind};
use crate::l1::wallet::FeeEstimate;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Both caps of an EIP-1559 transaction, in wei per gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fees {
    #[serde(with = "crate::jsonfmt::u128_decimal")]
    pub max_fee_per_gas: u128,
    #[serde(with = "crate::jsonfmt::u128_decimal")]
    pub max_priority_fee_per_gas: u128,
}

/// Fees for a first send: the estimate, clamped to the operator's cap.
pub fn initial(estimate: &FeeEstimate, cap: u128) -> Fees {
    clamp(
        Fees {
            max_fee_per_gas: estimate.max_fee(),
            max_priority_fee_per_gas: estimate.priority_fee,
        },
        cap,
    )
}

/// `estimate × factor` for flush's self-transfers (3× the current estimate), clamped to the cap.
pub fn scaled(estimate: &FeeEstimate, factor: u128, cap: u128) -> Fees {
    clamp(
        Fees {
            max_fee_per_gas: estimate.max_fee().saturating_mul(factor),
            max_priority_fee_per_gas: estimate.priority_fee.saturating_mul(factor),
        },
        cap,
    )
}

/// One fee cap raised by 10 % (rounded up) and at least 1 wei: the smallest raise every client's
/// mempool accepts as a replacement.
pub fn bump(value: u128) -> u128 {
    value.saturating_add(value.div_ceil(10).max(1))
}

/// A replacement for a transaction sent with `previous`: both caps bumped, or the fresh estimate
/// when that is higher. `Err` carries the fees needed when the cap forbids a valid replacement.
pub fn replacement(previous: &Fees, estimate: &FeeEstimate, cap: u128) -> Result<Fees, Fees> {
    let needed = Fees {
        max_fee_per_gas: bump(previous.max_fee_per_gas).max(estimate.max_fee()),
        max_priority_fee_per_gas: bump(previous.max_priority_fee_per_gas)
            .max(estimate.priority_fee),
    };
    let min_valid = Fees {
        max_fee_per_gas: bump(previous.max_fee_per_gas),
        max_priority_fee_per_gas: bump(previous.max_priority_fee_per_gas),
    };
    if min_valid.max_fee_per_gas > cap || min_valid.max_priority_fee_per_gas > cap {
        return Err(min_valid);
    }
    Ok(clamp(needed, cap))
}

fn clamp(fees: Fees, cap: u128) -> Fees {
    let max_fee_per_gas = fees.max_fee_per_gas.min(cap);
    Fees {
        max_fee_per_gas,
        max_priority_fee_per_gas: fees.max_priority_fee_per_gas.min(max_fee_per_gas),
    }
}

pub fn gwei_to_wei(gwei: u64) -> u128 {
    u128::from(gwei) * 1_000_000_000
}

/// How one batch transaction is priced this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeePlan {
    pub kind: SendKind,
    pub fees: Fees,
    /// The journalled gas limit to keep (the identical transaction), or `None` to estimate.
    pub keep_gas: Option<u64>,
    pub first_sent_at: Option<String>,
    pub sends_before: u32,
    /// A valid replacement needed these fees, above the cap: the transaction keeps its fees.
    pub capped: Option<Fees>,
}

/// Prices the send of `batch_nonce` at `wallet_nonce`: identical to the journalled attempt for
/// the same batch until `timeout` has passed since it was last sent, then a valid replacement;
/// a nonce held by another transaction of ours (another batch, a flush) is outbid; anything else
/// is a first send.
pub fn plan_batch_send(
    previous: Option<&Attempt>,
    batch_nonce: u64,
    held_by_pending: bool,
    since_last_send: Option<Duration>,
    timeout: Duration,
    estimate: &FeeEstimate,
    cap: u128,
) -> FeePlan {
    let replace = |p: &Attempt| match replacement(&p.fees, estimate, cap) {
        Ok(fees) => (fees, None),
        Err(needed) => (p.fees, Some(needed)),
    };
    match previous {
        Some(p) if p.batch_nonce == Some(batch_nonce) => {
            if since_last_send.is_some_and(|age| age < timeout) {
                return FeePlan {
                    kind: SendKind::Resent,
                    fees: p.fees,
                    keep_gas: Some(p.gas_limit),
                    first_sent_at: Some(p.first_sent_at.clone()),
                    sends_before: p.sends,
                    capped: None,
                };
            }
            let (fees, capped) = replace(p);
            FeePlan {
                kind: SendKind::Replaced,
                // A capped replacement keeps the old fees: keep the old gas too, so it is the
                // identical transaction ("already known"), not a weaker rival.
                keep_gas: (fees == p.fees).then_some(p.gas_limit),
                fees,
                first_sent_at: Some(p.first_sent_at.clone()),
                sends_before: p.sends,
                capped,
            }
        }
        Some(p) if held_by_pending => {
            let (fees, capped) = replace(p);
            FeePlan {
                kind: SendKind::Replaced,
                fees,
                keep_gas: None,
                first_sent_at: None,
                sends_before: 0,
                capped,
            }
        }
        _ => FeePlan {
            kind: SendKind::Sent,
            fees: initial(estimate, cap),
            keep_gas: None,
            first_sent_at: None,
            sends_before: 0,
            capped: None,
        },
    }
}

/// `recover flush`'s price at one wallet nonce: 3× the estimate, and at least a valid
/// replacement of what is journalled there. `Err` carries the fees needed when the cap is lower.
pub fn plan_flush(
    previous: Option<&Attempt>,
    estimate: &FeeEstimate,
    cap: u128,
) -> Result<Fees, Fees> {
    let mut fees = scaled(estimate, FLUSH_PRICE_FACTOR, u128::MAX);
    if let Some(previous) = previous {
        fees.max_fee_per_gas = fees
            .max_fee_per_gas
            .max(bump(previous.fees.max_fee_per_gas));
        fees.max_priority_fee_per_gas = fees
            .max_priority_fee_per_gas
            .max(bump(previous.fees.max_priority_fee_per_gas));
    }
    if fees.max_fee_per_gas > cap || fees.max_priority_fee_per_gas > cap {
        return Err(fees);
    }
    Ok(fees)
}

/// Flush outbids whatever is pending by pricing at this multiple of the estimate.
pub const FLUSH_PRICE_FACTOR: u128 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    const ESTIMATE: FeeEstimate = FeeEstimate {
        base_fee: 1_000_000_000,
        priority_fee: 100_000_000,
    };

    #[test]
    fn bump_is_at_least_ten_percent_and_one_wei() {
        assert_eq!(bump(0), 1);
        assert_eq!(bump(1), 2);
        assert_eq!(bump(10), 11);
        assert_eq!(bump(11), 13);
        assert_eq!(bump(2_100_000_000), 2_310_000_000);
        for v in [3u128, 99, 12345, 1 << 80] {
            assert!(bump(v) * 10 >= v * 11, "{v}");
        }
    }

    #[test]
    fn initial_fees_respect_the_cap() {
        let fees = initial(&ESTIMATE, u128::MAX);
        assert_eq!(fees.max_fee_per_gas, 2_100_000_000);
        assert_eq!(fees.max_priority_fee_per_gas, 100_000_000);
        let capped = initial(&ESTIMATE, 50_000_000);
        assert_eq!(capped.max_fee_per_gas, 50_000_000);
        assert_eq!(capped.max_priority_fee_per_gas, 50_000_000);
    }

    #[test]
    fn replacements_bump_both_caps_or_name_what_is_needed() {
        let first = initial(&ESTIMATE, u128::MAX);
        let second = replacement(&first, &ESTIMATE, u128::MAX).unwrap();
        assert!(second.max_fee_per_gas * 10 >= first.max_fee_per_gas * 11);
        assert!(second.max_priority_fee_per_gas * 10 >= first.max_priority_fee_per_gas * 11);
        let needed = replacement(&first, &ESTIMATE, first.max_fee_per_gas).unwrap_err();
        assert_eq!(needed.max_fee_per_gas, bump(first.max_fee_per_gas));
        let busy = FeeEstimate {
            base_fee: 10_000_000_000,
            priority_fee: 2_000_000_000,
        };
        let follows_market = replacement(&first, &busy, u128::MAX).unwrap();
        assert_eq!(follows_market.max_fee_per_gas, busy.max_fee());
    }

    fn attempt(batch: Option<u64>, fees: Fees) -> Attempt {
        Attempt {
            wallet_nonce: 4,
            batch_nonce: batch,
            tx_hash: Default::default(),
            fees,
            gas_limit: 50_000,
            first_sent_at: "t0".into(),
            last_sent_at: "t1".into(),
            sends: 2,
        }
    }

    #[test]
    fn batch_sends_resend_then_replace_then_outbid() {
        let first = initial(&ESTIMATE, u128::MAX);
        let previous = attempt(Some(7), first);
        let minute = Duration::from_secs(60);
        let resend = plan_batch_send(
            Some(&previous),
            7,
            true,
            Some(Duration::from_secs(5)),
            minute,
            &ESTIMATE,
            u128::MAX,
        );
        assert_eq!(resend.kind, SendKind::Resent);
        assert_eq!((resend.fees, resend.keep_gas), (first, Some(50_000)));
        let replace = plan_batch_send(
            Some(&previous),
            7,
            true,
            Some(minute * 2),
            minute,
            &ESTIMATE,
            u128::MAX,
        );
        assert_eq!(replace.kind, SendKind::Replaced);
        assert!(replace.fees.max_fee_per_gas > first.max_fee_per_gas);
        assert_eq!(replace.keep_gas, None);
        let capped = plan_batch_send(
            Some(&previous),
            7,
            true,
            None,
            minute,
            &ESTIMATE,
            first.max_fee_per_gas,
        );
        assert_eq!(capped.fees, first);
        assert_eq!(capped.keep_gas, Some(50_000));
        assert!(capped.capped.is_some());
        let other = plan_batch_send(
            Some(&attempt(None, first)),
            7,
            true,
            None,
            minute,
            &ESTIMATE,
            u128::MAX,
        );
        assert_eq!(other.kind, SendKind::Replaced);
        let fresh = plan_batch_send(
            Some(&attempt(None, first)),
            7,
            false,
            None,
            minute,
            &ESTIMATE,
            u128::MAX,
        );
        assert_eq!(fresh.kind, SendKind::Sent);
    }

    #[test]
    fn flush_prices_at_three_times_and_outbids_the_journal() {
        let fees = plan_flush(None, &ESTIMATE, u128::MAX).unwrap();
        assert_eq!(fees.max_fee_per_gas, 6_300_000_000);
        let high = Fees {
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
        };
        let outbid = plan_flush(Some(&attempt(Some(1), high)), &ESTIMATE, u128::MAX).unwrap();
        assert_eq!(outbid.max_fee_per_gas, bump(high.max_fee_per_gas));
        assert!(plan_flush(None, &ESTIMATE, 1).is_err());
    }

    #[test]
    fn scaled_fees_multiply_then_clamp() {
        let fees = scaled(&ESTIMATE, 3, u128::MAX);
        assert_eq!(fees.max_fee_per_gas, 6_300_000_000);
        assert_eq!(fees.max_priority_fee_per_gas, 300_000_000);
    }
}
