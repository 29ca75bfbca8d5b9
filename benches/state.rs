//! Benchmark of a large canonical state: a wallet with 100,000 and 1,000,000 accounts goes
//! through everything a run does with it — encode + digest (tick's `state_sha256`) against plain
//! SHA-256 of the same bytes, decode of the state bytes and of `machine.bin`, `machine.bin`'s
//! encoding, a checkpoint write with fsync (`publish`) and its verification (`load_head`), tick's
//! agreement commit (digest, encode, publish), the evidence diff of two states a few accounts
//! apart, and the snapshot bundle's write and verify.
//!
//! Every step runs in a child process (this binary re-executed with `--step NAME`) that first
//! builds its input (the machine in memory, or the files a step reads), resets its peak-RSS mark,
//! then runs the step. The parent reads each child's peak RSS from `wait4`'s rusage and reports
//! it with the step's time, both against the state size (`machine.bin`, fridge included).
//! Nothing asserts a speed; results are checked for correctness only.
//!
//! Run: `cargo bench --bench state`. Environment: `WARDEN_BENCH_ACCOUNTS` (comma-separated
//! account counts, default `100000,1000000`), `WARDEN_BENCH_REPS` (timed repetitions per step,
//! default 5; the minimum and the median are shown), `WARDEN_BENCH_STEPS` (a comma-separated
//! subset of the steps), `WARDEN_BENCH_DIR` (where the files go; default a temporary directory,
//! which should be on the disk a state directory would live on).

use alloy::primitives::{Address, B256, U256};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use warden::canonical::Sha256Digest;
use warden::canonical::codec::{decode_machine, encode_machine};
use warden::canonical::diff::{StateDiff, first_difference, state_diff};
use warden::canonical::machine::FridgeEntry;
use warden::canonical::snapshot::{decode_state, wallet_state_sha256};
use warden::canonical::testkit::Rng;
use warden::canonical::{Machine, SchedulerConfig, WalletConfig};
use warden::state::StateDir;
use warden::state::bundle::{
    BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, BundleCheckpoint, BundleMeta, head_checkpoint_files,
    verify_bundle, write_bundle,
};
use warden::state::checkpoint::{
    CheckpointMeta, MACHINE_FILE, checkpoint_name, load_head, publish, verify_checkpoint,
};
use warden::state::config::Identity;
use warden::state::fs::RealFs;

const PORTAL: Address = Address::repeat_byte(0x50);
const TOKEN: Address = Address::repeat_byte(0x70);
const SUBMITTER: Address = Address::repeat_byte(0x5b);
/// The block the benchmark machine is at.
const BLOCK: u64 = 21_000_000;
const INPUTS: u64 = 4_000_000;
/// Accounts the "sequencer" side of the diff gets wrong (balances, then nonces, then one extra).
const DIFF_BALANCES: usize = 7;
const DIFF_NONCES: usize = 3;
/// Share of the accounts that ever sent an op (and so have a nonce entry).
const NONCE_PERCENT: u64 = 60;

/// What a step starts from, built before the peak-RSS mark is reset.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Input {
    /// The machine in memory (what a run holds after its fold).
    Machine,
    /// Files prepared on disk (what a run reads).
    Files,
}

struct Step {
    name: &'static str,
    what: &'static str,
    input: Input,
}

