//! The operator contract through the binary: exit codes 0/1/2 only, exactly one NDJSON `exit`
//! event per run, panics and usage errors mapped to 1, metrics matching the reference's files.

mod common;

use assert_cmd::Command;
use common::{anchor_fixture, exit_event, parse_events};
use warden::metrics::{Health, WatchdogMetrics, render_watchdog};

fn warden() -> Command {
    let mut cmd = Command::cargo_bin("warden").unwrap();
    cmd.env("WARDEN_LOG_FORMAT", "json");
    cmd
}

#[test]
fn a_panic_is_exit_1_internal_with_a_panic_event() {
    let out = warden()
        .env("WARDEN_TEST_INJECT_PANIC", "panic")
        .args(["status", "--state-dir", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let events = parse_events(&out.stderr);
    assert!(events.iter().any(|e| e["event"] == "panic"));
    let exit = exit_event(&out.stderr);
    assert_eq!(exit["class"], "internal");
    assert!(exit["message"].as_str().unwrap().contains("panic injected"));
}

#[test]
fn usage_errors_are_exit_1_never_clap_s_2() {
    for args in [
        vec!["status", "--bogus"],
        vec!["snapshot", "verify"],
        vec!["submit"],
        vec!["recover", "repair", "--yes=maybe"],
        vec![],
    ] {
        let out = warden().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let exit = exit_event(&out.stderr);
        assert_eq!(exit["cmd"], "warden");
        assert_eq!(exit["code"], 1);
        assert_eq!(exit["class"], "operator");
    }
}

#[test]
fn version_names_the_build() {
    let out = warden().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("warden "), "{text}");
    assert!(text.contains(env!("CARGO_PKG_VERSION")));
    assert!(out.stderr.is_empty());
}

#[test]
fn rpc_urls_from_the_environment_never_reach_help_or_events() {
    let secret = "https://user:hunter2@rpc.example.org/v3/APIKEY42?x=QSECRET";
    let out = warden()
        .env("WARDEN_L1_RPC_URL", secret)
        .env("WARDEN_SEQUENCER_URL", secret)
        .args(["status", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for s in ["hunter2", "APIKEY42", "QSECRET"] {
        assert!(!help.contains(s), "help shows {s}");
    }
    for args in [
        vec!["status", "--bogus"],
        vec!["status", "--state-dir", "/nonexistent"],
    ] {
        let out = warden()
            .env("WARDEN_L1_RPC_URL", secret)
            .env("WARDEN_SEQUENCER_URL", secret)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        exit_event(&out.stderr);
        for s in ["hunter2", "APIKEY42", "QSECRET"] {
            assert!(!stderr.contains(s), "stderr shows {s}: {stderr}");
        }
    }
}

fn labels_of(fixture: &str) -> (String, String) {
    let line = fixture
        .lines()
        .find(|l| l.starts_with("cartesi_watchdog_status{"))
        .unwrap();
    let app = line
        .split("app_address=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let chain = line
        .split("chain=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    (app.to_string(), chain.to_string())
}

fn metrics(app: String, chain: String, health: Health, kind: Option<&str>) -> WatchdogMetrics {
    WatchdogMetrics {
        labels: warden::metrics::Labels {
            app_address: app,
            chain,
        },
        end: warden::metrics::RunEnd {
            health,
            class: None,
            outcome: warden::outcome::Outcome::Agreed,
        },
        divergence_kind: kind.map(str::to_string),
        head_block: Some(7),
        last_tick_timestamp_seconds: 1_795_467_600.0,
        last_success_timestamp_seconds: None,
        tick_duration_seconds: 0.5,
        head_lag_blocks: None,
        inputs_replayed: 0,
        liveness: None,
        sequencer_stalled: None,
        l1_endpoints_agree: None,
        catchup_remaining_blocks: None,
    }
}

#[test]
fn status_lines_match_the_reference_ok_file() {
    let Some(fixture) = anchor_fixture("watchdog_status_ok_v1.prom") else {
        return;
    };
    let (app, chain) = labels_of(&fixture);
    let rendered = render_watchdog(&metrics(app, chain, Health::Ok, None));
    assert!(
        rendered.starts_with(&fixture),
        "rendered:\n{rendered}\nfixture:\n{fixture}"
    );
    assert!(!rendered.contains("divergence_info"));
}

#[test]
fn status_and_divergence_lines_match_the_reference_failed_file() {
    let Some(fixture) = anchor_fixture("watchdog_status_failed_v1.prom") else {
        return;
    };
    let (app, chain) = labels_of(&fixture);
    let rendered = render_watchdog(&metrics(app, chain, Health::Failed, Some("state_mismatch")));
    assert!(
        rendered.starts_with(&fixture),
        "rendered:\n{rendered}\nfixture:\n{fixture}"
    );
}
