//! Shared by the `catchup` and `idle` benchmarks: a devnet with a generated history of signed
//! transfers, the release `warden` binary run as a child process (wall time and peak RSS), and
//! the raw baselines (eth_getLogs download, signer recovery on all cores).
#![allow(dead_code)]

use alloy::primitives::{Address, B256, U256};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use warden::canonical::batch::{Batch, Frame};
use warden::canonical::eip712::{UserKey, domain_separator, recover_signer, user_op_digest};
use warden::canonical::testkit::{InputFactory, transfer_data};
use warden::devnet::sequencer::SequencerDouble;
use warden::devnet::{self, Anvil, Deployment};

pub const CHAIN_ID: u64 = 31337;
pub const SUBMITTER_KEY: usize = 9;
/// Users: anvil keys 1..=8 (key 0 owns the token supply and funds them).
pub const USERS: std::ops::RangeInclusive<usize> = 1..=8;

pub struct Bench {
    pub rt: tokio::runtime::Runtime,
    pub anvil: Anvil,
    pub deployment: Deployment,
    pub sequencer: SequencerDouble,
    /// Every signed op of the history: (EIP-712 digest, signature).
    pub signed: Vec<(B256, Vec<u8>)>,
    pub deployment_block: u64,
    pub target: u64,
}

pub fn cache_dir() -> PathBuf {
    std::env::var_os("WARDEN_DEVNET_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".cache/devnet"))
}

pub fn warden_bin() -> &'static str {
    env!("CARGO_BIN_EXE_warden")
}

/// `WARDEN_BENCH_BASELINE`: another warden binary (an earlier release build) measured side by
/// side with this one, on its own state directory, for before/after figures from one run.
pub fn baseline_bin() -> Option<PathBuf> {
    std::env::var_os("WARDEN_BENCH_BASELINE").map(PathBuf::from)
}

impl Bench {
    /// A devnet whose application has `batches` batches of `ops` signed transfers each, one
    /// batch every `spacing` blocks, served honestly by a sequencer double at the last batch.
    pub fn new(batches: u64, ops: usize, spacing: u64) -> Self {
        warden::l1::install_crypto_provider();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let tools = devnet::install_tools(&cache_dir()).expect("devnet tools");
        let anvil =
            Anvil::start_with(&tools, 1, CHAIN_ID, &["--hardfork", "cancun"]).expect("anvil");
        let url = anvil.url.clone();
        let deployment = rt
            .block_on(async {
                devnet::wait_ready(&url, Duration::from_secs(10)).await?;
                devnet::deploy(&url, &tools).await
            })
            .expect("deploy");
        let deployment_block = rt
            .block_on(devnet::block_number(&url))
            .expect("block number");
        let started = Instant::now();
        let (signed, target) = rt.block_on(history(&url, &deployment, batches, ops, spacing));
        rt.block_on(devnet::mine(&url, 3)).expect("mine");
        eprintln!(
            "history: {batches} batches × {ops} transfers over {} blocks, built in {:.1} s",
            target - deployment_block,
            started.elapsed().as_secs_f64()
        );
        let (bytes, count) = rt
            .block_on(devnet::canonical_state_at(
                &url,
                &deployment,
                devnet::anvil_address(SUBMITTER_KEY),
                1200,
                target,
            ))
            .expect("reference state");
        let sequencer = SequencerDouble::start().expect("sequencer double");
        sequencer.set(target, count, bytes);
        Self {
            rt,
            anvil,
            deployment,
            sequencer,
            signed,
            deployment_block,
            target,
        }
    }

    /// `warden init` into a fresh directory (the template every cold run copies).
    pub fn init(&self, dir: &Path) {
        self.init_with(Path::new(warden_bin()), dir);
    }

    pub fn warden(&self, state: &Path, args: &[&str]) -> Child {
        self.warden_with(Path::new(warden_bin()), state, args)
    }

    /// `init` with a warden binary (this build's, or a baseline's on its own state directory).
    pub fn init_with(&self, bin: &Path, dir: &Path) {
        let d = &self.deployment;
        let run = self.warden_with(
            bin,
            dir,
            &[
                "init",
                "--app",
                &d.application.to_string(),
                "--batch-submitter",
                &devnet::anvil_address(SUBMITTER_KEY).to_string(),
                "--erc20-portal",
                &d.erc20_portal.to_string(),
                "--token",
                &d.token.to_string(),
                "--chain-id",
                &CHAIN_ID.to_string(),
            ],
        );
        assert_eq!(run.code, 0, "init ({}): {}", bin.display(), run.stderr);
    }

