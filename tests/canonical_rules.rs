//! One test per gate and rule of the scheduler fold and the wallet (canonical-protocol §5–§7),
//! plus the spec's worked vectors.

mod common;

use alloy::primitives::{Address, U256, address};
use warden::canonical::batch::{Batch, Frame, WireUserOp};
use warden::canonical::codec::{decode_machine, encode_machine};
use warden::canonical::eip712::UserKey;
use warden::canonical::machine::{AdvanceError, InputOutcome, StopReason};
use warden::canonical::scheduler::BatchRejection;
use warden::canonical::snapshot::{decode_legacy_state_v1, decode_state, encode_state};
use warden::canonical::testkit::{InputFactory, key_from_label, transfer_data, withdrawal_data};
use warden::canonical::wallet::encode_deposit;
use warden::canonical::{Input, Machine, SchedulerConfig, WalletConfig};

const PORTAL: Address = address!("3332de61a8bb9ac84893b2f552fe81c9a6dc5419");
const TOKEN: Address = address!("95d0c8a7d11342299807a2fc19ac44c2321ccc68");
const SUBMITTER: Address = address!("a0ee7a142d267c1f36714e4a8f75612f20a79720");
const APP: Address = address!("8fC283f6Cb6B935f117CB3EB72B58eEb2ba6Cb69");
const MAX_WAIT: u64 = 1200;

struct World {
    machine: Machine,
    factory: InputFactory,
    alice: UserKey,
    bob: UserKey,
    batch_nonce: u64,
}

impl World {
    fn new() -> Self {
        Self::with_fee_recipient(SUBMITTER)
    }

    fn with_fee_recipient(fee_recipient: Address) -> Self {
        Self {
            machine: Machine::genesis(
                SchedulerConfig {
                    batch_submitter: SUBMITTER,
                    max_wait_blocks: MAX_WAIT,
                },
                WalletConfig {
                    erc20_portal: PORTAL,
                    supported_token: TOKEN,
                    fee_recipient,
                },
            ),
            factory: InputFactory::new(31337, APP),
            alice: key_from_label("alice"),
            bob: key_from_label("bob"),
            batch_nonce: 0,
        }
    }

    fn feed(&mut self, input: Input) -> InputOutcome {
        self.machine.advance(&input).expect("advance").outcome
    }

    fn deposit(&mut self, to: Address, value: u64, block: u64) -> InputOutcome {
        let input = self
            .factory
            .deposit(PORTAL, TOKEN, to, U256::from(value), block);
        self.feed(input)
    }

    fn post(&mut self, batch: Batch, block: u64) -> InputOutcome {
        let input = self.factory.batch(SUBMITTER, block, &batch);
        self.feed(input)
    }

    /// A batch with the next nonce and one frame.
    fn one_frame(&mut self, ops: Vec<WireUserOp>, safe_block: u64, fee_price: u16) -> Batch {
        let batch = Batch {
            nonce: self.batch_nonce,
            frames: vec![Frame {
                user_ops: ops,
                safe_block,
                fee_price,
            }],
        };
        self.batch_nonce += 1;
        batch
    }

    fn op(&self, key: &UserKey, nonce: u32, max_fee: u16, data: Vec<u8>) -> WireUserOp {
        self.factory.sign_op(key, nonce, max_fee, data)
    }

    fn balance(&self, a: Address) -> U256 {
        self.machine.wallet.balance(&a)
    }

    fn funded() -> Self {
        let mut w = World::new();
        let alice = w.alice.address();
        w.deposit(alice, 1_000_000, 10);
        // Drain the deposit out of the fridge with an empty-op frame.
        let batch = w.one_frame(vec![], 10, 0);
        w.post(batch, 11);
        assert_eq!(w.balance(alice), U256::from(1_000_000u64));
        w
    }
}

fn accepted(executed: u64, skipped: u64) -> impl Fn(&InputOutcome) -> bool {
    move |o| {
        matches!(o, InputOutcome::Accepted { executed_ops, skipped_ops, .. }
            if *executed_ops == executed && *skipped_ops == skipped)
    }
}

// ---- worked vectors -------------------------------------------------------------------------

