//! The checkpoint serialization of a machine (`machine.bin`): a one-line JSON header that says
//! what the file is and which version wrote it, then an SSZ body. The body embeds the canonical
//! state bytes unchanged, plus what those bytes do not carry (fridge, batch nonce, counters).

use super::machine::{FridgeEntry, Machine};
use super::scheduler::SchedulerConfig;
use super::snapshot::{decode_state, encode_state};
use super::ssz_error::SszError;
use alloy::primitives::Address;
use serde::{Deserialize, Serialize};
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use std::collections::VecDeque;

/// Bump on any change to the body layout (a schema-guard test pins the bytes).
pub const MACHINE_FORMAT_VERSION: u32 = 1;
pub const MACHINE_FORMAT_NAME: &str = "warden-machine";

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Header {
    format: String,
    version: u32,
    body: String,
}

const BODY_V1: &str = "ssz MachineV1{batch_submitter:[20],max_wait_blocks:u64,\
next_expected_batch_nonce:u64,inputs_processed:u64,last_processed_block:u64,\
state:List[u8],fridge:List[{sender:[20],inclusion_block:u64,payload:List[u8]}]}";

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct FridgeEntryV1 {
    sender: Address,
    inclusion_block: u64,
    payload: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct MachineV1 {
    batch_submitter: Address,
    max_wait_blocks: u64,
    next_expected_batch_nonce: u64,
    inputs_processed: u64,
    last_processed_block: u64,
    state: Vec<u8>,
    fridge: Vec<FridgeEntryV1>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    #[error("a stopped machine has no valid state to checkpoint")]
    Stopped,
    #[error("not a warden machine file: {0}")]
    NotAMachine(String),
    #[error(
        "machine file format version {found} is not supported (this warden reads version \
         {MACHINE_FORMAT_VERSION}); run the warden release that wrote it, or re-create the state \
         with `warden recover replay`"
    )]
    UnsupportedVersion { found: u32 },
    #[error("corrupt machine file: {0}")]
    Corrupt(String),
}