    /// A run of `bin` (this build's warden, or a baseline) against this devnet.
    pub fn warden_with(&self, bin: &Path, state: &Path, args: &[&str]) -> Child {
        run_child(
            Command::new(bin)
                .env("WARDEN_LOG_FORMAT", "json")
                .env("WARDEN_STATE_DIR", state)
                .env("WARDEN_L1_RPC_URL", &self.anvil.url)
                .env("WARDEN_SEQUENCER_URL", &self.sequencer.url)
                .args(args),
        )
    }

    /// With `WARDEN_BENCH_HOLD` set: prints the environment a run of `state` uses and waits
    /// for a line on stdin, so the same command can be profiled by hand (`perf`, `strace`)
    /// against the same devnet.
    pub fn hold(&self, state: &Path) {
        if std::env::var_os("WARDEN_BENCH_HOLD").is_none() {
            return;
        }
        println!(
            "hold: WARDEN_LOG_FORMAT=json WARDEN_STATE_DIR={} WARDEN_L1_RPC_URL={} \
             WARDEN_SEQUENCER_URL={} {} tick   (copy the state directory first; Enter ends)",
            state.display(),
            self.anvil.url,
            self.sequencer.url,
            warden_bin()
        );
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }

    /// The raw download: every InputAdded log of the application over (deployment, latest], in
    /// windows of `window` blocks, one request after another, parsed as JSON and nothing more.
    /// Returns the time, the logs and the bytes of JSON received.
    pub fn raw_download(&self, window: u64) -> (Duration, usize, usize) {
        let url = self.anvil.url.clone();
        let (input_box, app) = (self.deployment.input_box, self.deployment.application);
        let from = self.deployment_block + 1;
        let to = self.target + 3;
        self.rt.block_on(async move {
            warden::l1::install_crypto_provider();
            let client = reqwest::Client::new();
            let topic = B256::left_padding_from(app.as_slice());
            let started = Instant::now();
            let (mut logs, mut bytes) = (0, 0);
            let mut start = from;
            while start <= to {
                let end = to.min(start + window - 1);
                let body = serde_json::json!({
                    "jsonrpc": "2.0", "id": 1, "method": "eth_getLogs",
                    "params": [{
                        "address": input_box,
                        "topics": [null, topic],
                        "fromBlock": format!("{start:#x}"),
                        "toBlock": format!("{end:#x}"),
                    }],
                });
                let raw = client
                    .post(&url)
                    .json(&body)
                    .send()
                    .await
                    .expect("getLogs")
                    .bytes()
                    .await
                    .expect("getLogs answer");
                bytes += raw.len();
                let answer: serde_json::Value = serde_json::from_slice(&raw).expect("JSON");
                logs += answer["result"].as_array().map_or(0, Vec::len);
                start = end + 1;
            }
            (started.elapsed(), logs, bytes)
        })
    }

    /// Raw signer recovery of every op on all cores: wall time and the CPU time it used.
    pub fn raw_recovery(&self) -> (Duration, Duration) {
        let cpu = self_cpu();
        let started = Instant::now();
        let ok = self
            .signed
            .par_iter()
            .filter(|(digest, signature)| recover_signer(digest, signature).is_ok())
            .count();
        assert_eq!(ok, self.signed.len());
        (started.elapsed(), self_cpu().saturating_sub(cpu))
    }

    /// CPU time the L1 node (anvil) has used so far.
    pub fn node_cpu(&self) -> Duration {
        proc_cpu(self.anvil.pid())
    }
}

/// User + system CPU time of this process (all threads).
pub fn self_cpu() -> Duration {
    // SAFETY: an all-zero rusage is a valid value for getrusage to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: usage is valid for writes.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    timeval(usage.ru_utime) + timeval(usage.ru_stime)
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
}

/// User + system CPU time of another process, from `/proc/<pid>/stat` (clock-tick resolution).
pub fn proc_cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat");
    // The fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_micros(ticks * 1_000_000 / hz)
}

