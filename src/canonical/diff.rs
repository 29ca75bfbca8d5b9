//! The semantic difference between the canonical state bytes and the bytes a sequencer served:
//! which configuration fields, accounts and counters differ. Bounded whatever the state size: at
//! most [`LISTED`] accounts per list are named, the rest are counted, and the walk merges the two
//! sorted lists in place, without copying them.

use super::snapshot::{StateView, view_state};
use alloy::primitives::{Address, U256};
use serde::Serialize;
use std::cmp::Ordering;

/// Accounts named per list; the totals count every difference.
pub const LISTED: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    pub field: &'static str,
    pub canonical: String,
    pub sequencer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountDiff {
    pub address: Address,
    /// `None` when the account is absent on that side.
    pub canonical: Option<String>,
    pub sequencer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AccountDiffs {
    pub total: u64,
    pub listed: Vec<AccountDiff>,
}

/// What differs, semantically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StateDiff {
    Decoded {
        config: Vec<FieldDiff>,
        /// Differing balances (at most [`LISTED`] named).
        balances: Vec<AccountDiff>,
        balances_total: u64,
        nonces: Vec<AccountDiff>,
        nonces_total: u64,
        counters: Vec<FieldDiff>,
        sequencer_canonical_encoding: bool,
    },
    /// The served bytes are not a state at all (or, a bug, the canonical ones are not).
    Undecodable { error: String },
}

/// The first byte offset at which two byte strings differ (or the shorter length).
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    // Whole blocks compare as slices (vectorised); the byte is found inside the first that differs.
    const BLOCK: usize = 4096;
    let common = a.len().min(b.len());
    let mut start = 0;
    for (x, y) in a[..common].chunks(BLOCK).zip(b[..common].chunks(BLOCK)) {
        if x != y {
            return x.iter().zip(y).position(|(p, q)| p != q).map(|i| start + i);
        }
        start += x.len();
    }
    (a.len() != b.len()).then_some(common)
}

pub fn state_diff(canonical: &[u8], served: &[u8]) -> StateDiff {
    let ours = match view_state(canonical) {
        Ok(d) => d,
        Err(e) => {
            return StateDiff::Undecodable {
                error: format!("the canonical bytes do not decode (a bug): {e}"),
            };
        }
    };
    let theirs = match view_state(served) {
        Ok(d) => d,
        Err(e) => {
            return StateDiff::Undecodable {
                error: format!("the sequencer's bytes do not decode: {e}"),
            };
        }
    };
    diff_views(&ours, &theirs)
}

fn diff_views(ours: &StateView<'_>, theirs: &StateView<'_>) -> StateDiff {
    let sequencer_canonical_encoding = theirs.is_canonical();
    let mut config = Vec::new();
    for (field, a, b) in [
        (
            "erc20_portal",
            ours.config.erc20_portal,
            theirs.config.erc20_portal,
        ),
        (
            "supported_token",
            ours.config.supported_token,
            theirs.config.supported_token,
        ),
        (
            "fee_recipient",
            ours.config.fee_recipient,
            theirs.config.fee_recipient,
        ),
    ] {
        if a != b {
            config.push(FieldDiff {
                field,
                canonical: a.to_string(),
                sequencer: b.to_string(),
            });
        }
    }
    // The merge needs the served lists sorted: canonical ones are (strictly ascending), so they
    // are walked in place; out-of-order ones (accepted, flagged) are copied and sorted.
    let show_balance = |v: &U256| v.to_string();
    let show_nonce = |v: &u32| v.to_string();
    let (balances, nonces) = if sequencer_canonical_encoding {
        (
            merge(ours.balances(), theirs.balances(), show_balance),
            merge(ours.nonces(), theirs.nonces(), show_nonce),
        )
    } else {
        let mut their_balances: Vec<_> = theirs.balances().collect();
        their_balances.sort_unstable_by_key(|(a, _)| *a);
        let mut their_nonces: Vec<_> = theirs.nonces().collect();
        their_nonces.sort_unstable_by_key(|(a, _)| *a);
        (
            merge(ours.balances(), their_balances.into_iter(), show_balance),
            merge(ours.nonces(), their_nonces.into_iter(), show_nonce),
        )
    };
    let mut counters = Vec::new();
    if ours.executed_input_count != theirs.executed_input_count {
        counters.push(FieldDiff {
            field: "executed_input_count",
            canonical: ours.executed_input_count.to_string(),
            sequencer: theirs.executed_input_count.to_string(),
        });
    }
    if ours.last_executed_safe_block != theirs.last_executed_safe_block {
        let show = |v: Option<u64>| v.map_or("absent".to_string(), |v| v.to_string());
        counters.push(FieldDiff {
            field: "last_executed_safe_block",
            canonical: show(ours.last_executed_safe_block),
            sequencer: show(theirs.last_executed_safe_block),
        });
    }
    StateDiff::Decoded {
        config,
        balances: balances.listed,
        balances_total: balances.total,
        nonces: nonces.listed,
        nonces_total: nonces.total,
        counters,
        sequencer_canonical_encoding,
    }
}

