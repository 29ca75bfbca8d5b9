//! `recover replay --from-block A --to-block B [--from BUNDLE] --out DIR`: re-derive the
//! canonical state over (A, B] into a new directory, for deciding who is wrong after a page.
//! Read-only with respect to the state directory.
//!
//! The starting machine is the bundle's (`--from`), else a retained checkpoint of this state
//! directory at block A (the agreed head or its predecessor: this works for every bootstrap
//! kind), else the empty genesis machine, which needs no input at or before A. Inputs come from
//! the verified input stream, whose contiguity from A's count also proves that count. When an
//! input stops the machine the replay still completes: it writes the state before that input
//! and names the stop.

use crate::canonical::{Machine, Sha256Digest};
use crate::cli::GlobalArgs;
use crate::commands::bootstrap::{bundle_for, count_disagreement};
use crate::commands::fold::fold;
use crate::commands::{connect_l1, runtime, within};
use crate::events::Events;
use crate::l1::BlockRef;
use crate::l1::inputs::{Base, InputSpec, Span};
use crate::outcome::{Done, Outcome, Stop};
use crate::state::checkpoint::{list_checkpoints, verify_checkpoint};
use crate::state::config::{Config, load_config};
use crate::state::fs::{Fs, RealFs};
use crate::state::latch::StopRecord;
use crate::state::{StateDir, StateError};
use alloy::primitives::B256;
use serde_json::json;
use std::path::Path;

/// Where a replay starts.
struct Start {
    machine: Machine,
    hash: Option<B256>,
    source: String,
}

pub fn run(
    global: &GlobalArgs,
    from_block: u64,
    to_block: u64,
    from: Option<&Path>,
    out: &Path,
    events: &Events,
) -> Result<Done, Stop> {
    let started = std::time::Instant::now();
    let state = global.require_state_dir()?;
    let config = load_config(&state)?;
    if to_block <= from_block {
        return Err(Stop::operator(format!(
            "--to-block {to_block} must be above --from-block {from_block}"
        )));
    }
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(Stop::operator(format!(
            "{} already exists; --out must name a new directory",
            out.display()
        )));
    }
    let start = starting_point(&state, &config, from_block, from)?;
    let l1 = connect_l1(global, Some(config.chain_id))?;
    let rt = runtime()?;
    let deadline = global.deadline(started, None);
    let (machine, replayed) = rt.block_on(within(deadline, async {
        let base = Base {
            block: from_block,
            hash: start.hash,
            input_count: start.machine.inputs_processed,
        };
        let target = BlockRef {
            number: to_block,
            hash: l1.block_hash(to_block).await?.ok_or_else(|| {
                Stop::transient(format!("the L1 node has no block {to_block} yet"))
            })?,
        };
        let confirmed = l1.confirmed_head(config.l1_confirmation).await?;
        let folded = fold(
            &l1,
            &InputSpec::of(&config),
            start.machine,
            base,
            Span::new(target, confirmed),
            events,
        )
        .await
        .map_err(|e| {
            count_disagreement(
                e,
                from_block,
                base.input_count,
                "replay from genesis needs a block before the application's first input; \
                 start at the agreed head's block (a retained checkpoint) or pass --from BUNDLE",
            )
        })?;
        Ok::<_, Stop>((folded.machine, folded.replayed))
    }))?;
    let stop = machine.stopped().cloned();
    let mut result = machine.before_stop();
    if stop.is_none() {
        result.advance_to_block(to_block);
    }
    let state_bytes = result.state_bytes();
    let sha = Sha256Digest::of(&state_bytes);
    let machine_bytes = crate::canonical::codec::encode_machine(&result)
        .map_err(|e| Stop::internal(e.to_string()))?;
    let report = json!({
        "from_block": from_block,
        "to_block": to_block,
        "start": start.source,
        "input_count": result.inputs_processed,
        "inputs_replayed": replayed,
        "state_sha256": sha,
        "stop": stop.as_ref().map(StopRecord::from),
        "out": out.display().to_string(),
    });
    write_out(out, &state_bytes, &machine_bytes, &report)?;
    println!("{report}");
    Ok(Done::new(
        Outcome::Done,
        match &stop {
            None => format!(
                "canonical state at block {to_block}: sha256 {sha} (written to {}); compare it \
                 with the incident's canonical_sha256 and sequencer_sha256",
                out.display()
            ),
            Some(s) => format!(
                "the canonical machine stops at input {} (block {}): {}; the state before it \
                 (sha256 {sha}) is written to {}",
                s.input_index,
                s.block,
                s.reason,
                out.display()
            ),
        },
    ))
}

fn starting_point(
    state: &StateDir,
    config: &Config,
    from_block: u64,
    from: Option<&Path>,
) -> Result<Start, Stop> {
    if let Some(path) = from {
        let bundle = bundle_for(path, config)?;
        let checkpoint = &bundle.meta.checkpoint;
        if checkpoint.block != from_block {
            return Err(Stop::operator(format!(
                "the bundle is at block {}; pass --from-block {}",
                checkpoint.block, checkpoint.block
            )));
        }
        return Ok(Start {
            hash: Some(checkpoint.block_hash),
            machine: bundle.machine,
            source: format!("bundle {}", path.display()),
        });
    }
    let prefix = format!("{from_block:020}-");
    for name in list_checkpoints(state).into_iter().rev() {
        if name.starts_with(&prefix)
            && let Ok((manifest, machine)) = verify_checkpoint(state, &name)
        {
            return Ok(Start {
                hash: Some(manifest.block_hash),
                machine,
                source: format!("checkpoints/{name}"),
            });
        }
    }
    let mut machine = config.genesis_machine();
    machine.advance_to_block(from_block);
    machine.reset_liveness();
    Ok(Start {
        machine,
        hash: None,
        source: "genesis".into(),
    })
}

fn write_out(
    out: &Path,
    state_bytes: &[u8],
    machine_bytes: &[u8],
    report: &serde_json::Value,
) -> Result<(), Stop> {
    let fs = RealFs;
    let io = |path: &Path, e| -> Stop { StateError::io(path, e).into() };
    fs.create_dir(out).map_err(|e| io(out, e))?;
    let mut report_bytes = serde_json::to_vec_pretty(report)
        .map_err(|e| Stop::internal(format!("cannot render the report: {e}")))?;
    report_bytes.push(b'\n');
    for (name, bytes) in [
        ("state.ssz", state_bytes),
        ("machine.bin", machine_bytes),
        ("replay.json", report_bytes.as_slice()),
    ] {
        let path = out.join(name);
        fs.write_file_synced(&path, bytes)
            .map_err(|e| io(&path, e))?;
    }
    fs.sync_dir(out).map_err(|e| io(out, e))
}
