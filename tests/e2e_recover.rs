//! The on-call toolkit end to end on a real anvil: the divergence drill (diagnose, replay, clear),
//! snapshots (write, verify, tamper, bootstrap a second watchdog), and restore.

mod common;

use common::proxy::RpcProxy;
use common::sequencer::Behavior;
use common::world::{Run, World};
use serde_json::Value;
use std::path::Path;

/// Runs warden against the world's devnet and sequencer with another state directory / L1 URL.
fn warden_with(w: &World, state_dir: &Path, l1_url: &str, args: &[&str]) -> Run {
    let out = assert_cmd::Command::cargo_bin("warden")
        .unwrap()
        .env("WARDEN_LOG_FORMAT", "json")
        .env("WARDEN_STATE_DIR", state_dir)
        .env("WARDEN_L1_RPC_URL", l1_url)
        .env("WARDEN_SEQUENCER_URL", &w.sequencer.url)
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    Run::of(&out)
}

fn stdout_json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn bootstrap_block(w: &World) -> u64 {
    let config: Value =
        serde_json::from_slice(&std::fs::read(w.state_dir.path().join("config.json")).unwrap())
            .unwrap();
    config["bootstrap"]["block"].as_u64().unwrap()
}

#[test]
fn divergence_drill_diagnose_replay_clear_and_resume() {
    let (mut w, _) = World::agreed();
    let block = w.advance();
    w.sequencer.behave(Behavior::FlipByte(84 + 20 + 31));
    let first = w.warden(&["tick"]);
    assert_eq!(first.code, Some(2), "{}", first.exit);
    assert_eq!(first.exit["kind"], "state_mismatch");
    let second = w.warden(&["tick"]);
    assert_eq!(second.code, Some(2));
    assert_eq!(second.exit["outcome"], "latched");

    // The diagnosis names the latch and the next command.
    let diagnosis = w.warden(&["recover"]);
    assert_eq!(diagnosis.code, Some(2), "{}", diagnosis.exit);
    assert_eq!(diagnosis.exit["outcome"], "latched");
    let report = stdout_json(&diagnosis);
    assert_eq!(report["divergence"]["kind"], "state_mismatch");
    let next = report["next"].as_str().unwrap();
    assert!(next.contains("warden recover replay"), "{next}");
    assert!(
        next.contains(&format!("recover clear --block {block}")),
        "{next}"
    );

    // Clearing the wrong block is refused.
    let wrong = w.warden(&[
        "recover",
        "clear",
        "--block",
        &(block + 1).to_string(),
        "--reason",
        "test",
        "--yes",
    ]);
    assert_eq!(wrong.code, Some(1), "{}", wrong.exit);
    assert!(w.state_dir.path().join("incident").exists());

    // Replay from genesis reproduces the canonical digest recorded in the incident.
    let out = tempfile::tempdir().unwrap();
    let replay_dir = out.path().join("replay");
    let replay = w.warden(&[
        "recover",
        "replay",
        "--from-block",
        &bootstrap_block(&w).to_string(),
        "--to-block",
        &block.to_string(),
        "--out",
        replay_dir.to_str().unwrap(),
    ]);
    assert_eq!(replay.code, Some(0), "{}", replay.exit);
    let replayed = stdout_json(&replay);
    let record: Value = serde_json::from_slice(
        &std::fs::read(w.state_dir.path().join("incident/divergence.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(replayed["state_sha256"], record["canonical_sha256"]);
    assert!(replay_dir.join("state.ssz").is_file());

    // Without --yes nothing changes; with it the incident is archived.
    let dry = w.warden(&[
        "recover",
        "clear",
        "--block",
        &block.to_string(),
        "--reason",
        "sequencer bug fixed",
    ]);
    assert_eq!(dry.code, Some(1));
    assert!(w.state_dir.path().join("incident").exists());
    let clear = w.warden(&[
        "recover",
        "clear",
        "--block",
        &block.to_string(),
        "--reason",
        "sequencer bug fixed",
        "--yes",
    ]);
    assert_eq!(clear.code, Some(0), "{}", clear.exit);
    assert!(!w.state_dir.path().join("incident").exists());
    let archived: Vec<_> = std::fs::read_dir(w.state_dir.path().join("incidents"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(archived.len(), 1);
    assert!(
        archived[0].ends_with(&format!("-state_mismatch-{block}")),
        "{archived:?}"
    );
    let resolution = w
        .state_dir
        .path()
        .join("incidents")
        .join(&archived[0])
        .join("resolution.json");
    assert!(resolution.is_file());

    // The sequencer tells the truth again: tick agrees.
    w.sequencer.behave(Behavior::Honest);
    let tick = w.warden(&["tick"]);
    assert_eq!(tick.code, Some(0), "{}", tick.exit);
    assert_eq!(tick.exit["outcome"], "agreed");
    let healthy = w.warden(&["recover"]);
    assert_eq!(healthy.code, Some(0), "{}", healthy.exit);
    assert_eq!(healthy.exit["outcome"], "healthy");
}

#[test]
fn snapshots_verify_detect_tampering_and_bootstrap_a_second_watchdog() {
    let (mut w, agreed) = World::agreed();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let tar = dir.path().join("bundle.tar");
    for out in [&bundle, &tar] {
        let run = w.warden(&["snapshot", "--out", out.to_str().unwrap()]);
        assert_eq!(run.code, Some(0), "{}", run.exit);
        assert_eq!(run.exit["outcome"], "written");
        let verify = w.warden(&["snapshot", "verify", out.to_str().unwrap()]);
        assert_eq!(verify.code, Some(0), "{}", verify.exit);
        assert_eq!(verify.exit["outcome"], "verified");
        assert_eq!(stdout_json(&verify)["block"], agreed);
    }
    // Never overwritten.
    let again = w.warden(&["snapshot", "--out", bundle.to_str().unwrap()]);
    assert_eq!(again.code, Some(1));

    // One flipped byte is found and the file named.
    let tampered = dir.path().join("tampered");
    std::fs::create_dir_all(tampered.join("checkpoint")).unwrap();
    for name in [
        "bundle.json",
        "SHA256SUMS",
        "checkpoint/manifest.json",
        "checkpoint/machine.bin",
    ] {
        std::fs::copy(bundle.join(name), tampered.join(name)).unwrap();
    }
    let machine = tampered.join("checkpoint/machine.bin");
    let mut bytes = std::fs::read(&machine).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&machine, bytes).unwrap();
    let verify = w.warden(&["snapshot", "verify", tampered.to_str().unwrap()]);
    assert_eq!(verify.code, Some(1), "{}", verify.exit);
    assert!(
        verify.exit["message"]
            .as_str()
            .unwrap()
            .contains("checkpoint/machine.bin"),
        "{}",
        verify.exit
    );

    // A second watchdog starts from the bundle and never reads logs at or before its block.
    let next = w.advance();
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    let second = tempfile::tempdir().unwrap();
    let mut args = w.init_args();
    args.push("--bootstrap".into());
    args.push(format!("snapshot:{}", tar.display()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let init = warden_with(&w, second.path(), &proxy.url, &refs);
    assert_eq!(init.code, Some(0), "{}", init.exit);
    let tick = warden_with(&w, second.path(), &proxy.url, &["tick"]);
    assert_eq!(tick.code, Some(0), "{}", tick.exit);
    assert_eq!(tick.exit["outcome"], "agreed", "{}", tick.exit);
    let ranges = proxy.get_logs_ranges.lock().unwrap().clone();
    assert!(!ranges.is_empty());
    assert!(
        ranges.iter().all(|(from, _)| *from > agreed),
        "fetched logs older than the bundle's block {agreed}: {ranges:?}"
    );
    let status = warden_with(&w, second.path(), &proxy.url, &["status"]);
    assert_eq!(stdout_json(&status)["head"]["block"], next);

    // Replay from the bundle reproduces the second watchdog's verified digest.
    let replay_dir = dir.path().join("replay-from-bundle");
    let replay = w.warden(&[
        "recover",
        "replay",
        "--from-block",
        &agreed.to_string(),
        "--to-block",
        &next.to_string(),
        "--from",
        bundle.to_str().unwrap(),
        "--out",
        replay_dir.to_str().unwrap(),
    ]);
    assert_eq!(replay.code, Some(0), "{}", replay.exit);
    assert_eq!(
        stdout_json(&replay)["state_sha256"],
        stdout_json(&status)["head"]["state_sha256"]
    );
    let wrong_start = w.warden(&[
        "recover",
        "replay",
        "--from-block",
        &(agreed - 1).to_string(),
        "--to-block",
        &next.to_string(),
        "--from",
        bundle.to_str().unwrap(),
        "--out",
        dir.path().join("unused").to_str().unwrap(),
    ]);
    assert_eq!(wrong_start.code, Some(1), "{}", wrong_start.exit);

    // A bundle of another application is refused, naming the field.
    let other = tempfile::tempdir().unwrap();
    let mut args = w.init_args();
    let at = args.iter().position(|a| a == "--token").unwrap();
    args[at + 1] = "0x000000000000000000000000000000000000dEaD".into();
    args.push("--bootstrap".into());
    args.push(format!("snapshot:{}", bundle.display()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let refused = warden_with(&w, other.path(), &w.devnet.anvil.url, &refs);
    assert_eq!(refused.code, Some(1), "{}", refused.exit);
    assert!(
        refused.exit["message"]
            .as_str()
            .unwrap()
            .contains("supported_token"),
        "{}",
        refused.exit
    );
}

#[test]
fn restore_archives_the_previous_head_and_tick_agrees_again() {
    let (mut w, first) = World::agreed();
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("at-first");
    assert_eq!(
        w.warden(&["snapshot", "--out", bundle.to_str().unwrap()])
            .code,
        Some(0)
    );
    let second = w.advance_and_agree();
    assert_eq!(w.head_block(), second);

    let plan = w.warden(&["recover", "restore", "--from", bundle.to_str().unwrap()]);
    assert_eq!(plan.code, Some(1), "{}", plan.exit);
    assert_eq!(
        w.head_block(),
        second,
        "a plan without --yes changed the head"
    );

    let restore = w.warden(&[
        "recover",
        "restore",
        "--from",
        bundle.to_str().unwrap(),
        "--yes",
    ]);
    assert_eq!(restore.code, Some(0), "{}", restore.exit);
    assert_eq!(w.head_block(), first);
    let archive: Vec<_> = std::fs::read_dir(w.state_dir.path().join("archive"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(archive.len(), 1);
    let old_head: Value =
        serde_json::from_slice(&std::fs::read(archive[0].join("head.json")).unwrap()).unwrap();
    assert_eq!(old_head["block"], second);
    let checkpoint = old_head["checkpoint"].as_str().unwrap();
    assert!(archive[0].join(checkpoint).join("machine.bin").is_file());

    let tick = w.warden(&["tick"]);
    assert_eq!(tick.code, Some(0), "{}", tick.exit);
    assert_eq!(tick.exit["outcome"], "agreed");
    assert_eq!(w.head_block(), second);
}
