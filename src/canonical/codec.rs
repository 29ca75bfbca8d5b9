//! The checkpoint serialization of a machine (`machine.bin`): a one-line JSON header that says
//! what the file is and which version wrote it, then an SSZ body. The body embeds the canonical
//! state bytes unchanged, plus what those bytes do not carry (fridge, batch nonce, counters).

use super::digest::Sha256Digest;
use super::liveness::Liveness;
use super::machine::{FridgeEntry, Machine};
use super::scheduler::SchedulerConfig;
use super::snapshot::{
    StateView, encode_state_into, encoded_state_len, state_encodes_to, view_state,
};
use super::ssz_error::SszError;
use alloy::primitives::Address;
use serde::{Deserialize, Serialize};
use ssz::{DecodeError, Encode, SszDecoderBuilder};
use ssz_derive::{Decode, Encode};
use std::collections::VecDeque;

/// Bump on any change to the body layout (a schema-guard test pins the bytes). Version 2 adds
/// the liveness counters; version 1 files still load (their counters start at their block).
pub const MACHINE_FORMAT_VERSION: u32 = 2;
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

const BODY_V2: &str = "ssz MachineV2{batch_submitter:[20],max_wait_blocks:u64,\
next_expected_batch_nonce:u64,inputs_processed:u64,last_processed_block:u64,\
state:List[u8],fridge:List[{sender:[20],inclusion_block:u64,payload:List[u8]}],\
liveness_since_block:u64,last_accepted_batch_block_plus_one:u64,batches:List[u64],ops:List[u64]}";

/// The version 2 body as derived SSZ: the reference the hand-written encoder and decoder below
/// are tested against byte for byte (they write and read the state in place instead of copying
/// it through a `Vec`).
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct MachineV2 {
    batch_submitter: Address,
    max_wait_blocks: u64,
    next_expected_batch_nonce: u64,
    inputs_processed: u64,
    last_processed_block: u64,
    state: Vec<u8>,
    fridge: Vec<FridgeEntryV1>,
    liveness_since_block: u64,
    /// 0 when no batch was accepted since `liveness_since_block`.
    last_accepted_batch_block_plus_one: u64,
    /// `BatchOutcome::ALL` order.
    batches: Vec<u64>,
    /// `OpOutcome::ALL` order.
    ops: Vec<u64>,
}

/// Fixed part of the version 2 body: the submitter, four u64, two offsets, two u64, two offsets.
const BODY_V2_FIXED_LEN: usize = 20 + 4 * 8 + 2 * 4 + 2 * 8 + 2 * 4;

#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
struct FridgeEntryV1 {
    sender: Address,
    inclusion_block: u64,
    payload: Vec<u8>,
}

#[cfg(test)]
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

/// A decoded body (either version) with the state bytes still borrowed from the file.
struct Body<'a> {
    batch_submitter: Address,
    max_wait_blocks: u64,
    next_expected_batch_nonce: u64,
    inputs_processed: u64,
    last_processed_block: u64,
    state: &'a [u8],
    fridge: Vec<FridgeEntryV1>,
    /// Version 2 only.
    liveness: Option<LivenessV2>,
}

struct LivenessV2 {
    liveness_since_block: u64,
    last_accepted_batch_block_plus_one: u64,
    batches: Vec<u64>,
    ops: Vec<u64>,
}

/// `MachineV2` (or, with `v1`, `MachineV1`) as its derived decoder reads it: the same
/// registrations, the same checks, in the same order, except that `state` stays borrowed.
fn parse_body(bytes: &[u8], v1: bool) -> Result<Body<'_>, DecodeError> {
    let mut builder = SszDecoderBuilder::new(bytes);
    builder.register_type::<Address>()?;
    for _ in 0..4 {
        builder.register_type::<u64>()?;
    }
    builder.register_type::<Vec<u8>>()?;
    builder.register_type::<Vec<FridgeEntryV1>>()?;
    if !v1 {
        builder.register_type::<u64>()?;
        builder.register_type::<u64>()?;
        builder.register_type::<Vec<u64>>()?;
        builder.register_type::<Vec<u64>>()?;
    }
    let mut decoder = builder.build()?;
    let batch_submitter = decoder.decode_next()?;
    let max_wait_blocks = decoder.decode_next()?;
    let next_expected_batch_nonce = decoder.decode_next()?;
    let inputs_processed = decoder.decode_next()?;
    let last_processed_block = decoder.decode_next()?;
    // `Vec<u8>`'s decoder accepts any bytes.
    let state = decoder.decode_next_with(Ok)?;
    let fridge = decoder.decode_next()?;
    let liveness = if v1 {
        None
    } else {
        Some(LivenessV2 {
            liveness_since_block: decoder.decode_next()?,
            last_accepted_batch_block_plus_one: decoder.decode_next()?,
            batches: decoder.decode_next()?,
            ops: decoder.decode_next()?,
        })
    };
    Ok(Body {
        batch_submitter,
        max_wait_blocks,
        next_expected_batch_nonce,
        inputs_processed,
        last_processed_block,
        state,
        fridge,
        liveness,
    })
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

