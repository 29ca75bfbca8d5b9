//! Resume points (`resume/`): saved apart from the chain of heads, usable only by the head and
//! identity they extend, verified before use, discarded by every head flip and latch, and never
//! a reason to remove anything warden did not write.

mod common;

use common::state::{block_hash, config, init_state, machine_at, publish_block};
use warden::canonical::codec::encode_machine;
use warden::state::StateDir;
use warden::state::checkpoint::{Head, read_head};
use warden::state::fs::RealFs;
use warden::state::latch::{self, Divergence};
use warden::state::resume::{self, NewResume, Unusable};

fn save(state: &StateDir, head: &Head, block: u64, target: u64) -> String {
    let machine = machine_at(block);
    let bytes = encode_machine(&machine).unwrap();
    resume::save(
        &RealFs,
        state,
        &NewResume {
            block,
            block_hash: block_hash(block),
            machine: &machine,
            machine_bytes: &bytes,
            base: head,
            config: &config(),
            target_block: target,
            witnessed: false,
            cross_checked: false,
            created_at: "2026-12-02T00:00:00.000Z",
        },
    )
    .unwrap()
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_saved_point_round_trips_and_only_the_newest_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let state = init_state(dir.path(), &[100]);
    let head = read_head(&state).unwrap();
    let first = save(&state, &head, 200, 1000);
    let second = save(&state, &head, 300, 1000);
    assert_eq!(entries(&dir.path().join("resume")), vec![second.clone()]);
    assert_ne!(first, second);
    let point = resume::usable(&state, &head, &config(), 1000)
        .unwrap()
        .unwrap();
    assert_eq!(point.name, second);
    assert_eq!(point.manifest.block, 300);
    assert_eq!(point.manifest.target_block, 1000);
    assert_eq!(point.machine, machine_at(300));
    let manifest = resume::latest_manifest(&state).unwrap().unwrap();
    assert_eq!(manifest, point.manifest);
    // It is never a head: the head and its checkpoints are untouched.
    assert_eq!(read_head(&state).unwrap(), head);
}

#[test]
fn a_point_is_unusable_for_another_head_identity_or_a_lower_target() {
    let dir = tempfile::tempdir().unwrap();
    let state = init_state(dir.path(), &[100]);
    let head = read_head(&state).unwrap();
    save(&state, &head, 300, 1000);
    // The sequencer is below it: kept, not used.
    assert_eq!(
        resume::usable(&state, &head, &config(), 250).unwrap_err(),
        Unusable::BeyondTarget { block: 300 }
    );
    let mut other = config();
    other.max_wait_blocks += 1;
    assert!(matches!(
        resume::usable(&state, &head, &other, 1000),
        Err(Unusable::Stale(_))
    ));
    let mut moved = head.clone();
    moved.block_hash = block_hash(7);
    assert!(matches!(
        resume::usable(&state, &moved, &config(), 1000),
        Err(Unusable::Stale(_))
    ));
}

#[test]
fn a_tampered_point_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let state = init_state(dir.path(), &[100]);
    let head = read_head(&state).unwrap();
    let name = save(&state, &head, 300, 1000);
    let machine = dir.path().join("resume").join(&name).join("machine.bin");
    let mut bytes = std::fs::read(&machine).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&machine, bytes).unwrap();
    assert!(matches!(
        resume::usable(&state, &head, &config(), 1000),
        Err(Unusable::Corrupt(_))
    ));
    // A planted extra file makes it foreign: not used, and never removed.
    std::fs::write(dir.path().join("resume").join(&name).join("note"), b"x").unwrap();
    assert!(matches!(
        resume::usable(&state, &head, &config(), 1000),
        Err(Unusable::Corrupt(_))
    ));
    let left = resume::discard(&RealFs, &state);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(dir.path().join("resume").join(&name).join("note").exists());
}

#[test]
fn head_flips_and_latches_discard_points_but_nothing_foreign() {
    let dir = tempfile::tempdir().unwrap();
    let state = init_state(dir.path(), &[100]);
    let head = read_head(&state).unwrap();
    save(&state, &head, 300, 1000);
    std::fs::write(
        dir.path().join("resume").join("operator-notes.txt"),
        b"mine",
    )
    .unwrap();
    publish_block(&RealFs, &state, 400, 2);
    assert_eq!(
        entries(&dir.path().join("resume")),
        vec!["operator-notes.txt".to_string()]
    );

    let head = read_head(&state).unwrap();
    save(&state, &head, 500, 1000);
    latch::write(
        &RealFs,
        &state,
        &Divergence {
            version: latch::LATCH_VERSION,
            kind: warden::outcome::VerdictKind::StateMismatch,
            target_block: 1000,
            agreed_block: 400,
            agreed_input_count: head.input_count,
            canonical_sha256: None,
            sequencer_sha256: None,
            stop: None,
            detected_at: "2026-12-02T00:00:00.000Z".into(),
            message: "test".into(),
        },
    )
    .unwrap();
    assert_eq!(
        entries(&dir.path().join("resume")),
        vec!["operator-notes.txt".to_string()]
    );
}

#[test]
fn an_interrupted_init_may_remove_its_resume_points_but_refuses_foreign_ones() {
    let dir = tempfile::tempdir().unwrap();
    let state = init_state(dir.path(), &[100]);
    let head = read_head(&state).unwrap();
    save(&state, &head, 300, 1000);
    std::fs::remove_file(state.config()).unwrap();
    let doomed = state.init_leftovers().unwrap();
    assert!(doomed.contains(&dir.path().join("resume")));
    std::fs::write(dir.path().join("resume").join("foreign"), b"x").unwrap();
    assert!(state.init_leftovers().is_err());
}
