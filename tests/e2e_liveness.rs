//! Seeing trouble before it pages, on a real anvil with the real rollups contracts: liveness
//! figures from the fold, a stalled sequencer, cross-checked L1 endpoints, and init on a node
//! that keeps recent state only.

mod common;

use alloy::primitives::U256;
use common::devnet;
use common::proxy::{Fault, RpcProxy};
use common::sequencer::Behavior;
use common::world::{Run, World};
use serde_json::Value;
use warden::canonical::batch::Batch;

/// The value of a series in a textfile (`name{…label…}`), when present.
fn metric(prom: &str, name: &str, label: Option<&str>) -> Option<f64> {
    prom.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .find(|l| label.is_none_or(|label| l.contains(label)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

fn status_prom(w: &World) -> String {
    std::fs::read_to_string(w.state_dir.path().join("status.prom")).unwrap()
}

fn event<'a>(run: &'a Run, name: &str) -> Option<&'a Value> {
    run.events.iter().find(|e| e["event"] == name)
}

fn last_tick(w: &World) -> Value {
    serde_json::from_slice(&std::fs::read(w.state_dir.path().join("last_tick.json")).unwrap())
        .unwrap()
}

fn junk_input(w: &World, key: usize, payload: &[u8]) -> u64 {
    w.rt.block_on(devnet::add_input(
        &w.devnet.anvil.url,
        &w.devnet.deployment,
        key,
        payload.to_vec(),
    ))
    .unwrap()
}

fn init_with(w: &World, extra: &[&str]) -> Run {
    let mut args = w.init_args();
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    w.warden(&refs)
}

#[test]
fn fridge_and_batch_figures_rise_warn_and_survive_restarts_and_restores() {
    let mut w = World::new();
    w.max_wait_blocks = 100;
    let init = init_with(
        &w,
        &[
            "--max-wait-blocks",
            "100",
            "--preemptive-margin-blocks",
            "30",
        ],
    );
    assert_eq!(init.code, Some(0), "{}", init.exit);
    let config: Value =
        serde_json::from_slice(&std::fs::read(w.state_dir.path().join("config.json")).unwrap())
            .unwrap();
    let bootstrap = config["bootstrap"]["block"].as_u64().unwrap();
    // The sequencer stalls at the bootstrap block: idle ticks, while L1 moves on.
    w.sequencer_at(bootstrap);

    // Junk direct inputs wait in the fridge; a wrong-nonce and an undecodable batch are rejected.
    let first_junk = junk_input(&w, 2, b"junk one");
    junk_input(&w, 3, b"junk two");
    w.post_raw(
        Batch {
            nonce: 5,
            frames: vec![],
        }
        .to_ssz(),
    );
    w.post_raw(vec![1, 2, 3]);
    w.mine(5);
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "idle");
    let figures = &last_tick(&w)["liveness"];
    let at = figures["at_block"].as_u64().unwrap();
    // What an independent count of the scenario gives.
    assert_eq!(figures["fridge_inputs"], 2, "{figures}");
    assert_eq!(figures["fridge_oldest_age_blocks"], at - first_junk);
    assert_eq!(
        figures["backstop_margin_blocks"].as_i64().unwrap(),
        (first_junk + 100) as i64 - at as i64
    );
    assert_eq!(figures["batches"]["wrong_nonce"], 1);
    assert_eq!(figures["batches"]["undecodable"], 1);
    assert_eq!(figures["batches"]["executed"], 0);
    assert_eq!(figures["blocks_since_executed_batch"], at - bootstrap);
    let rejected = event(&run, "batches_rejected").expect("batches_rejected fires");
    assert_eq!(rejected["outcomes"]["wrong_nonce"], 1);
    assert_eq!(rejected["outcomes"]["undecodable"], 1);
    assert!(event(&run, "backstop_imminent").is_none(), "too early");
    let prom = status_prom(&w);
    assert_eq!(
        metric(&prom, "cartesi_watchdog_fridge_inputs", None),
        Some(2.0)
    );
    assert_eq!(
        metric(
            &prom,
            "cartesi_watchdog_batches_total",
            Some("outcome=\"wrong_nonce\"")
        ),
        Some(1.0)
    );

    // The oldest junk input approaches the backstop: the warning fires before it executes.
    let margin_now = (first_junk + 100) as i64 - at as i64;
    w.mine((margin_now - 20) as u64);
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    let imminent = event(&run, "backstop_imminent").expect("backstop_imminent fires");
    let margin = imminent["backstop_margin_blocks"].as_i64().unwrap();
    assert!((0..30).contains(&margin), "{imminent}");
    assert_eq!(last_tick(&w)["liveness"]["fridge_inputs"], 2);

    // The sequencer catches up to a block past the rejected batches (nothing executed yet):
    // the head moves, and the counters are now committed with it.
    let block = w.block() - 2;
    w.sequencer_at(block);
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "agreed");
    let status = w.status();
    let committed = &status["liveness"]["committed"];
    assert_eq!(committed["batches"]["wrong_nonce"], 1, "{status}");
    assert_eq!(committed["batches"]["undecodable"], 1);
    assert_eq!(committed["counters_since_block"], bootstrap);

    // They survive a restart (a new process reads them from the checkpoint) and a
    // snapshot/restore (the bundle carries them).
    let run = w.warden(&["tick"]);
    assert_eq!(run.exit["outcome"], "idle", "{}", run.exit);
    assert_eq!(last_tick(&w)["liveness"]["batches"]["wrong_nonce"], 1);
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    assert_eq!(
        w.warden(&["snapshot", "--out", bundle.to_str().unwrap()])
            .code,
        Some(0)
    );
    w.post_raw(vec![9]);
    w.mine(3);
    let later = w.block() - 2;
    w.sequencer_at(later);
    let run = w.warden(&["tick"]);
    assert_eq!(run.exit["outcome"], "agreed", "{}", run.exit);
    assert_eq!(
        w.status()["liveness"]["committed"]["batches"]["undecodable"],
        2
    );
    let restore = w.warden(&[
        "recover",
        "restore",
        "--from",
        bundle.to_str().unwrap(),
        "--yes",
    ]);
    assert_eq!(restore.code, Some(0), "{}", restore.exit);
    let restored = w.status();
    assert_eq!(
        restored["liveness"]["committed"], *committed,
        "the bundle carries the counters"
    );
}

