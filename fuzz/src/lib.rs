//! Helpers shared by the fuzz targets and the seed generator (`examples/gen_seeds.rs`): the byte
//! layouts the structured targets read, so seeds and targets cannot drift apart.

use alloy_primitives::{Address, U256};
use warden::canonical::batch::decode_batch;
use warden::canonical::eip712::{UserKey, domain_separator, user_op_digest};
use warden::canonical::{Input, Machine};

/// Keys the `machine` target signs ops with (when the input asks it to), so the fold gets past
/// signer recovery into fees, nonces and transfers. The seed machines credit their addresses.
pub fn fuzz_keys() -> [UserKey; 3] {
    [1u8, 2, 3].map(|b| UserKey::from_bytes(&[b; 32]).expect("valid key"))
}

/// Application and chain the `machine` target's inputs claim (the signing domain).
pub const APP: Address = Address::repeat_byte(0xaa);
pub const CHAIN_ID: u64 = 31337;

/// `machine` target layout: `[machine_len: u32 LE][machine.bin][input control][payload]`.
pub fn split_machine(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = u32::from_le_bytes(data.get(..4)?.try_into().ok()?) as usize;
    let rest = &data[4..];
    if len > rest.len() {
        return None;
    }
    Some(rest.split_at(len))
}

pub fn join_machine(machine: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut out = (machine.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(machine);
    out.extend_from_slice(rest);
    out
}

/// Bytes of the input control block that precedes the payload.
pub const CONTROL_LEN: usize = 16;

/// Control flags (byte 0) of the `machine` target's input.
pub mod flag {
    /// Sender: 0 = batch submitter, 1 = ERC-20 portal, 2 = the fee recipient, 3 = some address.
    pub const SENDER_MASK: u8 = 0b11;
    /// Re-sign every op of the payload batch with one of the fuzz keys.
    pub const RESIGN: u8 = 0b100;
    /// Prefix the payload with the supported token (a portal deposit header).
    pub const DEPOSIT: u8 = 0b1000;
    /// Use the raw index from the control block instead of the machine's next index.
    pub const RAW_INDEX: u8 = 0b1_0000;
    /// Block = u64 from the control block instead of last_processed_block + delta.
    pub const RAW_BLOCK: u8 = 0b10_0000;
    /// Other chain id (the signing domain changes).
    pub const OTHER_CHAIN: u8 = 0b100_0000;
}

/// Builds the one input the `machine` target folds. Control block (zero-padded when short):
/// `[flags u8][sender byte u8][block delta / raw block: u64 LE][index low bits: u32 LE][ts: u16]`.
pub fn build_input(machine: &Machine, rest: &[u8]) -> Input {
    let mut control = [0u8; CONTROL_LEN];
    let n = rest.len().min(CONTROL_LEN);
    control[..n].copy_from_slice(&rest[..n]);
    let payload = &rest[n..];
    let flags = control[0];
    let block_word = u64::from_le_bytes(control[2..10].try_into().unwrap());
    let index_word = u32::from_le_bytes(control[10..14].try_into().unwrap());
    let sender = match flags & flag::SENDER_MASK {
        0 => machine.scheduler.batch_submitter,
        1 => machine.wallet.config.erc20_portal,
        2 => machine.wallet.config.fee_recipient,
        _ => Address::repeat_byte(control[1]),
    };
    let index = if flags & flag::RAW_INDEX != 0 {
        machine.inputs_processed ^ u64::from(index_word)
    } else {
        machine.inputs_processed
    };
    let block_number = if flags & flag::RAW_BLOCK != 0 {
        block_word
    } else {
        machine
            .last_processed_block
            .saturating_add(block_word & 0xffff_ffff)
    };
    let chain_id = if flags & flag::OTHER_CHAIN != 0 {
        U256::from(control[1])
    } else {
        U256::from(CHAIN_ID)
    };
    let mut payload = payload.to_vec();
    if flags & flag::DEPOSIT != 0 {
        let mut with_header = machine.wallet.config.supported_token.to_vec();
        with_header.extend_from_slice(&payload);
        payload = with_header;
    }
    if flags & flag::RESIGN != 0 {
        payload = resign(chain_id, &payload);
    }
    Input {
        index,
        chain_id,
        app: APP,
        sender,
        block_number,
        block_timestamp: u64::from(u16::from_le_bytes([control[14], control[15]])),
        prev_randao: U256::ZERO,
        payload,
    }
}

/// When the payload is a batch, replaces each op's signature whose first byte is below 0xf0 by a
/// valid signature of one of the fuzz keys (`signature[0] % 3` picks it) and re-encodes.
pub fn resign(chain_id: U256, payload: &[u8]) -> Vec<u8> {
    let Ok(mut batch) = decode_batch(payload) else {
        return payload.to_vec();
    };
    let keys = fuzz_keys();
    let domain = domain_separator(chain_id, APP);
    for frame in &mut batch.frames {
        for op in &mut frame.user_ops {
            let Some(&first) = op.signature.first() else {
                continue;
            };
            if first >= 0xf0 {
                continue;
            }
            let digest = user_op_digest(&domain, op.nonce, op.max_fee, &op.data);
            op.signature = keys[usize::from(first % 3)].sign_digest(&digest).to_vec();
        }
    }
    batch.to_ssz()
}

/// `state` target: the split point for the two-state diff, from the first byte (0x80 = middle).
pub fn state_split(data: &[u8]) -> usize {
    match data.first() {
        Some(&b) => usize::from(b) * data.len() / 256,
        None => 0,
    }
}

/// `bundle_meta` target: `bundle.json \0 checkpoint/manifest.json \0 SHA256SUMS \0 machine.bin`.
/// An empty SHA256SUMS part means "the harness writes correct sums and patches the manifest's
/// machine.bin entry", so mutations reach the checks behind the checksums.
pub fn split_bundle(data: &[u8]) -> [&[u8]; 4] {
    let mut parts = data.splitn(4, |b| *b == 0);
    [(); 4].map(|_| parts.next().unwrap_or(&[]))
}

pub fn join_bundle(parts: [&[u8]; 4]) -> Vec<u8> {
    parts.join(&0u8)
}
