//! JSON conventions of operator-contract §3: EIP-55 addresses, u256 as decimal strings, hashes as
//! `0x` + lowercase hex, SHA-256 digests as 64 lowercase hex characters.

/// serde helpers for an `Address` as an EIP-55 string (reads any case).
pub mod address {
    use alloy::primitives::Address;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(address: &Address, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&address.to_checksum(None))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let text = String::deserialize(d)?;
        crate::cli::parse_address(&text).map_err(serde::de::Error::custom)
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
        text.parse()
            .map_err(|e| serde::de::Error::custom(format!("{text:?} is not a decimal amount: {e}")))
    }
}

/// serde helpers for a 32-byte hash as `0x` + lowercase hex.
pub mod hash {
    use alloy::primitives::B256;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &B256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{hash:#x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<B256, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e| serde::de::Error::custom(format!("{text:?} is not a 32-byte hash: {e}")))
    }
}

/// Normalises a SHA-256 digest as served (`0x` and upper case accepted) to 64 lowercase hex chars.
pub fn normalize_sha256(text: &str) -> Option<String> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    (digits.len() == 64 && digits.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| digits.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_normalisation() {
        let lower = "d6322ff5882834d6989703413e446dccf43d6564d529abb360385e3b9bcff63a";
        assert_eq!(normalize_sha256(lower).as_deref(), Some(lower));
        assert_eq!(
            normalize_sha256(&format!("0x{}", lower.to_uppercase())).as_deref(),
            Some(lower)
        );
        assert_eq!(normalize_sha256(&lower[1..]), None);
        assert_eq!(normalize_sha256(&format!("{}g", &lower[1..])), None);
    }
}
