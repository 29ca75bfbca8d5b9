//! Lock contention across processes, and the corrupt-head → `recover repair` path, through the
//! real binary.

mod common;

use assert_cmd::cargo::CommandCargoExt;
use common::state::init_state;
use common::{exit_event, wait_for_line};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};
use warden::state::StateDir;
use warden::state::checkpoint::load_head;
use warden::state::lock::{LockDomain, StateLock};

const CHILD_MODE: &str = "WARDEN_TEST_CHILD_MODE";
const CHILD_DIR: &str = "WARDEN_TEST_CHILD_DIR";

/// Child side: takes a lock; `hold` keeps it until stdin closes, `try` reports and exits.
#[test]
#[ignore = "child process of the locking tests; they spawn it with --ignored"]
fn lock_child() {
    let state = StateDir::new(std::env::var(CHILD_DIR).expect("dir"));
    let mode = std::env::var(CHILD_MODE).expect("mode");
    let domain = if mode.ends_with("submitter") {
        LockDomain::Submitter
    } else {
        LockDomain::Watchdog
    };
    let lock = StateLock::acquire(&state, domain);
    if mode.starts_with("hold") {
        let _lock = lock.expect("the holder gets the lock");
        println!("locked");
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    } else {
        println!("{}", if lock.is_ok() { "acquired" } else { "busy" });
    }
}

fn spawn_lock_child(dir: &Path, mode: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "lock_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MODE, mode)
        .env(CHILD_DIR, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn warden() -> Command {
    let mut cmd = Command::cargo_bin("warden").unwrap();
    cmd.env("WARDEN_LOG_FORMAT", "json");
    cmd.env_remove("WARDEN_STATE_DIR");
    cmd
}

/// Every file under the directory with its size and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            out.insert(entry.path(), (meta.len(), meta.modified().unwrap()));
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    out
}

#[test]
fn forty_nine_contenders_are_busy_at_once_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    init_state(dir.path(), &[10, 20]);
    // Corrupt the head so a run that got the lock would have something to change.
    std::fs::write(dir.path().join("head.json"), b"{").unwrap();
    let mut holder = spawn_lock_child(dir.path(), "hold:watchdog");
    let _reader = wait_for_line(holder.stdout.take().unwrap(), "locked");
    let before = snapshot(dir.path());

    let started = Instant::now();
    let contenders: Vec<_> = (0..49)
        .map(|_| {
            warden()
                .args(["recover", "repair", "--yes", "--state-dir"])
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Meanwhile the submitter domain is free.
    let submitter = spawn_lock_child(dir.path(), "try:submitter")
        .wait_with_output()
        .unwrap();
    let said = String::from_utf8_lossy(&submitter.stdout);
    assert!(said.lines().any(|l| l.ends_with("acquired")), "{said}");
    for child in contenders {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let exit = exit_event(&out.stderr);
        assert_eq!(exit["class"], "busy", "{exit}");
        assert_eq!(exit["cmd"], "recover");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "busy runs must not wait for the lock"
    );
    let mut after = snapshot(dir.path());
    // Only the submitter child's lock file (and its directory) may have appeared.
    after.retain(|p, _| !p.starts_with(dir.path().join("submitter")));
    assert_eq!(before, after, "a busy run changed the state directory");
    drop(holder.stdin.take());
    holder.wait().unwrap();
}

#[test]
fn status_reads_without_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    init_state(dir.path(), &[10]);
    let mut holder = spawn_lock_child(dir.path(), "hold:watchdog");
    let _reader = wait_for_line(holder.stdout.take().unwrap(), "locked");
    let out = warden()
        .args(["status", "--state-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["head"]["block"], 10);
    assert_eq!(report["latched"], false);
    assert_eq!(
        report["identity"]["app"],
        "0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa"
    );
    exit_event(&out.stderr);
    drop(holder.stdin.take());
    holder.wait().unwrap();
}

fn status_of(dir: &Path) -> (Option<i32>, Value, Value) {
    let out = warden()
        .args(["status", "--state-dir"])
        .arg(dir)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), report, exit_event(&out.stderr))
}

fn repair(dir: &Path, yes: bool) -> (Option<i32>, Value, Value) {
    let mut cmd = warden();
    cmd.args(["recover", "repair", "--state-dir"]).arg(dir);
    if yes {
        cmd.arg("--yes");
    }
    let out = cmd.output().unwrap();
    let plan = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), plan, exit_event(&out.stderr))
}

