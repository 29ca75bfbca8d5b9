//! Benchmark of the canonical fold: 100,000 signed transfers among 1,000 accounts in batches of
//! 100 ops. Reports raw signer recovery (precomputed digests) and the full fold (decode, digest,
//! recovery, execution), each single-threaded and on all cores; the all-core pair is measured
//! back to back in `WARDEN_BENCH_REPS` rounds (default 5) and the ratio is the median of the
//! rounds'. Run: `cargo bench --bench fold`. Set WARDEN_BENCH_OPS to change the op count.

use alloy::primitives::{Address, B256, U256};
use rayon::prelude::*;
use std::time::Instant;
use warden::canonical::batch::decode_batch;
use warden::canonical::eip712::{domain_separator, recover_signer, user_op_digest};
use warden::canonical::executor::{Executor, NativeExecutor};
use warden::canonical::testkit::{InputFactory, TransferWorkloadSpec, transfer_workload};
use warden::canonical::{Machine, SchedulerConfig, WalletConfig};

const PORTAL: Address = Address::repeat_byte(0x50);
const TOKEN: Address = Address::repeat_byte(0x70);
const SUBMITTER: Address = Address::repeat_byte(0x5b);
const WINDOW: usize = 64;

fn genesis() -> Machine {
    Machine::genesis(
        SchedulerConfig {
            batch_submitter: SUBMITTER,
            max_wait_blocks: 1200,
        },
        WalletConfig {
            erc20_portal: PORTAL,
            supported_token: TOKEN,
            fee_recipient: SUBMITTER,
        },
    )
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn rate(ops: usize, seconds: f64) -> f64 {
    ops as f64 / seconds
}

fn main() {
    let ops: usize = std::env::var("WARDEN_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let threads = rayon::current_num_threads();
    eprintln!("generating {ops} signed transfers among 1,000 accounts…");
    let mut factory = InputFactory::new(31337, Address::repeat_byte(0xaa));
    let started = Instant::now();
    let workload = transfer_workload(
        &mut factory,
        PORTAL,
        TOKEN,
        SUBMITTER,
        &TransferWorkloadSpec {
            accounts: 1000,
            ops,
            ops_per_batch: 100,
            fee_price: 90,
            seed: 42,
        },
    );
    eprintln!("generated in {:.1} s", started.elapsed().as_secs_f64());

    // Raw recovery over precomputed digests.
    let domain = domain_separator(U256::from(31337u64), Address::repeat_byte(0xaa));
    let mut signed: Vec<(B256, Vec<u8>)> = Vec::with_capacity(ops);
    for input in workload.inputs.iter().filter(|i| i.sender == SUBMITTER) {
        let batch = decode_batch(&input.payload).expect("benchmark batches decode");
        for op in batch.frames.iter().flat_map(|f| &f.user_ops) {
            signed.push((
                user_op_digest(&domain, op.nonce, op.max_fee, &op.data),
                op.signature.clone(),
            ));
        }
    }
    let t = Instant::now();
    let single: usize = signed
        .iter()
        .filter(|(d, s)| recover_signer(d, s).is_ok())
        .count();
    let raw_single = rate(ops, t.elapsed().as_secs_f64());
    assert_eq!(single, ops);

    // Full fold, one core.
    let mut sequential = NativeExecutor::sequential(genesis());
    let t = Instant::now();
    for input in &workload.inputs {
        sequential.advance(input).expect("benchmark inputs fold");
    }
    let fold_single = rate(ops, t.elapsed().as_secs_f64());

    // All cores: raw recovery and the full fold (windows of inputs), measured back to back in
    // each round so both see the same machine; the ratio is the median of the rounds'.
    let rounds: usize = std::env::var("WARDEN_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let (mut raw_rates, mut fold_rates, mut ratios) = (vec![], vec![], vec![]);
    let mut parallel = NativeExecutor::new(genesis());
    for _ in 0..rounds {
        let t = Instant::now();
        let multi: usize = signed
            .par_iter()
            .with_min_len(64)
            .filter(|(d, s)| recover_signer(d, s).is_ok())
            .count();
        let raw_multi = rate(ops, t.elapsed().as_secs_f64());
        assert_eq!(multi, ops);
        parallel = NativeExecutor::new(genesis());
        let t = Instant::now();
        for window in workload.inputs.chunks(WINDOW) {
            parallel
                .advance_window(window)
                .into_result()
                .expect("benchmark inputs fold");
        }
        let fold_parallel = rate(ops, t.elapsed().as_secs_f64());
        raw_rates.push(raw_multi);
        fold_rates.push(fold_parallel);
        ratios.push(fold_parallel / raw_multi);
    }
    let (raw_multi, fold_parallel) = (median(&mut raw_rates), median(&mut fold_rates));
    let spread = (
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
    );
    let ratio = median(&mut ratios);

    assert_eq!(parallel.state_bytes(), sequential.state_bytes());
    let executed = sequential.machine.wallet.executed_input_count;
    assert_eq!(
        executed,
        (ops + 1000) as u64,
        "every op and deposit executes"
    );

    println!(
        "canonical fold benchmark: {ops} ops, 1,000 accounts, 100 ops/batch, {threads} threads"
    );
    println!("  raw recovery, 1 thread        {raw_single:>10.0} ops/s");
    println!("  full fold, 1 thread           {fold_single:>10.0} ops/s");
    println!(
        "  raw recovery, {threads} threads       {raw_multi:>10.0} ops/s (median of {rounds})"
    );
    println!("  full fold, parallel           {fold_parallel:>10.0} ops/s (median of {rounds})");
    println!(
        "  ratio fold-parallel / raw-recovery-all-cores = {ratio:.3} (median of {rounds} paired \
         rounds; {:.3}..{:.3})",
        spread.0, spread.1
    );
    println!("  state sha256 {}", hex::encode(sequential.state_sha256()));
}
