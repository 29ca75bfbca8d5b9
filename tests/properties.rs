//! Property tests: codecs round-trip, decoders never panic and accept only canonical bytes, and
//! the parallel fold equals the sequential fold on random adversarial workloads.

use alloy::primitives::{Address, B256, U256};
use proptest::prelude::*;
use ssz::{Decode, Encode};
use warden::canonical::batch::{Batch, Frame, WireUserOp, decode_batch};
use warden::canonical::codec::{decode_machine, encode_machine};
use warden::canonical::executor::{Executor, NativeExecutor};
use warden::canonical::input::{InputExpectation, decode_input_added};
use warden::canonical::method::{Method, Transfer, Withdrawal};
use warden::canonical::snapshot::{decode_legacy_state_v1, decode_state, encode_state};
use warden::canonical::testkit::{
    InputFactory, Rng, key_from_label, transfer_data, withdrawal_data,
};
use warden::canonical::wallet::encode_deposit;
use warden::canonical::{Input, Machine, SchedulerConfig, Wallet, WalletConfig};

fn address() -> impl Strategy<Value = Address> {
    // A small alphabet makes collisions (and so ordering questions) likely.
    prop_oneof![
        any::<[u8; 20]>().prop_map(Address::from),
        (0u8..4).prop_map(Address::repeat_byte),
    ]
}

fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
        any::<u64>().prop_map(U256::from),
        Just(U256::ZERO),
        Just(U256::MAX),
    ]
}

fn user_op() -> impl Strategy<Value = WireUserOp> {
    (
        any::<u32>(),
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 0..80),
        proptest::collection::vec(any::<u8>(), 0..70),
    )
        .prop_map(|(nonce, max_fee, data, signature)| WireUserOp {
            nonce,
            max_fee,
            data,
            signature,
        })
}

fn frame() -> impl Strategy<Value = Frame> {
    (
        proptest::collection::vec(user_op(), 0..4),
        any::<u64>(),
        any::<u16>(),
    )
        .prop_map(|(user_ops, safe_block, fee_price)| Frame {
            user_ops,
            safe_block,
            fee_price,
        })
}

fn batch() -> impl Strategy<Value = Batch> {
    (any::<u64>(), proptest::collection::vec(frame(), 0..4))
        .prop_map(|(nonce, frames)| Batch { nonce, frames })
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        u256().prop_map(|amount| Method::Withdrawal(Withdrawal { amount })),
        (u256(), address()).prop_map(|(amount, to)| Method::Transfer(Transfer { amount, to })),
    ]
}

fn wallet() -> impl Strategy<Value = Wallet> {
    (
        address(),
        address(),
        address(),
        proptest::collection::btree_map(address(), u256(), 0..8),
        proptest::collection::btree_map(address(), any::<u32>(), 0..8),
        1u64..u64::MAX,
        any::<u64>(),
    )
        .prop_map(
            |(erc20_portal, supported_token, fee_recipient, balances, nonces, count, clock)| {
                Wallet {
                    config: WalletConfig {
                        erc20_portal,
                        supported_token,
                        fee_recipient,
                    },
                    balances,
                    nonces,
                    executed_input_count: count,
                    last_executed_safe_block: clock,
                }
            },
        )
}

