//! tick under sequencer lies, sequencer faults, L1 faults and reorgs, on real anvils.

mod common;

use common::proxy::{Fault, RpcProxy};
use common::sequencer::Behavior;
use common::world::World;
use std::time::Duration;

fn assert_transient(run: &common::world::Run, what: &str) {
    assert_eq!(run.code, Some(1), "{what}: {}", run.exit);
    assert_eq!(run.exit["class"], "transient", "{what}: {}", run.exit);
}

#[test]
fn sequencer_regression_latches_inclusion_block_regressed() {
    let (w, head) = World::agreed();
    w.sequencer.behave(Behavior::ReportBlock(head - 1));
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(2), "{}", run.exit);
    assert_eq!(run.exit["kind"], "inclusion_block_regressed");
    let divergence = run
        .events
        .iter()
        .find(|e| e["event"] == "divergence")
        .unwrap();
    assert_eq!(divergence["target_block"], head - 1);
}

#[test]
fn sequencer_faults_are_transient_and_old_builds_agree() {
    let (mut w, head) = World::agreed();
    w.advance();
    for behavior in [
        Behavior::NotFound,
        Behavior::Unavailable,
        Behavior::Garbage,
        Behavior::WrongLength,
        Behavior::Stall(Duration::from_secs(12)),
    ] {
        w.sequencer.behave(behavior.clone());
        let run = w.warden(&["tick"]);
        assert_transient(&run, &format!("{behavior:?}"));
        assert_eq!(w.head_block(), head, "{behavior:?} moved the head");
        assert!(!w.state_dir.path().join("incident").exists());
    }
    // Wrong lengths on the state download matter when the digest route is missing.
    w.sequencer.behave(Behavior::NoDigestRoute);
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "agreed");
    w.advance();
    w.sequencer.behave(Behavior::OldFieldNames);
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
}

#[test]
fn a_state_download_for_another_block_is_never_hashed_as_the_target() {
    let (mut w, head) = World::agreed();
    let block = w.advance();
    // The digest route is missing and the state route serves the block before: exit 1, naming
    // both blocks, never a comparison against the wrong bytes.
    w.sequencer.behave(Behavior::NoDigestRouteStateBehind);
    let run = w.warden(&["tick"]);
    assert_transient(&run, "state route at another block");
    let message = run.exit["message"].as_str().unwrap();
    assert!(
        message.contains(&block.to_string()) && message.contains(&(block - 1).to_string()),
        "{message}"
    );
    assert_eq!(w.head_block(), head);
    assert!(!w.state_dir.path().join("incident").exists());
    w.sequencer.behave(Behavior::NoDigestRoute);
    let run = w.warden(&["tick"]);
    assert_eq!(run.exit["outcome"], "agreed", "{}", run.exit);
}

#[test]
fn l1_safe_head_behind_the_target_is_transient() {
    let (mut w, head) = World::agreed();
    let deposit_block = w.deposit(0, 10);
    let op = w.op(0, 0, vec![]);
    let block = w.post(vec![op], deposit_block, 0);
    // Not mined further: safe lags latest by one block.
    w.sequencer_at(block);
    let run = w.warden(&["tick"]);
    assert_transient(&run, "safe behind");
    assert_eq!(w.head_block(), head);
}

#[test]
fn a_dropped_log_is_exit_1_never_a_verdict_or_agreement() {
    let (mut w, head) = World::agreed();
    w.advance();
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    proxy.set(Fault::DropFirstLog);
    let run = w.warden_via(&proxy.url, &["tick"]);
    assert_transient(&run, "dropped log");
    assert_eq!(w.head_block(), head);
    proxy.set(Fault::None);
    let run = w.warden_via(&proxy.url, &["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
}

#[test]
fn provider_range_codes_bisect_and_unknown_codes_are_exit_1() {
    let (mut w, _) = World::agreed();
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    for code in ["-32005", "-32012", "-32600", "-32602", "-32616"] {
        let target = w.advance();
        proxy.set(Fault::RangeLimit {
            max_span: 2,
            message: format!("error {code}: block range too large"),
        });
        proxy.get_logs_ranges.lock().unwrap().clear();
        let run = w.warden_via(&proxy.url, &["tick"]);
        assert_eq!(run.code, Some(0), "{code}: {}", run.exit);
        assert_eq!(w.head_block(), target, "{code}");
        let ranges = proxy.get_logs_ranges.lock().unwrap().clone();
        assert!(ranges.len() > 1, "{code}: no bisection in {ranges:?}");
    }
    w.advance();
    proxy.set(Fault::RangeLimit {
        max_span: 2,
        message: "code 35: too many blocks".into(),
    });
    let run = w.warden_via(&proxy.url, &["tick"]);
    assert_transient(&run, "unknown code");
    proxy.set(Fault::AlwaysFail("error -32005: even one block".into()));
    let run = w.warden_via(&proxy.url, &["tick"]);
    assert_transient(&run, "single block fails");
}

#[test]
fn wrong_chain_id_and_other_identity_are_operator_errors() {
    let w = World::new();
    let mut args = w.init_args();
    let pin = args.iter().position(|a| a == "--chain-id").unwrap();
    args[pin + 1] = "1".into();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = w.warden(&refs);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.exit["class"], "operator");
    assert!(!w.state_dir.path().join("config.json").exists());

    assert_eq!(w.init().code, Some(0));
    let mut args = w.init_args();
    let token = args.iter().position(|a| a == "--token").unwrap();
    args[token + 1] = "0x000000000000000000000000000000000000dEaD".into();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = w.warden(&refs);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.exit["class"], "operator");
    assert!(
        run.exit["message"]
            .as_str()
            .unwrap()
            .contains("supported_token")
    );
}

