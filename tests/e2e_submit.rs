//! `submit` end to end on a real anvil with the real rollups contracts: batches from an outbox
//! are posted in order and accepted once, re-runs are idempotent, kills and signals never leave a
//! duplicate or a nonce gap, and operator mistakes are refused before anything is signed.

mod common;

use alloy::primitives::{Address, U256};
use common::devnet;
use common::world::{SUBMITTER_KEY, World};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use warden::canonical::batch::{Batch, Frame, WireUserOp};
use warden::canonical::scheduler::{BatchFrontier, FrontierStep, SchedulerConfig};
use warden::canonical::testkit::transfer_data;

/// A world with a sequencer outbox and the submitter's key.
struct Submitting {
    w: World,
    outbox: tempfile::TempDir,
    next_nonce: u64,
}

/// Mines a block every 200 ms while alive (L1 keeps producing blocks, so confirmations arrive).
struct Miner {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Miner {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Submitting {
    fn new() -> Self {
        let w = World::new();
        let run = w.init();
        assert_eq!(run.code, Some(0), "{}", run.exit);
        Self {
            w,
            outbox: tempfile::tempdir().unwrap(),
            next_nonce: 0,
        }
    }

    fn miner(&self) -> Miner {
        let url = self.w.devnet.anvil.url.clone();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let rt = devnet::runtime();
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = rt.block_on(devnet::mine(&url, 1));
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        Miner {
            stop,
            thread: Some(thread),
        }
    }

    fn rpc(&self, method: &'static str, params: Value) -> Value {
        self.w
            .rt
            .block_on(devnet::rpc(&self.w.devnet.anvil.url, method, params))
            .unwrap()
    }

    fn automine(&self, on: bool) {
        self.rpc("evm_setAutomine", json!([on]));
    }

    /// Writes the next batch to the outbox the way the sequencer does (temp file, rename).
    fn seal(&mut self, ops: Vec<WireUserOp>, safe_block: u64) -> u64 {
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        let batch = Batch {
            nonce,
            frames: vec![Frame {
                user_ops: ops,
                safe_block,
                fee_price: 90,
            }],
        };
        let name = format!("{nonce:020}.ssz");
        let tmp = self.outbox.path().join(format!("{name}.tmp"));
        std::fs::write(&tmp, batch.to_ssz()).unwrap();
        std::fs::rename(&tmp, self.outbox.path().join(name)).unwrap();
        nonce
    }

    /// A deposit, then a batch of one transfer spending from it.
    fn seal_transfer(&mut self) -> u64 {
        let block = self.w.deposit(0, 10_000);
        let op = self.w.op(
            0,
            90,
            transfer_data(U256::from(3u64), Address::repeat_byte(0x33)),
        );
        self.seal(vec![op], block)
    }

    fn submit_args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            "submit".to_string(),
            "--outbox".into(),
            self.outbox.path().display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    fn submit(&self, extra: &[&str]) -> common::world::Run {
        self.submit_as(SUBMITTER_KEY, extra)
    }

    fn submit_as(&self, key: usize, extra: &[&str]) -> common::world::Run {
        let args = self.submit_args(extra);
        let out = self
            .command(key)
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        common::world::Run::of(&out)
    }

    fn command(&self, key: usize) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("warden"));
        cmd.env("WARDEN_LOG_FORMAT", "json")
            .env("WARDEN_STATE_DIR", self.w.state_dir.path())
            .env("WARDEN_L1_RPC_URL", &self.w.devnet.anvil.url)
            .env("WARDEN_SEQUENCER_URL", &self.w.sequencer.url)
            .env("WARDEN_SUBMITTER_KEY", devnet::ANVIL_KEYS[key])
            .env_remove("WARDEN_SUBMITTER_KEY_FILE");
        cmd
    }

    fn wallet_nonces(&self) -> (u64, u64) {
        let submitter = format!("{:#x}", self.w.submitter());
        let count = |tag: &str| {
            let v = self.rpc("eth_getTransactionCount", json!([submitter, tag]));
            u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
        };
        (count("latest"), count("pending"))
    }