/// An SSZ offset: the length's low 4 bytes, little-endian (`ssz::encode_length`).
fn offset_bytes(offset: usize) -> [u8; 4] {
    (offset as u32).to_le_bytes()
}

/// Serializes a live machine: the header line, then the version 2 body written in one pass into
/// one buffer of the exact size (the state is encoded in place, never copied).
pub fn encode_machine(machine: &Machine) -> Result<Vec<u8>, CodecError> {
    if machine.stopped().is_some() {
        return Err(CodecError::Stopped);
    }
    let header = Header {
        format: MACHINE_FORMAT_NAME.to_string(),
        version: MACHINE_FORMAT_VERSION,
        body: BODY_V2.to_string(),
    };
    let liveness = &machine.liveness;
    let fridge = machine
        .fridge
        .iter()
        .map(|e| FridgeEntryV1 {
            sender: e.sender,
            inclusion_block: e.inclusion_block,
            payload: e.payload.clone(),
        })
        .collect::<Vec<_>>()
        .as_ssz_bytes();
    let batches = liveness.batches.to_vec().as_ssz_bytes();
    let ops = liveness.ops.to_vec().as_ssz_bytes();
    let state_len = encoded_state_len(&machine.wallet);
    let state_at = BODY_V2_FIXED_LEN;
    let fridge_at = state_at + state_len;
    let batches_at = fridge_at + fridge.len();
    let ops_at = batches_at + batches.len();
    let body_len = ops_at + ops.len();

    let header = serde_json::to_vec(&header).map_err(|e| CodecError::Corrupt(e.to_string()))?;
    let mut out = Vec::with_capacity(header.len() + 1 + body_len);
    out.extend_from_slice(&header);
    out.push(b'\n');
    out.extend_from_slice(machine.scheduler.batch_submitter.as_slice());
    out.extend_from_slice(&machine.scheduler.max_wait_blocks.to_le_bytes());
    out.extend_from_slice(&machine.next_expected_batch_nonce.to_le_bytes());
    out.extend_from_slice(&machine.inputs_processed.to_le_bytes());
    out.extend_from_slice(&machine.last_processed_block.to_le_bytes());
    out.extend_from_slice(&offset_bytes(state_at));
    out.extend_from_slice(&offset_bytes(fridge_at));
    out.extend_from_slice(&liveness.since_block.to_le_bytes());
    let plus_one = liveness
        .last_accepted_batch_block
        .map_or(0, |b| b.saturating_add(1));
    out.extend_from_slice(&plus_one.to_le_bytes());
    out.extend_from_slice(&offset_bytes(batches_at));
    out.extend_from_slice(&offset_bytes(ops_at));
    encode_state_into(&machine.wallet, &mut out);
    out.extend_from_slice(&fridge);
    out.extend_from_slice(&batches);
    out.extend_from_slice(&ops);
    debug_assert_eq!(out.len(), header.len() + 1 + body_len);
    Ok(out)
}

/// True when the bytes start like a machine file (for `inspect`'s format detection).
pub fn looks_like_machine(bytes: &[u8]) -> bool {
    bytes.starts_with(b"{\"format\":\"warden-machine\"")
}

/// Deserializes and validates a machine file; the embedded state must be canonical.
pub fn decode_machine(bytes: &[u8]) -> Result<Machine, CodecError> {
    build(parse(bytes)?)
}

/// [`decode_machine`], plus the SHA-256 of the machine's canonical state bytes (equal to
/// `machine.state_sha256()`: decoding proves the state re-encodes to the embedded bytes, so
/// those are hashed, on a second thread while the machine is built, instead of a second
/// encoding).
pub fn decode_machine_and_state_sha256(bytes: &[u8]) -> Result<(Machine, [u8; 32]), CodecError> {
    let parsed = parse(bytes)?;
    let (digest, machine) = Sha256Digest::of_while(parsed.body.state, || build(parsed));
    Ok((machine?, digest.0))
}

/// A machine file whose layout, counters and embedded state bytes were checked, before the
/// machine is built from it.
struct Parsed<'a> {
    body: Body<'a>,
    liveness: Option<Liveness>,
    state: StateView<'a>,
}

