//! What ships beside the binary stays consistent with it: RELEASE.json and `--version --json`,
//! generated completions and man pages, systemd units (systemd-analyze), Prometheus rules
//! (promtool), Kubernetes manifests (YAML), the cron lines, and the README's two commands.
//! External checkers are used when installed (`.ci/run` installs them) and skipped with a printed
//! reason otherwise.

use clap::CommandFactory;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use warden::cli::Cli;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn release_json_matches_the_binary() {
    let release: Value =
        serde_json::from_slice(&std::fs::read(repo("RELEASE.json")).unwrap()).unwrap();
    assert_eq!(release, warden::release::release_fields());
    let out = assert_cmd::Command::cargo_bin("warden")
        .unwrap()
        .args(["--version", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
    let mut printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let commit = printed
        .as_object_mut()
        .unwrap()
        .remove("git_commit")
        .expect("git_commit is always present (null without git)");
    assert!(commit.is_null() || commit.as_str().is_some_and(|c| c.len() >= 7));
    assert_eq!(printed, release);
    assert_eq!(release["version"], env!("CARGO_PKG_VERSION"));
}

/// Completions and the man pages are generated from clap and committed; regenerate them with
/// `WARDEN_BLESS=1 cargo test --test ship` (or `just docs`).
#[test]
fn completions_and_man_pages_are_current() {
    let bless = std::env::var_os("WARDEN_BLESS").is_some();
    let mut expected: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "warden", &mut buf);
        let name = match shell {
            clap_complete::Shell::Bash => "warden.bash",
            clap_complete::Shell::Zsh => "_warden",
            _ => "warden.fish",
        };
        expected.push((repo("docs/completions").join(name), buf));
    }
    // The build's long version names its git commit; committed pages must not depend on it.
    let command = Cli::command().long_version(env!("CARGO_PKG_VERSION"));
    let mut pages = vec![("warden.1".to_string(), command.clone())];
    for sub in command.get_subcommands() {
        let name = format!("warden-{}", sub.get_name());
        pages.push((
            format!("{name}.1"),
            sub.clone()
                .name(&*Box::leak(name.into_boxed_str()))
                .version(env!("CARGO_PKG_VERSION")),
        ));
    }
    for (file, cmd) in pages {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf).unwrap();
        expected.push((repo("docs/man").join(file), buf));
    }
    let mut stale = Vec::new();
    for (path, bytes) in expected {
        if bless {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
        } else if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale: {stale:?}; run `WARDEN_BLESS=1 cargo test --test ship`"
    );
}