    /// Every batch nonce the submitter posted, in L1 order, and how the scheduler's gates took
    /// each (true = accepted).
    fn posted(&self) -> Vec<(u64, bool)> {
        let latest = self.w.block();
        let config = SchedulerConfig {
            batch_submitter: self.w.submitter(),
            max_wait_blocks: 1200,
        };
        let mut frontier = BatchFrontier {
            next_expected_batch_nonce: 0,
        };
        let inputs = self
            .w
            .rt
            .block_on(devnet::inputs_up_to(
                &self.w.devnet.anvil.url,
                &self.w.devnet.deployment,
                latest,
            ))
            .unwrap();
        let mut out = Vec::new();
        for input in inputs {
            if input.sender != self.w.submitter() {
                continue;
            }
            let nonce = warden::canonical::batch::decode_batch(&input.payload)
                .unwrap()
                .nonce;
            let step = frontier.observe(&config, input.sender, &input.payload, input.block_number);
            out.push((nonce, matches!(step, FrontierStep::Accepted { .. })));
        }
        out
    }

    fn watermark(&self) -> Option<u64> {
        let path = self.w.state_dir.path().join("submitter/watermark.json");
        let bytes = std::fs::read(path).ok()?;
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        v["highest_wallet_nonce"].as_u64()
    }
}

fn broadcasts(run: &common::world::Run) -> Vec<&Value> {
    run.events
        .iter()
        .filter(|e| e["event"] == "broadcast")
        .collect()
}

fn assert_each_accepted_once(posted: &[(u64, bool)], count: u64) {
    let accepted: Vec<u64> = posted.iter().filter(|p| p.1).map(|p| p.0).collect();
    assert_eq!(accepted, (0..count).collect::<Vec<_>>(), "{posted:?}");
}

#[test]
fn posts_the_outbox_in_order_then_idles_and_tick_agrees() {
    let mut s = Submitting::new();
    for _ in 0..3 {
        s.seal_transfer();
    }
    let _miner = s.miner();
    let run = s.submit(&[]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "submitted", "{}", run.exit);
    let sent: Vec<u64> = broadcasts(&run)
        .iter()
        .map(|e| e["batch_nonce"].as_u64().unwrap())
        .collect();
    assert_eq!(sent, vec![0, 1, 2]);
    assert_each_accepted_once(&s.posted(), 3);

    // Idempotent: nothing new, no transaction.
    let before = s.wallet_nonces();
    let run = s.submit(&[]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "idle", "{}", run.exit);
    assert!(broadcasts(&run).is_empty());
    assert_eq!(s.wallet_nonces(), before);

    // The records tell the sequencer what to prune.
    let status = s.w.status();
    assert_eq!(
        status["submitter"]["last_submit"]["accepted_nonces"],
        json!([0, 1, 2])
    );
    let prom = std::fs::read_to_string(s.w.state_dir.path().join("submit.prom")).unwrap();
    assert!(
        prom.contains("cartesi_submitter_next_batch_nonce{"),
        "{prom}"
    );
    assert!(prom.contains("state=\"ok\"} 1"), "{prom}");
    assert!(!prom.contains("cartesi_watchdog_"), "{prom}");

    // The watchdog agrees with a sequencer that executed those batches.
    let block = s.w.block();
    s.w.sequencer_at(block - 2);
    let tick = s.w.warden(&["tick"]);
    assert_eq!(tick.code, Some(0), "{}", tick.exit);
    assert_eq!(tick.exit["outcome"], "agreed", "{}", tick.exit);
}