async fn history(
    url: &str,
    deployment: &Deployment,
    batches: u64,
    ops: usize,
    spacing: u64,
) -> (Vec<(B256, Vec<u8>)>, u64) {
    let users: Vec<UserKey> = USERS
        .map(|k| {
            let bytes: [u8; 32] = hex::decode(devnet::ANVIL_KEYS[k])
                .expect("key")
                .try_into()
                .expect("32 bytes");
            UserKey::from_bytes(&bytes).expect("key")
        })
        .collect();
    let amount = U256::from(10u64).pow(U256::from(24u64));
    for k in USERS {
        devnet::fund_tokens(url, deployment, devnet::anvil_address(k), amount)
            .await
            .expect("fund");
        devnet::deposit(url, deployment, k, amount)
            .await
            .expect("deposit");
    }
    let factory = InputFactory::new(CHAIN_ID, deployment.application);
    let domain = domain_separator(U256::from(CHAIN_ID), deployment.application);
    let mut nonces = vec![0u32; users.len()];
    let mut signed = Vec::with_capacity(batches as usize * ops);
    let mut last = 0;
    for nonce in 0..batches {
        let safe_block = devnet::block_number(url).await.expect("block");
        let mut user_ops = Vec::with_capacity(ops);
        for i in 0..ops {
            let from = (nonce as usize * ops + i) % users.len();
            let to: Address = devnet::anvil_address(*USERS.start() + (from + 1) % users.len());
            let op = factory.sign_op(
                &users[from],
                nonces[from],
                90,
                transfer_data(U256::from(1u64), to),
            );
            nonces[from] += 1;
            signed.push((
                user_op_digest(&domain, op.nonce, op.max_fee, &op.data),
                op.signature.clone(),
            ));
            user_ops.push(op);
        }
        let batch = Batch {
            nonce,
            frames: vec![Frame {
                user_ops,
                safe_block,
                fee_price: 90,
            }],
        };
        last = devnet::add_input(url, deployment, SUBMITTER_KEY, batch.to_ssz())
            .await
            .expect("post batch");
        if spacing > 1 {
            devnet::mine(url, spacing - 1).await.expect("mine");
        }
    }
    (signed, last)
}

/// A finished child: exit code, wall time, CPU time (user + system), peak RSS and stderr.
pub struct Child {
    pub code: i32,
    pub wall: Duration,
    pub cpu: Duration,
    pub max_rss_kib: u64,
    pub stderr: String,
}

/// Set in the environment of this benchmark binary when it runs as the probe of [`run_child`];
/// its value is the file the probe writes its measurement to.
const PROBE: &str = "WARDEN_BENCH_PROBE";

/// Call first in a benchmark's `main`: when this process is [`run_child`]'s probe, it runs the
/// command it was given, writes the measurement and exits.
pub fn probe_hook() {
    if let Some(result) = std::env::var_os(PROBE) {
        probe(Path::new(&result));
        std::process::exit(0);
    }
}

/// Runs a command to completion, measuring its wall time, CPU time and peak RSS (wait4's
/// rusage). The command runs under a probe (this benchmark binary, freshly started, see
/// [`probe_hook`]) so that its peak RSS is its own: Linux carries the high-water RSS of the
/// process that calls `exec` over to the new image (`signal->maxrss`), so a child spawned
/// straight from a benchmark that holds a large history reports the benchmark's peak instead.
pub fn run_child(command: &mut Command) -> Child {
    let stderr_file = tempfile::NamedTempFile::new().expect("temp file");
    let result = tempfile::NamedTempFile::new().expect("temp file");
    let mut probe = Command::new(std::env::current_exe().expect("current exe"));
    probe.arg(command.get_program()).args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => probe.env(key, value),
            None => probe.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        probe.current_dir(dir);
    }
    let status = probe
        .env(PROBE, result.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr_file.reopen().expect("reopen"))
        .status()
        .expect("spawn the probe");
    assert!(status.success(), "the probe failed: {status}");
    let text = std::fs::read_to_string(result.path()).expect("the probe's result");
    let fields: Vec<i64> = text
        .split_whitespace()
        .map(|f| f.parse().expect("a number"))
        .collect();
    let [code, wall_ns, cpu_ns, max_rss_kib] = fields[..] else {
        panic!("the probe wrote {text:?}");
    };
    let count = |n: i64| u64::try_from(n).expect("a count");
    Child {
        code: code as i32,
        wall: Duration::from_nanos(count(wall_ns)),
        cpu: Duration::from_nanos(count(cpu_ns)),
        max_rss_kib: count(max_rss_kib),
        stderr: std::fs::read_to_string(stderr_file.path()).unwrap_or_default(),
    }
}

/// The probe: spawns `argv[1..]` (stdio inherited), reaps it with wait4 and writes `code
/// wall_ns cpu_ns max_rss_kib` (code -1 when a signal ended it) to `result`.
fn probe(result: &Path) {
    let mut args = std::env::args_os().skip(1);
    let program = args.next().expect("a program to run");
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .env_remove(PROBE)
        .spawn()
        .expect("spawn");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our child; status and usage are valid for writes.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(rc, pid, "wait4: {}", std::io::Error::last_os_error());
    // wait4 reaped it: `Child` must not wait again.
    std::mem::forget(child);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    std::fs::write(
        result,
        format!(
            "{} {} {} {}",
            code,
            wall.as_nanos(),
            cpu.as_nanos(),
            usage.ru_maxrss
        ),
    )
    .expect("write the probe's result");
}

pub fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .expect("cp");
    assert!(status.success());
}

pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The exit event's outcome in a run's NDJSON.
pub fn outcome(stderr: &str) -> String {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "exit")
        .and_then(|e| e["outcome"].as_str().map(str::to_string))
        .unwrap_or_default()
}
