//! Resumable catch-up on a real anvil with the real rollups contracts: a history longer than any
//! one run can verify (a slow L1 endpoint, a seconds-scale `--deadline`) completes across partial
//! runs and a SIGKILL with the same head as one uninterrupted run and as the sequencer double's
//! reference state; a reorg below a saved resume point discards it and the next runs still agree.
//! Outcomes and progress are asserted, never times.

mod common;

use alloy::primitives::U256;
use common::devnet;
use common::proxy::{Fault, RpcProxy};
use common::world::{Run, World};
use serde_json::Value;
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use warden::canonical::Sha256Digest;

fn init_with(w: &World, extra: &[&str]) -> Run {
    let mut args = w.init_args();
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    w.warden(&refs)
}

/// `rounds` × (a deposit, a batch spending from it, `gap` empty blocks); returns the last
/// batch's block.
fn history(w: &mut World, rounds: u64, gap: u64) -> u64 {
    let mut last = 0;
    for round in 0..rounds {
        let deposit = w.deposit(0, 100_000);
        let op = w.op(
            0,
            90,
            warden::canonical::testkit::transfer_data(
                U256::from(round + 1),
                devnet::anvil_address(3),
            ),
        );
        last = w.post(vec![op], deposit, 90);
        w.mine(gap);
    }
    last
}