#[test]
fn kills_between_signing_and_confirmation_leave_no_duplicate_and_no_gap() {
    let mut s = Submitting::new();
    let _miner = s.miner();
    let mut seed: u64 = 0x5eed_0001;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    let trials = 20;
    let mut killed_mid_run = 0;
    for trial in 0..trials {
        s.seal_transfer();
        if trial % 3 == 0 {
            s.seal_transfer();
        }
        let delay = Duration::from_millis(50 + next() % 900);
        let args = s.submit_args(&["--confirmations", "2"]);
        let mut child = s
            .command(SUBMITTER_KEY)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(
        killed_mid_run >= trials / 2,
        "only {killed_mid_run} of {trials} kills hit a running submit"
    );
    // The runs after the kills converge.
    let mut last = None;
    for _ in 0..5 {
        let run = s.submit(&[]);
        assert_ne!(run.code, Some(2), "{}", run.exit);
        if run.exit["outcome"] == "idle" {
            last = Some(run);
            break;
        }
    }
    let last = last.expect("submit converged to idle");
    assert_eq!(last.code, Some(0));
    let posted = s.posted();
    assert_each_accepted_once(&posted, s.next_nonce);
    let nonces: Vec<u64> = posted.iter().map(|p| p.0).collect();
    let mut unique = nonces.clone();
    unique.dedup();
    assert_eq!(nonces, unique, "a batch was posted twice: {posted:?}");
    let (latest, pending) = s.wallet_nonces();
    assert_eq!(latest, pending, "a wallet nonce is stuck behind a gap");
    assert!(s.watermark().unwrap() + 1 >= latest);
}

#[test]
fn paused_mining_waits_then_bumps_and_reports_underpriced_replacements() {
    let mut s = Submitting::new();
    s.seal_transfer();
    s.seal_transfer();
    s.automine(false);

    let first = s.submit(&["--timeout", "1"]);
    assert_eq!(first.code, Some(0), "{}", first.exit);
    assert_eq!(first.exit["outcome"], "waiting", "{}", first.exit);
    let sent = broadcasts(&first);
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|e| e["status"] == "sent"), "{sent:?}");
    let (latest, pending) = s.wallet_nonces();
    assert_eq!(pending, latest + 2);

    // Within the timeout: the same transactions, still pending: waiting.
    let second = s.submit(&["--timeout", "3"]);
    assert_eq!(second.code, Some(0), "{}", second.exit);
    assert_eq!(second.exit["outcome"], "waiting", "{}", second.exit);
    assert!(
        broadcasts(&second)
            .iter()
            .all(|e| e["status"] == "in_mempool" || e["status"] == "resent"),
        "{:?}",
        broadcasts(&second)
    );

    // Past the timeout: replacements with both caps raised by at least 10 %.
    let third = s.submit(&["--timeout", "1"]);
    assert_eq!(third.exit["outcome"], "waiting", "{}", third.exit);
    for (old, new) in sent.iter().zip(broadcasts(&third)) {
        assert_eq!(new["status"], "replaced", "{new}");
        for cap in ["max_fee_per_gas", "max_priority_fee_per_gas"] {
            let o: u128 = old[cap].as_str().unwrap().parse().unwrap();
            let n: u128 = new[cap].as_str().unwrap().parse().unwrap();
            assert!(n * 10 >= o * 11, "{cap}: {o} -> {n}");
        }
    }

    // Someone else (an operator's manual send with the same key) holds the next wallet nonce
    // with a higher price: our send is an underpriced replacement, reported as waiting.
    let (latest, _) = s.wallet_nonces();
    let manual = s.w.rt.block_on(async {
        use alloy::network::TransactionBuilder;
        use alloy::providers::Provider;
        let provider = devnet::signer_provider(&s.w.devnet.anvil.url, SUBMITTER_KEY).unwrap();
        let tx = alloy::rpc::types::TransactionRequest::default()
            .with_to(s.w.submitter())
            .with_nonce(latest + 2)
            .with_gas_limit(21_000)
            .with_max_fee_per_gas(500_000_000_000)
            .with_max_priority_fee_per_gas(100_000_000_000)
            .with_value(U256::ZERO);
        provider.send_transaction(tx).await.map(|p| *p.tx_hash())
    });
    assert!(manual.is_ok(), "{manual:?}");
    s.seal_transfer_without_mining();
    let fourth = s.submit(&["--timeout", "1"]);
    assert_eq!(fourth.code, Some(0), "{}", fourth.exit);
    assert_eq!(fourth.exit["outcome"], "waiting", "{}", fourth.exit);
    let last = broadcasts(&fourth);
    assert_eq!(last.last().unwrap()["status"], "underpriced", "{last:?}");

    // Mining resumes: everything lands once; the batch whose nonce was taken is re-posted.
    s.automine(true);
    let _miner = s.miner();
    let mut outcome = String::new();
    for _ in 0..5 {
        let run = s.submit(&[]);
        assert_eq!(run.code, Some(0), "{}", run.exit);
        outcome = run.exit["outcome"].as_str().unwrap().to_string();
        if outcome == "idle" {
            break;
        }
    }
    assert_eq!(outcome, "idle");
    assert_each_accepted_once(&s.posted(), 3);
    let (latest, pending) = s.wallet_nonces();
    assert_eq!(latest, pending);
}

