//! Every exit 2 rests on a verified view, and a stop is evidence, not state: on a real anvil with
//! the real rollups contracts, behind fault proxies.

mod common;

use alloy::primitives::U256;
use common::devnet;
use common::proxy::{Fault, RpcProxy};
use common::world::{Run, World};
use serde_json::Value;
use warden::canonical::testkit::transfer_data;

/// Posts a batch whose only frame is priced above the maximum fee exponent, with an op that
/// reaches the fee computation (valid signature, nonce, max_fee), then one more input after it.
/// Returns (fatal input index, its block, the block the sequencer serves).
fn fatal_history(w: &mut World) -> (u64, u64, u64) {
    let deposit_block = w.deposit(0, 100_000);
    let op = w.op(
        0,
        17_102,
        transfer_data(U256::from(7u64), devnet::anvil_address(3)),
    );
    let fatal_block = w.post(vec![op], deposit_block, 17_102);
    let after = w.deposit(0, 5);
    w.mine(3);
    let inputs =
        w.rt.block_on(devnet::inputs_up_to(
            &w.devnet.anvil.url,
            &w.devnet.deployment,
            after,
        ))
        .unwrap();
    let fatal = inputs
        .iter()
        .find(|i| i.block_number == fatal_block && i.sender == w.submitter())
        .expect("the fatal batch is on L1")
        .index;
    assert_eq!(inputs.last().unwrap().index, fatal + 1);
    // The sequencer serves the state its own (honest) fold would have before the fatal input.
    w.sequencer_at(after);
    (fatal, fatal_block, after)
}

fn assert_transient_no_latch(w: &World, run: &Run, what: &str) {
    assert_eq!(run.code, Some(1), "{what}: {}", run.exit);
    assert_eq!(run.exit["class"], "transient", "{what}: {}", run.exit);
    assert!(
        !w.state_dir.path().join("incident").exists(),
        "{what} latched an incident"
    );
}

#[test]
fn a_dead_machine_is_a_verdict_only_on_a_verified_view_and_replay_reports_the_state_before() {
    let (mut w, agreed) = World::agreed();
    let (fatal, fatal_block, target) = fatal_history(&mut w);
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    // The primary is down; the failover endpoint drops the log after the fatal input, or its
    // state lags its logs: the view does not verify, so there is no verdict.
    let failover = format!("http://127.0.0.1:1,{}", proxy.url);
    for fault in [Fault::DropInputIndex(fatal + 1), Fault::InputCountBehind(1)] {
        proxy.set(fault.clone());
        let run = w.warden_via(&failover, &["tick"]);
        assert_transient_no_latch(&w, &run, &format!("{fault:?}"));
        assert!(
            run.exit["message"]
                .as_str()
                .unwrap()
                .contains("incomplete L1 view"),
            "{}",
            run.exit
        );
        assert_eq!(w.head_block(), agreed);
    }
    // Once the view verifies, the verdict follows.
    proxy.set(Fault::None);
    let run = w.warden_via(&failover, &["tick"]);
    assert_eq!(run.code, Some(2), "{}", run.exit);
    assert_eq!(run.exit["kind"], "canonical_machine_dead");
    let divergence = run
        .events
        .iter()
        .find(|e| e["event"] == "divergence")
        .unwrap();
    assert_eq!(divergence["target_block"], target);
    assert_eq!(divergence["stop"]["input_index"], fatal);
    assert_eq!(divergence["stop"]["block"], fatal_block);
    assert_eq!(w.head_block(), agreed, "no head flip past a stop");
    let prom = std::fs::read_to_string(w.state_dir.path().join("status.prom")).unwrap();
    assert!(
        prom.contains("kind=\"canonical_machine_dead\"} 1"),
        "the latching run's metrics carry the verdict:\n{prom}"
    );
    // The evidence is the state before the fatal input: the fold of every input before it
    // (the fatal batch is alone in its block), computed without any stop or rollback.
    let (pre_fatal, _) = w.canonical_at(fatal_block - 1);
    let incident = w.state_dir.path().join("incident");
    assert_eq!(
        std::fs::read(incident.join("canonical_state.bin")).unwrap(),
        pre_fatal
    );
    let evidence: Value =
        serde_json::from_slice(&std::fs::read(incident.join("evidence.json")).unwrap()).unwrap();
    assert_eq!(evidence["stop"]["input_index"], fatal);

    // The diagnosis suggests a replay from the agreed head, and that replay completes across
    // the fatal input: exit 0, the state before it, and the stop named.
    let diagnosis = w.warden(&["recover"]);
    assert_eq!(diagnosis.code, Some(2), "{}", diagnosis.exit);
    let report: Value = serde_json::from_str(&diagnosis.stdout).unwrap();
    let next = report["next"].as_str().unwrap();
    assert!(
        next.contains(&format!("--from-block {agreed} --to-block {target}")),
        "{next}"
    );
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("replay");
    let replay = w.warden(&[
        "recover",
        "replay",
        "--from-block",
        &agreed.to_string(),
        "--to-block",
        &target.to_string(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(replay.code, Some(0), "{}", replay.exit);
    assert_eq!(replay.exit["outcome"], "done");
    let json: Value = serde_json::from_str(&replay.stdout).unwrap();
    assert_eq!(json["stop"]["input_index"], fatal);
    assert_eq!(json["stop"]["block"], fatal_block);
    assert!(
        json["stop"]["reason"]
            .as_str()
            .unwrap()
            .contains("fee_price 17102"),
        "{json}"
    );
    assert_eq!(std::fs::read(dir.join("state.ssz")).unwrap(), pre_fatal);
    assert_eq!(json["input_count"], fatal, "the fatal input is not counted");
    assert!(dir.join("machine.bin").is_file());
}

#[test]
fn replay_from_genesis_across_a_stop_matches_the_replay_from_the_head() {
    let (mut w, _) = World::agreed();
    let (fatal, fatal_block, target) = fatal_history(&mut w);
    let config: Value =
        serde_json::from_slice(&std::fs::read(w.state_dir.path().join("config.json")).unwrap())
            .unwrap();
    // One block before the bootstrap block: no retained checkpoint there, so genesis.
    let bootstrap = config["bootstrap"]["block"].as_u64().unwrap() - 1;
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("replay");
    let replay = w.warden(&[
        "recover",
        "replay",
        "--from-block",
        &bootstrap.to_string(),
        "--to-block",
        &target.to_string(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(replay.code, Some(0), "{}", replay.exit);
    let json: Value = serde_json::from_str(&replay.stdout).unwrap();
    assert_eq!(json["start"], "genesis");
    assert_eq!(json["stop"]["input_index"], fatal);
    assert_eq!(
        std::fs::read(dir.join("state.ssz")).unwrap(),
        w.canonical_at(fatal_block).0,
        "the state at the fatal block is the state before the fatal input"
    );
    assert_eq!(
        std::fs::read(dir.join("state.ssz")).unwrap(),
        w.canonical_at(fatal_block - 1).0
    );
}