#[test]
fn a_stalled_sequencer_is_seen_by_idle_ticks_and_a_wrong_chain_is_refused_even_then() {
    let (w, head) = World::agreed();
    let run = w.warden(&["tick", "--stall-threshold-blocks", "5"]);
    assert_eq!(run.exit["outcome"], "idle", "{}", run.exit);
    assert_eq!(
        metric(&status_prom(&w), "cartesi_watchdog_sequencer_stalled", None),
        Some(0.0),
        "nothing waits on L1: not stalled"
    );
    // Deposits land on L1 while the sequencer does not move.
    w.deposit(0, 10);
    w.deposit(0, 20);
    w.mine(10);
    let run = w.warden(&["tick", "--stall-threshold-blocks", "5"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "idle");
    let prom = status_prom(&w);
    let lag = metric(&prom, "cartesi_watchdog_head_lag_blocks", None).unwrap();
    assert!(lag > 5.0, "{prom}");
    assert_eq!(
        metric(&prom, "cartesi_watchdog_sequencer_stalled", None),
        Some(1.0)
    );
    let stalled = event(&run, "sequencer_stalled").expect("sequencer_stalled fires");
    assert_eq!(stalled["sequencer_block"], head);
    assert_eq!(stalled["inputs_above_sequencer"], 2);
    w.mine(5);
    let run = w.warden(&["tick", "--stall-threshold-blocks", "5"]);
    let grown = metric(&status_prom(&w), "cartesi_watchdog_head_lag_blocks", None).unwrap();
    assert!(grown > lag, "the lag grows: {lag} then {grown}");
    assert!(event(&run, "sequencer_stalled").is_some(), "it repeats");

    // Even an idle tick reads L1: a wrong-chain endpoint is an operator error.
    let other = devnet::Anvil::start_on_chain(&w.devnet.tools, 1, 1).unwrap();
    let run = w.warden_via(&other.url, &["tick"]);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.exit["class"], "operator", "{}", run.exit);
}