/// Bytes that are mostly valid encodings with a few mutations, plus pure noise.
fn mutated(valid: Vec<u8>, edits: Vec<(usize, u8)>, cut: Option<usize>) -> Vec<u8> {
    let mut bytes = valid;
    for (at, value) in edits {
        if !bytes.is_empty() {
            let at = at % bytes.len();
            bytes[at] = value;
        }
    }
    if let Some(cut) = cut
        && !bytes.is_empty()
    {
        bytes.truncate(cut % bytes.len());
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn batch_round_trips(b in batch()) {
        let bytes = b.to_ssz();
        prop_assert_eq!(decode_batch(&bytes).unwrap(), b);
    }

    #[test]
    fn frame_and_op_round_trip(f in frame(), op in user_op()) {
        prop_assert_eq!(Frame::from_ssz_bytes(&f.as_ssz_bytes()).unwrap(), f);
        prop_assert_eq!(WireUserOp::from_ssz_bytes(&op.as_ssz_bytes()).unwrap(), op);
    }

    #[test]
    fn method_round_trips(m in method()) {
        prop_assert_eq!(Method::decode(&m.encode()), Some(m));
    }

    #[test]
    fn state_round_trips(w in wallet()) {
        let bytes = encode_state(&w);
        let decoded = decode_state(&bytes).unwrap();
        prop_assert!(decoded.is_canonical());
        prop_assert_eq!(decoded.into_wallet(), w);
    }

    #[test]
    fn accepted_batch_bytes_are_exactly_the_canonical_encoding(
        b in batch(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let bytes = mutated(b.to_ssz(), edits, cut);
        if let Ok(decoded) = decode_batch(&bytes) {
            prop_assert_eq!(decoded.to_ssz(), bytes);
        }
    }

    #[test]
    fn accepted_state_bytes_re_encode_identically_when_canonical(
        w in wallet(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let bytes = mutated(encode_state(&w), edits, cut);
        if let Ok(decoded) = decode_state(&bytes)
            && decoded.is_canonical()
        {
            prop_assert_eq!(encode_state(&decoded.into_wallet()), bytes);
        }
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode_batch(&bytes);
        let _ = Batch::from_ssz_bytes(&bytes);
        let _ = decode_state(&bytes);
        let _ = decode_legacy_state_v1(&bytes);
        let _ = Method::decode(&bytes);
        let _ = decode_machine(&bytes);
        let mut with_header = br#"{"format":"warden-machine","version":1,"body":"x"}"#.to_vec();
        with_header.push(b'\n');
        with_header.extend_from_slice(&bytes);
        let _ = decode_machine(&with_header);
        let topics = [B256::ZERO, B256::ZERO, B256::ZERO];
        let expectation = InputExpectation { chain_id: U256::from(1u64), app: Address::ZERO, next_index: 0 };
        let _ = decode_input_added(&topics, &bytes, 0, &expectation);
    }

    #[test]
    fn machine_file_decoder_never_panics_on_mutations(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let valid = encode_machine(&sample_machine()).unwrap();
        let bytes = mutated(valid, edits, cut);
        if let Ok(machine) = decode_machine(&bytes) {
            // Whatever decodes must serialize back to the same bytes.
            prop_assert_eq!(encode_machine(&machine).unwrap(), bytes);
        }
    }
}

fn sample_machine() -> Machine {
    let mut w = Workload::new(7);
    w.allow_stop = false;
    let inputs = w.generate(40);
    let mut executor = NativeExecutor::sequential(w.genesis());
    for input in &inputs {
        let _ = executor.advance(input);
    }
    executor.machine
}

// ---- adversarial workloads -------------------------------------------------------------------

const PORTAL: Address = Address::repeat_byte(0x50);
const TOKEN: Address = Address::repeat_byte(0x70);
const SUBMITTER: Address = Address::repeat_byte(0x5b);
const MAX_WAIT: u64 = 40;

/// Generates inputs mixing every kind of op, batch and direct input the fold must handle.
struct Workload {
    rng: Rng,
    factory: InputFactory,
    keys: Vec<warden::canonical::eip712::UserKey>,
    guessed_nonces: Vec<u32>,
    batch_nonce: u64,
    block: u64,
    ops: usize,
    /// Steers generation only: most ops and batches carry the nonces the fold expects.
    shadow: Option<Machine>,
    /// Whether to generate (rarely) a frame priced above the maximum exponent.
    allow_stop: bool,
}

impl Workload {
    fn new(seed: u64) -> Self {
        let keys: Vec<_> = (0..12)
            .map(|i| key_from_label(&format!("prop-{i}")))
            .collect();
        Self {
            rng: Rng::new(seed),
            factory: InputFactory::new(31337, Address::repeat_byte(0xaa)),
            guessed_nonces: vec![0; keys.len()],
            keys,
            batch_nonce: 0,
            block: 1,
            ops: 0,
            shadow: None,
            allow_stop: true,
        }
    }

    fn genesis(&self) -> Machine {
        Machine::genesis(
            SchedulerConfig {
                batch_submitter: SUBMITTER,
                max_wait_blocks: MAX_WAIT,
            },
            WalletConfig {
                erc20_portal: PORTAL,
                supported_token: TOKEN,
                fee_recipient: SUBMITTER,
            },
        )
    }

    fn generate(&mut self, min_ops: usize) -> Vec<Input> {
        let mut inputs = Vec::new();
        let mut shadow = self.shadow.take().unwrap_or_else(|| self.genesis());
        while self.ops < min_ops {
            self.block += self.rng.below(8);
            let input = match self.rng.below(10) {
                0..=2 => self.direct(),
                _ => self.batch(),
            };
            if shadow.advance(&input).is_ok() {
                self.batch_nonce = shadow.next_expected_batch_nonce;
                for (i, key) in self.keys.iter().enumerate() {
                    self.guessed_nonces[i] = shadow.wallet.nonce(&key.address());
                }
            }
            inputs.push(input);
        }
        self.shadow = Some(shadow);
        inputs
    }

    fn direct(&mut self) -> Input {
        let r = &mut self.rng;
        let depositor = self.keys[r.below(self.keys.len() as u64) as usize].address();
        let value = U256::from(r.below(5_000_000));
        let (sender, payload) = match r.below(5) {
            0 | 1 => (PORTAL, encode_deposit(TOKEN, depositor, value, &[])),
            2 => (
                PORTAL,
                encode_deposit(Address::repeat_byte(1), depositor, value, &[]),
            ),
            3 => (
                PORTAL,
                encode_deposit(TOKEN, depositor, value, &[])[..71].to_vec(),
            ),
            _ => (
                Address::repeat_byte(0x33),
                encode_deposit(TOKEN, depositor, value, b"x"),
            ),
        };
        self.factory.input(sender, self.block, payload)
    }

    fn op(&mut self, fee_price: u16) -> WireUserOp {
        self.ops += 1;
        let who = self.rng.below(self.keys.len() as u64) as usize;
        let to = self.keys[self.rng.below(self.keys.len() as u64) as usize].address();
        let kind = self.rng.below(12);
        let mut nonce = self.guessed_nonces[who];
        let mut max_fee = fee_price.saturating_add(self.rng.below(3) as u16);
        let data = match kind {
            0 => withdrawal_data(U256::from(self.rng.below(1000))),
            1 => transfer_data(U256::from(10u64).pow(U256::from(30u64)), to), // unaffordable
            2 => vec![0x01; 20],                                              // undecodable
            3 => {
                nonce = nonce.wrapping_add(1 + self.rng.below(3) as u32); // wrong nonce
                transfer_data(U256::from(1u64), to)
            }
            4 => {
                max_fee = fee_price.saturating_sub(1); // below the frame's price
                transfer_data(U256::from(1u64), to)
            }
            5 if self.rng.chance(20) => {
                nonce = u32::MAX;
                transfer_data(U256::from(1u64), to)
            }
            _ => transfer_data(U256::from(self.rng.below(10_000)), to),
        };
        if !matches!(kind, 3..=5) {
            self.guessed_nonces[who] += 1;
        }
        let mut op = self.factory.sign_op(&self.keys[who], nonce, max_fee, data);
        match self.rng.below(20) {
            0 => op.signature[64] = 5,      // invalid v
            1 => op.signature.truncate(64), // wrong length
            2 => op.signature[10] ^= 0x55,  // a different (or no) signer
            3 => op.signature[64] = 0,      // the other parity
            _ => {}
        }
        op
    }

    fn batch(&mut self) -> Input {
        let kind = self.rng.below(14);
        // Rarely, a frame priced above the maximum exponent, which stops the machine.
        let fee_price = if self.allow_stop && self.rng.below(400) == 0 {
            17102
        } else {
            [0u16, 90, 296, 1060][self.rng.below(4) as usize]
        };
        let frame_count = 1 + self.rng.below(3) as usize;
        let mut safe = self.block.saturating_sub(self.rng.below(MAX_WAIT / 2));
        let mut frames = Vec::new();
        for _ in 0..frame_count {
            let ops = (0..self.rng.below(8)).map(|_| self.op(fee_price)).collect();
            frames.push(Frame {
                user_ops: ops,
                safe_block: safe,
                fee_price,
            });
            safe = (safe + self.rng.below(3)).min(self.block);
        }
        let mut nonce = self.batch_nonce;
        match kind {
            0 => nonce += 1 + self.rng.below(2), // wrong nonce
            1 => frames.clear(),                 // empty
            2 => frames[0].safe_block = self.block.saturating_sub(MAX_WAIT), // stale
            3 if frames.len() > 1 => frames[1].safe_block = frames[0].safe_block.saturating_sub(1),
            4 => frames[0].safe_block = self.block + 1, // from the future
            5 => {
                let mut bytes = Batch { nonce, frames }.to_ssz();
                bytes.truncate(bytes.len().saturating_sub(3));
                return self.factory.input(SUBMITTER, self.block, bytes);
            }
            _ => {}
        }
        let batch = Batch { nonce, frames };
        self.factory.batch(SUBMITTER, self.block, &batch)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn parallel_fold_equals_sequential_fold(seed in any::<u64>(), window in 1usize..64) {
        let mut workload = Workload::new(seed);
        let inputs = workload.generate(1000);
        let mut sequential = NativeExecutor::sequential(workload.genesis());
        let sequential_reports: Vec<_> = inputs.iter().map(|i| sequential.advance(i)).collect();
        let mut parallel = NativeExecutor::new(workload.genesis());
        let mut parallel_reports = Vec::new();
        for chunk in inputs.chunks(window) {
            let outcome = parallel.advance_window(chunk);
            parallel_reports.extend(outcome.reports.into_iter().map(Ok));
            if let Some(error) = outcome.error {
                parallel_reports.push(Err(error));
                break;
            }
        }
        let stop_at = sequential_reports.iter().position(|r| r.is_err());
        let expected: Vec<_> = match stop_at {
            Some(i) => sequential_reports[..=i].to_vec(),
            None => sequential_reports,
        };
        prop_assert_eq!(parallel_reports, expected);
        prop_assert_eq!(&parallel.machine, &sequential.machine);
        prop_assert_eq!(parallel.state_bytes(), sequential.state_bytes());
        // The workload must actually exercise execution, not just skips.
        prop_assert!(stop_at.is_some() || sequential.machine.wallet.executed_input_count > 200);
    }

    #[test]
    fn checkpoint_mid_workload_resumes_to_the_same_state(seed in any::<u64>(), cut in 0usize..400) {
        let mut workload = Workload::new(seed);
        workload.allow_stop = false;
        let inputs = workload.generate(400);
        let cut = cut.min(inputs.len());
        let mut straight = NativeExecutor::sequential(workload.genesis());
        for input in &inputs {
            straight.advance(input).unwrap();
        }
        let mut first = NativeExecutor::sequential(workload.genesis());
        for input in &inputs[..cut] {
            first.advance(input).unwrap();
        }
        let bytes = first.checkpoint_bytes().unwrap();
        let mut resumed = NativeExecutor::new(decode_machine(&bytes).unwrap());
        resumed.advance_window(&inputs[cut..]).into_result().unwrap();
        prop_assert_eq!(resumed.state_bytes(), straight.state_bytes());
        prop_assert_eq!(resumed.checkpoint_bytes().unwrap(), straight.checkpoint_bytes().unwrap());
    }
}
