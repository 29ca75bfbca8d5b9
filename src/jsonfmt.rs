//! JSON and text conventions of operator-contract §3, parsed at the edge once: EIP-55 addresses,
//! u256 as decimal strings, block and transaction hashes as `0x` + 64 lowercase hex digits.
//! (SHA-256 digests are `canonical::digest::Sha256Digest`.)

use alloy::primitives::{Address, B256};

/// `0x` + 40 hex digits; mixed case must be a valid EIP-55 checksum (a typo guard).
pub fn parse_address(text: &str) -> Result<Address, String> {
    // Messages give lengths, never the text: a key pasted into an address flag must not echo.
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or_else(|| "not an address: it must start with 0x".to_string())?;
    if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "not an address: expected 0x and 40 hex digits, found {} characters",
            text.chars().count()
        ));
    }
    let has_upper = hex.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = hex.chars().any(|c| c.is_ascii_lowercase());
    let address: Address = format!("0x{hex}")
        .parse()
        .map_err(|_| "not an address: expected 0x and 40 hex digits".to_string())?;
    if has_upper && has_lower && address.to_checksum(None) != format!("0x{hex}") {
        return Err(format!(
            "an address with mixed case but an invalid EIP-55 checksum (did you mean {}?); \
             check the address, or write it in lower case",
            address.to_checksum(None)
        ));
    }
    Ok(address)
}

/// `0x` + exactly 64 hex digits (any case) as a 32-byte hash. The error quotes lengths only.
pub fn parse_hash(text: &str) -> Result<B256, String> {
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| "a block hash must start with 0x".to_string())?;
    let mut out = [0u8; 32];
    if digits.len() != 64 {
        return Err(format!(
            "a block hash must be 0x and 64 hex digits, found {} digits",
            digits.len()
        ));
    }
    hex::decode_to_slice(digits, &mut out)
        .map_err(|_| "a block hash must be 0x and 64 hex digits".to_string())?;
    Ok(B256::from(out))
}

/// serde helpers for an `Address` as an EIP-55 string (reads any case).
pub mod address {
    use alloy::primitives::Address;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(address: &Address, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&address.to_checksum(None))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_address(&text).map_err(serde::de::Error::custom)
    }
}

/// serde helpers for a u128 (wei amounts) as a decimal string, like every u256 in our JSON.
pub mod u128_decimal {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|_| {
            serde::de::Error::custom(format!(
                "an amount must be a decimal u128, found {} characters",
                text.len()
            ))
        })
    }
}

/// serde helpers for a 32-byte hash as `0x` + lowercase hex (strict on read).
pub mod hash {
    use alloy::primitives::B256;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &B256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{hash:#x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<B256, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_hash(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_parsing() {
        assert!(parse_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").is_ok());
        assert!(parse_address("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").is_ok());
        assert!(parse_address("0x70997970C51812dc3A010C7d01b50e0d17dc79c8").is_err());
        assert!(parse_address("70997970c51812dc3a010c7d01b50e0d17dc79c8").is_err());
        assert!(parse_address("0x1234").is_err());
    }

    #[test]
    fn hashes_are_strict() {
        let good = format!("0x{}", "ab".repeat(32));
        assert_eq!(parse_hash(&good).unwrap(), B256::repeat_byte(0xab));
        assert!(parse_hash(&"ab".repeat(32)).is_err());
        assert!(parse_hash(&good[..65]).is_err());
        assert!(parse_hash(&format!("0x{}", "zz".repeat(32))).is_err());
        assert!(parse_hash("").is_err());
    }
}
