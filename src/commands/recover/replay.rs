//! `recover replay --from-block A --to-block B [--from BUNDLE] --out DIR`: re-derive the
//! canonical state over (A, B] into a new directory, for deciding who is wrong after a page.
//! Read-only with respect to the state directory (it reads only the pinned identity).

use crate::canonical::executor::{Executor, NativeExecutor};
use crate::cli::GlobalArgs;
use crate::commands::tick::replay;
use crate::commands::{l1_failure, runtime};
use crate::events::Events;
use crate::l1::L1Client;
use crate::outcome::{Done, Stop};
use crate::state::StateError;
use crate::state::config::load_config;
use crate::state::fs::{Fs, RealFs};
use alloy::eips::BlockId;
use serde_json::json;
use std::path::Path;

pub fn run(
    global: &GlobalArgs,
    from_block: u64,
    to_block: u64,
    from: Option<&Path>,
    out: &Path,
    events: &Events,
) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    let config = load_config(&state)?;
    if to_block <= from_block {
        return Err(Stop::operator(format!(
            "--to-block {to_block} must be above --from-block {from_block}"
        )));
    }
    if out.exists() {
        return Err(Stop::operator(format!(
            "{} already exists; --out must name a new directory",
            out.display()
        )));
    }
    let start = match from {
        Some(path) => {
            let bundle = super::bundle_for(path, &config)?;
            if bundle.meta.checkpoint.block != from_block {
                return Err(Stop::operator(format!(
                    "the bundle is at block {}; pass --from-block {}",
                    bundle.meta.checkpoint.block, bundle.meta.checkpoint.block
                )));
            }
            Some(bundle.machine)
        }
        None => None,
    };
    let l1_urls = global.l1_endpoints()?;
    let rt = runtime()?;
    let l1 = L1Client::new(&l1_urls).map_err(|e| Stop::operator(e.0))?;
    let (executor, replayed, stop) = rt.block_on(async {
        let chain_id = l1.chain_id().await.map_err(l1_failure)?;
        if chain_id != config.chain_id {
            return Err(Stop::operator(format!(
                "the L1 RPC serves chain {chain_id}, not the pinned {}",
                config.chain_id
            )));
        }
        let machine = match start {
            Some(machine) => machine,
            None => {
                let inputs = l1
                    .number_of_inputs(config.input_box, config.app, BlockId::number(from_block))
                    .await
                    .map_err(l1_failure)?;
                if inputs != 0 {
                    return Err(Stop::operator(format!(
                        "the application had {inputs} inputs at block {from_block}; replay from \
                         genesis needs a block before its first input (the bootstrap block is \
                         {}), or pass --from BUNDLE",
                        config.bootstrap.block
                    )));
                }
                let mut machine = config.genesis_machine();
                machine.advance_to_block(from_block);
                machine
            }
        };
        let to_hash = l1
            .block_hash(to_block)
            .await
            .map_err(l1_failure)?
            .ok_or_else(|| Stop::transient(format!("the L1 node has no block {to_block} yet")))?;
        let mut executor = NativeExecutor::new(machine);
        let outcome = replay(&l1, &config, &mut executor, from_block, to_block, events).await?;
        if outcome.stop.is_none() {
            let witnessed = l1
                .number_of_inputs(config.input_box, config.app, BlockId::hash(to_hash))
                .await
                .map_err(l1_failure)?;
            if witnessed != executor.machine.inputs_processed {
                return Err(Stop::transient(format!(
                    "incomplete L1 view: getNumberOfInputs at block {to_block} is {witnessed}, \
                     the scan yielded {}; re-run (or try another --l1-rpc-url)",
                    executor.machine.inputs_processed
                )));
            }
            executor.advance_to_block(to_block);
        }
        Ok((executor, outcome.inputs, outcome.stop))
    })?;
    let state_bytes = executor.state_bytes();
    let sha = hex::encode(crate::canonical::snapshot::state_sha256(&state_bytes));
    let machine_bytes = executor
        .checkpoint_bytes()
        .map_err(|e| Stop::internal(e.to_string()))?;
    let report = json!({
        "from_block": from_block,
        "to_block": to_block,
        "input_count": executor.machine.inputs_processed,
        "inputs_replayed": replayed,
        "state_sha256": sha,
        "stop": stop.as_ref().map(|s| json!({
            "input_index": s.input_index,
            "block": s.block,
            "reason": s.reason.to_string(),
        })),
        "out": out.display().to_string(),
    });
    write_out(out, &state_bytes, &machine_bytes, &report)?;
    println!("{report}");
    Ok(Done::new(
        "done",
        match &stop {
            None => format!(
                "canonical state at block {to_block}: sha256 {sha} (written to {}); compare it \
                 with the incident's canonical_sha256 and sequencer_sha256",
                out.display()
            ),
            Some(s) => format!(
                "the canonical machine stops at input {} (block {}): {}; state before it written \
                 to {}",
                s.input_index,
                s.block,
                s.reason,
                out.display()
            ),
        },
    ))
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
