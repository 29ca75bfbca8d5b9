//! `warden snapshot --out PATH` writes a self-verifying bundle of the verified head;
//! `warden snapshot verify PATH` re-checks one (read-only, no lock).

use super::SNAPSHOT_DEADLINE;
use crate::cli::{GlobalArgs, SnapshotArgs, SnapshotVerb};
use crate::events::Events;
use crate::outcome::{Done, Outcome, Stop};
use crate::state::bundle::{
    BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, BundleCheckpoint, BundleMeta, head_checkpoint_files,
    verify_bundle, write_bundle,
};
use crate::state::checkpoint::{LoadedHead, load_head};
use crate::state::config::load_config;
use crate::state::lock::{LockDomain, StateLock};
use crate::timefmt::rfc3339_millis;
use serde_json::json;
use std::path::Path;
use std::time::SystemTime;

pub fn run(global: &GlobalArgs, args: &SnapshotArgs, events: &Events) -> Result<Done, Stop> {
    match (&args.verb, &args.out) {
        (Some(SnapshotVerb::Verify { path }), _) => verify(path),
        (None, Some(out)) => write(global, out, events),
        (None, None) => Err(Stop::operator(
            "pass --out PATH (a new directory, or a file ending in .tar) to write a bundle, or \
             `warden snapshot verify PATH` to check one",
        )),
    }
}

fn write(global: &GlobalArgs, out: &Path, events: &Events) -> Result<Done, Stop> {
    let started = std::time::Instant::now();
    let state = global.require_state_dir()?;
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;
    let config = load_config(&state)?;
    // The head is verified whole (its machine decoded); only its records are kept, so the
    // machine is not held while the bundle is written and read back.
    let LoadedHead { head, manifest, .. } = load_head(&state)?;
    crate::memory::release_freed();
    let (manifest_bytes, machine_bytes) = head_checkpoint_files(&state, &head.checkpoint)?;
    let meta = BundleMeta {
        version: BUNDLE_FORMAT_VERSION,
        format: BUNDLE_FORMAT.into(),
        identity: config.identity(),
        checkpoint: BundleCheckpoint {
            block: manifest.block,
            block_hash: manifest.block_hash,
            input_count: manifest.input_count,
            state_sha256: manifest.state_sha256,
        },
        created_at: rfc3339_millis(SystemTime::now()),
        warden_version: env!("CARGO_PKG_VERSION").into(),
    };
    // Write, then read back what landed on disk (a bundle is only reported written once it
    // verifies), within the run's deadline: the rename is the commit point, so a bundle cut
    // short by the deadline is a leftover temporary file, never a bundle.
    let deadline = global.deadline(started, Some(SNAPSHOT_DEADLINE));
    let target = out.to_path_buf();
    let (done, finished) = std::sync::mpsc::channel();
    let meta_for_writer = meta.clone();
    let writer = std::thread::Builder::new().name("snapshot".into());
    let spawned = writer.spawn(move || {
        let written = write_bundle(&target, &meta_for_writer, &manifest_bytes, &machine_bytes);
        // What was written is read back from disk; the copies in memory are not needed for it.
        drop((manifest_bytes, machine_bytes));
        let result = written.map_err(Stop::from).and_then(|()| {
            verify_bundle(&target).map(|_| ()).map_err(|e| {
                Stop::internal(format!(
                    "the bundle written to {} does not verify ({e}); remove it and re-run",
                    target.display()
                ))
            })
        });
        let _ = done.send(result);
    });
    spawned.map_err(|e| {
        Stop::internal(format!(
            "cannot start the bundle writer ({e}); check the process and thread limits, then \
             re-run the command"
        ))
    })?;
    let wait = deadline.map_or(std::time::Duration::MAX, |d| d.remaining());
    match finished.recv_timeout(wait) {
        Ok(result) => result?,
        Err(_) => {
            return Err(Stop::transient(format!(
                "{} passed before the bundle was written; nothing at {} was committed — re-run \
                 with a larger --deadline",
                deadline.map_or("the deadline".to_string(), |d| d.describe()),
                out.display()
            )));
        }
    }
    let report = json!({
        "path": out.display().to_string(),
        "block": meta.checkpoint.block,
        "input_count": meta.checkpoint.input_count,
        "state_sha256": meta.checkpoint.state_sha256,
        "format_version": BUNDLE_FORMAT_VERSION,
    });
    events.info("snapshot_written", report.clone());
    println!("{report}");
    Ok(Done::new(
        Outcome::Written,
        format!(
            "bundle of block {} written to {}; check it anywhere with `warden snapshot verify {}`",
            meta.checkpoint.block,
            out.display(),
            out.display()
        ),
    ))
}

fn verify(path: &Path) -> Result<Done, Stop> {
    let bundle = verify_bundle(path).map_err(|e| {
        Stop::operator(format!(
            "bundle {} does not verify: {e}; take a new snapshot from a healthy state directory",
            path.display()
        ))
    })?;
    let report = json!({
        "path": path.display().to_string(),
        "ok": true,
        "chain_id": bundle.meta.identity.chain_id,
        "app": bundle.meta.identity.app.to_checksum(None),
        "block": bundle.meta.checkpoint.block,
        "input_count": bundle.meta.checkpoint.input_count,
        "state_sha256": bundle.meta.checkpoint.state_sha256,
        "created_at": bundle.meta.created_at,
    });
    println!("{report}");
    Ok(Done::new(
        Outcome::Verified,
        format!(
            "bundle {} verifies (block {}, state sha256 {})",
            path.display(),
            bundle.meta.checkpoint.block,
            bundle.meta.checkpoint.state_sha256
        ),
    ))
}