fn scenario_batch() -> Vec<u8> {
    // The batch of canonical-protocol §3, with the RFC 6979 signature from the spec.
    let data = hex::decode(
        "01e803000000000000000000000000000000000000000000000000000000000000\
         70997970c51812dc3a010c7d01b50e0d17dc79c8",
    )
    .unwrap();
    let signature = hex::decode(
        "90365ab08407d8f808146ece3abd06eb9422bb76cc68c9c248fd1d68bb72d234\
         020ef9da2852466cb0bb1420ace2bdd9dd490e0ecc2774a6973d3171d0cb6da11c",
    )
    .unwrap();
    Batch {
        nonce: 0,
        frames: vec![Frame {
            user_ops: vec![WireUserOp {
                nonce: 0,
                max_fee: 1060,
                data,
                signature,
            }],
            safe_block: 12,
            fee_price: 1060,
        }],
    }
    .to_ssz()
}

#[test]
fn vector_166_byte_batch_and_its_keccak() {
    let bytes = scenario_batch();
    assert_eq!(bytes.len(), 166);
    assert_eq!(
        alloy::primitives::keccak256(&bytes).to_string(),
        "0x08c119b251719a6632d3bc05585686973954e22ad7367ff9db6a55feb0c580d6"
    );
}

fn run_scenario(batch_block: u64) -> Machine {
    let mut w = World::new();
    let holder = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");
    w.deposit(holder, 1_000_000, 10);
    let input = w.factory.input(SUBMITTER, batch_block, scenario_batch());
    w.feed(input);
    w.machine
}

#[test]
fn vector_212_byte_scenario_state_at_every_edge_of_the_inclusion_window() {
    for block in [12, 13, 600, 1210, 1211] {
        let machine = run_scenario(block);
        let bytes = machine.state_bytes();
        assert_eq!(bytes.len(), 212, "block {block}");
        assert_eq!(
            hex::encode(machine.state_sha256()),
            "d6322ff5882834d6989703413e446dccf43d6564d529abb360385e3b9bcff63a",
            "block {block}"
        );
        let w = &machine.wallet;
        let holder = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");
        assert_eq!(w.balance(&holder), U256::from(996_176u64));
        assert_eq!(w.balance(&SUBMITTER), U256::from(3824u64));
        assert_eq!(w.nonce(&holder), 1);
        assert_eq!(w.executed_input_count, 2);
        assert_eq!(w.last_executed_safe_block, 12);
    }
    // One block later the batch is stale: the deposit is only executed by a later backstop.
    let late = run_scenario(1212);
    assert_ne!(
        hex::encode(late.state_sha256()),
        "d6322ff5882834d6989703413e446dccf43d6564d529abb360385e3b9bcff63a"
    );
}

#[test]
fn vector_anchor_wallet_snapshot_empty() {
    let Some(hex_text) = common::anchor_fixture("wallet_snapshot_empty.hex") else {
        return;
    };
    let expected = hex::decode(hex_text.trim()).unwrap();
    let wallet = warden::canonical::Wallet::new(WalletConfig {
        erc20_portal: address!("22e57511c30cce6cdaa742e13ce3b774fdc663b1"),
        supported_token: address!("1c7d4b196cb0c7b01d743fbc6116a902379c7238"),
        fee_recipient: address!("16d5ff3fdd14e2a86fba77cbce6b3cd9c32b8ff3"),
    });
    assert_eq!(encode_state(&wallet), expected);
    assert_eq!(decode_state(&expected).unwrap().into_wallet(), wallet);
}

#[test]
fn vector_anchor_wallet_snapshot_v1_empty_is_legacy_only() {
    let Some(hex_text) = common::anchor_fixture("wallet_snapshot_v1_empty.hex") else {
        return;
    };
    let bytes = hex::decode(hex_text.trim()).unwrap();
    assert_eq!(bytes.len(), 76);
    // The current decoder refuses it: its balances offset is 76, not 84.
    assert!(decode_state(&bytes).is_err());
    let legacy = decode_legacy_state_v1(&bytes).unwrap();
    assert_eq!(
        legacy.config.erc20_portal,
        address!("aca6586a0cf05bd831f2501e7b4aea550da6562d")
    );
    assert_eq!(legacy.executed_input_count, 0);
    assert_eq!(legacy.last_executed_safe_block, None);
    assert!(legacy.balances.is_empty() && legacy.nonces.is_empty());
}

