//! `decode_input_added` on hostile logs: never panics. Two shapes, chosen by the first byte:
//! raw topics/data straight from the fuzz bytes (topic 0 forced to `InputAdded` unless asked
//! otherwise), or a real encoded input with optional damage. Undamaged real inputs must round-trip;
//! anything accepted must re-encode to the exact log that was decoded.
#![no_main]

use alloy_primitives::{Address, B256, U256};
use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use warden::canonical::Input;
use warden::canonical::input::{InputExpectation, decode_input_added, encode_input_added};

/// keccak256("InputAdded(address,uint256,bytes)"), pinned by warden's own tests.
const INPUT_ADDED: B256 =
    alloy_primitives::b256!("c05d337121a6e8605c6ec0b72aa29c4210ffe6e5b9cefdd6a7058188a8f66f98");

#[derive(Debug, Arbitrary)]
struct Raw {
    keep_signature_topic: bool,
    topics: Vec<[u8; 32]>,
    log_block: u64,
    chain_id: u64,
    app: [u8; 20],
    next_index: u64,
    data: Vec<u8>,
}

#[derive(Debug, Arbitrary)]
struct Real {
    index: u64,
    chain_id: [u8; 32],
    app: [u8; 20],
    sender: [u8; 20],
    block_number: u64,
    block_timestamp: u64,
    prev_randao: [u8; 32],
    payload: Vec<u8>,
    damage: Vec<Damage>,
}

#[derive(Debug, Arbitrary)]
enum Damage {
    FlipData { at: u16, xor: u8 },
    Truncate { len: u16 },
    Append { bytes: Vec<u8> },
    SetTopic { which: u8, value: [u8; 32] },
    DropTopic,
    ExtraTopic([u8; 32]),
    LogBlock(u64),
    ExpectChain(u64),
    ExpectApp([u8; 20]),
    ExpectIndex(u64),
}

fn check_accepted(topics: &[B256], data: &[u8], log_block: u64, exp: &InputExpectation, input: &Input) {
    assert_eq!(input.index, exp.next_index);
    assert_eq!(input.app, exp.app);
    assert_eq!(input.chain_id, exp.chain_id);
    assert_eq!(input.block_number, log_block);
    let (t, d) = encode_input_added(input);
    assert_eq!(d, data, "accepted log data does not re-encode exactly");
    assert_eq!(t, topics, "accepted log topics do not re-encode exactly");
}

fn raw(u: &mut Unstructured) -> arbitrary::Result<()> {
    let raw = Raw::arbitrary(u)?;
    let mut topics: Vec<B256> = raw.topics.iter().map(|t| B256::from(*t)).collect();
    if raw.keep_signature_topic {
        if topics.is_empty() {
            topics.push(INPUT_ADDED);
        } else {
            topics[0] = INPUT_ADDED;
        }
    }
    let exp = InputExpectation {
        chain_id: U256::from(raw.chain_id),
        app: Address::from(raw.app),
        next_index: raw.next_index,
    };
    if let Ok(input) = decode_input_added(&topics, &raw.data, raw.log_block, &exp) {
        check_accepted(&topics, &raw.data, raw.log_block, &exp, &input);
    }
    Ok(())
}

fn real(u: &mut Unstructured) -> arbitrary::Result<()> {
    let r = Real::arbitrary(u)?;
    let input = Input {
        index: r.index,
        chain_id: U256::from_be_bytes(r.chain_id),
        app: Address::from(r.app),
        sender: Address::from(r.sender),
        block_number: r.block_number,
        block_timestamp: r.block_timestamp,
        prev_randao: U256::from_be_bytes(r.prev_randao),
        payload: r.payload,
    };
    let (mut topics, mut data) = encode_input_added(&input);
    let mut log_block = input.block_number;
    let mut exp = InputExpectation {
        chain_id: input.chain_id,
        app: input.app,
        next_index: input.index,
    };
    if r.damage.is_empty() {
        assert_eq!(
            decode_input_added(&topics, &data, log_block, &exp),
            Ok(input.clone()),
            "an encoded input does not decode back"
        );
    }
    for d in r.damage {
        match d {
            Damage::FlipData { at, xor } => {
                if !data.is_empty() {
                    let i = usize::from(at) % data.len();
                    data[i] ^= xor;
                }
            }
            Damage::Truncate { len } => data.truncate(usize::from(len)),
            Damage::Append { bytes } => data.extend_from_slice(&bytes),
            Damage::SetTopic { which, value } => {
                if !topics.is_empty() {
                    let i = usize::from(which) % topics.len();
                    topics[i] = B256::from(value);
                }
            }
            Damage::DropTopic => {
                topics.pop();
            }
            Damage::ExtraTopic(t) => topics.push(B256::from(t)),
            Damage::LogBlock(b) => log_block = b,
            Damage::ExpectChain(c) => exp.chain_id = U256::from(c),
            Damage::ExpectApp(a) => exp.app = Address::from(a),
            Damage::ExpectIndex(i) => exp.next_index = i,
        }
    }
    if let Ok(decoded) = decode_input_added(&topics, &data, log_block, &exp) {
        check_accepted(&topics, &data, log_block, &exp, &decoded);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut u = Unstructured::new(rest);
    let _ = if mode & 1 == 0 { raw(&mut u) } else { real(&mut u) };
});