#[test]
fn cross_check_endpoints_must_agree_before_any_flip_or_verdict() {
    let (mut w, head) = World::agreed();
    let target = w.advance();
    let inputs =
        w.rt.block_on(devnet::inputs_up_to(
            &w.devnet.anvil.url,
            &w.devnet.deployment,
            target,
        ))
        .unwrap();
    let last_index = inputs.last().unwrap().index;
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    let cross = |w: &World| w.warden(&["--l1-cross-check-url", &proxy.url, "tick"]);
    for fault in [
        Fault::LieBlockHash(target),
        Fault::DropInputIndex(last_index),
        Fault::ConfirmedBehind(10),
    ] {
        proxy.set(fault.clone());
        let run = cross(&w);
        assert_eq!(run.code, Some(1), "{fault:?}: {}", run.exit);
        assert_eq!(run.exit["class"], "transient", "{fault:?}");
        let disagree = event(&run, "l1_endpoints_disagree").expect("the event names them");
        assert_eq!(disagree["endpoints"][1], proxy.url, "{disagree}");
        assert_eq!(w.head_block(), head, "{fault:?} flipped the head");
        assert_eq!(
            metric(
                &status_prom(&w),
                "cartesi_watchdog_l1_endpoints_agree",
                None
            ),
            Some(0.0)
        );
    }
    proxy.set(Fault::None);
    let run = cross(&w);
    assert_eq!(run.exit["outcome"], "agreed", "{}", run.exit);
    assert_eq!(w.head_block(), target);
    assert_eq!(
        metric(
            &status_prom(&w),
            "cartesi_watchdog_l1_endpoints_agree",
            None
        ),
        Some(1.0)
    );

    // A real divergence waits for agreement before it pages.
    let next = w.advance();
    w.sequencer.behave(Behavior::FlipByte(84 + 20 + 31));
    proxy.set(Fault::LieBlockHash(next));
    let run = cross(&w);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert!(!w.state_dir.path().join("incident").exists());
    proxy.set(Fault::None);
    let run = cross(&w);
    assert_eq!(run.code, Some(2), "{}", run.exit);
    assert_eq!(run.exit["kind"], "state_mismatch");
}

#[test]
fn a_lying_primary_with_an_honest_cross_check_still_reports_a_real_divergence() {
    let (mut w, _) = World::agreed();
    let next = w.advance();
    w.sequencer.behave(Behavior::FlipByte(84 + 20 + 31));
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    proxy.set(Fault::LieBlockHash(next));
    let anvil = w.devnet.anvil.url.clone();
    let run = w.warden_via(&proxy.url, &["--l1-cross-check-url", &anvil, "tick"]);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert!(!w.state_dir.path().join("incident").exists());
    proxy.set(Fault::None);
    let run = w.warden_via(&proxy.url, &["--l1-cross-check-url", &anvil, "tick"]);
    assert_eq!(run.code, Some(2), "{}", run.exit);
    assert_eq!(run.exit["kind"], "state_mismatch");
}

#[test]
fn init_and_tick_work_on_a_node_that_keeps_recent_state_only() {
    let mut w = World::with_anvil(&["--prune-history", "128"]);
    // Like a full node (geth keeps 128 recent states): the application was deployed more than
    // 300 blocks before init, so nothing may read state at its deployment block.
    w.mine(310);
    let init = w.init();
    assert_eq!(init.code, Some(0), "{}", init.exit);
    let deposit = w.deposit(0, 1_000);
    let op = w.op(
        0,
        90,
        warden::canonical::testkit::transfer_data(U256::from(1u64), devnet::anvil_address(4)),
    );
    let block = w.post(vec![op], deposit, 90);
    w.mine(3);
    w.sequencer_at(block);
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "agreed");
}
