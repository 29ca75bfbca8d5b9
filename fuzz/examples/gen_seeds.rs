//! Writes the committed seed corpora under `fuzz/seeds/<target>/` from warden's own encoders and
//! fixtures. Run from the repository root:
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds
//! ```
//!
//! Deterministic: the same warden produces the same files.

use alloy_primitives::{Address, B256, U256};
use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};
use warden::canonical::batch::{Batch, Frame, WireUserOp};
use warden::canonical::codec::encode_machine;
use warden::canonical::eip712::{domain_separator, user_op_digest};
use warden::canonical::input::encode_input_added;
use warden::canonical::liveness::SchedulerSeed;
use warden::canonical::machine::FridgeEntry;
use warden::canonical::method::{Method, Transfer, Withdrawal};
use warden::canonical::snapshot::encode_state;
use warden::canonical::wallet::encode_deposit;
use warden::canonical::{Input, Machine, SchedulerConfig, Sha256Digest, Wallet, WalletConfig};
use warden::outcome::{ErrorClass, Outcome, VerdictKind};
use warden::state::bundle::{BundleCheckpoint, BundleMeta, write_bundle};
use warden::state::checkpoint::{Head, Manifest, ManifestFile};
use warden::state::config::{Bootstrap, Config, Confirmation, Identity};
use warden::state::latch::{Divergence, StopRecord};
use warden::state::records::RunRecord;
use warden::submitter::fees::Fees;
use warden::submitter::records::{Attempt, Attempts, FrontierCursor, Watermark};
use warden_fuzz::{APP, CHAIN_ID, flag, fuzz_keys, join_bundle, join_machine, reference};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn put(target: &str, name: &str, bytes: &[u8]) {
    let dir = root().join("seeds").join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(root().join("../fixtures/canonical").join(name)).unwrap()
}

fn wallet_config() -> WalletConfig {
    WalletConfig {
        erc20_portal: Address::repeat_byte(0x50),
        supported_token: Address::repeat_byte(0x70),
        fee_recipient: Address::repeat_byte(0x5b),
    }
}

fn scheduler() -> SchedulerConfig {
    SchedulerConfig {
        batch_submitter: Address::repeat_byte(0x5b),
        max_wait_blocks: 1200,
    }
}

/// Genesis plus a funded account per fuzz key, a few inputs in.
fn funded_machine() -> Machine {
    let mut machine = Machine::genesis(scheduler(), wallet_config());
    for key in fuzz_keys() {
        machine
            .wallet
            .credit(key.address(), U256::from(1_000_000_000_000_000_000u128));
    }
    machine.wallet.nonces.insert(fuzz_keys()[2].address(), 1);
    machine.wallet.executed_input_count = 3;
    machine.wallet.last_executed_safe_block = 10;
    machine.inputs_processed = 3;
    machine.last_processed_block = 12;
    machine
}

fn signed_batch(nonce: u64, safe_block: u64, fee_price: u16, methods: &[Method]) -> Batch {
    let domain = domain_separator(U256::from(CHAIN_ID), APP);
    let keys = fuzz_keys();
    let user_ops = methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let data = m.encode();
            let digest = user_op_digest(&domain, 0, 2000, &data);
            WireUserOp {
                nonce: 0,
                max_fee: 2000,
                data,
                signature: keys[i % 2].sign_digest(&digest).to_vec(),
            }
        })
        .collect();
    Batch {
        nonce,
        frames: vec![Frame {
            user_ops,
            safe_block,
            fee_price,
        }],
    }
}

/// The `machine` target's 16-byte control block.
fn control(flags: u8, sender_byte: u8, block_delta: u64) -> Vec<u8> {
    let mut c = vec![flags, sender_byte];
    c.extend_from_slice(&block_delta.to_le_bytes());
    c.extend_from_slice(&0u32.to_le_bytes());
    c.extend_from_slice(&7u16.to_le_bytes());
    assert_eq!(c.len(), warden_fuzz::CONTROL_LEN);
    c
}

fn methods() -> Vec<Method> {
    vec![
        Method::Transfer(Transfer {
            amount: U256::from(1000u64),
            to: Address::repeat_byte(0x11),
        }),
        Method::Withdrawal(Withdrawal {
            amount: U256::from(7u64),
        }),
    ]
}