// ---- step 1 and 2: backstop and fridge ------------------------------------------------------

#[test]
fn rule_direct_input_from_anyone_but_the_submitter_is_fridged() {
    let mut w = World::new();
    assert_eq!(w.deposit(w.alice.address(), 5, 10), InputOutcome::Queued);
    assert_eq!(w.machine.fridge.len(), 1);
    assert_eq!(w.machine.wallet.executed_input_count, 0);
}

#[test]
fn rule_backstop_executes_overdue_directs_before_the_next_input() {
    let mut w = World::new();
    let alice = w.alice.address();
    w.deposit(alice, 5, 10);
    // Age 1199: not yet overdue.
    let input = w.factory.input(Address::repeat_byte(7), 1209, vec![]);
    let report = w.machine.advance(&input).unwrap();
    assert_eq!(report.backstop_executed, 0);
    // Age exactly max_wait: overdue, executed before this input is queued.
    let input = w.factory.input(Address::repeat_byte(7), 1210, vec![]);
    let report = w.machine.advance(&input).unwrap();
    assert_eq!(report.backstop_executed, 1);
    assert_eq!(w.balance(alice), U256::from(5u64));
    assert_eq!(w.machine.fridge.len(), 2);
    // Clock = the direct's own inclusion block.
    assert_eq!(w.machine.wallet.last_executed_safe_block, 10);
}

#[test]
fn rule_backstop_runs_even_for_a_rejected_batch() {
    let mut w = World::new();
    w.deposit(w.alice.address(), 5, 10);
    let input = w.factory.input(SUBMITTER, 2000, vec![1, 2, 3]);
    let report = w.machine.advance(&input).unwrap();
    assert_eq!(report.backstop_executed, 1);
    assert!(matches!(
        report.outcome,
        InputOutcome::Rejected(BatchRejection::Undecodable(_))
    ));
}

// ---- gates a–f -------------------------------------------------------------------------------

#[test]
fn gate_a_undecodable_batch_is_rejected_and_consumes_no_nonce() {
    let mut w = World::new();
    let input = w.factory.input(SUBMITTER, 5, vec![0; 11]);
    assert!(matches!(
        w.feed(input),
        InputOutcome::Rejected(BatchRejection::Undecodable(_))
    ));
    assert_eq!(w.machine.next_expected_batch_nonce, 0);
}

#[test]
fn gate_b_wrong_nonce_is_rejected_and_consumes_no_nonce() {
    let mut w = World::new();
    let batch = Batch {
        nonce: 1,
        frames: vec![],
    };
    assert_eq!(
        w.post(batch, 5),
        InputOutcome::Rejected(BatchRejection::WrongNonce {
            expected: 0,
            found: 1
        })
    );
    assert_eq!(w.machine.next_expected_batch_nonce, 0);
}

#[test]
fn gate_c_empty_batch_is_accepted_and_executes_nothing() {
    let mut w = World::new();
    w.deposit(w.alice.address(), 5, 1);
    let batch = Batch {
        nonce: 0,
        frames: vec![],
    };
    assert!(accepted(0, 0)(&w.post(batch, 5)));
    assert_eq!(w.machine.next_expected_batch_nonce, 1);
    // No frame, so no drain: the deposit stays in the fridge.
    assert_eq!(w.machine.fridge.len(), 1);
    assert_eq!(w.machine.wallet.executed_input_count, 0);
}

#[test]
fn gate_d_frame_safe_block_after_inclusion_is_rejected() {
    let mut w = World::new();
    let batch = w.one_frame(vec![], 6, 0);
    assert!(matches!(
        w.post(batch, 5),
        InputOutcome::Rejected(BatchRejection::SafeBlockAfterInclusion { .. })
    ));
    assert_eq!(w.machine.next_expected_batch_nonce, 0);
}

#[test]
fn gate_d_decreasing_safe_blocks_are_rejected() {
    let mut w = World::new();
    let frame = |safe_block| Frame {
        user_ops: vec![],
        safe_block,
        fee_price: 0,
    };
    let batch = Batch {
        nonce: 0,
        frames: vec![frame(3), frame(3), frame(2)],
    };
    assert!(matches!(
        w.post(batch, 5),
        InputOutcome::Rejected(BatchRejection::SafeBlockDecreasing { frame: 2, .. })
    ));
    assert_eq!(w.machine.next_expected_batch_nonce, 0);
}