fn parse(bytes: &[u8]) -> Result<Parsed<'_>, CodecError> {
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
    let body_bytes = &bytes[newline + 1..];
    let corrupt =
        |e: ssz::DecodeError| CodecError::Corrupt(SszError::from_decode("machine", &e).to_string());
    let body = match (header.version, header.body.as_str()) {
        (2, BODY_V2) => parse_body(body_bytes, false).map_err(corrupt)?,
        // Written before the liveness counters: they start at this checkpoint's block.
        (1, BODY_V1) => parse_body(body_bytes, true).map_err(corrupt)?,
        (1 | 2, _) => {
            return Err(CodecError::Corrupt(format!(
                "header's body layout differs from version {}'s",
                header.version
            )));
        }
        (found, _) => return Err(CodecError::UnsupportedVersion { found }),
    };
    let liveness = body
        .liveness
        .as_ref()
        .map(|v2| liveness_of(v2, body.last_processed_block))
        .transpose()?;
    let state = view_state(body.state).map_err(|e| CodecError::Corrupt(e.to_string()))?;
    if !state.is_canonical() {
        return Err(CodecError::Corrupt(
            "embedded state bytes are not in canonical order".into(),
        ));
    }
    Ok(Parsed {
        body,
        liveness,
        state,
    })
}