/// Serializes a live machine.
pub fn encode_machine(machine: &Machine) -> Result<Vec<u8>, CodecError> {
    if machine.stopped().is_some() {
        return Err(CodecError::Stopped);
    }
    let header = Header {
        format: MACHINE_FORMAT_NAME.to_string(),
        version: MACHINE_FORMAT_VERSION,
        body: BODY_V1.to_string(),
    };
    let body = MachineV1 {
        batch_submitter: machine.scheduler.batch_submitter,
        max_wait_blocks: machine.scheduler.max_wait_blocks,
        next_expected_batch_nonce: machine.next_expected_batch_nonce,
        inputs_processed: machine.inputs_processed,
        last_processed_block: machine.last_processed_block,
        state: encode_state(&machine.wallet),
        fridge: machine
            .fridge
            .iter()
            .map(|e| FridgeEntryV1 {
                sender: e.sender,
                inclusion_block: e.inclusion_block,
                payload: e.payload.clone(),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec(&header).map_err(|e| CodecError::Corrupt(e.to_string()))?;
    out.push(b'\n');
    out.extend_from_slice(&body.as_ssz_bytes());
    Ok(out)
}

/// True when the bytes start like a machine file (for `inspect`'s format detection).
pub fn looks_like_machine(bytes: &[u8]) -> bool {
    bytes.starts_with(b"{\"format\":\"warden-machine\"")
}

/// Deserializes and validates a machine file; the embedded state must be canonical.
pub fn decode_machine(bytes: &[u8]) -> Result<Machine, CodecError> {
    let newline = bytes
        .iter()
        .take(4096)
        .position(|b| *b == b'\n')
        .ok_or_else(|| CodecError::NotAMachine("no header line".to_string()))?;
    let header: Header = serde_json::from_slice(&bytes[..newline])
        .map_err(|e| CodecError::NotAMachine(format!("header: {e}")))?;
    if header.format != MACHINE_FORMAT_NAME {
        return Err(CodecError::NotAMachine(format!(
            "format is {:?}, not {MACHINE_FORMAT_NAME:?}",
            header.format
        )));
    }
    if header.version != MACHINE_FORMAT_VERSION {
        return Err(CodecError::UnsupportedVersion {
            found: header.version,
        });
    }
    if header.body != BODY_V1 {
        return Err(CodecError::Corrupt(
            "header's body layout differs from version 1's".into(),
        ));
    }
    let body = MachineV1::from_ssz_bytes(&bytes[newline + 1..])
        .map_err(|e| CodecError::Corrupt(SszError::from_decode("machine", &e).to_string()))?;
    let decoded = decode_state(&body.state).map_err(|e| CodecError::Corrupt(e.to_string()))?;
    if !decoded.is_canonical() {
        return Err(CodecError::Corrupt(
            "embedded state bytes are not in canonical order".into(),
        ));
    }
    let wallet = decoded.into_wallet();
    if encode_state(&wallet) != body.state {
        return Err(CodecError::Corrupt(
            "embedded state does not re-encode identically".into(),
        ));
    }
    let mut previous = 0;
    let mut fridge = VecDeque::with_capacity(body.fridge.len());
    for (i, e) in body.fridge.into_iter().enumerate() {
        if e.inclusion_block < previous || e.inclusion_block > body.last_processed_block {
            return Err(CodecError::Corrupt(format!(
                "fridge entry {i} at block {} is out of L1 order",
                e.inclusion_block
            )));
        }
        previous = e.inclusion_block;
        fridge.push_back(FridgeEntry {
            sender: e.sender,
            payload: e.payload,
            inclusion_block: e.inclusion_block,
        });
    }
    Ok(Machine::from_parts(
        SchedulerConfig {
            batch_submitter: body.batch_submitter,
            max_wait_blocks: body.max_wait_blocks,
        },
        wallet,
        fridge,
        body.next_expected_batch_nonce,
        body.inputs_processed,
        body.last_processed_block,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::wallet::WalletConfig;
    use alloy::primitives::U256;

    fn pinned_machine() -> Machine {
        let mut machine = Machine::genesis(
            SchedulerConfig {
                batch_submitter: Address::repeat_byte(0x5b),
                max_wait_blocks: 1200,
            },
            WalletConfig {
                erc20_portal: Address::repeat_byte(0x50),
                supported_token: Address::repeat_byte(0x70),
                fee_recipient: Address::repeat_byte(0x5b),
            },
        );
        machine
            .wallet
            .credit(Address::repeat_byte(1), U256::from(12345u64));
        machine.wallet.nonces.insert(Address::repeat_byte(1), 3);
        machine.wallet.executed_input_count = 4;
        machine.wallet.last_executed_safe_block = 90;
        machine.fridge.push_back(FridgeEntry {
            sender: Address::repeat_byte(2),
            payload: vec![9, 8, 7],
            inclusion_block: 95,
        });
        machine.next_expected_batch_nonce = 2;
        machine.inputs_processed = 6;
        machine.last_processed_block = 100;
        machine
    }

    /// Schema guard: if this digest changes, the checkpoint layout changed. Bump
    /// MACHINE_FORMAT_VERSION (and keep a decoder for the old version) before updating the pin.
    #[test]
    fn machine_format_v1_bytes_are_pinned() {
        let bytes = encode_machine(&pinned_machine()).unwrap();
        assert_eq!(MACHINE_FORMAT_VERSION, 1);
        assert_eq!(
            hex::encode(crate::canonical::snapshot::state_sha256(&bytes)),
            PINNED_V1_SHA256,
            "machine.bin layout changed without a format version bump"
        );
        assert_eq!(decode_machine(&bytes).unwrap(), pinned_machine());
    }

    const PINNED_V1_SHA256: &str =
        "643b39f40f0063ccc6d37d9c01651b937f625d9552fcf8e127e21313b730e997";

    #[test]
    fn unknown_version_is_refused_with_advice() {
        let bytes = encode_machine(&pinned_machine()).unwrap();
        let text = String::from_utf8_lossy(&bytes).replacen("\"version\":1", "\"version\":2", 1);
        let err = decode_machine(text.as_bytes()).unwrap_err();
        assert_eq!(err, CodecError::UnsupportedVersion { found: 2 });
        assert!(err.to_string().contains("warden"));
    }
}