#[test]
fn gate_e_stale_batch_is_skipped_and_consumes_no_nonce() {
    let mut w = World::new();
    let batch = w.one_frame(vec![], 100, 0);
    assert_eq!(
        w.post(batch.clone(), 1300),
        InputOutcome::Stale {
            nonce: 0,
            age_blocks: 1200
        }
    );
    assert_eq!(w.machine.next_expected_batch_nonce, 0);
    // The same nonce one block fresher is accepted.
    let fresh = Batch {
        nonce: 0,
        frames: vec![Frame {
            safe_block: 101,
            ..batch.frames[0].clone()
        }],
    };
    assert!(accepted(0, 0)(&w.post(fresh, 1300)));
}

#[test]
fn gate_f_drains_fridge_entries_up_to_the_frame_safe_block_inclusive() {
    let mut w = World::new();
    let alice = w.alice.address();
    w.deposit(alice, 1, 10);
    w.deposit(alice, 2, 11);
    w.deposit(alice, 4, 12);
    let batch = w.one_frame(vec![], 11, 0);
    match w.post(batch, 13) {
        InputOutcome::Accepted {
            directs_drained, ..
        } => assert_eq!(directs_drained, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(w.balance(alice), U256::from(3u64));
    assert_eq!(w.machine.fridge.len(), 1);
    assert_eq!(w.machine.wallet.last_executed_safe_block, 11);
}

#[test]
fn gate_f_drains_before_each_frame_so_later_frames_see_deposits() {
    let mut w = World::new();
    let alice = w.alice.address();
    w.deposit(alice, 100_000, 20);
    let op = w.op(&w.alice, 0, 0, transfer_data(U256::from(5u64), SUBMITTER));
    let batch = Batch {
        nonce: 0,
        frames: vec![
            Frame {
                user_ops: vec![op.clone()],
                safe_block: 19,
                fee_price: 0,
            },
            Frame {
                user_ops: vec![op],
                safe_block: 20,
                fee_price: 0,
            },
        ],
    };
    // First frame: alice has nothing yet (skipped); second frame: deposit drained, op executes.
    assert!(accepted(1, 1)(&w.post(batch, 21)));
}

// ---- per-op checks (1)–(7) -------------------------------------------------------------------

#[test]
fn op_check_1_bad_signature_is_skipped() {
    let mut w = World::funded();
    let mut op = w.op(&w.alice, 0, 0, transfer_data(U256::from(1u64), SUBMITTER));
    op.signature.truncate(64);
    let batch = w.one_frame(vec![op], 11, 0);
    assert!(accepted(0, 1)(&w.post(batch, 12)));
    assert_eq!(w.machine.wallet.nonce(&w.alice.address()), 0);
}

#[test]
fn op_check_2_max_fee_below_fee_price_is_skipped() {
    let mut w = World::funded();
    let op = w.op(&w.alice, 0, 99, transfer_data(U256::from(1u64), SUBMITTER));
    let batch = w.one_frame(vec![op], 11, 100);
    assert!(accepted(0, 1)(&w.post(batch, 12)));
}

#[test]
fn op_check_2_fee_is_the_frame_price_not_the_op_max_fee() {
    let mut w = World::funded();
    let alice = w.alice.address();
    let op = w.op(&w.alice, 0, 1060, withdrawal_data(U256::ZERO));
    let batch = w.one_frame(vec![op], 11, 100);
    assert!(accepted(1, 0)(&w.post(batch, 12)));
    // fee_to_linear(100) = 2.
    assert_eq!(w.balance(alice), U256::from(999_998u64));
}

#[test]
fn op_check_3_wrong_nonce_is_skipped() {
    let mut w = World::funded();
    let op = w.op(&w.alice, 1, 0, transfer_data(U256::from(1u64), SUBMITTER));
    let batch = w.one_frame(vec![op], 11, 0);
    assert!(accepted(0, 1)(&w.post(batch, 12)));
}

#[test]
fn op_check_4_u32_max_nonce_never_executes() {
    let mut w = World::funded();
    let alice = w.alice.address();
    w.machine.wallet.nonces.insert(alice, u32::MAX);
    let op = w.op(
        &w.alice,
        u32::MAX,
        0,
        transfer_data(U256::from(1u64), SUBMITTER),
    );
    let batch = w.one_frame(vec![op], 11, 0);
    assert!(accepted(0, 1)(&w.post(batch, 12)));
    assert_eq!(w.machine.wallet.nonce(&alice), u32::MAX);
}

#[test]
fn op_check_5_fee_price_above_max_stops_the_machine_at_the_fee_computation() {
    let mut w = World::funded();
    let op = w.op(
        &w.alice,
        0,
        u16::MAX,
        transfer_data(U256::from(1u64), SUBMITTER),
    );
    let batch = w.one_frame(vec![op], 11, 17102);
    let input = w.factory.batch(SUBMITTER, 12, &batch);
    let err = w.machine.advance(&input).unwrap_err();
    match err {
        AdvanceError::Stopped(stop) => {
            assert_eq!(stop.input_index, input.index);
            assert_eq!(stop.block, 12);
            assert_eq!(
                stop.reason,
                StopReason::FeeExponentTooLarge {
                    batch_nonce: 1,
                    frame: 0,
                    op: 0,
                    fee_price: 17102
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(w.machine.stopped().is_some());
    assert!(encode_machine(&w.machine).is_err());
}

#[test]
fn op_check_5_ops_skipped_earlier_make_an_overpriced_frame_harmless() {
    let mut w = World::funded();
    let mut bad_sig = w.op(&w.alice, 0, u16::MAX, withdrawal_data(U256::ZERO));
    bad_sig.signature[64] = 5;
    let low_max_fee = w.op(&w.alice, 0, 17101, withdrawal_data(U256::ZERO));
    let wrong_nonce = w.op(&w.alice, 7, u16::MAX, withdrawal_data(U256::ZERO));
    let batch = w.one_frame(vec![bad_sig, low_max_fee, wrong_nonce], 11, 17102);
    assert!(accepted(0, 3)(&w.post(batch, 12)));
    assert!(w.machine.stopped().is_none());
}

#[test]
fn op_check_5_max_exponent_itself_is_priced() {
    let mut w = World::funded();
    let op = w.op(&w.alice, 0, 17101, withdrawal_data(U256::ZERO));
    let batch = w.one_frame(vec![op], 11, 17101);
    // Alice cannot pay ~6.3e57, so (6) skips it, but the machine lives.
    assert!(accepted(0, 1)(&w.post(batch, 12)));
}

#[test]
fn op_check_6_balance_below_fee_is_skipped() {
    let mut w = World::new();
    let alice = w.alice.address();
    w.deposit(alice, 3823, 10);
    let op = w.op(&w.alice, 0, 1060, withdrawal_data(U256::ZERO));
    let batch = w.one_frame(vec![op], 10, 1060);
    assert!(accepted(0, 1)(&w.post(batch, 11)));
    assert_eq!(w.machine.wallet.nonce(&alice), 0);
}

#[test]
fn op_check_7_transfer_pays_fee_bumps_nonce_and_moves_funds() {
    let mut w = World::with_fee_recipient(Address::repeat_byte(0xfe));
    let alice = w.alice.address();
    let bob = w.bob.address();
    w.deposit(alice, 10_000, 10);
    let op = w.op(&w.alice, 0, 1060, transfer_data(U256::from(1000u64), bob));
    let batch = w.one_frame(vec![op], 10, 1060);
    assert!(accepted(1, 0)(&w.post(batch, 11)));
    assert_eq!(w.balance(alice), U256::from(10_000u64 - 3824 - 1000));
    assert_eq!(w.balance(bob), U256::from(1000u64));
    assert_eq!(w.balance(Address::repeat_byte(0xfe)), U256::from(3824u64));
    assert_eq!(w.machine.wallet.nonce(&alice), 1);
    assert_eq!(w.machine.wallet.executed_input_count, 2);
}

// ---- wallet rules ------------------------------------------------------------------------------

#[test]
fn wallet_unaffordable_transfer_still_pays_fee_and_nonce() {
    let mut w = World::funded();
    let alice = w.alice.address();
    let op = w.op(
        &w.alice,
        0,
        0,
        transfer_data(U256::from(2_000_000u64), SUBMITTER),
    );
    let batch = w.one_frame(vec![op], 11, 0);
    assert!(accepted(1, 0)(&w.post(batch, 12)));
    assert_eq!(w.balance(alice), U256::from(999_999u64));
    assert_eq!(w.machine.wallet.nonce(&alice), 1);
}

#[test]
fn wallet_undecodable_method_still_pays_fee_and_nonce() {
    let mut w = World::funded();
    let alice = w.alice.address();
    let op = w.op(&w.alice, 0, 0, vec![0x02; 53]);
    let batch = w.one_frame(vec![op], 11, 0);
    assert!(accepted(1, 0)(&w.post(batch, 12)));
    assert_eq!(w.balance(alice), U256::from(999_999u64));
    assert_eq!(w.machine.wallet.nonce(&alice), 1);
}

#[test]
fn wallet_withdrawal_debits_the_amount() {
    let mut w = World::funded();
    let alice = w.alice.address();
    let op = w.op(&w.alice, 0, 0, withdrawal_data(U256::from(500_000u64)));
    let batch = w.one_frame(vec![op], 11, 0);
    assert!(accepted(1, 0)(&w.post(batch, 12)));
    assert_eq!(w.balance(alice), U256::from(499_999u64));
}

#[test]
fn wallet_zero_balance_entries_are_kept() {
    let mut w = World::funded();
    let alice = w.alice.address();
    let op = w.op(&w.alice, 0, 0, withdrawal_data(U256::from(999_999u64)));
    let batch = w.one_frame(vec![op], 11, 0);
    w.post(batch, 12);
    assert_eq!(w.machine.wallet.balances.get(&alice), Some(&U256::ZERO));
    let decoded = decode_state(&w.machine.state_bytes()).unwrap();
    assert!(decoded.balances.contains(&(alice, U256::ZERO)));
}

#[test]
fn wallet_credit_wraps_modulo_2_256() {
    let mut w = World::new();
    let alice = w.alice.address();
    w.deposit(alice, 0, 1);
    let input = w
        .factory
        .input(PORTAL, 1, encode_deposit(TOKEN, alice, U256::MAX, &[]));
    w.feed(input);
    let input = w.factory.input(
        PORTAL,
        1,
        encode_deposit(TOKEN, alice, U256::from(2u64), &[]),
    );
    w.feed(input);
    let batch = w.one_frame(vec![], 1, 0);
    w.post(batch, 2);
    assert_eq!(w.balance(alice), U256::from(1u64));
    assert_eq!(w.machine.wallet.executed_input_count, 3);
}

#[test]
fn wallet_zero_value_deposit_inserts_an_entry() {
    let mut w = World::new();
    let alice = w.alice.address();
    w.deposit(alice, 0, 1);
    let batch = w.one_frame(vec![], 1, 0);
    w.post(batch, 2);
    assert_eq!(w.machine.wallet.balances.get(&alice), Some(&U256::ZERO));
}

#[test]
fn wallet_deposit_of_another_token_or_short_payload_or_non_portal_is_a_counted_noop() {
    let mut w = World::new();
    let alice = w.alice.address();
    let wrong_token = w.factory.input(
        PORTAL,
        3,
        encode_deposit(Address::repeat_byte(1), alice, U256::from(9u64), &[]),
    );
    w.feed(wrong_token);
    let mut short = encode_deposit(TOKEN, alice, U256::from(9u64), &[]);
    short.pop();
    let short = w.factory.input(PORTAL, 4, short);
    w.feed(short);
    let not_portal = w.factory.input(
        Address::repeat_byte(2),
        5,
        encode_deposit(TOKEN, alice, U256::from(9u64), &[]),
    );
    w.feed(not_portal);
    let with_exec_data = w.factory.input(
        PORTAL,
        6,
        encode_deposit(
            TOKEN,
            alice,
            U256::from(9u64),
            b"trailing bytes are ignored",
        ),
    );
    w.feed(with_exec_data);
    let batch = w.one_frame(vec![], 6, 0);
    w.post(batch, 7);
    assert_eq!(w.balance(alice), U256::from(9u64));
    assert_eq!(w.machine.wallet.balances.len(), 1);
    assert_eq!(w.machine.wallet.executed_input_count, 4);
    assert_eq!(w.machine.wallet.last_executed_safe_block, 6);
}

#[test]
fn counting_skipped_ops_and_batch_envelopes_are_not_counted() {
    let mut w = World::funded();
    let count_before = w.machine.wallet.executed_input_count;
    let bad = w.op(&w.alice, 5, 0, withdrawal_data(U256::ZERO));
    let good = w.op(&w.alice, 0, 0, withdrawal_data(U256::ZERO));
    let batch = w.one_frame(vec![bad, good], 11, 0);
    w.post(batch, 12);
    assert_eq!(w.machine.wallet.executed_input_count, count_before + 1);
}

#[test]
fn clock_is_the_maximum_safe_block_of_executed_ops() {
    let mut w = World::funded();
    let op0 = w.op(&w.alice, 0, 0, withdrawal_data(U256::ZERO));
    let batch = w.one_frame(vec![op0], 50, 0);
    w.post(batch, 60);
    assert_eq!(w.machine.wallet.last_executed_safe_block, 50);
    // A frame with only skipped ops does not move the clock.
    let skipped = w.op(&w.alice, 9, 0, withdrawal_data(U256::ZERO));
    let batch = w.one_frame(vec![skipped], 55, 0);
    w.post(batch, 60);
    assert_eq!(w.machine.wallet.last_executed_safe_block, 50);
}

#[test]
fn fee_recipient_zero_address_is_an_ordinary_account() {
    let mut w = World::with_fee_recipient(Address::ZERO);
    let alice = w.alice.address();
    w.deposit(alice, 10, 1);
    let op = w.op(&w.alice, 0, 0, withdrawal_data(U256::ZERO));
    let batch = w.one_frame(vec![op], 1, 0);
    w.post(batch, 2);
    assert_eq!(w.balance(Address::ZERO), U256::from(1u64));
    assert!(w.machine.wallet.balances.contains_key(&Address::ZERO));
}

// ---- machine discipline ----------------------------------------------------------------------

#[test]
fn stopped_machine_refuses_every_later_input() {
    let mut w = World::funded();
    let op = w.op(&w.alice, 0, u16::MAX, withdrawal_data(U256::ZERO));
    let batch = w.one_frame(vec![op], 11, u16::MAX);
    let input = w.factory.batch(SUBMITTER, 12, &batch);
    let first = w.machine.advance(&input).unwrap_err();
    let next = w.factory.input(Address::repeat_byte(3), 13, vec![]);
    assert_eq!(w.machine.advance(&next).unwrap_err(), first);
}

#[test]
fn inputs_must_arrive_gap_free_and_in_block_order() {
    let mut w = World::new();
    let mut input = w.factory.input(Address::repeat_byte(3), 10, vec![]);
    input.index = 1;
    assert!(matches!(
        w.machine.advance(&input),
        Err(AdvanceError::OutOfSequence { .. })
    ));
    input.index = 0;
    w.machine.advance(&input).unwrap();
    let mut earlier = w.factory.input(Address::repeat_byte(3), 9, vec![]);
    earlier.index = 1;
    assert!(matches!(
        w.machine.advance(&earlier),
        Err(AdvanceError::BlockRegressed { .. })
    ));
}

#[test]
fn machine_checkpoint_round_trips_with_a_populated_fridge() {
    let mut w = World::funded();
    w.deposit(w.bob.address(), 77, 20);
    let op = w.op(&w.alice, 0, 0, transfer_data(U256::from(1u64), SUBMITTER));
    let batch = w.one_frame(vec![op], 15, 0);
    w.post(batch, 21);
    w.machine.advance_to_block(30);
    let bytes = encode_machine(&w.machine).unwrap();
    let decoded = decode_machine(&bytes).unwrap();
    assert_eq!(decoded, w.machine);
    assert_eq!(encode_machine(&decoded).unwrap(), bytes);
    assert_eq!(decoded.fridge.len(), 1);
    assert_eq!(decoded.last_processed_block, 30);
}

// ---- a stop is evidence, not state; no counter wraps -----------------------------------------

/// Ops executed earlier in the fatal batch, and the directs it drained, are rolled back with it.
#[test]
fn a_stop_rolls_the_fatal_input_back_whole() {
    let mut w = World::funded();
    let bob = w.bob.address();
    w.deposit(bob, 500, 12);
    let before = w.machine.clone();
    let good = w.op(&w.alice, 0, 0, transfer_data(U256::from(9u64), bob));
    let fatal = w.op(&w.alice, 1, u16::MAX, withdrawal_data(U256::ZERO));
    let batch = Batch {
        nonce: w.batch_nonce,
        frames: vec![
            Frame {
                user_ops: vec![good],
                safe_block: 12,
                fee_price: 0,
            },
            Frame {
                user_ops: vec![fatal],
                safe_block: 12,
                fee_price: 17_102,
            },
        ],
    };
    let input = w.factory.batch(SUBMITTER, 13, &batch);
    let err = w.machine.advance(&input).unwrap_err();
    assert!(matches!(err, AdvanceError::Stopped(_)), "{err:?}");
    let rolled_back = w.machine.before_stop();
    assert_eq!(rolled_back, before, "the fatal input left effects behind");
    assert_eq!(rolled_back.state_bytes(), before.state_bytes());
    assert_eq!(rolled_back.fridge.len(), 1, "the drained deposit is back");
    assert!(encode_machine(&rolled_back).is_ok());
}

fn crafted(next_batch_nonce: u64, executed_input_count: u64) -> Machine {
    let w = World::funded();
    let mut wallet = w.machine.wallet.clone();
    wallet.executed_input_count = executed_input_count;
    let machine = Machine::from_parts(
        w.machine.scheduler,
        wallet,
        w.machine.fridge.clone(),
        next_batch_nonce,
        w.machine.inputs_processed,
        w.machine.last_processed_block,
    );
    // Through machine.bin, as a crafted checkpoint or bundle would arrive.
    decode_machine(&encode_machine(&machine).unwrap()).unwrap()
}

#[test]
fn a_crafted_machine_at_the_last_batch_nonce_stops_at_the_next_batch() {
    let mut machine = crafted(u64::MAX, 2);
    let before = machine.clone();
    let mut factory = InputFactory::new(31337, APP);
    factory.next_index = machine.inputs_processed;
    let empty = Batch {
        nonce: u64::MAX,
        frames: vec![],
    };
    let input = factory.batch(SUBMITTER, 20, &empty);
    match machine.advance(&input).unwrap_err() {
        AdvanceError::Stopped(stop) => assert_eq!(
            stop.reason,
            StopReason::BatchNonceOverflow {
                batch_nonce: u64::MAX
            }
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(machine.before_stop(), before);
    assert_eq!(machine.next_expected_batch_nonce, u64::MAX);
    // A batch at a lower nonce is only rejected, as ever.
    let mut other = crafted(u64::MAX, 2);
    let wrong = Batch {
        nonce: 5,
        frames: vec![],
    };
    let mut factory = InputFactory::new(31337, APP);
    factory.next_index = other.inputs_processed;
    let input = factory.batch(SUBMITTER, 20, &wrong);
    assert!(matches!(
        other.advance(&input).unwrap().outcome,
        InputOutcome::Rejected(BatchRejection::WrongNonce { .. })
    ));
}

#[test]
fn a_crafted_machine_at_the_last_executed_count_stops_instead_of_wrapping() {
    let mut machine = crafted(1, u64::MAX);
    let before = machine.clone();
    let key = key_from_label("alice");
    let mut factory = InputFactory::new(31337, APP);
    factory.next_index = machine.inputs_processed;
    let op = factory.sign_op(&key, 0, 0, withdrawal_data(U256::ZERO));
    let batch = Batch {
        nonce: 1,
        frames: vec![Frame {
            user_ops: vec![op],
            safe_block: 15,
            fee_price: 0,
        }],
    };
    let input = factory.batch(SUBMITTER, 20, &batch);
    match machine.advance(&input).unwrap_err() {
        AdvanceError::Stopped(stop) => {
            assert_eq!(stop.reason, StopReason::ExecutedCountOverflow)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(machine.before_stop(), before);
}