impl Submitting {
    /// A batch whose op spends an earlier deposit, sealed while mining is paused.
    fn seal_transfer_without_mining(&mut self) -> u64 {
        let safe = self.w.block();
        let op = self.w.op(
            0,
            90,
            transfer_data(U256::from(1u64), Address::repeat_byte(0x34)),
        );
        self.seal(vec![op], safe)
    }
}

#[test]
fn identity_mistakes_and_stale_batches_are_refused_before_signing() {
    let mut s = Submitting::new();
    s.seal_transfer();
    let before = s.wallet_nonces();

    // A key that is not the pinned submitter.
    let run = s.submit_as(1, &[]);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.exit["class"], "operator");
    assert!(
        run.exit["message"]
            .as_str()
            .unwrap()
            .contains("nothing was signed")
    );
    assert!(!run.exit.to_string().contains(devnet::ANVIL_KEYS[1]));

    // An RPC serving another chain.
    let other = devnet::Anvil::start_on_chain(&s.w.devnet.tools, 1, 4242).unwrap();
    let mut cmd = s.command(SUBMITTER_KEY);
    cmd.env("WARDEN_L1_RPC_URL", &other.url)
        .args(s.submit_args(&[]));
    let out = cmd.output().unwrap();
    let exit = common::exit_event(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{exit}");
    assert_eq!(exit["class"], "operator");
    assert!(
        exit["message"].as_str().unwrap().contains("chain 4242"),
        "{exit}"
    );

    // A key file readable by others.
    let key_file =
        s.w.state_dir
            .path()
            .join("..")
            .join(format!("key-{}", std::process::id()));
    std::fs::write(&key_file, devnet::ANVIL_KEYS[SUBMITTER_KEY]).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = s.submit(&["--key-file", key_file.to_str().unwrap()]);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert!(run.exit["message"].as_str().unwrap().contains("chmod 600"));
    std::fs::remove_file(&key_file).unwrap();
    assert_eq!(s.wallet_nonces(), before, "something was sent");

    // A malformed outbox file is named.
    let bad = s.outbox.path().join(format!("{:020}.ssz", 5));
    std::fs::write(&bad, b"\x01\x02\x03").unwrap();
    let run = s.submit(&[]);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert!(
        run.exit["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{:020}.ssz", 5))
    );
    std::fs::remove_file(&bad).unwrap();

    // Insufficient funds: a message that says so.
    let submitter = format!("{:#x}", s.w.submitter());
    s.rpc("anvil_setBalance", json!([submitter, "0x10"]));
    let run = s.submit(&[]);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert!(
        run.exit["message"]
            .as_str()
            .unwrap()
            .contains("insufficient funds"),
        "{}",
        run.exit
    );
    s.rpc(
        "anvil_setBalance",
        json!([submitter, "0x3635c9adc5dea00000"]),
    );

    // A batch whose first frame is max_wait_blocks behind the safe head can never be accepted.
    s.w.mine(1300);
    let run = s.submit(&[]);
    assert_eq!(run.code, Some(2), "{}", run.exit);
    assert_eq!(run.exit["kind"], "recovery_required");
    let message = run.exit["message"].as_str().unwrap();
    assert!(
        message.contains("batch 0") && message.contains("recover flush"),
        "{message}"
    );
    assert_eq!(s.wallet_nonces(), before, "a stale batch was sent");

    // The diagnosis sees the stale batch and names the flush.
    let diagnosis = s.recover(&[]);
    assert_eq!(diagnosis.code, Some(1), "{}", diagnosis.exit);
    assert_eq!(diagnosis.exit["outcome"], "needs_action");
    let report: Value = serde_json::from_str(&diagnosis.stdout).unwrap();
    assert!(
        report["submitter"]["oldest_unaccepted_batch_age_blocks"]
            .as_u64()
            .unwrap()
            >= 1200,
        "{report}"
    );
    assert!(
        report["next"]
            .as_str()
            .unwrap()
            .contains("warden recover flush --yes"),
        "{report}"
    );
}

