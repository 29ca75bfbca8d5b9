//! The canonical state bytes (canonical-protocol §7): what the sequencer serves and what both
//! sides hash. Balances are 32 explicit big-endian bytes here, not `ethereum_ssz`'s LE `U256`.

use super::ssz_error::SszError;
use super::wallet::{Wallet, WalletConfig};
use alloy::primitives::{Address, U256};
use sha2::{Digest, Sha256};
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use std::collections::BTreeMap;

/// Fixed part of the current schema: three addresses, two offsets, two u64 counters.
pub const STATE_FIXED_LEN: usize = 84;
/// Fixed part of the legacy v1 schema, which lacks `last_executed_safe_block`.
pub const LEGACY_V1_FIXED_LEN: usize = 76;

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct BalanceEntry {
    address: Address,
    balance: [u8; 32],
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct NonceEntry {
    address: Address,
    nonce: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct StateSsz {
    erc20_portal: Address,
    supported_token: Address,
    fee_recipient: Address,
    balances: Vec<BalanceEntry>,
    nonces: Vec<NonceEntry>,
    executed_input_count: u64,
    last_executed_safe_block: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct LegacyStateV1Ssz {
    erc20_portal: Address,
    supported_token: Address,
    fee_recipient: Address,
    balances: Vec<BalanceEntry>,
    nonces: Vec<NonceEntry>,
    executed_input_count: u64,
}

/// Decoded state bytes with the entries in the order the bytes carried them, so `inspect` can show
/// and flag exactly what was served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedState {
    pub config: WalletConfig,
    pub balances: Vec<(Address, U256)>,
    pub nonces: Vec<(Address, u32)>,
    pub executed_input_count: u64,
    /// `None` for the legacy v1 schema, which has no clock.
    pub last_executed_safe_block: Option<u64>,
    /// Reasons the bytes differ from what the canonical encoder produces (entries out of order).
    pub non_canonical: Vec<String>,
}

impl DecodedState {
    pub fn is_canonical(&self) -> bool {
        self.non_canonical.is_empty()
    }

    /// The wallet these bytes describe (legacy bytes get clock 0).
    pub fn into_wallet(self) -> Wallet {
        Wallet {
            config: self.config,
            balances: self.balances.into_iter().collect(),
            nonces: self.nonces.into_iter().collect(),
            executed_input_count: self.executed_input_count,
            last_executed_safe_block: self.last_executed_safe_block.unwrap_or(0),
        }
    }
}

/// Encodes the wallet as the canonical state bytes: every entry, ascending by address.
pub fn encode_state(wallet: &Wallet) -> Vec<u8> {
    StateSsz {
        erc20_portal: wallet.config.erc20_portal,
        supported_token: wallet.config.supported_token,
        fee_recipient: wallet.config.fee_recipient,
        balances: wallet
            .balances
            .iter()
            .map(|(address, balance)| BalanceEntry {
                address: *address,
                balance: balance.to_be_bytes::<32>(),
            })
            .collect(),
        nonces: wallet
            .nonces
            .iter()
            .map(|(address, nonce)| NonceEntry {
                address: *address,
                nonce: *nonce,
            })
            .collect(),
        executed_input_count: wallet.executed_input_count,
        last_executed_safe_block: wallet.last_executed_safe_block,
    }
    .as_ssz_bytes()
}

/// SHA-256 of the canonical state bytes, the digest both sides compare.
pub fn state_sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Decodes state bytes with the reference's acceptance rules: valid SSZ, no duplicate address in
/// either list, and no clock without a count. Out-of-order entries are accepted but flagged.
pub fn decode_state(bytes: &[u8]) -> Result<DecodedState, SszError> {
    let ssz = StateSsz::from_ssz_bytes(bytes).map_err(|e| SszError::from_decode("state", &e))?;
    if ssz.executed_input_count == 0 && ssz.last_executed_safe_block != 0 {
        return Err(SszError::new(
            "state.last_executed_safe_block",
            format!(
                "is {} while executed_input_count is 0 (a clock without any executed input)",
                ssz.last_executed_safe_block
            ),
        ));
    }
    let mut decoded = from_lists(
        WalletConfig {
            erc20_portal: ssz.erc20_portal,
            supported_token: ssz.supported_token,
            fee_recipient: ssz.fee_recipient,
        },
        ssz.balances,
        ssz.nonces,
        ssz.executed_input_count,
    )?;
    decoded.last_executed_safe_block = Some(ssz.last_executed_safe_block);
    Ok(decoded)
}

/// Decodes the older 76-byte-fixed-part schema (no `last_executed_safe_block`), which the current
/// decoder rejects because its balances offset is 76, not 84. Only `inspect` uses it, to tell an
/// operator that a sequencer serves the old schema.
pub fn decode_legacy_state_v1(bytes: &[u8]) -> Result<DecodedState, SszError> {
    let ssz = LegacyStateV1Ssz::from_ssz_bytes(bytes)
        .map_err(|e| SszError::from_decode("legacy v1 state", &e))?;
    from_lists(
        WalletConfig {
            erc20_portal: ssz.erc20_portal,
            supported_token: ssz.supported_token,
            fee_recipient: ssz.fee_recipient,
        },
        ssz.balances,
        ssz.nonces,
        ssz.executed_input_count,
    )
}

fn from_lists(
    config: WalletConfig,
    balance_entries: Vec<BalanceEntry>,
    nonce_entries: Vec<NonceEntry>,
    executed_input_count: u64,
) -> Result<DecodedState, SszError> {
    let mut non_canonical = Vec::new();
    let balances: Vec<(Address, U256)> = balance_entries
        .into_iter()
        .map(|e| (e.address, U256::from_be_bytes(e.balance)))
        .collect();
    let nonces: Vec<(Address, u32)> = nonce_entries
        .into_iter()
        .map(|e| (e.address, e.nonce))
        .collect();
    check_entries("balances", balances.iter().map(|e| e.0), &mut non_canonical)?;
    check_entries("nonces", nonces.iter().map(|e| e.0), &mut non_canonical)?;
    Ok(DecodedState {
        config,
        balances,
        nonces,
        executed_input_count,
        last_executed_safe_block: None,
        non_canonical,
    })
}

/// Rejects duplicate addresses; records (once per list) entries that are not ascending.
fn check_entries(
    list: &str,
    addresses: impl Iterator<Item = Address>,
    non_canonical: &mut Vec<String>,
) -> Result<(), SszError> {
    let mut seen = BTreeMap::new();
    let mut previous: Option<Address> = None;
    let mut out_of_order_reported = false;
    for (index, address) in addresses.enumerate() {
        if let Some(first) = seen.insert(address, index) {
            return Err(SszError::new(
                format!("state.{list}[{index}]"),
                format!("duplicate address {address} (first at index {first})"),
            ));
        }
        if let Some(prev) = previous
            && address < prev
            && !out_of_order_reported
        {
            non_canonical.push(format!(
                "{list}[{index}] ({address}) sorts before the entry preceding it; the canonical \
                 encoder emits entries in ascending address order"
            ));
            out_of_order_reported = true;
        }
        previous = Some(address);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    fn config() -> WalletConfig {
        WalletConfig {
            erc20_portal: address!("22e57511c30cce6cdaa742e13ce3b774fdc663b1"),
            supported_token: address!("1c7d4b196cb0c7b01d743fbc6116a902379c7238"),
            fee_recipient: address!("16d5ff3fdd14e2a86fba77cbce6b3cd9c32b8ff3"),
        }
    }

    #[test]
    fn empty_wallet_is_84_bytes_with_offsets_84() {
        let bytes = encode_state(&Wallet::new(config()));
        assert_eq!(bytes.len(), STATE_FIXED_LEN);
        assert_eq!(&bytes[60..68], &[84, 0, 0, 0, 84, 0, 0, 0]);
        let decoded = decode_state(&bytes).unwrap();
        assert!(decoded.is_canonical());
        assert_eq!(decoded.into_wallet(), Wallet::new(config()));
    }

    #[test]
    fn clock_without_count_is_rejected() {
        let mut wallet = Wallet::new(config());
        wallet.last_executed_safe_block = 5;
        let err = decode_state(&encode_state(&wallet)).unwrap_err();
        assert_eq!(err.path, "state.last_executed_safe_block");
    }

    #[test]
    fn duplicate_addresses_are_rejected() {
        let a = address!("00000000000000000000000000000000000000aa");
        let ssz = StateSsz {
            erc20_portal: Address::ZERO,
            supported_token: Address::ZERO,
            fee_recipient: Address::ZERO,
            balances: vec![],
            nonces: vec![
                NonceEntry {
                    address: a,
                    nonce: 1,
                },
                NonceEntry {
                    address: a,
                    nonce: 2,
                },
            ],
            executed_input_count: 1,
            last_executed_safe_block: 0,
        };
        let err = decode_state(&ssz.as_ssz_bytes()).unwrap_err();
        assert_eq!(err.path, "state.nonces[1]");
    }

    #[test]
    fn out_of_order_entries_are_accepted_but_flagged() {
        let low = address!("00000000000000000000000000000000000000aa");
        let high = address!("00000000000000000000000000000000000000bb");
        let ssz = StateSsz {
            erc20_portal: Address::ZERO,
            supported_token: Address::ZERO,
            fee_recipient: Address::ZERO,
            balances: vec![
                BalanceEntry {
                    address: high,
                    balance: [0; 32],
                },
                BalanceEntry {
                    address: low,
                    balance: [0; 32],
                },
            ],
            nonces: vec![],
            executed_input_count: 0,
            last_executed_safe_block: 0,
        };
        let bytes = ssz.as_ssz_bytes();
        let decoded = decode_state(&bytes).unwrap();
        assert!(!decoded.is_canonical());
        // Re-encoding the same wallet gives the canonical order, hence different bytes.
        assert_ne!(encode_state(&decoded.into_wallet()), bytes);
    }

    #[test]
    fn balance_list_not_multiple_of_52_is_rejected() {
        let mut bytes = encode_state(&Wallet::new(config()));
        // Nonces offset 85 leaves one stray byte in the balances list.
        bytes[64] = 85;
        bytes.push(0);
        assert!(decode_state(&bytes).is_err());
    }
}