const STEPS: &[Step] = &[
    Step {
        name: "build",
        what: "baseline: the machine in memory, nothing else",
        input: Input::Machine,
    },
    Step {
        name: "none",
        what: "baseline: nothing (for the steps that read files)",
        input: Input::Files,
    },
    Step {
        name: "sha256",
        what: "plain SHA-256 of the state bytes (already in memory)",
        input: Input::Machine,
    },
    Step {
        name: "state_sha256",
        what: "Machine::state_sha256 (tick: encode + digest)",
        input: Input::Machine,
    },
    Step {
        name: "wallet_sha256",
        what: "snapshot::wallet_state_sha256 (streamed encode + digest)",
        input: Input::Machine,
    },
    Step {
        name: "encode_state",
        what: "Machine::state_bytes (encode only)",
        input: Input::Machine,
    },
    Step {
        name: "decode_state",
        what: "snapshot::decode_state of the state bytes",
        input: Input::Machine,
    },
    Step {
        name: "encode_machine",
        what: "codec::encode_machine (machine.bin)",
        input: Input::Machine,
    },
    Step {
        name: "decode_machine",
        what: "codec::decode_machine of machine.bin (in memory)",
        input: Input::Files,
    },
    Step {
        name: "publish",
        what: "checkpoint::publish with fsync (bytes and digest given)",
        input: Input::Machine,
    },
    Step {
        name: "commit",
        what: "tick's agreement: state_sha256 + encode_machine + publish",
        input: Input::Machine,
    },
    Step {
        name: "verify_checkpoint",
        what: "checkpoint::verify_checkpoint (read, hash, decode, digest)",
        input: Input::Files,
    },
    Step {
        name: "load_head",
        what: "checkpoint::load_head (tick's first step)",
        input: Input::Files,
    },
    Step {
        name: "diff",
        what: "evidence: first_difference + diff::state_diff",
        input: Input::Machine,
    },
    Step {
        name: "bundle_write",
        what: "bundle::write_bundle (.tar, fsync; files given)",
        input: Input::Files,
    },
    Step {
        name: "bundle_verify",
        what: "bundle::verify_bundle (.tar)",
        input: Input::Files,
    },
    Step {
        name: "snapshot",
        what: "snapshot's path: load_head + files + write + verify",
        input: Input::Files,
    },
];

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().replace('_', ""))
        .filter(|s| !s.is_empty())
        .collect()
}

