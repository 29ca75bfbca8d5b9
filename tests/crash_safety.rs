//! The checkpoint publish protocol under crashes and write errors: a child process is killed at
//! every filesystem operation in turn (through the crash-point seam) and with real SIGKILLs at
//! random moments. After every kill the state loads as the previous head or the new one, and the
//! next publish removes every leftover.

mod common;

use common::state::{init_state, publish_block, try_publish_block};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use warden::canonical::testkit::Rng;
use warden::outcome::{ErrorClass, Stop};
use warden::state::StateDir;
use warden::state::checkpoint::{is_checkpoint_name, list_checkpoints, load_head};
use warden::state::fs::{Fault, FaultFs, RealFs};

const CHILD_MODE: &str = "WARDEN_TEST_CHILD_MODE";
const CHILD_DIR: &str = "WARDEN_TEST_CHILD_DIR";

/// The child side: runs one publish (or a loop of them) against the directory it is given.
#[test]
#[ignore = "child process of the crash tests; they spawn it with --ignored"]
fn crash_child() {
    let mode = std::env::var(CHILD_MODE).expect("spawned by a crash test");
    let state = StateDir::new(std::env::var(CHILD_DIR).expect("dir"));
    let head = load_head(&state)
        .expect("child starts from a valid head")
        .head;
    let parts: Vec<&str> = mode.split(':').collect();
    match parts.as_slice() {
        ["crash-at", op, torn, keep] => {
            let fs = FaultFs::new(Fault::CrashAt {
                op: op.parse().unwrap(),
                torn_len: torn.parse().unwrap(),
            });
            publish_block(&fs, &state, head.block + 10, keep.parse().unwrap());
        }
        ["loop", keep] => {
            let keep: usize = keep.parse().unwrap();
            println!("started");
            for i in 1.. {
                publish_block(&RealFs, &state, head.block + i * 10, keep);
            }
        }
        other => panic!("unknown child mode {other:?}"),
    }
}

fn spawn_child(dir: &Path, mode: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MODE, mode)
        .env(CHILD_DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Counts the filesystem operations of one publish in this state.
fn ops_of_one_publish(dir: &Path, keep: usize) -> u64 {
    let scratch = tempfile::tempdir().unwrap();
    copy_dir(dir, scratch.path());
    let state = StateDir::new(scratch.path());
    let head = load_head(&state).unwrap().head;
    let fs = FaultFs::new(Fault::None);
    publish_block(&fs, &state, head.block + 10, keep);
    fs.ops()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Adds the leftovers a crashed run can leave behind.
fn add_leftovers(state: &StateDir) {
    let cps = state.checkpoints();
    std::fs::create_dir_all(cps.join(".tmp-00000000000000000999-00000000000000000001-7")).unwrap();
    std::fs::write(cps.join("stray-file"), b"x").unwrap();
    std::fs::write(state.root().join("head.json.tmp"), b"{\"torn").unwrap();
}

/// After a kill: the head verifies and is either `before` or a newer one the child published.
fn assert_previous_or_new(state: &StateDir, before: u64, new: Option<u64>) -> u64 {
    let head = load_head(state)
        .unwrap_or_else(|e| panic!("state does not load after a crash: {e}"))
        .head;
    match new {
        Some(new) => assert!(
            head.block == before || head.block == new,
            "head at {} is neither {before} nor {new}",
            head.block
        ),
        None => assert!(
            head.block >= before,
            "head went back from {before} to {}",
            head.block
        ),
    }
    head.block
}

/// The next publish leaves only well-formed checkpoints, at most `keep`, and no temp files.
fn assert_next_publish_cleans_up(state: &StateDir, keep: usize) {
    let head = load_head(state).unwrap().head;
    publish_block(&RealFs, state, head.block + 10, keep);
    let entries: Vec<String> = std::fs::read_dir(state.checkpoints())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        entries.iter().all(|n| is_checkpoint_name(n)),
        "leftovers: {entries:?}"
    );
    assert!(entries.len() <= keep, "{entries:?} exceeds keep {keep}");
    assert!(!state.root().join("head.json.tmp").exists());
    assert_eq!(
        list_checkpoints(state).last(),
        Some(&load_head(state).unwrap().head.checkpoint[12..].to_string())
    );
}

#[test]
fn crash_at_every_filesystem_operation() {
    let mut kills = 0;
    for (keep, with_leftovers) in [(1, false), (2, false), (2, true), (3, true)] {
        let template = tempfile::tempdir().unwrap();
        let state = init_state(template.path(), &[10, 20, 30]);
        if with_leftovers {
            add_leftovers(&state);
        }
        let ops = ops_of_one_publish(template.path(), keep);
        assert!(
            ops >= 10,
            "a publish should take at least 10 operations, took {ops}"
        );
        for op in 0..ops {
            for torn in [0usize, 7, 1 << 20] {
                let scratch = tempfile::tempdir().unwrap();
                copy_dir(template.path(), scratch.path());
                let state = StateDir::new(scratch.path());
                let mode = format!("crash-at:{op}:{torn}:{keep}");
                let status = spawn_child(scratch.path(), &mode).wait().unwrap();
                assert!(!status.success(), "child survived {mode}");
                kills += 1;
                assert_previous_or_new(&state, 30, Some(40));
                assert_next_publish_cleans_up(&state, keep);
            }
        }
    }
    eprintln!("crash-point kills: {kills}");
    assert!(kills >= 150, "only {kills} crash points");
}

#[test]
fn sigkill_at_random_moments() {
    let mut rng = Rng::new(0x5eed);
    let mut kills = 0;
    for keep in [1usize, 2] {
        let dir = tempfile::tempdir().unwrap();
        let state = init_state(dir.path(), &[10]);
        let mut last = 10;
        for _ in 0..180 {
            let mut child = spawn_child(dir.path(), &format!("loop:{keep}"));
            let _reader = common::wait_for_line(child.stdout.take().unwrap(), "started");
            std::thread::sleep(Duration::from_micros(rng.below(25_000)));
            child.kill().unwrap();
            child.wait().unwrap();
            kills += 1;
            last = assert_previous_or_new(&state, last, None);
            if rng.chance(20) {
                assert_next_publish_cleans_up(&state, keep);
                last = load_head(&state).unwrap().head.block;
            }
        }
        assert_next_publish_cleans_up(&state, keep);
        assert!(last > 10, "the children never committed a publish");
    }
    assert!(kills >= 350);
}

#[test]
fn write_errors_leave_the_old_head_intact_and_map_to_exit_1() {
    for errno in [28 /* ENOSPC */, 5 /* EIO */] {
        for write in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let state = init_state(dir.path(), &[10, 20]);
            let before = load_head(&state).unwrap().head;
            let fs = FaultFs::new(Fault::FailWrite { write, errno });
            let err = try_publish_block(&fs, &state, 30, 2).expect_err("the write fails");
            let message = err.to_string();
            assert!(message.contains("previous head is intact"), "{message}");
            match Stop::from(err) {
                Stop::NotDone { class, .. } => assert_eq!(class, ErrorClass::Operator),
                other => panic!("write error became {other:?}"),
            }
            assert_eq!(load_head(&state).unwrap().head, before);
            assert_next_publish_cleans_up(&state, 2);
        }
    }
}