fn reorg(w: &World, depth: u64) {
    w.rt.block_on(async {
        use alloy::providers::{Provider, ProviderBuilder};
        let provider = ProviderBuilder::new().connect_http(w.devnet.anvil.url.parse().unwrap());
        let _: serde_json::Value = provider
            .raw_request(
                "anvil_reorg".into(),
                (depth, Vec::<serde_json::Value>::new()),
            )
            .await
            .unwrap();
    });
}

#[test]
fn reorg_below_the_head_rolls_back_to_the_retained_predecessor() {
    let (mut w, first) = World::agreed();
    let second = w.advance_and_agree();
    let latest = w.block();
    // Replace every block from `second` on: the predecessor at `first` stays canonical.
    reorg(&w, latest - second + 1);
    w.mine(5);
    // The sequencer follows L1: its state at the new safe block lacks the reorged batch.
    let target = w.block() - 2;
    w.sequencer_at(target);
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "agreed");
    assert!(run.events.iter().any(|e| e["event"] == "reorg_rollback"));
    assert_eq!(w.head_block(), target);
    assert!(first < second);
}

#[test]
fn reorg_with_keep_1_latches_l1_reorg_below_head_even_when_the_sequencer_regresses() {
    let (mut w, _) = World::agreed();
    // Re-agree with --keep 1 so no predecessor is retained.
    w.advance();
    let run = w.warden(&["tick", "--keep", "1"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    let head = w.head_block();
    let latest = w.block();
    reorg(&w, latest - head + 1);
    w.mine(5);
    // The sequencer regresses because of the reorg: the verdict is the reorg.
    w.sequencer.behave(Behavior::ReportBlock(head - 1));
    let run = w.warden(&["tick", "--keep", "1"]);
    assert_eq!(run.code, Some(2), "{}", run.exit);
    assert_eq!(run.exit["kind"], "l1_reorg_below_head");
    // The latching run itself writes the verdict into status.prom (no tick late).
    let prom = std::fs::read_to_string(w.state_dir.path().join("status.prom")).unwrap();
    assert!(
        prom.lines()
            .any(|l| l.starts_with("cartesi_watchdog_divergence_info{")
                && l.contains("kind=\"l1_reorg_below_head\"")
                && l.ends_with(" 1")),
        "{prom}"
    );
}

#[test]
fn sigterm_during_a_tick_exits_1_quickly_and_records_it() {
    let (mut w, head) = World::agreed();
    w.advance();
    w.sequencer
        .behave(Behavior::Stall(std::time::Duration::from_secs(30)));
    let before = w.sequencer.request_count();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("warden"))
        .env("WARDEN_LOG_FORMAT", "json")
        .env("WARDEN_STATE_DIR", w.state_dir.path())
        .env("WARDEN_L1_RPC_URL", &w.devnet.anvil.url)
        .env("WARDEN_SEQUENCER_URL", &w.sequencer.url)
        .arg("tick")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while w.sequencer.request_count() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "tick never asked the sequencer"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let signalled = std::time::Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let took = signalled.elapsed();
    println!("tick: SIGTERM to exit {took:?}");
    assert!(
        took < std::time::Duration::from_secs(5),
        "exit took {took:?}"
    );
    assert_eq!(out.status.code(), Some(1));
    let events = common::parse_events(&out.stderr);
    assert_eq!(events.iter().filter(|e| e["event"] == "exit").count(), 1);
    let exit = common::exit_event(&out.stderr);
    assert_eq!(exit["class"], "transient", "{exit}");
    assert!(
        exit["message"].as_str().unwrap().contains("SIGTERM"),
        "{exit}"
    );
    let last: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.state_dir.path().join("last_tick.json")).unwrap())
            .unwrap();
    assert_eq!(last["exit_code"], 1);
    assert_eq!(
        w.head_block(),
        head,
        "the head moved on an interrupted tick"
    );
}