#[test]
fn danger_zone_posts_with_a_warning_and_a_long_tick_does_not_block_submit() {
    let mut s = Submitting::new();
    s.seal_transfer();
    // 1200 − 300 = 900 blocks is the danger threshold.
    s.w.mine(950);
    // A tick stuck on a stalled sequencer holds the watchdog lock meanwhile.
    s.w.sequencer
        .behave(common::sequencer::Behavior::Stall(Duration::from_secs(30)));
    let mut tick = Command::new(assert_cmd::cargo::cargo_bin("warden"));
    tick.env("WARDEN_LOG_FORMAT", "json")
        .env("WARDEN_STATE_DIR", s.w.state_dir.path())
        .env("WARDEN_L1_RPC_URL", &s.w.devnet.anvil.url)
        .env("WARDEN_SEQUENCER_URL", &s.w.sequencer.url)
        .arg("tick")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut tick = tick.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let _miner = s.miner();
    let run = s.submit(&["--confirmations", "1"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "submitted", "{}", run.exit);
    assert!(
        run.events
            .iter()
            .any(|e| e["event"] == "stale_batch_danger" && e["level"] == "warn"),
        "no danger warning"
    );
    assert!(
        tick.try_wait().unwrap().is_none(),
        "the tick should still be running"
    );
    let _ = tick.kill();
    let _ = tick.wait();
    assert_each_accepted_once(&s.posted(), 1);
}

#[test]
fn sigterm_mid_run_exits_1_quickly_with_a_consistent_watermark() {
    let mut s = Submitting::new();
    s.seal_transfer();
    s.seal_transfer();
    s.automine(false);
    let args = s.submit_args(&["--timeout", "60"]);
    let mut child = s
        .command(SUBMITTER_KEY)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut lines = Vec::new();
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("\"broadcast\"") {
                let _ = tx.send(());
            }
            lines.push(line);
        }
        lines
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("a broadcast");
    std::thread::sleep(Duration::from_millis(300));
    let signalled = Instant::now();
    send_signal(child.id(), "TERM");
    let status = child.wait().unwrap();
    let took = signalled.elapsed();
    println!("SIGTERM to exit: {took:?}");
    assert!(took < Duration::from_secs(5), "exit took {took:?}");
    assert_eq!(status.code(), Some(1));
    let (latest, pending) = s.wallet_nonces();
    assert!(pending > latest);
    assert!(
        s.watermark().unwrap() + 1 >= pending,
        "watermark {:?} below pending {pending}",
        s.watermark()
    );
    let record: Value = serde_json::from_slice(
        &std::fs::read(s.w.state_dir.path().join("submitter/last_submit.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["exit_code"], 1);
    assert!(
        record["message"].as_str().unwrap().contains("SIGTERM"),
        "{record}"
    );
}

fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn flush_replaces_pending_transactions_and_a_second_flush_is_a_no_op() {
    let mut s = Submitting::new();
    s.seal_transfer();
    s.seal_transfer();
    s.automine(false);
    let run = s.submit(&["--timeout", "1"]);
    assert_eq!(run.exit["outcome"], "waiting", "{}", run.exit);
    let (latest, pending) = s.wallet_nonces();
    assert_eq!(pending, latest + 2);

    // Without --yes: the plan only.
    let plan = s.recover(&["flush"]);
    assert_eq!(plan.code, Some(1), "{}", plan.exit);
    assert!(plan.events.iter().all(|e| e["event"] != "flush_broadcast"));

    // Mining paused: the replacements go out, and the run says it is still waiting.
    let flush = s.recover(&["flush", "--yes", "--timeout", "1"]);
    assert_eq!(flush.code, Some(1), "{}", flush.exit);
    assert_eq!(flush.exit["outcome"], "waiting");
    let replaced: Vec<&Value> = flush
        .events
        .iter()
        .filter(|e| e["event"] == "flush_broadcast")
        .collect();
    assert_eq!(replaced.len(), 2, "{replaced:?}");
    assert!(
        replaced.iter().all(|e| e["status"] == "replaced"),
        "{replaced:?}"
    );

    // Mining resumes: the self-transfers land instead of the batches.
    s.automine(true);
    let _miner = s.miner();
    let done = s.recover(&["flush", "--yes", "--timeout", "30"]);
    assert_eq!(done.code, Some(0), "{}", done.exit);
    let submitter = format!("{:#x}", s.w.submitter());
    let count = |tag: &str| {
        let v = s.rpc("eth_getTransactionCount", json!([submitter, tag]));
        u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    assert!(count("pending") <= count("safe"));
    assert!(
        s.posted().is_empty(),
        "a flushed batch landed: {:?}",
        s.posted()
    );

    let again = s.recover(&["flush", "--yes"]);
    assert_eq!(again.code, Some(0), "{}", again.exit);
    assert!(again.events.iter().all(|e| e["event"] != "flush_broadcast"));
    assert!(
        again.exit["message"]
            .as_str()
            .unwrap()
            .contains("nothing to flush")
    );
}

impl Submitting {
    /// `submit` with its L1 endpoint at `l1_url` (a fault proxy, say).
    fn submit_via(&self, l1_url: &str, extra: &[&str]) -> common::world::Run {
        let out = self
            .command(SUBMITTER_KEY)
            .env("WARDEN_L1_RPC_URL", l1_url)
            .args(self.submit_args(extra))
            .output()
            .unwrap();
        common::world::Run::of(&out)
    }

    fn recover(&self, args: &[&str]) -> common::world::Run {
        let out = self
            .command(SUBMITTER_KEY)
            .arg("recover")
            .args(args)
            .output()
            .unwrap();
        common::world::Run::of(&out)
    }
}

#[test]
fn an_incomplete_l1_view_sends_nothing() {
    use common::proxy::{Fault, RpcProxy};
    let mut s = Submitting::new();
    s.seal_transfer();
    let _miner = s.miner();
    let first = s.submit(&["--confirmations", "1"]);
    assert_eq!(first.exit["outcome"], "submitted", "{}", first.exit);
    s.seal_transfer();
    let proxy = RpcProxy::start(&s.w.devnet.anvil.url);
    proxy.set(Fault::DropFirstLog);
    let before = s.wallet_nonces().0;
    let run = s.submit_via(&proxy.url, &[]);
    let exit = run.exit;
    assert_eq!(run.code, Some(1), "{exit}");
    assert_eq!(exit["class"], "transient", "{exit}");
    // A dropped log shows as an index gap or as a short completeness witness, by position.
    let message = exit["message"].as_str().unwrap();
    assert!(
        message.contains("incomplete") || message.contains("inconsistent"),
        "{exit}"
    );
    assert_eq!(
        s.wallet_nonces().0,
        before,
        "a transaction was sent on an incomplete view"
    );
    // The honest endpoint posts it.
    let run = s.submit(&["--confirmations", "1"]);
    assert_eq!(run.exit["outcome"], "submitted", "{}", run.exit);
    assert_each_accepted_once(&s.posted(), 2);
}

#[test]
fn rpc_credentials_and_the_key_never_reach_events_files_or_metrics() {
    use common::proxy::RpcProxy;
    let mut s = Submitting::new();
    s.seal_transfer();
    let _miner = s.miner();
    let proxy = RpcProxy::start(&s.w.devnet.anvil.url);
    let authority = proxy.url.trim_start_matches("http://");
    let secret_url = format!("http://alice:pa55word@{authority}/v3/APIKEY0123?token=QSECRET");
    let dead_url = "http://alice:pa55word@127.0.0.1:9/v3/APIKEY0123?token=QSECRET";
    let key_hex = devnet::ANVIL_KEYS[SUBMITTER_KEY];
    let key_file =
        s.w.state_dir
            .path()
            .parent()
            .unwrap()
            .join(format!("submitter-key-{}", std::process::id()));
    std::fs::write(&key_file, key_hex).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

    let mut transcripts = Vec::new();
    let mut run = |url: &str, args: Vec<String>, expected: i32| {
        let out = s
            .command(SUBMITTER_KEY)
            .env_remove("WARDEN_SUBMITTER_KEY")
            .env("WARDEN_L1_RPC_URL", url)
            .args(&args)
            .output()
            .unwrap();
        let exit = common::exit_event(&out.stderr);
        assert_eq!(out.status.code(), Some(expected), "{args:?}: {exit}");
        transcripts.push(String::from_utf8_lossy(&out.stderr).to_string());
        transcripts.push(String::from_utf8_lossy(&out.stdout).to_string());
    };
    let key_arg = key_file.display().to_string();
    run(
        &secret_url,
        s.submit_args(&["--key-file", &key_arg, "--confirmations", "1"]),
        0,
    );
    run(dead_url, s.submit_args(&["--key-file", &key_arg]), 1);
    let block = s.w.block();
    s.w.mine(2);
    s.w.sequencer_at(block);
    run(dead_url, vec!["tick".into()], 1);
    run(&secret_url, vec!["tick".into()], 0);
    run(&secret_url, vec!["status".into()], 0);
    run(&secret_url, vec!["recover".into()], 0);
    std::fs::remove_file(&key_file).unwrap();

    let mut files = Vec::new();
    let mut stack = vec![s.w.state_dir.path().to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.iter().any(|f| f.ends_with("submit.prom")));
    assert!(files.iter().any(|f| f.ends_with("status.prom")));
    let key_body = key_hex.trim_start_matches("0x");
    for (what, text) in transcripts
        .iter()
        .map(|t| ("output", t.clone()))
        .chain(files.iter().map(|f| {
            (
                f.to_str().unwrap(),
                String::from_utf8_lossy(&std::fs::read(f).unwrap()).to_string(),
            )
        }))
    {
        for secret in [
            "pa55word",
            "APIKEY0123",
            "QSECRET",
            "alice:",
            &key_body[..16],
        ] {
            assert!(!text.contains(secret), "{what} leaks {secret}: {text}");
        }
    }
}

#[test]
fn dry_run_signs_and_simulates_but_sends_and_writes_nothing() {
    let mut s = Submitting::new();
    s.seal_transfer();
    s.seal_transfer();
    let before = s.wallet_nonces();
    let run = s.submit(&["--dry-run"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let txs = plan["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[0]["batch_nonce"], 0);
    assert_eq!(txs[1]["wallet_nonce"].as_u64().unwrap(), before.0 + 1);
    assert!(txs.iter().all(|t| t["simulated"] == "ok"));
    assert_eq!(s.wallet_nonces(), before, "a dry run sent something");
    let submitter_dir = s.w.state_dir.path().join("submitter");
    for record in ["watermark.json", "attempts.json", "last_submit.json"] {
        assert!(
            !submitter_dir.join(record).exists(),
            "a dry run wrote {record}"
        );
    }
    assert!(!s.w.state_dir.path().join("submit.prom").exists());
}

#[test]
fn a_provider_without_fee_history_still_posts() {
    use common::proxy::{Fault, RpcProxy};
    let mut s = Submitting::new();
    s.seal_transfer();
    let _miner = s.miner();
    let proxy = RpcProxy::start(&s.w.devnet.anvil.url);
    proxy.set(Fault::MethodError {
        method: "eth_feeHistory".into(),
        param: None,
        message: "the method eth_feeHistory does not exist/is not available".into(),
    });
    let run = s.submit_via(&proxy.url, &["--confirmations", "1"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "submitted", "{}", run.exit);
    assert_each_accepted_once(&s.posted(), 1);
}

#[test]
fn a_provider_without_a_pending_view_still_posts_once() {
    use common::proxy::{Fault, RpcProxy};
    let mut s = Submitting::new();
    s.seal_transfer();
    s.seal_transfer();
    let _miner = s.miner();
    let proxy = RpcProxy::start(&s.w.devnet.anvil.url);
    proxy.set(Fault::MethodError {
        method: "eth_getTransactionCount".into(),
        param: Some("pending".into()),
        message: "unsupported block tag pending".into(),
    });
    for expected in ["submitted", "idle"] {
        let run = s.submit_via(&proxy.url, &["--confirmations", "1"]);
        assert_eq!(run.code, Some(0), "{}", run.exit);
        assert_eq!(run.exit["outcome"], expected, "{}", run.exit);
        assert!(
            run.events
                .iter()
                .any(|e| e["event"] == "pending_nonce_unavailable")
        );
    }
    assert_each_accepted_once(&s.posted(), 2);
}
