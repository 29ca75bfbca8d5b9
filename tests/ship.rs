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
        "cartesi_watchdog_backstop_margin_blocks",
        "cartesi_watchdog_batches_total",
        "cartesi_watchdog_user_ops_total",
        "cartesi_watchdog_blocks_since_executed_batch",
        "cartesi_watchdog_sequencer_stalled",
        "cartesi_watchdog_l1_endpoints_agree",
        "cartesi_watchdog_catchup_remaining_blocks",
    ] {
        assert!(
            exprs.iter().any(|e| e.contains(series)),
            "no rule uses {series}"
        );
    }
    assert!(exprs.iter().any(|e| e.contains("absent(")));
    // The liveness rules warn, never page; the rules on repeated exit 1 and on no recent success
    // hold off while a catch-up makes progress (issue 14).
    let rule = |name: &str| {
        rules
            .iter()
            .find(|r| r["alert"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no rule {name}"))
    };
    for name in [
        "WardenBackstopMarginLow",
        "WardenBatchesRejected",
        "WardenUserOpsSkipped",
        "WardenNoRecentBatch",
        "WardenSequencerStalled",
        "WardenL1EndpointsDisagree",
    ] {
        assert_eq!(
            rule(name)["labels"]["severity"].as_str(),
            Some("warn"),
            "{name}"
        );
    }
    for name in ["WardenTickWarning", "WardenNoRecentSuccess"] {
        let expr = rule(name)["expr"].as_str().unwrap();
        assert!(
            expr.contains("unless ignoring (state)")
                && expr.contains("cartesi_watchdog_catchup_remaining_blocks"),
            "{name} must hold off during a catch-up: {expr}"
        );
    }
    // Every runbook link names a section of docs/runbook.md.
    let anchors = runbook_anchors();
    for r in &rules {
        let Some(link) = r["annotations"]["runbook_url"].as_str() else {
            continue;
        };
        let (file, anchor) = link.split_once('#').unwrap_or((link, ""));
        assert_eq!(file, "docs/runbook.md", "{link}");
        assert!(
            anchors.iter().any(|a| a == anchor),
            "{link}: no such section in docs/runbook.md (sections: {anchors:?})"
        );
    }
    // Every series and label a rule names is one warden writes.
    let (series, labels) = written_series();
    for expr in &exprs {
        for label in label_names(expr) {
            assert!(
                labels.contains(&label),
                "{expr}: label {label} is not one warden writes ({labels:?})"
            );
        }
        for word in cartesi_words(expr) {
            assert!(
                series.contains(&word),
                "{word} is not a series warden writes"
            );
        }
    }
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
    // The unit tests: the catch-up hold-off (no warning while the remaining blocks fall, the
    // warning once they stall) and the liveness rules.
    let out = Command::new("promtool")
        .args(["test", "rules"])
        .arg(repo("deploy/prometheus/warden-alerts.test.yml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool test rules: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every series panel of the Grafana dashboard queries only series and labels warden writes,
/// every query parses (promtool, where installed), and every signal has a panel.
#[test]
fn grafana_dashboard_queries_parse_and_name_real_series() {
    let dashboard: Value =
        serde_json::from_slice(&std::fs::read(repo("deploy/grafana/warden.json")).unwrap())
            .unwrap();
    assert!(dashboard["schemaVersion"].as_u64().is_some_and(|v| v >= 36));
    assert!(dashboard["uid"].as_str().is_some_and(|u| !u.is_empty()));
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let variable = |name: &str| {
        variables
            .iter()
            .find(|v| v["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no template variable {name}"))
    };
    assert_eq!(variable("datasource")["type"], "datasource");
    assert_eq!(variable("datasource")["query"], "prometheus");

    let mut panels = Vec::new();
    collect_panels(dashboard["panels"].as_array().unwrap(), &mut panels);
    let rows: Vec<&str> = panels
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows,
        ["Verdict", "L1 & sequencer", "Liveness", "Submitter"],
        "rows"
    );
    let mut ids = std::collections::BTreeSet::new();
    // (panel title, query as Grafana sends it)
    let mut queries: Vec<(String, String)> = Vec::new();
    for panel in &panels {
        assert!(ids.insert(panel["id"].as_u64().unwrap()), "duplicate id");
        if panel["type"] == "row" {
            continue;
        }
        let title = panel["title"].as_str().unwrap().to_string();
        assert!(
            ["stat", "timeseries", "state-timeline", "table"]
                .contains(&panel["type"].as_str().unwrap()),
            "{title}: panel type {}",
            panel["type"]
        );
        assert!(
            panel["description"].as_str().is_some_and(|d| d.len() > 40),
            "{title}: every panel says what it means and what to do"
        );
        assert_eq!(panel["datasource"]["uid"], "${datasource}", "{title}");
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title} has no query");
        for target in targets {
            assert_eq!(target["datasource"]["uid"], "${datasource}", "{title}");
            queries.push((title.clone(), target["expr"].as_str().unwrap().to_string()));
            if let Some(legend) = target["legendFormat"].as_str() {
                legend_labels_are_real(&title, legend);
            }
        }
    }
    // The app and chain variables: label_values(<selector>, <label>) of real labels.
    let mut selectors = Vec::new();
    for name in ["app", "chain"] {
        let v = variable(name);
        assert_eq!(v["type"], "query", "{name}");
        let query = v["query"]["query"]
            .as_str()
            .or_else(|| v["query"].as_str())
            .unwrap();
        assert_eq!(v["definition"].as_str(), Some(query), "{name}");
        let inner = query
            .strip_prefix("label_values(")
            .and_then(|q| q.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{name}: {query} is not label_values(selector, label)"));
        let (selector, label) = inner.rsplit_once(',').unwrap();
        selectors.push((name.to_string(), selector.trim().to_string(), label.trim()));
    }
    let (series, labels) = written_series();
    assert_eq!(selectors[0].2, "app_address");
    assert_eq!(selectors[1].2, "chain");
    for (name, _, label) in &selectors {
        assert!(
            labels.contains(*label),
            "${name}: {label} is not a label warden writes"
        );
    }
    queries.extend(
        selectors
            .iter()
            .map(|(name, selector, _)| (format!("${name}"), selector.clone())),
    );

    // Every signal has a panel.
    let substituted: Vec<(String, String)> = queries
        .iter()
        .map(|(title, q)| (title.clone(), substitute(q)))
        .collect();
    for signal in [
        "cartesi_watchdog_status",
        "cartesi_watchdog_divergence_info",
        "cartesi_watchdog_last_exit_info",
        "cartesi_watchdog_head_block",
        "cartesi_watchdog_head_lag_blocks",
        "cartesi_watchdog_last_tick_timestamp_seconds",
        "cartesi_watchdog_last_success_timestamp_seconds",
        "cartesi_watchdog_tick_duration_seconds",
        "cartesi_watchdog_inputs_replayed",
        "cartesi_watchdog_fridge_inputs",
        "cartesi_watchdog_fridge_oldest_age_blocks",
        "cartesi_watchdog_backstop_margin_blocks",
        "cartesi_watchdog_batches_total",
        "cartesi_watchdog_user_ops_total",
        "cartesi_watchdog_blocks_since_executed_batch",
        "cartesi_watchdog_sequencer_stalled",
        "cartesi_watchdog_l1_endpoints_agree",
        "cartesi_watchdog_catchup_remaining_blocks",
        "cartesi_submitter_status",
        "cartesi_submitter_last_exit_info",
        "cartesi_submitter_balance_wei",
        "cartesi_submitter_next_batch_nonce",
        "cartesi_submitter_pending_batches",
        "cartesi_submitter_oldest_unaccepted_batch_age_blocks",
        "cartesi_submitter_last_run_timestamp_seconds",
        "cartesi_submitter_last_success_timestamp_seconds",
        "cartesi_submitter_run_duration_seconds",
    ] {
        assert!(
            substituted.iter().any(|(title, q)| !title.starts_with('$')
                && cartesi_words(q).contains(&signal.to_string())),
            "no panel shows {signal}"
        );
    }
    // Every query names only series and labels warden writes.
    for (title, query) in &substituted {
        for word in cartesi_words(query) {
            assert!(
                series.contains(&word),
                "{title}: {word} is not a series warden writes"
            );
        }
        for label in label_names(query) {
            assert!(
                labels.contains(&label),
                "{title}: {query}: label {label} is not one warden writes ({labels:?})"
            );
        }
    }

    if !have("promtool") {
        println!(
            "SKIP promtool check of the dashboard's queries: promtool is not installed (Debian: prometheus)"
        );
        return;
    }
    // One recording rule per query: promtool parses each.
    let mut rules = String::from("groups:\n  - name: warden-dashboard\n    rules:\n");
    for (n, (title, query)) in substituted.iter().enumerate() {
        rules.push_str(&format!(
            "      # {title}\n      - record: warden:dashboard:q{n}\n        expr: {}\n",
            serde_json::to_string(query).unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dashboard-rules.yml");
    std::fs::write(&path, &rules).unwrap();
    let out = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool check rules on the dashboard's queries:\n{rules}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every panel, the panels of collapsed rows included.
fn collect_panels<'a>(list: &'a [Value], out: &mut Vec<&'a Value>) {
    for panel in list {
        out.push(panel);
        if let Some(inner) = panel["panels"].as_array() {
            collect_panels(inner, out);
        }
    }
}

/// Grafana's variables replaced the way the dashboard test decides: `$app` → x, `$chain` → y,
/// `$__rate_interval` → 5m; a variable left over is a failure (add it here).
fn substitute(query: &str) -> String {
    let mut out = query.to_string();
    for (name, value) in [
        ("__rate_interval", "5m"),
        ("__interval", "1m"),
        ("__range", "1h"),
        ("app", "x"),
        ("chain", "y"),
    ] {
        out = out
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value);
    }
    assert!(!out.contains('$'), "{query}: an unknown variable is left");
    out
}

/// `{{label}}` in a legend names a label warden writes, or one Prometheus adds when scraping.
fn legend_labels_are_real(title: &str, legend: &str) {
    let (_, labels) = written_series();
    let mut rest = legend;
    while let Some(start) = rest.find("{{") {
        let end = rest[start..].find("}}").expect("unclosed {{ in a legend") + start;
        let label = rest[start + 2..end].trim();
        assert!(
            labels.contains(label) || ["instance", "job"].contains(&label),
            "{title}: legend {legend} names {label}, not a label warden writes"
        );
        rest = &rest[end + 2..];
    }
}

/// The series names and label names of a rendered `status.prom` and `submit.prom` in which
/// every optional figure is set.
fn written_series() -> (
    std::collections::BTreeSet<String>,
    std::collections::BTreeSet<String>,
) {
    let text = [
        warden::metrics::render_watchdog(&sample_watchdog()),
        warden::metrics::render_submitter(&sample_submitter()),
    ]
    .join("");
    let mut series = std::collections::BTreeSet::new();
    let mut labels = std::collections::BTreeSet::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (name, rest) = line.split_once('{').expect("every series has labels");
        series.insert(name.to_string());
        let body = &rest[..rest.rfind('}').unwrap()];
        let mut chars = body.chars().peekable();
        loop {
            let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if key.is_empty() {
                break;
            }
            labels.insert(key.trim_start_matches(',').to_string());
            assert_eq!(chars.next(), Some('"'));
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    _ => {}
                }
            }
        }
    }
    (series, labels)
}

/// The `cartesi_*` words of a query.
fn cartesi_words(query: &str) -> Vec<String> {
    query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.starts_with("cartesi_"))
        .map(str::to_string)
        .collect()
}

/// The label names a PromQL query matches or groups on: names before `=`, `!=`, `=~`, `!~`
/// inside `{…}`, and the lists of `by`, `without`, `on`, `ignoring`, `group_left` and
/// `group_right`. String literals are skipped.
fn label_names(query: &str) -> Vec<String> {
    let chars: Vec<char> = query.chars().collect();
    let mut names = Vec::new();
    let mut braces = 0usize;
    let mut grouping = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i += 1;
            while i < chars.len() && chars[i] != c {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j] == ' ' {
                j += 1;
            }
            let next = chars.get(j).copied();
            if grouping || (braces > 0 && matches!(next, Some('=' | '!'))) {
                names.push(word);
            } else if braces == 0
                && next == Some('(')
                && [
                    "by",
                    "without",
                    "on",
                    "ignoring",
                    "group_left",
                    "group_right",
                ]
                .contains(&word.as_str())
            {
                grouping = true;
                i = j + 1;
            }
            continue;
        }
        match c {
            '{' => braces += 1,
            '}' => braces = braces.saturating_sub(1),
            ')' => grouping = false,
            _ => {}
        }
        i += 1;
    }
    names
}