fn reps() -> usize {
    std::env::var("WARDEN_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1)
}

/// A deterministic wallet of `accounts` random addresses: realistic balances (mostly 18-decimal
/// amounts, some dust, some emptied to zero), a nonce for the accounts that sent ops, a few
/// deposits waiting in the fridge, and counters of a long-running rollup.
fn build_machine(accounts: usize) -> Machine {
    let mut machine = Machine::genesis(
        SchedulerConfig {
            batch_submitter: SUBMITTER,
            max_wait_blocks: 1200,
        },
        WalletConfig {
            erc20_portal: PORTAL,
            supported_token: TOKEN,
            fee_recipient: SUBMITTER,
        },
    );
    let mut rng = Rng::new(0x5eed ^ accounts as u64);
    let mut addresses: Vec<Address> = (0..accounts)
        .map(|_| {
            let mut bytes = [0u8; 20];
            for chunk in bytes.chunks_mut(8) {
                chunk.copy_from_slice(&rng.next_u64().to_be_bytes()[..chunk.len()]);
            }
            Address::from(bytes)
        })
        .collect();
    addresses.sort_unstable();
    addresses.dedup();
    let unit = U256::from(10u64).pow(U256::from(12u64));
    let balances: BTreeMap<Address, U256> = addresses
        .iter()
        .map(|a| {
            let balance = match rng.below(100) {
                0..5 => U256::ZERO,
                5..15 => U256::from(rng.below(1_000_000)),
                _ => U256::from(rng.next_u64()) * unit,
            };
            (*a, balance)
        })
        .collect();
    let nonces: BTreeMap<Address, u32> = addresses
        .iter()
        .filter_map(|a| {
            if rng.chance(NONCE_PERCENT) {
                Some((*a, 1 + rng.below(5000) as u32))
            } else {
                None
            }
        })
        .collect();
    drop(addresses);
    machine.wallet.balances = balances;
    machine.wallet.nonces = nonces;
    machine.wallet.executed_input_count = INPUTS - 16;
    machine.wallet.last_executed_safe_block = BLOCK - 40;
    for i in 0..16u64 {
        let mut payload = vec![0u8; 72];
        payload[..20].copy_from_slice(TOKEN.as_slice());
        payload[20..40].copy_from_slice(Address::repeat_byte(i as u8).as_slice());
        payload[40..72].copy_from_slice(&U256::from(1_000_000 + i).to_be_bytes::<32>());
        machine.fridge.push_back(FridgeEntry {
            sender: PORTAL,
            payload,
            inclusion_block: BLOCK - 16 + i,
        });
    }
    machine.next_expected_batch_nonce = 250_000;
    machine.inputs_processed = INPUTS;
    machine.last_processed_block = BLOCK;
    machine.reset_liveness();
    machine
}

/// The state a faulty sequencer would serve: a few balances and nonces off, one account extra.
fn served_state(mut machine: Machine) -> Vec<u8> {
    let wallet = &mut machine.wallet;
    let n = wallet.balances.len();
    let stride = (n / DIFF_BALANCES).max(1);
    let picked: Vec<Address> = wallet
        .balances
        .keys()
        .step_by(stride)
        .take(DIFF_BALANCES)
        .copied()
        .collect();
    for a in picked {
        *wallet.balances.get_mut(&a).expect("picked") += U256::from(1u64);
    }
    let stride = (wallet.nonces.len() / DIFF_NONCES).max(1);
    let picked: Vec<Address> = wallet
        .nonces
        .keys()
        .step_by(stride)
        .take(DIFF_NONCES)
        .copied()
        .collect();
    for a in picked {
        *wallet.nonces.get_mut(&a).expect("picked") += 1;
    }
    wallet.credit(Address::repeat_byte(0xee), U256::from(5u64));
    machine.state_bytes()
}

fn meta(machine: &Machine) -> CheckpointMeta {
    CheckpointMeta {
        block: machine.last_processed_block,
        block_hash: B256::repeat_byte(0xb1),
        input_count: machine.inputs_processed,
    }
}

fn bundle_meta(head: &warden::state::checkpoint::LoadedHead) -> BundleMeta {
    BundleMeta {
        version: BUNDLE_FORMAT_VERSION,
        format: BUNDLE_FORMAT.into(),
        identity: Identity {
            chain_id: 31337,
            app: Address::repeat_byte(0xaa),
            input_box: Address::repeat_byte(0x1b),
            batch_submitter: SUBMITTER,
            erc20_portal: PORTAL,
            supported_token: TOKEN,
            fee_recipient: SUBMITTER,
            max_wait_blocks: 1200,
            preemptive_margin_blocks: 300,
        },
        checkpoint: BundleCheckpoint {
            block: head.manifest.block,
            block_hash: head.manifest.block_hash,
            input_count: head.manifest.input_count,
            state_sha256: head.manifest.state_sha256,
        },
        created_at: "2026-01-01T00:00:00.000Z".into(),
        warden_version: env!("CARGO_PKG_VERSION").into(),
    }
}

const CREATED_AT: &str = "2026-01-01T00:00:00.000Z";

/// The files the file-reading steps start from: `machine.bin`, a state directory whose head is
/// that machine, and a `.tar` bundle of it. Prints the sizes for the parent.
fn prepare(accounts: usize, dir: &Path) {
    let machine = build_machine(accounts);
    let state_bytes = machine.state_bytes();
    let digest = Sha256Digest(machine.state_sha256());
    let machine_bytes = encode_machine(&machine).expect("the benchmark machine encodes");
    std::fs::write(dir.join(MACHINE_FILE), &machine_bytes).expect("write machine.bin");
    let state = StateDir::new(dir.join("state"));
    std::fs::create_dir_all(state.root()).expect("state dir");
    publish(
        &RealFs,
        &state,
        meta(&machine),
        &machine_bytes,
        digest,
        2,
        CREATED_AT,
    )
    .expect("publish");
    let head = load_head(&state).expect("the published head loads");
    assert_eq!(head.machine, machine, "the checkpoint reloads equal");
    let (manifest_bytes, file_bytes) =
        head_checkpoint_files(&state, &head.head.checkpoint).expect("head files");
    write_bundle(
        &dir.join("bundle.tar"),
        &bundle_meta(&head),
        &manifest_bytes,
        &file_bytes,
    )
    .expect("write the bundle");
    verify_bundle(&dir.join("bundle.tar")).expect("the bundle verifies");
    println!(
        "machine_bin={} state_bytes={} balances={} nonces={} sha256={digest}",
        machine_bytes.len(),
        state_bytes.len(),
        machine.wallet.balances.len(),
        machine.wallet.nonces.len()
    );
}

/// Returns the setup's freed memory to the kernel, then resets the kernel's peak-RSS mark to the
/// current RSS (Linux `clear_refs` 5), so the peak the parent reads is the step's, not the
/// setup's transients. False when the kernel refuses.
fn reset_peak_rss() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap memory; nothing else runs at this point.
    unsafe {
        libc::malloc_trim(0);
    }
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

type Run = Box<dyn FnMut(usize)>;

/// Builds a step's input (not timed, not in its peak) and returns the step itself.
fn setup(step: &str, accounts: usize, dir: &Path) -> Run {
    let state = StateDir::new(dir.join("state"));
    let name = checkpoint_name(BLOCK, INPUTS);
    let scratch = dir.join(format!("scratch-{step}"));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let fresh_state = move |rep: usize| {
        let root = scratch.join(format!("rep-{rep}"));
        std::fs::create_dir_all(&root).expect("rep dir");
        StateDir::new(root)
    };
    match step {
        "build" => {
            let machine = build_machine(accounts);
            Box::new(move |_| {
                black_box(&machine);
            })
        }
        "none" => Box::new(|_| {}),
        "sha256" => {
            let bytes = build_machine(accounts).state_bytes();
            Box::new(move |_| {
                black_box(<[u8; 32]>::from(Sha256::digest(black_box(&bytes))));
            })
        }
        "state_sha256" => {
            let machine = build_machine(accounts);
            Box::new(move |_| {
                black_box(black_box(&machine).state_sha256());
            })
        }
        "wallet_sha256" => {
            let machine = build_machine(accounts);
            Box::new(move |_| {
                black_box(wallet_state_sha256(&black_box(&machine).wallet));
            })
        }
        "encode_state" => {
            let machine = build_machine(accounts);
            Box::new(move |_| {
                black_box(black_box(&machine).state_bytes());
            })
        }
        "decode_state" => {
            let bytes = build_machine(accounts).state_bytes();
            Box::new(move |_| {
                let decoded = decode_state(black_box(&bytes)).expect("decodes");
                assert!(decoded.is_canonical());
                black_box(decoded);
            })
        }
        "encode_machine" => {
            let machine = build_machine(accounts);
            Box::new(move |_| {
                black_box(encode_machine(black_box(&machine)).expect("encodes"));
            })
        }
        "decode_machine" => {
            let bytes = std::fs::read(dir.join(MACHINE_FILE)).expect("machine.bin");
            Box::new(move |_| {
                black_box(decode_machine(black_box(&bytes)).expect("decodes"));
            })
        }
        "publish" => {
            let machine = build_machine(accounts);
            let digest = Sha256Digest(machine.state_sha256());
            let bytes = encode_machine(&machine).expect("encodes");
            let meta = meta(&machine);
            drop(machine);
            Box::new(move |rep| {
                let state = fresh_state(rep);
                publish(&RealFs, &state, meta, &bytes, digest, 2, CREATED_AT).expect("publish");
            })
        }
        "commit" => {
            let machine = build_machine(accounts);
            Box::new(move |rep| {
                let state = fresh_state(rep);
                let digest = Sha256Digest(machine.state_sha256());
                let bytes = encode_machine(&machine).expect("encodes");
                publish(
                    &RealFs,
                    &state,
                    meta(&machine),
                    &bytes,
                    digest,
                    2,
                    CREATED_AT,
                )
                .expect("publish");
            })
        }
        "verify_checkpoint" => Box::new(move |_| {
            black_box(verify_checkpoint(&state, &name).expect("verifies"));
        }),
        "load_head" => Box::new(move |_| {
            black_box(load_head(&state).expect("loads"));
        }),
        "diff" => {
            let machine = build_machine(accounts);
            let canonical = machine.state_bytes();
            let served = served_state(machine);
            Box::new(move |_| {
                let offset = first_difference(&canonical, &served);
                let diff = state_diff(&canonical, &served);
                let StateDiff::Decoded {
                    balances_total,
                    nonces_total,
                    ..
                } = &diff
                else {
                    panic!("both sides decode")
                };
                assert_eq!(
                    (*balances_total, *nonces_total, offset.is_some()),
                    (DIFF_BALANCES as u64 + 1, DIFF_NONCES as u64, true)
                );
                black_box(diff);
            })
        }
        "bundle_write" => {
            let head = load_head(&state).expect("loads");
            let meta = bundle_meta(&head);
            drop(head);
            let (manifest_bytes, machine_bytes) =
                head_checkpoint_files(&state, &format!("checkpoints/{name}")).expect("files");
            Box::new(move |rep| {
                let out = fresh_state(rep).root().join("bundle.tar");
                write_bundle(&out, &meta, &manifest_bytes, &machine_bytes).expect("writes");
            })
        }
        "bundle_verify" => {
            let path = dir.join("bundle.tar");
            Box::new(move |_| {
                black_box(verify_bundle(&path).expect("verifies"));
            })
        }
        "snapshot" => Box::new(move |rep| {
            // As `warden snapshot --out` does: the head verified, its machine not kept.
            let head = load_head(&state).expect("loads");
            let meta = bundle_meta(&head);
            let checkpoint = head.head.checkpoint.clone();
            drop(head);
            warden::memory::release_freed();
            let (manifest_bytes, machine_bytes) =
                head_checkpoint_files(&state, &checkpoint).expect("files");
            let out = fresh_state(rep).root().join("bundle.tar");
            write_bundle(&out, &meta, &manifest_bytes, &machine_bytes).expect("writes");
            drop((manifest_bytes, machine_bytes));
            black_box(verify_bundle(&out).expect("verifies"));
        }),
        other => panic!("unknown step {other}"),
    }
}

fn child(args: &[String]) {
    let arg = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .unwrap_or_else(|| panic!("{flag} is required"))
            .clone()
    };
    let step = arg("--step");
    let accounts: usize = arg("--accounts").parse().expect("--accounts N");
    let dir = PathBuf::from(arg("--dir"));
    let reps: usize = arg("--reps").parse().expect("--reps N");
    if step == "prepare" {
        prepare(accounts, &dir);
        return;
    }
    let started = Instant::now();
    let mut run = setup(&step, accounts, &dir);
    let setup_secs = started.elapsed().as_secs_f64();
    let reset = reset_peak_rss();
    let mut times = Vec::new();
    for rep in 0..reps {
        let t = Instant::now();
        run(rep);
        times.push(t.elapsed().as_secs_f64());
    }
    let times: Vec<String> = times.iter().map(|t| format!("{t:.6}")).collect();
    println!(
        "setup={setup_secs:.3} reset={reset} times={}",
        times.join(",")
    );
}

