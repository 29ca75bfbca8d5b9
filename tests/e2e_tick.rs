//! `init` and `tick` end to end on a real anvil with the real rollups contracts.

mod common;

use alloy::primitives::U256;
use common::sequencer::Behavior;
use common::world::World;
use warden::canonical::testkit::transfer_data;
use warden::devnet::anvil_address;

#[test]
fn genesis_idle_then_agreed_then_state_mismatch_latches() {
    let mut w = World::new();
    let run = w.init();
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "initialized");
    // Idempotent for the same identity.
    let again = w.init();
    assert_eq!(again.code, Some(0));
    assert_eq!(again.exit["outcome"], "already_initialized");

    // The sequencer reports genesis (block 0): idle.
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "idle");

    // Deposits through the real portal, then a batch of signed ops.
    let deposit_block = w.deposit(0, 1_000_000);
    w.deposit(1, 50_000);
    let to = anvil_address(2);
    let ops = vec![
        w.op(0, 1060, transfer_data(U256::from(1000u64), to)),
        w.op(0, 1060, transfer_data(U256::from(2000u64), to)),
    ];
    let batch_block = w.post(ops, deposit_block, 1060);
    w.mine(3);
    w.sequencer_at(batch_block);
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "agreed");
    let status = w.status();
    assert_eq!(status["head"]["block"], batch_block);
    let served = w.sequencer.served.lock().unwrap().bytes.clone();
    assert_eq!(
        status["head"]["state_sha256"],
        hex::encode(warden::canonical::snapshot::state_sha256(&served))
    );
    assert!(
        std::fs::read_to_string(w.state_dir.path().join("status.prom"))
            .unwrap()
            .contains("state=\"ok\"} 1")
    );

    // The sequencer lies about one balance byte at the next block.
    let more = vec![w.op(1, 0, transfer_data(U256::from(5u64), to))];
    let block = w.block();
    let next = w.post(more, block, 0);
    w.mine(3);
    w.sequencer_at(next);
    w.sequencer.behave(Behavior::FlipByte(84 + 20 + 31));
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(2), "{}", run.exit);
    assert_eq!(run.exit["kind"], "state_mismatch");
    let divergences: Vec<_> = run
        .events
        .iter()
        .filter(|e| e["event"] == "divergence")
        .collect();
    assert_eq!(divergences.len(), 1);
    assert_eq!(divergences[0]["target_block"], next);
    let incident = w.state_dir.path().join("incident");
    assert!(incident.join("divergence.json").exists());
    let evidence: serde_json::Value =
        serde_json::from_slice(&std::fs::read(incident.join("evidence.json")).unwrap()).unwrap();
    let balances = evidence["semantic_diff"]["balances"].as_array().unwrap();
    assert_eq!(balances.len(), 1, "{evidence}");
    assert!(evidence["first_differing_offset"].as_u64().is_some());
    assert!(incident.join("sequencer_state.bin").exists());

    // Latched: exit 2 without touching the sequencer.
    let before = w.sequencer.request_count();
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.exit["outcome"], "latched");
    assert_eq!(w.sequencer.request_count(), before);
    let prom = std::fs::read_to_string(w.state_dir.path().join("status.prom")).unwrap();
    assert!(prom.contains("kind=\"state_mismatch\"} 1"), "{prom}");
}

#[test]
fn catch_up_from_genesis_over_2000_blocks_and_200_inputs_agrees_with_progress() {
    let mut w = World::new();
    assert_eq!(w.init().code, Some(0));
    let to = anvil_address(4);
    let mut inputs = 0;
    for round in 0..100 {
        let deposit_block = w.deposit(0, 10_000);
        let op = w.op(0, 0, transfer_data(U256::from(round + 1), to));
        w.post(vec![op], deposit_block, 0);
        inputs += 2;
        w.mine(20);
    }
    w.mine(3);
    let target = w.block() - 2;
    w.sequencer_at(target);

    // On a terminal (a pseudo-terminal through script(1), where available) the same catch-up
    // draws a progress bar instead of progress events; it runs on a copy of the state.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let copy = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", w.state_dir.path().display()))
            .arg(copy.path())
            .status()
            .unwrap();
        assert!(status.success());
        let command = format!(
            "{} tick --log-format text --state-dir {} --l1-rpc-url {} --sequencer-url {}",
            assert_cmd::cargo::cargo_bin("warden").display(),
            copy.path().display(),
            w.devnet.anvil.url,
            w.sequencer.url
        );
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .env_remove("WARDEN_LOG_FORMAT")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{text}");
        assert!(
            text.contains("\x1b[K[#"),
            "no progress bar on a terminal: {text:?}"
        );
        assert!(
            !text.contains(" progress "),
            "progress events on a terminal: {text}"
        );
    } else {
        println!("SKIP progress bar check: script(1) is not installed");
    }

    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "agreed");
    assert!(inputs >= 200);
    let progress: Vec<_> = run
        .events
        .iter()
        .filter(|e| e["event"] == "progress")
        .collect();
    assert!(
        !progress.is_empty(),
        "no progress event over {target} blocks"
    );
    assert!(progress[0]["blocks_total"].as_u64().unwrap() >= 2000);
    let status = w.status();
    assert_eq!(status["head"]["block"], target);
    assert_eq!(status["head"]["input_count"], inputs);
}

/// operator-contract §4: an idle tick may read `head.json` and the manifest alone; a tick with
/// something to replay verifies the machine it extends.
#[test]
fn an_idle_tick_reads_the_pointer_and_manifest_alone_and_a_replay_verifies_the_machine() {
    let (mut w, _) = World::agreed();
    let state = w.state_dir.path();
    let head: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("head.json")).unwrap()).unwrap();
    let machine = state
        .join(head["checkpoint"].as_str().unwrap())
        .join("machine.bin");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(machine.with_file_name("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["version"], 2);
    assert!(manifest["scheduler"].is_object(), "{manifest}");
    // A FIFO where machine.bin was: reading it would fail (never block: files are opened
    // non-blocking and must be regular).
    let aside = machine.with_file_name("machine.bin.aside");
    std::fs::rename(&machine, &aside).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&machine)
        .status()
        .unwrap();
    assert!(status.success());
    let idle = w.warden(&["tick"]);
    assert_eq!(idle.code, Some(0), "{}", idle.exit);
    assert_eq!(idle.exit["outcome"], "idle");
    // Its liveness figures still moved on from the manifest's seed.
    let last: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("last_tick.json")).unwrap()).unwrap();
    assert!(last["liveness"].is_object(), "{last}");

    w.advance();
    let replay = w.warden(&["tick"]);
    assert_eq!(replay.code, Some(1), "{}", replay.exit);
    assert_eq!(replay.exit["class"], "operator", "{}", replay.exit);
    assert!(
        replay.exit["message"]
            .as_str()
            .unwrap()
            .contains("machine.bin"),
        "{}",
        replay.exit
    );
    std::fs::remove_file(&machine).unwrap();
    std::fs::rename(&aside, &machine).unwrap();
    let agreed = w.warden(&["tick"]);
    assert_eq!(agreed.code, Some(0), "{}", agreed.exit);
    assert_eq!(agreed.exit["outcome"], "agreed");
}
