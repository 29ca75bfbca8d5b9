//! The submitter's signing key: from `--key-file` (mode 0600 or stricter) or the
//! `WARDEN_SUBMITTER_KEY` variable. The key is never logged, never written, and no error message
//! quotes any part of it.

use crate::outcome::Stop;
use alloy::consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy::eips::eip2718::Encodable2718;
use alloy::primitives::{Address, B256, Bytes, TxKind, U256};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// An I/O error in words, without the path (the OS error's own text never includes it).
fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => error.to_string(),
    }
}

pub const KEY_ENV: &str = "WARDEN_SUBMITTER_KEY";

/// A loaded key. Debug output shows the address only.
pub struct SubmitterKey {
    signer: PrivateKeySigner,
}

impl std::fmt::Debug for SubmitterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SubmitterKey({})", self.signer.address())
    }
}

/// A signed transaction ready to broadcast.
#[derive(Debug, Clone)]
pub struct SignedTx {
    pub hash: B256,
    pub raw: Vec<u8>,
}

/// One EIP-1559 transaction to sign.
#[derive(Debug, Clone)]
pub struct TxPlan {
    pub chain_id: u64,
    pub nonce: u64,
    pub to: Address,
    pub value: U256,
    pub data: Vec<u8>,
    pub gas_limit: u64,
    pub max_fee_per_gas: u128,
    pub max_priority_fee_per_gas: u128,
}

impl SubmitterKey {
    /// `--key-file` when given, else the environment variable.
    pub fn load(key_file: Option<&Path>) -> Result<Self, Stop> {
        match key_file {
            Some(path) => Self::from_file(path),
            None => match std::env::var(KEY_ENV) {
                Ok(text) => Self::parse(&text, KEY_ENV),
                Err(_) => Err(Stop::operator(format!(
                    "no submitter key: pass --key-file PATH (mode 0600) or set {KEY_ENV}"
                ))),
            },
        }
    }

