//! The fee function: a u16 exponent n means ⌊(129/128)^n⌋ smallest token units, computed with the
//! reference's fixed-point algorithm (canonical-protocol §4). The result is deliberately *not* the
//! exact power: from n = 4201 the two differ, and warden must reproduce the reference's bytes.

use alloy::primitives::{U256, U512};
use std::sync::OnceLock;

/// The largest exponent an honest machine can price; above it the machine stops.
pub const MAX_EXPONENT: u16 = 17101;

/// Fraction bits of the fixed-point representation.
const FRAC: usize = 64;
/// One entry per bit of the exponent (bits 0..=14 cover every n ≤ 17101).
const TABLE_LEN: usize = 15;

/// A fee exponent above [`MAX_EXPONENT`]; reaching the fee computation with one stops the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("fee exponent {0} exceeds the maximum {MAX_EXPONENT}")]
pub struct FeeExponentTooLarge(pub u16);

/// table[i] = (129/128)^(2^i) in 64.64 fixed point, each square floored.
fn table() -> &'static [U512; TABLE_LEN] {
    static TABLE: OnceLock<[U512; TABLE_LEN]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [U512::ZERO; TABLE_LEN];
        table[0] = U512::from(129u64) << 57;
        for i in 1..TABLE_LEN {
            table[i] = (table[i - 1] * table[i - 1]) >> FRAC;
        }
        table
    })
}

/// ⌊(129/128)^n⌋ as the reference computes it: multiply in ascending bit order, flooring each step.
pub fn fee_to_linear(n: u16) -> Result<U256, FeeExponentTooLarge> {
    if n > MAX_EXPONENT {
        return Err(FeeExponentTooLarge(n));
    }
    let table = table();
    let mut r = U512::from(1u64) << FRAC;
    for (bit, factor) in table.iter().enumerate() {
        if n & (1 << bit) != 0 {
            r = (r * *factor) >> FRAC;
        }
    }
    // n ≤ MAX_EXPONENT keeps the result below 2^192, so the narrowing cannot fail.
    Ok(U256::from_limbs_slice(&(r >> FRAC).as_limbs()[..4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PINNED: &[(u16, &str)] = &[
        (0, "1"),
        (89, "1"),
        (90, "2"),
        (100, "2"),
        (296, "10"),
        (419, "26"),
        (592, "100"),
        (888, "1002"),
        (1000, "2397"),
        (1060, "3824"),
        (1775, "997791"),
        (1776, "1005586"),
        (2663, "1000574325"),
        (5000, "79196001811181444"),
        (5232, "481729328852731529"),
        (5233, "485492839234393494"),
        (5326, "1001148980064254432"),
        (10000, "6272006702876654618629634157559851"),
        (
            17101,
            "6265343397650960058290595273266177100983719183839562988692",
        ),
    ];

    #[test]
    fn fee_pinned_values() {
        for (n, expected) in PINNED {
            let got = fee_to_linear(*n).unwrap();
            assert_eq!(got.to_string(), *expected, "fee_to_linear({n})");
        }
    }

    #[test]
    fn fee_above_max_exponent_is_refused() {
        assert_eq!(fee_to_linear(17102), Err(FeeExponentTooLarge(17102)));
        assert_eq!(fee_to_linear(u16::MAX), Err(FeeExponentTooLarge(u16::MAX)));
    }

    #[test]
    fn fee_is_monotonic_non_decreasing() {
        let mut previous = U256::ZERO;
        for n in 0..=MAX_EXPONENT {
            let fee = fee_to_linear(n).unwrap();
            assert!(fee >= previous, "fee dropped at {n}");
            previous = fee;
        }
    }
}