fn batch_seeds() {
    put("batch", "batch_166.ssz", &fixture("batch_166.ssz"));
    put("batch", "empty_nonce0.ssz", &hex::decode("00000000000000000c000000").unwrap());
    put(
        "batch",
        "one_empty_frame.ssz",
        &hex::decode("03000000000000000c000000040000000e00000064000000000000000000").unwrap(),
    );
    put("batch", "two_signed_ops.ssz", &signed_batch(0, 12, 1060, &methods()).to_ssz());
    let mut two_frames = signed_batch(5, 12, 0, &methods());
    two_frames.frames.push(Frame {
        user_ops: vec![WireUserOp {
            nonce: 1,
            max_fee: 0,
            data: vec![],
            signature: vec![],
        }],
        safe_block: 13,
        fee_price: 0,
    });
    put("batch", "two_frames.ssz", &two_frames.to_ssz());
}

fn method_seeds() {
    for (i, m) in methods().iter().enumerate() {
        put("method", &format!("method_{i}.ssz"), &m.encode());
    }
}

fn state_seeds() {
    put("state", "state_212.ssz", &fixture("state_212.ssz"));
    put("state", "state_212.hex", &fixture("state_212.hex"));
    put("state", "empty.ssz", &encode_state(&Wallet::new(wallet_config())));
    let wallet = funded_machine().wallet;
    let current = encode_state(&wallet);
    put("state", "funded.ssz", &current);
    // The legacy v1 schema: no clock, offsets 8 lower.
    let mut legacy = current[..60].to_vec();
    for offset in [&current[60..64], &current[64..68]] {
        let o = u32::from_le_bytes(offset.try_into().unwrap()) - 8;
        legacy.extend_from_slice(&o.to_le_bytes());
    }
    legacy.extend_from_slice(&current[68..76]);
    legacy.extend_from_slice(&current[84..]);
    put("state", "legacy_v1.ssz", &legacy);
    // Two states of equal length whose first byte (0x80) splits the input between them.
    let mut a = wallet.clone();
    a.config.erc20_portal = Address::repeat_byte(0x80);
    let mut b = a.clone();
    let first = *b.balances.keys().next().unwrap();
    b.credit(first, U256::from(1u64));
    b.executed_input_count += 1;
    let mut pair = encode_state(&a);
    pair.extend_from_slice(&encode_state(&b));
    put("state", "diff_pair.ssz", &pair);
}

fn input_seeds() {
    // Shape 1 (odd first byte) is `Real` built by `arbitrary`: zero bytes give a zero input.
    put("input", "real_zero", &[1u8; 1].iter().chain([0u8; 160].iter()).copied().collect::<Vec<_>>());
    put("input", "raw_zero", &[0u8; 120]);
    // A whole real log in the raw shape's bytes is useful to the mutator as a dictionary.
    let input = Input {
        index: 3,
        chain_id: U256::from(CHAIN_ID),
        app: APP,
        sender: Address::repeat_byte(0x5b),
        block_number: 42,
        block_timestamp: 1_700_000_000,
        prev_randao: U256::from(7u64),
        payload: vec![1, 2, 3],
    };
    let (topics, data) = encode_input_added(&input);
    let mut raw = vec![0u8, 1];
    for t in &topics {
        raw.extend_from_slice(t.as_slice());
    }
    raw.extend_from_slice(&data);
    put("input", "raw_real_log", &raw);
}