fn build(parsed: Parsed<'_>) -> Result<Machine, CodecError> {
    let Parsed {
        body,
        liveness,
        state,
    } = parsed;
    let wallet = state.into_wallet();
    if !state_encodes_to(&wallet, body.state) {
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
    let mut machine = Machine::from_parts(
        SchedulerConfig {
            batch_submitter: body.batch_submitter,
            max_wait_blocks: body.max_wait_blocks,
        },
        wallet,
        fridge,
        body.next_expected_batch_nonce,
        body.inputs_processed,
        body.last_processed_block,
    );
    if let Some(liveness) = liveness {
        machine.liveness = liveness;
    }
    Ok(machine)
}

fn liveness_of(body: &LivenessV2, last_processed_block: u64) -> Result<Liveness, CodecError> {
    let counters = |list: &[u64], what: &str| -> Result<[u64; 6], CodecError> {
        list.try_into().map_err(|_| {
            CodecError::Corrupt(format!("{what} holds {} counters, not 6", list.len()))
        })
    };
    if body.liveness_since_block > last_processed_block {
        return Err(CodecError::Corrupt(
            "liveness counters start after the machine's block".into(),
        ));
    }
    Ok(Liveness {
        since_block: body.liveness_since_block,
        batches: counters(&body.batches, "batches")?,
        ops: counters(&body.ops, "ops")?,
        last_accepted_batch_block: body.last_accepted_batch_block_plus_one.checked_sub(1),
    })
}

/// The implementation before the in-place body codec (derived SSZ, the state copied through a
/// `Vec`), kept verbatim as the oracle the tests compare against.
#[cfg(test)]
mod reference {
    use super::*;
    use crate::canonical::snapshot::reference::{decode_state, encode_state};
    use ssz::Decode;

    pub fn encode_machine(machine: &Machine) -> Result<Vec<u8>, CodecError> {
        if machine.stopped().is_some() {
            return Err(CodecError::Stopped);
        }
        let header = Header {
            format: MACHINE_FORMAT_NAME.to_string(),
            version: MACHINE_FORMAT_VERSION,
            body: BODY_V2.to_string(),
        };
        let liveness = &machine.liveness;
        let body = MachineV2 {
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
            liveness_since_block: liveness.since_block,
            last_accepted_batch_block_plus_one: liveness
                .last_accepted_batch_block
                .map_or(0, |b| b.saturating_add(1)),
            batches: liveness.batches.to_vec(),
            ops: liveness.ops.to_vec(),
        };
        let mut out =
            serde_json::to_vec(&header).map_err(|e| CodecError::Corrupt(e.to_string()))?;
        out.push(b'\n');
        out.extend_from_slice(&body.as_ssz_bytes());
        Ok(out)
    }
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
        let body_bytes = &bytes[newline + 1..];
        let corrupt = |e: ssz::DecodeError| {
            CodecError::Corrupt(SszError::from_decode("machine", &e).to_string())
        };
        let (body, liveness) = match (header.version, header.body.as_str()) {
            (2, BODY_V2) => {
                let v2 = MachineV2::from_ssz_bytes(body_bytes).map_err(corrupt)?;
                let liveness = liveness_of(&v2)?;
                let v1 = MachineV1 {
                    batch_submitter: v2.batch_submitter,
                    max_wait_blocks: v2.max_wait_blocks,
                    next_expected_batch_nonce: v2.next_expected_batch_nonce,
                    inputs_processed: v2.inputs_processed,
                    last_processed_block: v2.last_processed_block,
                    state: v2.state,
                    fridge: v2.fridge,
                };
                (v1, Some(liveness))
            }
            // Written before the liveness counters: they start at this checkpoint's block.
            (1, BODY_V1) => (
                MachineV1::from_ssz_bytes(body_bytes).map_err(corrupt)?,
                None,
            ),
            (1 | 2, _) => {
                return Err(CodecError::Corrupt(format!(
                    "header's body layout differs from version {}'s",
                    header.version
                )));
            }
            (found, _) => return Err(CodecError::UnsupportedVersion { found }),
        };
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
        let mut machine = Machine::from_parts(
            SchedulerConfig {
                batch_submitter: body.batch_submitter,
                max_wait_blocks: body.max_wait_blocks,
            },
            wallet,
            fridge,
            body.next_expected_batch_nonce,
            body.inputs_processed,
            body.last_processed_block,
        );
        if let Some(liveness) = liveness {
            machine.liveness = liveness;
        }
        Ok(machine)
    }
    fn liveness_of(body: &MachineV2) -> Result<Liveness, CodecError> {
        let counters = |list: &[u64], what: &str| -> Result<[u64; 6], CodecError> {
            list.try_into().map_err(|_| {
                CodecError::Corrupt(format!("{what} holds {} counters, not 6", list.len()))
            })
        };
        if body.liveness_since_block > body.last_processed_block {
            return Err(CodecError::Corrupt(
                "liveness counters start after the machine's block".into(),
            ));
        }
        Ok(Liveness {
            since_block: body.liveness_since_block,
            batches: counters(&body.batches, "batches")?,
            ops: counters(&body.ops, "ops")?,
            last_accepted_batch_block: body.last_accepted_batch_block_plus_one.checked_sub(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::snapshot::encode_state;
    use crate::canonical::snapshot::reference::Rng;
    use crate::canonical::wallet::WalletConfig;
    use alloy::primitives::U256;

    fn random_machine(rng: &mut Rng, max_accounts: u64) -> Machine {
        let scheduler = SchedulerConfig {
            batch_submitter: rng.address(),
            max_wait_blocks: rng.u64(),
        };
        let wallet = rng.wallet(max_accounts);
        let last_processed_block = rng.u64();
        let mut fridge = VecDeque::new();
        let mut block = rng.below(1000);
        for _ in 0..rng.below(4) {
            block = block.saturating_add(rng.below(3)).min(last_processed_block);
            let payload = (0..rng.below(90)).map(|_| rng.next() as u8).collect();
            fridge.push_back(FridgeEntry {
                sender: rng.address(),
                payload,
                inclusion_block: block,
            });
        }
        let mut machine = Machine::from_parts(
            scheduler,
            wallet,
            fridge,
            rng.u64(),
            rng.u64(),
            last_processed_block,
        );
        machine.liveness = Liveness {
            since_block: rng.below(last_processed_block.saturating_add(1)),
            batches: [(); 6].map(|_| rng.u64()),
            ops: [(); 6].map(|_| rng.u64()),
            last_accepted_batch_block: match rng.below(3) {
                0 => None,
                1 => Some(u64::MAX),
                _ => Some(rng.u64()),
            },
        };
        machine
    }

    /// The single-pass encoder writes exactly the derived SSZ body; the in-place decoder accepts,
    /// refuses and reports exactly what the derived one does, on files and damaged files of both
    /// versions; the digest that comes with decoding is the machine's.
    #[test]
    fn codec_matches_the_derived_ssz() {
        let mut rng = Rng(11);
        // Decoded, refused by the layout, by the state, by the fridge or counters, other.
        let mut seen = [0u32; 5];
        for round in 0..6000 {
            let machine = random_machine(&mut rng, if round % 40 == 0 { 150 } else { 5 });
            let bytes = encode_machine(&machine).unwrap();
            assert_eq!(
                bytes,
                reference::encode_machine(&machine).unwrap(),
                "round {round}"
            );
            let mut file = bytes.clone();
            if round % 5 == 4 {
                // A version 1 file of the same machine.
                let newline = file.iter().position(|b| *b == b'\n').unwrap();
                let body = MachineV1::from_ssz_bytes_v2_prefix(&file[newline + 1..]);
                file = v1_file(body);
            }
            if round % 3 != 0 {
                let newline = file.iter().position(|b| *b == b'\n').unwrap();
                let (head, body) = file.split_at(newline + 1);
                let damaged = match rng.below(3) {
                    0 => rng.mutate(file.clone()),
                    _ => [head, &rng.mutate(body.to_vec())].concat(),
                };
                file = damaged;
            }
            let ours = decode_machine(&file);
            assert_eq!(ours, reference::decode_machine(&file), "round {round}");
            seen[match &ours {
                Ok(_) => 0,
                Err(CodecError::Corrupt(e)) if e.starts_with("machine") => 1,
                Err(CodecError::Corrupt(e)) if e.contains("state") => 2,
                Err(CodecError::Corrupt(e)) if e.contains("fridge") || e.contains("counters") => 3,
                Err(_) => 4,
            }] += 1;
            if let Ok(decoded) = ours {
                let (again, digest) = decode_machine_and_state_sha256(&file).unwrap();
                assert_eq!(again, decoded);
                assert_eq!(digest, decoded.state_sha256());
            }
        }
        assert!(
            seen.iter().all(|n| *n >= 30),
            "every outcome is exercised: {seen:?}"
        );
    }

    impl MachineV1 {
        /// The version 1 body of a version 2 body's fields.
        fn from_ssz_bytes_v2_prefix(body: &[u8]) -> MachineV1 {
            let v2 = <MachineV2 as ssz::Decode>::from_ssz_bytes(body).unwrap();
            MachineV1 {
                batch_submitter: v2.batch_submitter,
                max_wait_blocks: v2.max_wait_blocks,
                next_expected_batch_nonce: v2.next_expected_batch_nonce,
                inputs_processed: v2.inputs_processed,
                last_processed_block: v2.last_processed_block,
                state: v2.state,
                fridge: v2.fridge,
            }
        }
    }

    fn v1_file(body: MachineV1) -> Vec<u8> {
        let header = Header {
            format: MACHINE_FORMAT_NAME.into(),
            version: 1,
            body: BODY_V1.into(),
        };
        let mut bytes = serde_json::to_vec(&header).unwrap();
        bytes.push(b'\n');
        bytes.extend_from_slice(&body.as_ssz_bytes());
        bytes
    }

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
    fn machine_format_v2_bytes_are_pinned() {
        let mut machine = pinned_machine();
        machine.liveness = Liveness {
            since_block: 50,
            batches: [1, 2, 3, 4, 5, 6],
            ops: [7, 8, 9, 10, 11, 12],
            last_accepted_batch_block: Some(97),
        };
        let bytes = encode_machine(&machine).unwrap();
        assert_eq!(MACHINE_FORMAT_VERSION, 2);
        assert_eq!(
            hex::encode(crate::canonical::snapshot::state_sha256(&bytes)),
            PINNED_V2_SHA256,
            "machine.bin layout changed without a format version bump"
        );
        assert_eq!(decode_machine(&bytes).unwrap(), machine);
    }

    const PINNED_V2_SHA256: &str =
        "131911f09780135e0d2670554a61c1623f614751453356ace275324fec866543";

    /// Version 1 files (before the liveness counters) still load; their counters start at their
    /// block. The bytes below are exactly what version 1 wrote (pinned).
    #[test]
    fn version_1_machines_migrate_with_counters_from_their_block() {
        let machine = pinned_machine();
        let header = Header {
            format: MACHINE_FORMAT_NAME.into(),
            version: 1,
            body: BODY_V1.into(),
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
        let mut bytes = serde_json::to_vec(&header).unwrap();
        bytes.push(b'\n');
        bytes.extend_from_slice(&body.as_ssz_bytes());
        assert_eq!(
            hex::encode(crate::canonical::snapshot::state_sha256(&bytes)),
            PINNED_V1_SHA256
        );
        let mut expected = machine;
        expected.liveness = Liveness::starting_at(100);
        assert_eq!(decode_machine(&bytes).unwrap(), expected);
    }

    const PINNED_V1_SHA256: &str =
        "643b39f40f0063ccc6d37d9c01651b937f625d9552fcf8e127e21313b730e997";

    #[test]
    fn unknown_version_is_refused_with_advice() {
        let bytes = encode_machine(&pinned_machine()).unwrap();
        let text = String::from_utf8_lossy(&bytes).replacen("\"version\":2", "\"version\":3", 1);
        let err = decode_machine(text.as_bytes()).unwrap_err();
        assert_eq!(err, CodecError::UnsupportedVersion { found: 3 });
        assert!(err.to_string().contains("warden"));
    }
}
