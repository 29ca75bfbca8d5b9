//! `warden inspect` through the real binary: JSON on stdout, one exit event on stderr, exit 1 with
//! a located message on malformed input.

mod common;

use assert_cmd::Command;
use common::{exit_event, fixture};
use serde_json::Value;

const APP: &str = "0x8fC283f6Cb6B935f117CB3EB72B58eEb2ba6Cb69";

fn warden() -> Command {
    let mut cmd = Command::cargo_bin("warden").unwrap();
    cmd.env("WARDEN_LOG_FORMAT", "json");
    cmd
}

#[test]
fn inspect_batch_166_shows_signer_and_transfer() {
    let out = warden()
        .args(["inspect", "batch"])
        .arg(fixture("canonical/batch_166.ssz"))
        .args(["--chain-id", "31337", "--app", APP])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let op = &report["frames"][0]["user_ops"][0];
    assert_eq!(op["signer"], "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    assert_eq!(op["method"]["type"], "transfer");
    assert_eq!(op["method"]["amount"], "1000");
    assert_eq!(op["failed_checks"], serde_json::json!([]));
    assert_eq!(
        report["keccak256"],
        "0x08c119b251719a6632d3bc05585686973954e22ad7367ff9db6a55feb0c580d6"
    );
    let exit = exit_event(&out.stderr);
    assert_eq!(exit["code"], 0);
    assert_eq!(exit["cmd"], "inspect");
}

#[test]
fn inspect_batch_under_another_domain_recovers_someone_else() {
    let out = warden()
        .args(["inspect", "batch"])
        .arg(fixture("canonical/batch_166.ssz"))
        .args(["--chain-id", "1", "--app", APP])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(
        report["frames"][0]["user_ops"][0]["signer"],
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    );
}

#[test]
fn inspect_state_212_shows_balances_and_nonce_from_raw_and_hex() {
    for file in ["canonical/state_212.ssz", "canonical/state_212.hex"] {
        let out = warden()
            .args(["inspect", "state"])
            .arg(fixture(file))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{file}");
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            report["sha256"],
            "d6322ff5882834d6989703413e446dccf43d6564d529abb360385e3b9bcff63a"
        );
        assert_eq!(report["canonical"], true);
        assert_eq!(
            report["balances"],
            serde_json::json!([
                {"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "balance": "996176"},
                {"address": "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", "balance": "3824"},
            ])
        );
        assert_eq!(
            report["nonces"],
            serde_json::json!([{"address": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "nonce": 1}])
        );
        assert_eq!(report["executed_input_count"], 2);
        assert_eq!(report["last_executed_safe_block"], 12);
    }
}

#[test]
fn inspect_state_from_stdin() {
    let bytes = std::fs::read(fixture("canonical/state_212.ssz")).unwrap();
    let out = warden()
        .args(["inspect", "state", "-", "--encoding", "raw"])
        .write_stdin(bytes)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn malformed_inputs_exit_1_with_a_located_message() {
    let mut state = std::fs::read(fixture("canonical/state_212.ssz")).unwrap();
    state[64] = 0x55; // nonces offset now inside the balances list and misaligned
    let out = warden()
        .args(["inspect", "state", "-", "--encoding", "raw"])
        .write_stdin(state)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let exit = exit_event(&out.stderr);
    assert_eq!(exit["class"], "operator");
    assert!(exit["message"].as_str().unwrap().contains("state"));

    let mut batch = std::fs::read(fixture("canonical/batch_166.ssz")).unwrap();
    batch[16] = 15; // the frame's user_ops offset
    let out = warden()
        .args([
            "inspect",
            "batch",
            "-",
            "--encoding",
            "raw",
            "--chain-id",
            "1",
            "--app",
            APP,
        ])
        .write_stdin(batch)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let message = exit_event(&out.stderr)["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("batch.frames[0]"), "{message}");
    assert!(message.contains("offset 15"), "{message}");

    for garbage in [&b""[..], &b"\x00"[..], &[0xffu8; 300][..]] {
        for what in ["state", "batch"] {
            let mut cmd = warden();
            cmd.args(["inspect", what, "-", "--encoding", "raw"]);
            if what == "batch" {
                cmd.args(["--chain-id", "1", "--app", APP]);
            }
            let out = cmd.write_stdin(garbage.to_vec()).output().unwrap();
            assert_eq!(out.status.code(), Some(1), "{what} on {garbage:?}");
            exit_event(&out.stderr);
        }
    }
}

#[test]
fn missing_file_is_an_operator_error() {
    let out = warden()
        .args(["inspect", "state", "/nonexistent/warden-state.bin"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(exit_event(&out.stderr)["class"], "operator");
}

#[test]
fn usage_error_exits_1_with_one_exit_event() {
    let out = warden().args(["inspect", "batch", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let exit = exit_event(&out.stderr);
    assert_eq!(exit["cmd"], "warden");
    assert_eq!(exit["class"], "operator");
    let out = warden().args(["no-such-command"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    exit_event(&out.stderr);
}

#[test]
fn help_and_version_print_to_stdout_without_events() {
    for arg in ["--help", "--version"] {
        let out = warden().arg(arg).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        assert!(out.stderr.is_empty(), "{arg} wrote to stderr");
        assert!(!out.stdout.is_empty());
    }
}
