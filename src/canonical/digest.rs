//! SHA-256 digests of canonical state bytes as a 32-byte type: compared as bytes, written as 64
//! lowercase hex characters without `0x` (the sequencer's format), read from any case and with an
//! optional `0x` (operator-contract §3).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sha256Digest(pub [u8; 32]);

/// Inputs at least this large are hashed on a thread of their own by [`Sha256Digest::of_while`].
const PARALLEL_MIN: usize = 1 << 20;

impl Sha256Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The digest of `bytes`, computed on a second thread while `work` runs on this one, so a
    /// large file's hash costs no extra time next to decoding or writing it. Small inputs, or no
    /// thread to be had, hash on this thread after `work`. `work` runs exactly once either way.
    pub fn of_while<R>(bytes: &[u8], work: impl FnOnce() -> R) -> (Self, R) {
        if bytes.len() < PARALLEL_MIN {
            let result = work();
            return (Self::of(bytes), result);
        }
        std::thread::scope(|scope| {
            let hasher = std::thread::Builder::new()
                .name("sha256".into())
                .spawn_scoped(scope, || Self::of(bytes));
            let result = work();
            let digest = match hasher {
                // Hashing cannot panic; were it to, the digest is computed here instead.
                Ok(handle) => handle.join().unwrap_or_else(|_| Self::of(bytes)),
                Err(_) => Self::of(bytes),
            };
            (digest, result)
        })
    }

    /// Parses 64 hex digits, with an optional `0x`, in any case.
    pub fn parse(text: &str) -> Option<Self> {
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        if digits.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(digits, &mut out).ok()?;
        Some(Self(out))
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_hex())
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Sha256Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "a sha256 digest must be 64 hex digits, found {} characters",
                text.len()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_case_and_prefix_and_prints_lowercase() {
        let lower = "d6322ff5882834d6989703413e446dccf43d6564d529abb360385e3b9bcff63a";
        let digest = Sha256Digest::parse(lower).unwrap();
        assert_eq!(digest.to_string(), lower);
        assert_eq!(
            Sha256Digest::parse(&format!("0x{}", lower.to_uppercase())),
            Some(digest)
        );
        assert_eq!(Sha256Digest::parse(&lower[1..]), None);
        assert_eq!(Sha256Digest::parse(&format!("{}g", &lower[1..])), None);
        assert_eq!(
            serde_json::to_string(&digest).unwrap(),
            format!("\"{lower}\"")
        );
        assert_eq!(Sha256Digest::of(b"").to_hex().len(), 64);
    }

    #[test]
    fn of_while_is_of_and_runs_the_work_once() {
        for len in [0, 1000, PARALLEL_MIN, PARALLEL_MIN + 12_345] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + i / 300) as u8).collect();
            let mut runs = 0;
            let (digest, out) = Sha256Digest::of_while(&bytes, || {
                runs += 1;
                len * 2
            });
            assert_eq!((digest, out, runs), (Sha256Digest::of(&bytes), len * 2, 1));
        }
    }
}