    /// Reads the key file: it may be a symlink (Kubernetes secrets are), but must end at a
    /// regular file of at most 1 KiB with mode 0600 or stricter. No message names the path:
    /// the "path" may be the key itself, pasted into the wrong place.
    fn from_file(path: &Path) -> Result<Self, Stop> {
        const SOURCE: &str = "the key file (--key-file / WARDEN_SUBMITTER_KEY_FILE)";
        const KEY_FILE_CAP: u64 = 1024;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| {
                Stop::operator(format!(
                    "cannot open {SOURCE}: {}; check the path it names",
                    describe_io(&e)
                ))
            })?;
        let meta = file
            .metadata()
            .map_err(|e| Stop::operator(format!("cannot inspect {SOURCE}: {}", describe_io(&e))))?;
        if !meta.is_file() {
            return Err(Stop::operator(format!(
                "{SOURCE} is not a regular file; point it at the file holding the key"
            )));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Stop::operator(format!(
                "{SOURCE} has mode {mode:04o}, readable by others; `chmod 600` it (and rotate the \
                 key if others could read it)"
            )));
        }
        if meta.len() > KEY_FILE_CAP {
            return Err(Stop::operator(format!(
                "{SOURCE} is {} bytes; a key file holds 64 hex digits (at most {KEY_FILE_CAP} bytes)",
                meta.len()
            )));
        }
        let mut text = String::new();
        file.take(KEY_FILE_CAP)
            .read_to_string(&mut text)
            .map_err(|e| Stop::operator(format!("cannot read {SOURCE}: {}", describe_io(&e))))?;
        Self::parse(&text, SOURCE)
    }

    /// Parses 32 bytes of hex (with or without `0x`); `source` names where it came from.
    fn parse(text: &str, source: &str) -> Result<Self, Stop> {
        let trimmed = text.trim();
        let digits = trimmed
            .strip_prefix("0x")
            .or_else(|| trimmed.strip_prefix("0X"))
            .unwrap_or(trimmed);
        let invalid = || {
            Stop::operator(format!(
                "{source} does not hold a private key (expected 64 hex digits, optionally \
                 0x-prefixed, on one line)"
            ))
        };
        if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let bytes: B256 = digits.parse().map_err(|_| invalid())?;
        let signer = PrivateKeySigner::from_bytes(&bytes).map_err(|_| invalid())?;
        Ok(Self { signer })
    }

    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Refuses a key that is not the pinned batch submitter, before anything is signed.
    pub fn ensure_pinned(&self, pinned: Address) -> Result<(), Stop> {
        if self.address() == pinned {
            return Ok(());
        }
        Err(Stop::operator(format!(
            "the signing key is {} but this state directory pins batch submitter {pinned}; use \
             the submitter's key (nothing was signed)",
            self.address()
        )))
    }

    pub fn sign(&self, plan: &TxPlan) -> Result<SignedTx, Stop> {
        let tx = TxEip1559 {
            chain_id: plan.chain_id,
            nonce: plan.nonce,
            gas_limit: plan.gas_limit,
            max_fee_per_gas: plan.max_fee_per_gas,
            max_priority_fee_per_gas: plan.max_priority_fee_per_gas,
            to: TxKind::Call(plan.to),
            value: plan.value,
            access_list: Default::default(),
            input: Bytes::from(plan.data.clone()),
        };
        let signature = self
            .signer
            .sign_hash_sync(&tx.signature_hash())
            .map_err(|e| Stop::internal(format!("signing failed: {e}")))?;
        let signed = tx.into_signed(signature);
        let hash = *signed.hash();
        let envelope: TxEnvelope = signed.into();
        Ok(SignedTx {
            hash,
            raw: envelope.encoded_2718(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const KEY: &str = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";

    #[test]
    fn loose_key_files_are_refused_without_quoting_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(KEY.as_bytes())
            .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = SubmitterKey::load(Some(&path)).unwrap_err();
        assert!(err.message().contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let key = SubmitterKey::load(Some(&path)).unwrap();
        assert_eq!(
            key.address().to_checksum(None),
            "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
        );
        assert!(!format!("{key:?}").contains("2a871d07"));
    }

    #[test]
    fn malformed_keys_are_refused_without_quoting_them() {
        for text in ["", "0x1234", &KEY.replace('a', "g"), &format!("{KEY}00")] {
            let err = SubmitterKey::parse(text, "the test").unwrap_err();
            assert!(!err.message().contains("871d0798f97d"), "{err}");
        }
    }

    #[test]
    fn signed_transactions_recover_to_the_key() {
        use alloy::consensus::Transaction;
        use alloy::eips::eip2718::Decodable2718;
        let key = SubmitterKey::parse(KEY, "the test").unwrap();
        let signed = key
            .sign(&TxPlan {
                chain_id: 31337,
                nonce: 7,
                to: Address::repeat_byte(1),
                value: U256::ZERO,
                data: vec![1, 2, 3],
                gas_limit: 100_000,
                max_fee_per_gas: 2_000_000_000,
                max_priority_fee_per_gas: 1_000_000,
            })
            .unwrap();
        let envelope = TxEnvelope::decode_2718(&mut signed.raw.as_slice()).unwrap();
        assert_eq!(*envelope.tx_hash(), signed.hash);
        let TxEnvelope::Eip1559(signed_tx) = &envelope else {
            panic!("not an EIP-1559 envelope")
        };
        assert_eq!(envelope.chain_id(), Some(31337));
        assert_eq!(envelope.nonce(), 7);
        let sig = signed_tx.signature();
        let mut bytes = [0u8; 65];
        bytes[..32].copy_from_slice(&sig.r().to_be_bytes::<32>());
        bytes[32..64].copy_from_slice(&sig.s().to_be_bytes::<32>());
        bytes[64] = u8::from(sig.v());
        let digest = signed_tx.signature_hash();
        let signer = crate::canonical::eip712::recover_signer(&digest, &bytes).unwrap();
        assert_eq!(signer, key.address());
    }
}