fn warden_in(w: &World, state: &Path, args: &[&str]) -> Run {
    let out = assert_cmd::Command::cargo_bin("warden")
        .unwrap()
        .env("WARDEN_LOG_FORMAT", "json")
        .env("WARDEN_STATE_DIR", state)
        .env("WARDEN_L1_RPC_URL", &w.devnet.anvil.url)
        .env("WARDEN_SEQUENCER_URL", &w.sequencer.url)
        .args(args)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    Run::of(&out)
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn head(state: &Path) -> Value {
    json_file(&state.join("head.json"))
}

fn resume_points(state: &Path) -> Vec<String> {
    std::fs::read_dir(state.join("resume"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn event<'a>(run: &'a Run, name: &str) -> Option<&'a Value> {
    run.events.iter().find(|e| e["event"] == name)
}

/// Runs `tick` through `l1` with `--deadline`; returns the run.
fn partial_tick(w: &World, l1: &str, deadline: &str) -> Run {
    w.warden_via(l1, &["tick", "--deadline", deadline])
}

/// Starts a tick through `l1` and SIGKILLs it right after its first saved resume point.
fn kill_after_first_save(w: &World, l1: &str) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("warden"))
        .env("WARDEN_LOG_FORMAT", "json")
        .env("WARDEN_STATE_DIR", w.state_dir.path())
        .env("WARDEN_L1_RPC_URL", l1)
        .env("WARDEN_SEQUENCER_URL", &w.sequencer.url)
        .args(["tick", "--deadline", "4s"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut saved = false;
    for line in stderr.lines().map_while(Result::ok) {
        if line.contains("\"resume_saved\"") {
            saved = true;
            // SIGKILL: no handler, no grace, no cleanup.
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(saved, "the killed run saved nothing before it ended");
    assert_eq!(status.code(), None, "the run was killed, not finished");
}

#[test]
fn a_catch_up_longer_than_any_run_completes_across_partial_runs_and_a_kill() {
    let mut w = World::with_anvil(&["--hardfork", "cancun"]);
    let init = init_with(&w, &["--max-log-range", "400"]);
    assert_eq!(init.code, Some(0), "{}", init.exit);
    let start = head(w.state_dir.path());
    // Over 20,000 blocks of history: 11 rounds of a deposit and a batch, 2,100 blocks apart.
    let last_batch = history(&mut w, 11, 2_100);
    assert!(last_batch - start["block"].as_u64().unwrap() >= 20_000);
    w.mine(3);
    w.sequencer_at(last_batch);
    let reference = Sha256Digest::of(&w.canonical_at(last_batch).0);

    // One uninterrupted run, from a copy of the same freshly initialised directory.
    let uninterrupted = tempfile::tempdir().unwrap();
    copy_dir(w.state_dir.path(), uninterrupted.path());

    // A slow endpoint: every eth_getLogs takes 60 ms, so no 1-second run covers the history.
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    proxy.set(Fault::DelayGetLogs(60));

    let mut partial = 0;
    let mut resumed_at = 0u64;
    let mut killed = false;
    let mut finished = None;
    for _ in 0..60 {
        let run = partial_tick(&w, &proxy.url, "1s");
        match run.exit["outcome"].as_str() {
            Some("catching_up") => {
                assert_eq!(run.code, Some(1), "{}", run.exit);
                assert_eq!(run.exit["class"], "transient");
                let resume = run.exit["resume_block"].as_u64().unwrap();
                assert!(resume > resumed_at, "no progress: {}", run.exit);
                assert_eq!(run.exit["target_block"], last_batch);
                assert_eq!(run.exit["blocks_remaining"], last_batch - resume);
                resumed_at = resume;
                partial += 1;
                // The records and the metric say the same.
                let last = json_file(&w.state_dir.path().join("last_tick.json"));
                assert_eq!(last["outcome"], "catching_up");
                assert_eq!(last["resume_block"], resume);
                assert_eq!(last["target_block"], last_batch);
                assert_eq!(last["blocks_remaining"], last_batch - resume);
                let prom = std::fs::read_to_string(w.state_dir.path().join("status.prom")).unwrap();
                assert!(
                    prom.lines().any(|l| l
                        .starts_with("cartesi_watchdog_catchup_remaining_blocks{")
                        && l.ends_with(&format!(" {}", last_batch - resume))),
                    "{prom}"
                );
                let status = w.status();
                assert_eq!(status["catch_up"]["resume_block"], resume);
                assert_eq!(status["catch_up"]["blocks_remaining"], last_batch - resume);
                // Never a head: the head stays where init put it until the target agrees.
                assert_eq!(head(w.state_dir.path()), start);
                assert_eq!(resume_points(w.state_dir.path()).len(), 1);
                // The diagnosis calls it progress, not an action.
                let diagnosis = w.warden(&["recover"]);
                assert_eq!(diagnosis.code, Some(0), "{}", diagnosis.exit);
                assert!(
                    diagnosis.exit["message"]
                        .as_str()
                        .unwrap()
                        .contains("catch-up is under way")
                );
                if partial == 2 && !killed {
                    kill_after_first_save(&w, &proxy.url);
                    killed = true;
                    // Nothing is corrupted: the head verifies and status reads it.
                    let status = w.warden(&["status"]);
                    assert_eq!(status.code, Some(0), "{}", status.exit);
                    assert_eq!(head(w.state_dir.path()), start);
                }
            }
            Some("agreed") => {
                finished = Some(run);
                break;
            }
            _ => panic!(
                "unexpected outcome after {partial} partial runs: {}\n{:#?}",
                run.exit, run.events
            ),
        }
    }
    let finished = finished.expect("the catch-up never finished");
    assert!(partial >= 3, "only {partial} partial runs");
    assert!(killed);
    assert_eq!(finished.code, Some(0), "{}", finished.exit);
    assert!(event(&finished, "resuming").is_some());
    let resumed = head(w.state_dir.path());
    assert_eq!(resumed["block"], last_batch);
    // The head flip discarded the resume point.
    assert!(resume_points(w.state_dir.path()).is_empty());
    assert!(w.status()["catch_up"].is_null());

    let once = warden_in(&w, uninterrupted.path(), &["tick"]);
    assert_eq!(once.code, Some(0), "{}", once.exit);
    assert_eq!(once.exit["outcome"], "agreed");
    let once = head(uninterrupted.path());
    assert_eq!(resumed["state_sha256"], once["state_sha256"]);
    assert_eq!(resumed["input_count"], once["input_count"]);
    assert_eq!(resumed["state_sha256"], reference.to_string());
}

fn rpc(w: &World, method: &str, params: Value) -> Value {
    w.rt.block_on(async {
        use alloy::providers::{Provider, ProviderBuilder};
        let provider = ProviderBuilder::new().connect_http(w.devnet.anvil.url.parse().unwrap());
        provider
            .raw_request::<_, Value>(method.to_string().into(), params)
            .await
            .unwrap()
    })
}

#[test]
fn a_reorg_below_a_saved_resume_point_discards_it_and_the_catch_up_still_agrees() {
    let mut w = World::with_anvil(&["--hardfork", "cancun"]);
    let init = init_with(&w, &["--max-log-range", "100"]);
    assert_eq!(init.code, Some(0), "{}", init.exit);
    let p = head(w.state_dir.path())["block"].as_u64().unwrap();
    history(&mut w, 1, 50);
    // The reorg will replace everything above this block.
    let fork = w.block();
    let snapshot = rpc(&w, "evm_snapshot", serde_json::json!([]));
    let last_batch = history(&mut w, 8, 400);
    w.mine(3);
    w.sequencer_at(last_batch);
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    proxy.set(Fault::DelayGetLogs(60));
    let mut resume = 0;
    for _ in 0..10 {
        let run = partial_tick(&w, &proxy.url, "1s");
        assert_eq!(run.exit["outcome"], "catching_up", "{}", run.exit);
        resume = run.exit["resume_block"].as_u64().unwrap();
        if resume > fork {
            break;
        }
    }
    assert!(resume > fork && fork > p);
    assert_eq!(resume_points(w.state_dir.path()).len(), 1);

    // L1 reorganises below the resume point: the blocks above `fork` are replaced by another
    // history (another deposit and batch), so the resume point's block hash is gone.
    assert_eq!(
        rpc(&w, "evm_revert", serde_json::json!([snapshot])),
        Value::Bool(true)
    );
    history(&mut w, 3, 20);
    w.mine(resume - fork + 50);
    let target = history(&mut w, 1, 3);
    assert!(target > resume);
    w.sequencer_at(target);
    let reference = Sha256Digest::of(&w.canonical_at(target).0);

    let mut discarded = false;
    let mut agreed = None;
    for _ in 0..40 {
        let run = partial_tick(&w, &proxy.url, "1s");
        discarded |= event(&run, "resume_discarded").is_some();
        match run.exit["outcome"].as_str() {
            Some("catching_up") => {}
            Some("agreed") => {
                agreed = Some(run);
                break;
            }
            _ => panic!("unexpected outcome: {}", run.exit),
        }
    }
    assert!(discarded, "the stale resume point was never discarded");
    let agreed = agreed.expect("the catch-up never finished");
    assert_eq!(agreed.code, Some(0));
    let head = head(w.state_dir.path());
    assert_eq!(head["block"], target);
    assert_eq!(head["state_sha256"], reference.to_string());
}
