//! Fee policy for EIP-1559 sends and replacements. Pure: the caller supplies the estimate.

use crate::l1::wallet::FeeEstimate;
use serde::{Deserialize, Serialize};

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

    #[test]
    fn scaled_fees_multiply_then_clamp() {
        let fees = scaled(&ESTIMATE, 3, u128::MAX);
        assert_eq!(fees.max_fee_per_gas, 6_300_000_000);
        assert_eq!(fees.max_priority_fee_per_gas, 300_000_000);
    }
}