/// Runs this binary with `args`; returns its stdout and its peak RSS in bytes (`wait4`).
fn run_child(args: &[String]) -> (String, u64) {
    let exe = std::env::current_exe().expect("current exe");
    let mut child = Command::new(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn a benchmark child");
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read the child's stdout");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child, not yet reaped; both out-pointers are valid for the call.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    // wait4 reaped it: `Child` must not wait again.
    std::mem::forget(child);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "benchmark child {args:?} failed (status {status})"
    );
    (out, usage.ru_maxrss as u64 * 1024)
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or_else(|| panic!("{key} missing in {line:?}"))
}

struct Measured {
    /// The single run of a fresh process (what a one-shot command pays, page faults included).
    cold: f64,
    /// Over the repetitions of another process (the algorithm's cost, memory warm).
    min: f64,
    median: f64,
    /// Of the fresh process that ran the step once.
    peak: u64,
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(secs: f64) -> String {
    format!("{:.1}", secs * 1e3)
}

fn parent() {
    let sizes: Vec<usize> = env_list("WARDEN_BENCH_ACCOUNTS", "100000,1000000")
        .iter()
        .map(|s| {
            s.parse()
                .expect("WARDEN_BENCH_ACCOUNTS: comma-separated counts")
        })
        .collect();
    let wanted = env_list("WARDEN_BENCH_STEPS", "");
    let steps: Vec<&Step> = STEPS
        .iter()
        .filter(|s| {
            wanted.is_empty()
                || wanted.iter().any(|w| w == s.name)
                || ["build", "none", "sha256"].contains(&s.name)
        })
        .collect();
    let base = std::env::var_os("WARDEN_BENCH_DIR").map(PathBuf::from);
    let tmp = match &base {
        Some(dir) => {
            std::fs::create_dir_all(dir).expect("WARDEN_BENCH_DIR");
            tempfile::tempdir_in(dir)
        }
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory");
    println!(
        "state benchmark, {} threads. Each step runs in two fresh processes: one runs it once \
         (cold: its time and its peak RSS from wait4), one {} times (min and median; × sha256 and \
         MB/s use the min).",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        reps(),
    );
    for accounts in sizes {
        let dir = tmp.path().join(accounts.to_string());
        std::fs::create_dir_all(&dir).expect("size dir");
        let common = |step: &str, reps: usize| {
            vec![
                "--step".to_string(),
                step.to_string(),
                "--accounts".to_string(),
                accounts.to_string(),
                "--dir".to_string(),
                dir.display().to_string(),
                "--reps".to_string(),
                reps.to_string(),
            ]
        };
        eprintln!("preparing {accounts} accounts…");
        let (out, _) = run_child(&common("prepare", 1));
        let line = out.lines().last().expect("prepare reports");
        let machine_bin: u64 = field(line, "machine_bin").parse().expect("size");
        let state_bytes: u64 = field(line, "state_bytes").parse().expect("size");
        let mut results: BTreeMap<&str, Measured> = BTreeMap::new();
        let mut reset_ok = true;
        for step in &steps {
            eprintln!("  {accounts} accounts: {}", step.name);
            let times = |out: &str| -> Vec<f64> {
                let line = out.lines().last().expect("child reports");
                field(line, "times")
                    .split(',')
                    .map(|t| t.parse().expect("time"))
                    .collect()
            };
            let (cold_out, peak) = run_child(&common(step.name, 1));
            reset_ok &= field(cold_out.lines().last().unwrap_or(""), "reset") == "true";
            let (warm_out, _) = run_child(&common(step.name, reps()));
            let mut warm = times(&warm_out);
            warm.sort_by(f64::total_cmp);
            results.insert(
                step.name,
                Measured {
                    cold: times(&cold_out)[0],
                    min: warm[0],
                    median: warm[warm.len() / 2],
                    peak,
                },
            );
        }
        let sha = results["sha256"].min;
        let bound = 2 * machine_bin + (64 << 20);
        println!();
        println!(
            "{accounts} accounts ({}): state bytes {state_bytes} B ({:.1} MiB), \
             machine.bin {machine_bin} B ({:.1} MiB); RSS bound 2 × machine.bin + 64 MiB = \
             {:.1} MiB",
            line.split_whitespace()
                .filter(|kv| kv.starts_with("balances=") || kv.starts_with("nonces="))
                .collect::<Vec<_>>()
                .join(" "),
            mib(state_bytes),
            mib(machine_bin),
            mib(bound)
        );
        println!(
            "  {:<18} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>10} {:>7}  what",
            "step",
            "cold ms",
            "min ms",
            "med ms",
            "× sha256",
            "MB/s",
            "peak MiB",
            "Δ base MiB",
            "≤ bound"
        );
        for step in &steps {
            let r = &results[step.name];
            let baseline = match step.input {
                Input::Machine => results["build"].peak,
                Input::Files => results["none"].peak,
            };
            let timed = !["build", "none"].contains(&step.name);
            println!(
                "  {:<18} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9.1} {:>10.1} {:>7}  {}",
                step.name,
                if timed { ms(r.cold) } else { "-".into() },
                if timed { ms(r.min) } else { "-".into() },
                if timed { ms(r.median) } else { "-".into() },
                if timed {
                    format!("{:.2}", r.min / sha)
                } else {
                    "-".into()
                },
                if timed {
                    format!("{:.0}", state_bytes as f64 / r.min / 1e6)
                } else {
                    "-".into()
                },
                mib(r.peak),
                mib(r.peak) - mib(baseline),
                if r.peak <= bound { "yes" } else { "NO" },
                step.what
            );
        }
        for (step, what) in [
            ("state_sha256", "Machine::state_sha256"),
            ("wallet_sha256", "wallet_state_sha256"),
        ] {
            if let Some(r) = results.get(step) {
                println!(
                    "  headline ({what}): encode + digest / SHA-256 of the same bytes = {:.2} \
                     (target ≤ 1.3)",
                    r.min / sha
                );
            }
        }
        if !reset_ok {
            println!(
                "  note: /proc/self/clear_refs refused the peak-RSS reset; peaks include the setup"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--step") {
        child(&args);
    } else {
        parent();
    }
}