/// The anchors GitHub gives the headings of docs/runbook.md.
fn runbook_anchors() -> Vec<String> {
    let text = std::fs::read_to_string(repo("docs/runbook.md")).unwrap();
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                .map(|c| if c == ' ' { '-' } else { c })
                .collect()
        })
        .collect()
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
        liveness: Some(sample_figures()),
        sequencer_stalled: Some(false),
        l1_endpoints_agree: Some(true),
        catchup_remaining_blocks: Some(0),
    }
}

/// Liveness figures with every optional figure set and every outcome counted.
fn sample_figures() -> warden::canonical::liveness::Figures {
    use warden::canonical::liveness::{BatchOutcome, OpOutcome};
    warden::canonical::liveness::Figures {
        at_block: 1,
        since_block: 1,
        fridge_inputs: 1,
        fridge_oldest_age_blocks: Some(1),
        backstop_margin_blocks: Some(-1),
        batches: BatchOutcome::ALL
            .iter()
            .map(|o| (o.as_str().to_string(), 1))
            .collect(),
        user_ops: OpOutcome::ALL
            .iter()
            .map(|o| (o.as_str().to_string(), 1))
            .collect(),
        blocks_since_executed_batch: 1,
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
        "build:", "test:", "e2e:", "demo:", "bench ", "lint:", "release:", "image ", "fuzz ",
    ] {
        assert!(justfile.contains(recipe), "justfile lacks {recipe}");
    }
}