fn machine_seeds() {
    let genesis = encode_machine(&Machine::genesis(scheduler(), wallet_config())).unwrap();
    put("machine", "genesis_only", &join_machine(&genesis, &[]));
    let funded = funded_machine();
    let funded_bytes = encode_machine(&funded).unwrap();
    put(
        "machine",
        "empty_batch",
        &join_machine(&genesis, &[control(0, 0, 5), hex::decode("00000000000000000c000000").unwrap()].concat()),
    );
    put(
        "machine",
        "signed_batch",
        &join_machine(
            &funded_bytes,
            &[control(0, 0, 1), signed_batch(0, 12, 1060, &methods()).to_ssz()].concat(),
        ),
    );
    put(
        "machine",
        "resign_batch",
        &join_machine(
            &funded_bytes,
            &[control(flag::RESIGN, 0, 1), signed_batch(0, 12, 90, &methods()).to_ssz()].concat(),
        ),
    );
    // The same machine as a version 1 file (before the liveness counters), which still loads.
    put(
        "machine",
        "v1_resign_batch",
        &join_machine(
            &reference::encode_machine_v1(&funded),
            &[control(flag::RESIGN, 0, 1), signed_batch(0, 12, 90, &methods()).to_ssz()].concat(),
        ),
    );
    let deposit = encode_deposit(
        wallet_config().supported_token,
        Address::repeat_byte(0x22),
        U256::from(5000u64),
        b"exec",
    );
    put(
        "machine",
        "portal_deposit",
        &join_machine(&funded_bytes, &[control(1, 0, 3), deposit.clone()].concat()),
    );
    put(
        "machine",
        "deposit_flag",
        &join_machine(&funded_bytes, &[control(1 | flag::DEPOSIT, 0, 3), deposit[20..].to_vec()].concat()),
    );
    // A machine with directs waiting, and an input late enough to run the backstop.
    let mut fridge = funded.clone();
    fridge.fridge = VecDeque::from(vec![
        FridgeEntry {
            sender: wallet_config().erc20_portal,
            payload: deposit.clone(),
            inclusion_block: 11,
        },
        FridgeEntry {
            sender: Address::repeat_byte(0x33),
            payload: vec![1, 2, 3],
            inclusion_block: 12,
        },
    ]);
    let fridge_bytes = encode_machine(&fridge).unwrap();
    put(
        "machine",
        "backstop",
        &join_machine(&fridge_bytes, &[control(3, 0x44, 1300), vec![9; 4]].concat()),
    );
    put(
        "machine",
        "fridge_drain",
        &join_machine(
            &fridge_bytes,
            &[control(flag::RESIGN, 0, 2), signed_batch(0, 12, 0, &methods()).to_ssz()].concat(),
        ),
    );
}

/// Machines at the counters' limits, where the fold must stop and roll the input back.
fn boundary_machine_seeds() {
    let funded = funded_machine();
    let empty_batch = |nonce: u64| Batch { nonce, frames: vec![] }.to_ssz();
    let mut max_inputs = funded.clone();
    max_inputs.inputs_processed = u64::MAX;
    put(
        "machine",
        "limit_input_count",
        &join_machine(
            &encode_machine(&max_inputs).unwrap(),
            &[control(0, 0, 1), empty_batch(0)].concat(),
        ),
    );
    let mut max_nonce = funded.clone();
    max_nonce.next_expected_batch_nonce = u64::MAX;
    put(
        "machine",
        "limit_batch_nonce",
        &join_machine(
            &encode_machine(&max_nonce).unwrap(),
            &[control(flag::RESIGN, 0, 1), signed_batch(u64::MAX, 12, 0, &methods()).to_ssz()]
                .concat(),
        ),
    );
    let mut max_executed = funded.clone();
    max_executed.wallet.executed_input_count = u64::MAX - 1;
    max_executed.fridge = VecDeque::from(vec![
        FridgeEntry {
            sender: Address::repeat_byte(0x33),
            payload: vec![1],
            inclusion_block: 11,
        },
        FridgeEntry {
            sender: Address::repeat_byte(0x34),
            payload: vec![2],
            inclusion_block: 12,
        },
    ]);
    put(
        "machine",
        "limit_executed_count",
        &join_machine(
            &encode_machine(&max_executed).unwrap(),
            &[control(3, 0x44, 1300), vec![9; 4]].concat(),
        ),
    );
    // Ops that accept any price (the harness re-signs them) in a frame priced above the maximum.
    let mut overpriced = signed_batch(0, 12, 17102, &methods());
    for op in &mut overpriced.frames[0].user_ops {
        op.max_fee = u16::MAX;
    }
    put(
        "machine",
        "limit_fee_exponent",
        &join_machine(
            &encode_machine(&funded).unwrap(),
            &[control(flag::RESIGN, 0, 1), overpriced.to_ssz()].concat(),
        ),
    );
}