#[test]
fn systemd_units_verify() {
    let units = ["warden-tick@", "warden-submit@"];
    for unit in units {
        let service = std::fs::read_to_string(repo(&format!("systemd/{unit}.service"))).unwrap();
        for required in [
            "Type=oneshot",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "ReadWritePaths=/var/lib/warden/%i",
            "TimeoutStartSec=",
            "EnvironmentFile=/etc/warden/%i.env",
        ] {
            assert!(
                service.contains(required),
                "{unit}.service lacks {required}"
            );
        }
        let timer = std::fs::read_to_string(repo(&format!("systemd/{unit}.timer"))).unwrap();
        assert!(timer.contains("RandomizedDelaySec="), "{unit}.timer");
    }
    let submit = std::fs::read_to_string(repo("systemd/warden-submit@.service")).unwrap();
    assert!(submit.contains("ReadOnlyPaths=/var/lib/cartesi-sequencer/%i/outbox"));
    if !have("systemd-analyze") {
        println!("SKIP systemd-analyze verify: systemd-analyze is not installed (Debian: systemd)");
        return;
    }
    // Verify an instance of each template with ExecStart pointing at the built binary (verify
    // requires the executable to exist).
    let dir = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("warden");
    let mut files = Vec::new();
    for unit in units {
        for kind in ["service", "timer"] {
            let text = std::fs::read_to_string(repo(&format!("systemd/{unit}.{kind}")))
                .unwrap()
                .replace("/usr/local/bin/warden", binary.to_str().unwrap());
            let path = dir.path().join(format!("{unit}demo.{kind}"));
            std::fs::write(&path, text).unwrap();
            files.push(path);
        }
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg("--man=no")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn prometheus_rules_check_and_name_real_series() {
    let path = repo("deploy/prometheus/warden-alerts.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let rules: Vec<&yaml_rust2::Yaml> = docs[0]["groups"]
        .as_vec()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_vec().unwrap())
        .collect();
    let exprs: Vec<&str> = rules.iter().map(|r| r["expr"].as_str().unwrap()).collect();
    for series in [
        "cartesi_watchdog_divergence_info",
        "cartesi_watchdog_status",
        "cartesi_watchdog_last_success_timestamp_seconds",
        "cartesi_submitter_status",
        "cartesi_submitter_balance_wei",
        "cartesi_submitter_oldest_unaccepted_batch_age_blocks",
    ] {
        assert!(
            exprs.iter().any(|e| e.contains(series)),
            "no rule uses {series}"
        );
    }
    assert!(exprs.iter().any(|e| e.contains("absent(")));
    // Every series a rule names is one warden writes.
    let written = [
        warden::metrics::render_watchdog(&sample_watchdog()),
        warden::metrics::render_submitter(&sample_submitter()),
    ]
    .join("");
    for expr in &exprs {
        for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if word.starts_with("cartesi_") {
                assert!(
                    written.contains(word),
                    "{word} is not a series warden writes"
                );
            }
        }
    }
    if !have("promtool") {
        println!("SKIP promtool check rules: promtool is not installed (Debian: prometheus)");
        return;
    }
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sample_watchdog() -> warden::metrics::WatchdogMetrics {
    warden::metrics::WatchdogMetrics {
        labels: warden::metrics::Labels {
            app_address: "0xAb".into(),
            chain: "1".into(),
        },
        end: warden::metrics::RunEnd {
            health: warden::metrics::Health::Failed,
            class: None,
            outcome: warden::outcome::Outcome::Diverged,
        },
        divergence_kind: Some("state_mismatch".into()),
        head_block: Some(1),
        last_tick_timestamp_seconds: 1.0,
        last_success_timestamp_seconds: Some(1.0),
        tick_duration_seconds: 1.0,
        head_lag_blocks: Some(1),
        inputs_replayed: 1,
        liveness: None,
        sequencer_stalled: Some(false),
        l1_endpoints_agree: Some(true),
        catchup_remaining_blocks: Some(0),
    }
}

fn sample_submitter() -> warden::metrics::SubmitterMetrics {
    warden::metrics::SubmitterMetrics {
        labels: warden::metrics::Labels {
            app_address: "0xAb".into(),
            chain: "1".into(),
        },
        end: warden::metrics::RunEnd {
            health: warden::metrics::Health::Ok,
            class: None,
            outcome: warden::outcome::Outcome::Submitted,
        },
        balance_wei: Some("1".into()),
        next_batch_nonce: Some(1),
        pending_batches: 1,
        oldest_unaccepted_batch_age_blocks: Some(1),
        last_run_timestamp_seconds: 1.0,
        last_success_timestamp_seconds: Some(1.0),
        run_duration_seconds: 1.0,
    }
}

#[test]
fn kubernetes_manifests_parse_and_forbid_overlap() {
    let text = std::fs::read_to_string(repo("deploy/kubernetes/warden.yaml")).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"PersistentVolumeClaim"), "{kinds:?}");
    let cronjobs: Vec<_> = docs
        .iter()
        .filter(|d| d["kind"].as_str() == Some("CronJob"))
        .collect();
    assert_eq!(cronjobs.len(), 2);
    for job in cronjobs {
        assert_eq!(job["spec"]["concurrencyPolicy"].as_str(), Some("Forbid"));
        let pod = &job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        let container = &pod["containers"][0];
        let command = container["args"][0].as_str().unwrap();
        assert!(["tick", "submit"].contains(&command));
        let mounts_state = container["volumeMounts"]
            .as_vec()
            .unwrap()
            .iter()
            .any(|m| m["mountPath"].as_str() == Some("/state"));
        assert!(mounts_state);
    }
}

#[test]
fn cron_lines_use_their_own_flock() {
    let text = std::fs::read_to_string(repo("cron/warden.crontab")).unwrap();
    let jobs: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.contains('=') && !l.trim().is_empty())
        .collect();
    assert!(jobs.len() >= 2);
    for job in jobs {
        assert!(job.contains("flock -n /var/lock/warden-"), "{job}");
        assert!(
            !job.contains("flock -n /var/lib/warden"),
            "{job} uses warden's own lock"
        );
        assert!(job.contains("warden "), "{job}");
    }
}

#[test]
fn readme_names_the_two_commands_and_ci_runs_the_test_one() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    assert!(readme.contains("./scripts/demo.sh"));
    assert!(readme.contains("cargo test --locked"));
    let ci = std::fs::read_to_string(repo(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "cargo test --locked"),
        ".ci/run must run exactly the README's test command"
    );
    let justfile = std::fs::read_to_string(repo("justfile")).unwrap();
    for recipe in [
        "build:", "test:", "e2e:", "demo:", "bench:", "lint:", "release:",
    ] {
        assert!(justfile.contains(recipe), "justfile lacks {recipe}");
    }
}