/// Walks two address-sorted lists once, counting every difference and naming the first few.
fn merge<T: PartialEq>(
    ours: impl Iterator<Item = (Address, T)>,
    theirs: impl Iterator<Item = (Address, T)>,
    show: impl Fn(&T) -> String,
) -> AccountDiffs {
    let mut out = AccountDiffs::default();
    let mut record = |address: Address, a: Option<&T>, b: Option<&T>| {
        out.total += 1;
        if out.listed.len() < LISTED {
            out.listed.push(AccountDiff {
                address,
                canonical: a.map(&show),
                sequencer: b.map(&show),
            });
        }
    };
    let (mut ours, mut theirs) = (ours.peekable(), theirs.peekable());
    loop {
        let order = match (ours.peek(), theirs.peek()) {
            (Some(a), Some(b)) => a.0.cmp(&b.0),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => break,
        };
        match order {
            Ordering::Less => {
                let (address, a) = ours.next().expect("peeked");
                record(address, Some(&a), None);
            }
            Ordering::Greater => {
                let (address, b) = theirs.next().expect("peeked");
                record(address, None, Some(&b));
            }
            Ordering::Equal => {
                let (address, a) = ours.next().expect("peeked");
                let (_, b) = theirs.next().expect("peeked");
                if a != b {
                    record(address, Some(&a), Some(&b));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::snapshot::encode_state;
    use crate::canonical::wallet::{Wallet, WalletConfig};

    fn wallet(accounts: u64, bump: Option<u64>) -> Wallet {
        let mut wallet = Wallet::new(WalletConfig {
            erc20_portal: Address::repeat_byte(1),
            supported_token: Address::repeat_byte(2),
            fee_recipient: Address::repeat_byte(3),
        });
        for i in 0..accounts {
            let mut bytes = [0u8; 20];
            bytes[12..].copy_from_slice(&i.to_be_bytes());
            let extra = u64::from(bump.is_some_and(|b| i % b == 0));
            wallet.credit(Address::from(bytes), U256::from(i + extra));
        }
        wallet.executed_input_count = accounts;
        wallet
    }

    #[test]
    fn names_at_most_listed_accounts_and_counts_all() {
        let a = encode_state(&wallet(1000, None));
        let b = encode_state(&wallet(1000, Some(2)));
        let StateDiff::Decoded {
            balances,
            balances_total,
            nonces_total,
            ..
        } = state_diff(&a, &b)
        else {
            panic!("decodes")
        };
        assert_eq!(balances_total, 500);
        assert_eq!(balances.len(), LISTED);
        assert_eq!(nonces_total, 0);
        assert_eq!(first_difference(&a, &b), Some(84 + 20 + 31));
    }

    #[test]
    fn missing_accounts_and_garbage_are_reported() {
        let a = encode_state(&wallet(3, None));
        let b = encode_state(&wallet(2, None));
        let StateDiff::Decoded {
            balances, counters, ..
        } = state_diff(&a, &b)
        else {
            panic!("decodes")
        };
        assert_eq!(balances.len(), 1);
        assert_eq!(balances[0].sequencer, None);
        assert_eq!(counters.len(), 1);
        assert!(matches!(
            state_diff(&a, b"junk"),
            StateDiff::Undecodable { .. }
        ));
    }
}