fn bundle_seeds() {
    let machine = funded_machine();
    let machine_bytes = encode_machine(&machine).unwrap();
    let sha = Sha256Digest(machine.state_sha256());
    let block_hash = B256::repeat_byte(0xab);
    let manifest = Manifest {
        version: 1,
        block: machine.last_processed_block,
        block_hash,
        input_count: machine.inputs_processed,
        state_sha256: sha,
        machine_format_version: 1,
        files: vec![ManifestFile {
            name: "machine.bin".into(),
            sha256: Sha256Digest::of(&machine_bytes),
            size: machine_bytes.len() as u64,
        }],
        created_at: "2026-01-01T00:00:00.000Z".into(),
        scheduler: None,
    };
    let manifest_bytes = serde_json::to_vec_pretty(&manifest).unwrap();
    let meta = BundleMeta {
        version: 1,
        format: "warden-snapshot".into(),
        identity: identity(),
        checkpoint: BundleCheckpoint {
            block: manifest.block,
            block_hash,
            input_count: manifest.input_count,
            state_sha256: sha,
        },
        created_at: "2026-01-01T00:00:00.000Z".into(),
        warden_version: "0.1.0".into(),
    };
    let dir = std::env::temp_dir().join(format!("warden-gen-seeds-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let out = dir.join("bundle");
    write_bundle(&out, &meta, &manifest_bytes, &machine_bytes).unwrap();
    let read = |name: &str| fs::read(out.join(name)).unwrap();
    let meta_bytes = read("bundle.json");
    let sums = read("SHA256SUMS");
    warden::state::bundle::verify_bundle(&out).expect("the seed bundle verifies");
    put("bundle_meta", "bundle.json", &meta_bytes);
    put(
        "bundle_meta",
        "valid_dir_harness_sums",
        &join_bundle([&meta_bytes, &manifest_bytes, &[], &machine_bytes]),
    );
    put(
        "bundle_meta",
        "valid_dir_real_sums",
        &join_bundle([&meta_bytes, &manifest_bytes, &sums, &machine_bytes]),
    );
    let tar = dir.join("bundle.tar");
    write_bundle(&tar, &meta, &manifest_bytes, &machine_bytes).unwrap();
    warden::state::bundle::verify_bundle(&tar).expect("the seed tar bundle verifies");
    put("bundle_meta", "valid.tar", &fs::read(&tar).unwrap());
    fs::remove_dir_all(&dir).unwrap();
}

fn identity() -> Identity {
    let w = wallet_config();
    let s = scheduler();
    Identity {
        chain_id: CHAIN_ID,
        app: APP,
        input_box: Address::repeat_byte(0x1b),
        batch_submitter: s.batch_submitter,
        erc20_portal: w.erc20_portal,
        supported_token: w.supported_token,
        fee_recipient: w.fee_recipient,
        max_wait_blocks: s.max_wait_blocks,
        preemptive_margin_blocks: 300,
    }
}

fn record_seeds() {
    let hash = B256::repeat_byte(0xab);
    let sha = Sha256Digest([0xcd; 32]);
    let head = Head {
        version: 1,
        checkpoint: "000000000000000000000012-000000000000000000000003".into(),
        block: 12,
        block_hash: hash,
        input_count: 3,
        state_sha256: sha,
        created_at: "2026-01-01T00:00:00.000Z".into(),
    };
    put("records", "head.json", &json(&head));
    let manifest = Manifest {
        version: 1,
        block: 12,
        block_hash: hash,
        input_count: 3,
        state_sha256: sha,
        machine_format_version: 1,
        files: vec![ManifestFile {
            name: "machine.bin".into(),
            sha256: sha,
            size: 400,
        }],
        created_at: "2026-01-01T00:00:00.000Z".into(),
        scheduler: None,
    };
    put("records", "manifest.json", &json(&manifest));
    // Version 2: with the scheduler seed an idle tick reads instead of the machine.
    let mut funded = funded_machine();
    funded.fridge.push_back(FridgeEntry {
        sender: Address::repeat_byte(0x33),
        payload: vec![1],
        inclusion_block: 12,
    });
    let manifest_v2 = Manifest {
        version: warden::state::checkpoint::MANIFEST_VERSION,
        scheduler: SchedulerSeed::of(&funded),
        ..manifest
    };
    put("records", "manifest_v2.json", &json(&manifest_v2));
    let id = identity();
    let config = Config {
        version: 1,
        chain_id: id.chain_id,
        app: id.app,
        input_box: id.input_box,
        batch_submitter: id.batch_submitter,
        erc20_portal: id.erc20_portal,
        supported_token: id.supported_token,
        fee_recipient: id.fee_recipient,
        max_wait_blocks: id.max_wait_blocks,
        preemptive_margin_blocks: id.preemptive_margin_blocks,
        l1_confirmation: Confirmation::Safe,
        max_log_range: 10_000,
        long_range_error_codes: vec!["-32005".into(), "-32602".into()],
        sequencer_url: "http://127.0.0.1:8080".into(),
        sequencer_url_sha256: None,
        bootstrap: Bootstrap {
            kind: "genesis".into(),
            block: 0,
            input_count: 0,
        },
        created_at: "2026-01-01T00:00:00.000Z".into(),
    };
    put("records", "config.json", &json(&config));
    let pinned_by_hash = Config {
        sequencer_url: "https://sequencer.example".into(),
        sequencer_url_sha256: Some(Sha256Digest([0x42; 32])),
        ..config
    };
    put("records", "config_url_hash.json", &json(&pinned_by_hash));
    let divergence = Divergence {
        version: 1,
        kind: VerdictKind::CanonicalMachineDead,
        target_block: 20,
        agreed_block: 12,
        agreed_input_count: 3,
        canonical_sha256: Some(sha),
        sequencer_sha256: Some(Sha256Digest([0xef; 32])),
        stop: Some(StopRecord {
            input_index: 4,
            block: 19,
            reason: "fee".into(),
        }),
        detected_at: "2026-01-01T00:00:00.000Z".into(),
        message: "stopped".into(),
    };
    put("records", "divergence.json", &json(&divergence));
    put(
        "records",
        "watermark.json",
        &json(&Watermark {
            version: 1,
            highest_wallet_nonce: 41,
        }),
    );
    put(
        "records",
        "frontier.json",
        &json(&FrontierCursor {
            version: 1,
            block: 12,
            block_hash: hash,
            input_count: 3,
            next_expected_batch_nonce: 1,
        }),
    );
    let attempts = Attempts {
        version: 1,
        attempts: vec![Attempt {
            wallet_nonce: 41,
            batch_nonce: Some(1),
            tx_hash: hash,
            fees: Fees {
                max_fee_per_gas: 30_000_000_000,
                max_priority_fee_per_gas: 1_000_000_000,
            },
            gas_limit: 200_000,
            first_sent_at: "2026-01-01T00:00:00.000Z".into(),
            last_sent_at: "2026-01-01T00:01:00.000Z".into(),
            sends: 2,
        }],
    };
    put("records", "attempts.json", &json(&attempts));
    let run = RunRecord {
        version: 1,
        finished_at: "2026-01-01T00:00:00.000Z".into(),
        exit_code: 1,
        outcome: Outcome::Failed,
        class: Some(ErrorClass::Transient),
        kind: None,
        message: "l1 unreachable".into(),
        duration_ms: 12,
        last_success_at: Some("2025-12-31T23:59:00.000Z".into()),
        details: serde_json::json!({"outbox": "/var/lib/outbox", "accepted_below": 3, "pending_nonces": [3, 4]}),
    };
    put("records", "last_submit.json", &json(&run));
}

/// Pretty JSON of any serializable record.
fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(value).unwrap();
    v.push(b'\n');
    v
}

fn main() {
    let seeds = root().join("seeds");
    let _ = fs::remove_dir_all(&seeds);
    batch_seeds();
    method_seeds();
    state_seeds();
    input_seeds();
    machine_seeds();
    boundary_machine_seeds();
    bundle_seeds();
    record_seeds();
    println!("seeds written to {}", seeds.display());
}
