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

/// The derived-SSZ codecs warden used before its in-place state and machine codecs (the same
/// schemas, through `ethereum_ssz_derive`), as an independent oracle for the targets.
pub mod reference {
    use alloy_primitives::{Address, U256};
    use ssz::{Decode, Encode};
    use ssz_derive::{Decode, Encode};
    use std::collections::BTreeMap;
    use warden::canonical::Machine;
    use warden::canonical::snapshot::{DecodedState, encode_state};
    use warden::canonical::ssz_error::SszError;
    use warden::canonical::wallet::WalletConfig;

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

    /// The old `decode_state`, verbatim in behaviour.
    pub fn decode_state(bytes: &[u8]) -> Result<DecodedState, SszError> {
        let ssz =
            StateSsz::from_ssz_bytes(bytes).map_err(|e| SszError::from_decode("state", &e))?;
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

    /// The old `decode_legacy_state_v1`.
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
        let nonces: Vec<(Address, u32)> =
            nonce_entries.into_iter().map(|e| (e.address, e.nonce)).collect();
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
                    "{list}[{index}] ({address}) sorts before the entry preceding it; the \
                     canonical encoder emits entries in ascending address order"
                ));
                out_of_order_reported = true;
            }
            previous = Some(address);
        }
        Ok(())
    }

    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
    pub struct FridgeEntryV1 {
        pub sender: Address,
        pub inclusion_block: u64,
        pub payload: Vec<u8>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
    pub struct MachineV1 {
        pub batch_submitter: Address,
        pub max_wait_blocks: u64,
        pub next_expected_batch_nonce: u64,
        pub inputs_processed: u64,
        pub last_processed_block: u64,
        pub state: Vec<u8>,
        pub fridge: Vec<FridgeEntryV1>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
    pub struct MachineV2 {
        pub batch_submitter: Address,
        pub max_wait_blocks: u64,
        pub next_expected_batch_nonce: u64,
        pub inputs_processed: u64,
        pub last_processed_block: u64,
        pub state: Vec<u8>,
        pub fridge: Vec<FridgeEntryV1>,
        pub liveness_since_block: u64,
        pub last_accepted_batch_block_plus_one: u64,
        pub batches: Vec<u64>,
        pub ops: Vec<u64>,
    }

    pub const BODY_V1: &str = "ssz MachineV1{batch_submitter:[20],max_wait_blocks:u64,\
next_expected_batch_nonce:u64,inputs_processed:u64,last_processed_block:u64,\
state:List[u8],fridge:List[{sender:[20],inclusion_block:u64,payload:List[u8]}]}";

    pub const BODY_V2: &str = "ssz MachineV2{batch_submitter:[20],max_wait_blocks:u64,\
next_expected_batch_nonce:u64,inputs_processed:u64,last_processed_block:u64,\
state:List[u8],fridge:List[{sender:[20],inclusion_block:u64,payload:List[u8]}],\
liveness_since_block:u64,last_accepted_batch_block_plus_one:u64,batches:List[u64],ops:List[u64]}";

    /// A body decoded by the derived decoders, by version.
    #[derive(Debug)]
    pub enum Body {
        V1(MachineV1),
        V2(MachineV2),
    }

    /// The derived decoding of a machine file's body when its header names version 1 or 2 with
    /// that version's exact layout string (`None` for any other header).
    pub fn decode_machine_body(bytes: &[u8]) -> Option<Result<Body, ssz::DecodeError>> {
        let newline = bytes.iter().take(4096).position(|b| *b == b'\n')?;
        let header: serde_json::Value = serde_json::from_slice(&bytes[..newline]).ok()?;
        if header.get("format")?.as_str()? != "warden-machine" {
            return None;
        }
        let body = &bytes[newline + 1..];
        match (header.get("version")?.as_u64()?, header.get("body")?.as_str()?) {
            (1, BODY_V1) => Some(MachineV1::from_ssz_bytes(body).map(Body::V1)),
            (2, BODY_V2) => Some(MachineV2::from_ssz_bytes(body).map(Body::V2)),
            _ => None,
        }
    }

    /// A version 1 `machine.bin` of `machine` (what warden wrote before the liveness counters).
    pub fn encode_machine_v1(machine: &Machine) -> Vec<u8> {
        let header = serde_json::json!({"format": "warden-machine", "version": 1, "body": BODY_V1});
        let mut out = serde_json::to_vec(&header).unwrap();
        out.push(b'\n');
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
        out.extend_from_slice(&body.as_ssz_bytes());
        out
    }
}