/// Damages a healthy state in one way; the repaired head must be `expected_block`.
fn corrupt_then_repair(damage: impl Fn(&Path), expected_block: u64) {
    let dir = tempfile::tempdir().unwrap();
    init_state(dir.path(), &[10, 20]);
    damage(dir.path());
    let (code, _, exit) = status_of(dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(exit["class"], "operator");
    assert!(
        exit["message"]
            .as_str()
            .unwrap()
            .contains("warden recover repair"),
        "{exit}"
    );
    let (code, plan, exit) = repair(dir.path(), false);
    assert_eq!(code, Some(1));
    assert_eq!(exit["outcome"], "needs_action");
    assert_eq!(plan["action"], "repair");
    assert_eq!(plan["new_head"]["block"], expected_block);
    assert!(
        load_head(&StateDir::new(dir.path())).is_err(),
        "without --yes nothing changes"
    );
    let (code, _, exit) = repair(dir.path(), true);
    assert_eq!(code, Some(0), "{exit}");
    assert_eq!(exit["outcome"], "done");
    let head = load_head(&StateDir::new(dir.path())).unwrap().head;
    assert_eq!(head.block, expected_block);
    let (code, report, _) = status_of(dir.path());
    assert_eq!(code, Some(0));
    assert_eq!(report["head"]["block"], expected_block);
    // A second repair finds nothing to do.
    let (code, _, exit) = repair(dir.path(), true);
    assert_eq!(code, Some(0));
    assert_eq!(exit["outcome"], "healthy");
}

#[test]
fn torn_head_json_is_repaired_to_the_newest_intact_checkpoint() {
    corrupt_then_repair(
        |dir| std::fs::write(dir.join("head.json"), b"{\"version\":1,\"checkp").unwrap(),
        20,
    );
}

#[test]
fn a_malformed_head_block_hash_fails_to_load_and_repair_rewrites_the_head() {
    for bad in ["0xzz", "", "0x1234", "ab"] {
        corrupt_then_repair(
            |dir| {
                let path = dir.join("head.json");
                let mut head: Value =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                head["block_hash"] = Value::String(bad.into());
                std::fs::write(&path, serde_json::to_vec(&head).unwrap()).unwrap();
                // The load fails with a message naming the field, not a silent zero hash.
                let (_, _, exit) = status_of(dir);
                assert!(
                    exit["message"].as_str().unwrap().contains("block hash"),
                    "{bad:?}: {exit}"
                );
            },
            20,
        );
    }
}

#[test]
fn repair_falls_back_to_archived_heads_when_no_checkpoint_verifies() {
    let dir = tempfile::tempdir().unwrap();
    init_state(dir.path(), &[10]);
    // An archive as `recover restore` leaves it.
    let name = format!("{:020}-{:020}", 10, 1);
    let archived = dir.path().join("archive/20260101T000000Z/checkpoints");
    std::fs::create_dir_all(&archived).unwrap();
    let live = dir.path().join("checkpoints").join(&name);
    std::fs::create_dir(archived.join(&name)).unwrap();
    for file in ["machine.bin", "manifest.json"] {
        std::fs::copy(live.join(file), archived.join(&name).join(file)).unwrap();
    }
    std::fs::write(live.join("machine.bin"), b"broken").unwrap();
    let (code, plan, _) = repair(dir.path(), false);
    assert_eq!(code, Some(1));
    assert!(
        plan["from"].as_str().unwrap().contains("archive"),
        "the plan says it uses the archive: {plan}"
    );
    let (code, _, exit) = repair(dir.path(), true);
    assert_eq!(code, Some(0), "{exit}");
    assert_eq!(
        load_head(&StateDir::new(dir.path())).unwrap().head.block,
        10
    );
    assert!(
        archived.join(&name).join("machine.bin").is_file(),
        "the archive stays"
    );
}

#[test]
fn missing_head_checkpoint_rolls_back_to_its_predecessor() {
    corrupt_then_repair(
        |dir| {
            let name = format!("{:020}-{:020}", 20, 2);
            std::fs::remove_dir_all(dir.join("checkpoints").join(name)).unwrap();
        },
        10,
    );
}

#[test]
fn manifest_hash_mismatch_rolls_back_and_archives_the_broken_checkpoint() {
    let name = format!("{:020}-{:020}", 20, 2);
    corrupt_then_repair(
        |dir| {
            let path = dir.join("checkpoints").join(&name).join("machine.bin");
            let mut bytes = std::fs::read(&path).unwrap();
            let last = bytes.len() - 1;
            bytes[last] ^= 1;
            std::fs::write(&path, bytes).unwrap();
        },
        10,
    );
}

#[test]
fn pointer_escapes_are_refused() {
    for pointer in [
        "checkpoints/../../etc",
        "/etc/passwd",
        "checkpoints/00000000000000000010-00000000000000000001/..",
        "archive/00000000000000000010-00000000000000000001",
    ] {
        let dir = tempfile::tempdir().unwrap();
        init_state(dir.path(), &[10]);
        let head_path = dir.path().join("head.json");
        let mut head: Value = serde_json::from_slice(&std::fs::read(&head_path).unwrap()).unwrap();
        head["checkpoint"] = Value::String(pointer.into());
        std::fs::write(&head_path, serde_json::to_vec(&head).unwrap()).unwrap();
        let (code, _, exit) = status_of(dir.path());
        assert_eq!(code, Some(1), "{pointer}");
        assert!(exit["message"].as_str().unwrap().contains("recover repair"));
    }
}

#[test]
fn symlinked_checkpoint_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    init_state(dir.path(), &[10]);
    let outside = tempfile::tempdir().unwrap();
    let name = format!("{:020}-{:020}", 10, 1);
    let real = dir.path().join("checkpoints").join(&name);
    let moved = outside.path().join(&name);
    std::fs::rename(&real, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &real).unwrap();
    let (code, _, exit) = status_of(dir.path());
    assert_eq!(code, Some(1));
    assert!(
        exit["message"].as_str().unwrap().contains("symlink"),
        "{exit}"
    );
}

#[test]
fn missing_state_directory_is_an_operator_error() {
    let (code, _, exit) = status_of(Path::new("/nonexistent/warden-state"));
    assert_eq!(code, Some(1));
    assert_eq!(exit["class"], "operator");
    let out = warden().args(["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        exit_event(&out.stderr)["message"]
            .as_str()
            .unwrap()
            .contains("--state-dir")
    );
}
