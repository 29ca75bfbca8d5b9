//! `warden tick`: one watchdog cycle (operator-contract §5 tick). It never claims a divergence
//! while the sequencer is only behind or the L1 view is incomplete (those exit 1), and never
//! claims agreement on an incomplete view: the scan must be gap-free, witnessed by
//! `getNumberOfInputs` at the target block's hash, and the hash must not move during the scan.

use super::{Ended, TICK_SIGNAL_GRACE, l1_failure, runtime, sequencer_failure, until_signal};
use crate::canonical::executor::{Executor, NativeExecutor};
use crate::canonical::input::InputExpectation;
use crate::canonical::snapshot::decode_state;
use crate::canonical::{AdvanceError, Input, MachineStop};
use crate::cli::{GlobalArgs, TickArgs};
use crate::events::{Events, Progress};
use crate::exit;
use crate::l1::logs::{ScanError, scan};
use crate::l1::{L1Client, log_to_input};
use crate::metrics::{Health, WatchdogMetrics, render_watchdog, write_metrics_file};
use crate::outcome::{Done, Stop, Summary};
use crate::sequencer::{Finalized, SequencerClient};
use crate::state::checkpoint::{
    CheckpointMeta, LoadedHead, checkpoint_name, head_for, list_checkpoints, load_head, publish,
    verify_checkpoint, write_head,
};
use crate::state::config::{Config, load_config};
use crate::state::fs::{Fs, RealFs, write_atomic};
use crate::state::lock::{LockDomain, StateLock};
use crate::state::records::{LastTick, write_last_tick};
use crate::state::{StateDir, StateError};
use crate::timefmt::rfc3339_millis;
use alloy::eips::BlockId;
use alloy::primitives::{B256, U256};
use serde_json::{Value, json};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// What the run learned, for last_tick.json and status.prom whatever the outcome.
#[derive(Debug, Default)]
struct Observed {
    config: Option<Config>,
    head_block: Option<u64>,
    confirmed_head: Option<u64>,
    inputs_replayed: u64,
    divergence_kind: Option<String>,
}

pub fn run(global: &GlobalArgs, args: &TickArgs, events: &Events) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    // Contention exits at once and touches nothing, not even metrics.
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;
    let started = Instant::now();
    let mut observed = Observed::default();
    let result = tick(&state, global, args, events, &mut observed);
    record_outcome(&state, global, &result, &observed, started, events);
    result
}

fn tick(
    state: &StateDir,
    global: &GlobalArgs,
    args: &TickArgs,
    events: &Events,
    observed: &mut Observed,
) -> Result<Done, Stop> {
    let config = load_config(state)?;
    observed.config = Some(config.clone());
    if state.incident().exists() {
        let record = read_incident(state);
        let kind = record["kind"].as_str().unwrap_or("unknown").to_string();
        observed.divergence_kind = Some(kind.clone());
        observed.head_block = crate::state::checkpoint::read_head(state)
            .ok()
            .map(|h| h.block);
        return Err(Stop::Verdict {
            kind: leak_kind(&kind),
            outcome: "latched",
            message: format!(
                "incident latched ({kind} at block {}); nothing was checked. Run `warden \
                 recover` for the diagnosis and the next command",
                record["target_block"]
            ),
        });
    }
    let head = load_head(state)?;
    observed.head_block = Some(head.head.block);
    let l1_urls = global.l1_endpoints()?;
    let sequencer_url = global.sequencer_endpoint(Some(&config.sequencer_url))?;
    let rt = runtime()?;
    let l1 = L1Client::new(&l1_urls).map_err(|e| Stop::operator(e.0))?;
    let sequencer = SequencerClient::new(sequencer_url).map_err(sequencer_failure)?;
    // tick has no safe points to reach: nothing is committed before the synchronous head flip,
    // so an unfinished cycle is simply dropped after the grace period.
    let interrupted = std::sync::atomic::AtomicBool::new(false);
    let work = cycle(
        state, &config, head, args, &l1, &sequencer, events, observed,
    );
    match rt.block_on(until_signal(work, &interrupted, TICK_SIGNAL_GRACE, events)) {
        Ended::Finished(outcome)
        | Ended::Interrupted {
            finished: Some(outcome),
            ..
        } => outcome,
        Ended::Interrupted { signal, .. } => Err(Stop::transient(format!(
            "interrupted by {signal}: nothing was committed after the last head flip; the next \
             run resumes from it"
        ))),
    }
}

/// Kinds are a closed set; anything unexpected read back from disk is reported as `latched`.
pub(crate) fn leak_kind(kind: &str) -> &'static str {
    match kind {
        "state_mismatch" => "state_mismatch",
        "inclusion_block_regressed" => "inclusion_block_regressed",
        "canonical_machine_dead" => "canonical_machine_dead",
        "l1_reorg_below_head" => "l1_reorg_below_head",
        _ => "latched",
    }
}

fn read_incident(state: &StateDir) -> Value {
    std::fs::read(state.incident().join("divergence.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

#[allow(clippy::too_many_arguments)]
async fn cycle(
    state: &StateDir,
    config: &Config,
    mut head: LoadedHead,
    args: &TickArgs,
    l1: &L1Client,
    sequencer: &SequencerClient,
    events: &Events,
    observed: &mut Observed,
) -> Result<Done, Stop> {
    let fs = RealFs;
    let p = head.head.block;
    let polled = match sequencer.finalized().await.map_err(sequencer_failure)? {
        Finalized::NothingYet => {
            return Err(Stop::transient(
                "the sequencer has nothing finalized yet (404); the next run retries",
            ));
        }
        Finalized::Unavailable => {
            return Err(Stop::transient(
                "the sequencer answers 503 (it may have detected a divergence itself); check \
                 its logs — the next run retries",
            ));
        }
        Finalized::At {
            inclusion_block, ..
        } => inclusion_block,
    };
    if polled == p {
        return Ok(Done::new(
            "idle",
            format!("the sequencer is still at block {p}"),
        ));
    }
    if polled < p {
        if p == config.bootstrap.block && head.head.input_count == config.bootstrap.input_count {
            return Ok(Done::new(
                "idle",
                format!("the sequencer (block {polled}) has not reached the bootstrap block {p}"),
            ));
        }
        // A regression caused by an L1 reorg is the reorg, not the sequencer's fault.
        if !head_is_canonical(l1, &head).await? {
            head = roll_back(state, &fs, l1, head, events).await?;
            if polled >= head.head.block {
                observed.head_block = Some(head.head.block);
                return Ok(Done::new(
                    "idle",
                    format!(
                        "rolled back over an L1 reorg to block {}; the sequencer is at {polled}",
                        head.head.block
                    ),
                ));
            }
        }
        return Err(latch(
            state,
            events,
            observed,
            json!({
                "kind": "inclusion_block_regressed",
                "target_block": polled,
                "agreed_block": head.head.block,
                "agreed_input_count": head.head.input_count,
            }),
            format!(
                "the sequencer's finalized block went back from {} to {polled}",
                head.head.block
            ),
        ));
    }

    let digest = sequencer.digest().await.map_err(sequencer_failure)?;
    let target = digest.inclusion_block;
    if target <= p {
        return Err(Stop::transient(format!(
            "the sequencer answered inclusion block {polled} then digest block {target} (head \
             {p}); it is moving — the next run retries"
        )));
    }
    let chain_id = l1.chain_id().await.map_err(l1_failure)?;
    if chain_id != config.chain_id {
        return Err(Stop::operator(format!(
            "the L1 RPC serves chain {chain_id}, but this state directory is pinned to chain {}; \
             point --l1-rpc-url at the right network",
            config.chain_id
        )));
    }
    let (confirmed, _) = l1
        .confirmed_head(config.l1_confirmation)
        .await
        .map_err(l1_failure)?;
    observed.confirmed_head = Some(confirmed);
    if confirmed < target {
        return Err(Stop::transient(format!(
            "the L1 {} head {confirmed} is behind the sequencer's block {target}; the next run \
             retries",
            config.l1_confirmation.as_str()
        )));
    }
    if !head_is_canonical(l1, &head).await? {
        head = roll_back(state, &fs, l1, head, events).await?;
        observed.head_block = Some(head.head.block);
    }
    let p = head.head.block;
    let target_hash = l1
        .block_hash(target)
        .await
        .map_err(l1_failure)?
        .ok_or_else(|| Stop::transient(format!("the L1 node has no block {target}")))?;

    let mut executor = NativeExecutor::new(head.machine.clone());
    let replay = replay(l1, config, &mut executor, p, target, events).await?;
    observed.inputs_replayed = replay.inputs;
    if let Some(stop) = replay.stop {
        return Err(latch(
            state,
            events,
            observed,
            json!({
                "kind": "canonical_machine_dead",
                "target_block": target,
                "agreed_block": head.head.block,
                "agreed_input_count": head.head.input_count,
                "stop": {
                    "input_index": stop.input_index,
                    "block": stop.block,
                    "reason": stop.reason.to_string(),
                },
            }),
            format!(
                "the canonical machine stopped at input {} (block {}): {}",
                stop.input_index, stop.block, stop.reason
            ),
        ));
    }
    let witnessed = l1
        .number_of_inputs(config.input_box, config.app, BlockId::hash(target_hash))
        .await
        .map_err(l1_failure)?;
    let folded = executor.machine.inputs_processed;
    if witnessed != folded {
        return Err(Stop::transient(format!(
            "incomplete L1 view: getNumberOfInputs at block {target} is {witnessed} but the log \
             scan yielded {folded} inputs; the next run retries (try another --l1-rpc-url if \
             this persists)"
        )));
    }
    let hash_after = l1.block_hash(target).await.map_err(l1_failure)?;
    if hash_after != Some(target_hash) {
        return Err(Stop::transient(format!(
            "block {target}'s hash changed during the scan (an L1 reorg); the next run retries"
        )));
    }
    executor.advance_to_block(target);
    let canonical_bytes = executor.state_bytes();
    let canonical_sha = hex::encode(crate::canonical::snapshot::state_sha256(&canonical_bytes));
    if canonical_sha == digest.sha256 {
        let machine_bytes = executor
            .checkpoint_bytes()
            .map_err(|e| Stop::internal(e.to_string()))?;
        let (new_head, leftovers) = publish(
            &fs,
            state,
            CheckpointMeta {
                block: target,
                block_hash: target_hash,
                input_count: folded,
            },
            &machine_bytes,
            &canonical_sha,
            args.keep as usize,
            &rfc3339_millis(SystemTime::now()),
        )?;
        if !leftovers.is_empty() {
            events.warn("gc_incomplete", json!({"paths": leftovers}));
        }
        observed.head_block = Some(new_head.block);
        return Ok(Done::new(
            "agreed",
            format!(
                "agreed at block {target} ({folded} inputs, {} replayed), state sha256 \
                 {canonical_sha}",
                replay.inputs
            ),
        ));
    }
    let verdict = latch(
        state,
        events,
        observed,
        json!({
            "kind": "state_mismatch",
            "target_block": target,
            "agreed_block": head.head.block,
            "agreed_input_count": head.head.input_count,
            "canonical_sha256": canonical_sha,
            "sequencer_sha256": digest.sha256,
        }),
        format!(
            "state mismatch at block {target}: canonical {canonical_sha}, sequencer {}",
            digest.sha256
        ),
    );
    collect_evidence(state, &fs, sequencer, target, &canonical_bytes, events).await;
    Err(verdict)
}

pub(crate) struct Replay {
    pub inputs: u64,
    pub stop: Option<MachineStop>,
}

enum ReplayError {
    Scan(ScanError),
    Input(String),
    Stopped(MachineStop),
    Sequence(String),
}

impl From<ScanError> for ReplayError {
    fn from(e: ScanError) -> Self {
        ReplayError::Scan(e)
    }
}

/// Streams the inputs of (from, to] into the executor window by window.
pub(crate) async fn replay(
    l1: &L1Client,
    config: &Config,
    executor: &mut NativeExecutor,
    from: u64,
    to: u64,
    events: &Events,
) -> Result<Replay, Stop> {
    let mut source = l1.input_logs(config.input_box, config.app);
    let mut progress = Progress::new(events, to - from);
    let mut inputs = 0u64;
    let expectation_base = InputExpectation {
        chain_id: U256::from(config.chain_id),
        app: config.app,
        next_index: 0,
    };
    let result = scan::<ReplayError>(
        &mut source,
        from + 1,
        to,
        config.max_log_range,
        &config.long_range_error_codes,
        |_, window_end, logs| {
            let mut batch: Vec<Input> = Vec::with_capacity(logs.len());
            let mut expectation = expectation_base;
            expectation.next_index = executor.machine.inputs_processed;
            for log in &logs {
                let input = log_to_input(log, &expectation).map_err(ReplayError::Input)?;
                expectation.next_index += 1;
                batch.push(input);
            }
            let outcome = executor.advance_window(&batch);
            inputs += outcome.reports.len() as u64;
            match outcome.error {
                Some(AdvanceError::Stopped(stop)) => return Err(ReplayError::Stopped(stop)),
                Some(other) => return Err(ReplayError::Sequence(other.to_string())),
                None => {}
            }
            progress.update(window_end - from, inputs);
            Ok(())
        },
    )
    .await;
    match result {
        Ok(()) => Ok(Replay { inputs, stop: None }),
        Err(ReplayError::Stopped(stop)) => Ok(Replay {
            inputs,
            stop: Some(stop),
        }),
        Err(ReplayError::Scan(e)) => Err(Stop::transient(format!(
            "{e}; the next run retries (if the provider caps ranges with another error code, add \
             it to --long-range-error-codes at init)"
        ))),
        Err(ReplayError::Input(e)) | Err(ReplayError::Sequence(e)) => {
            Err(Stop::transient(format!(
                "the L1 view is inconsistent: {e}; the next run retries (try another --l1-rpc-url \
             if this persists)"
            )))
        }
    }
}

async fn head_is_canonical(l1: &L1Client, head: &LoadedHead) -> Result<bool, Stop> {
    match l1.block_hash(head.head.block).await.map_err(l1_failure)? {
        Some(hash) => Ok(hash == head.block_hash()),
        None => Err(Stop::transient(format!(
            "the L1 node cannot return the head block {}; the next run retries",
            head.head.block
        ))),
    }
}

/// The head's block is no longer canonical: fall back to the newest retained checkpoint whose
/// hash still is, deleting the reorged ones; with none left, latch `l1_reorg_below_head`.
async fn roll_back(
    state: &StateDir,
    fs: &dyn Fs,
    l1: &L1Client,
    head: LoadedHead,
    events: &Events,
) -> Result<LoadedHead, Stop> {
    let head_name = checkpoint_name(head.head.block, head.head.input_count);
    for name in list_checkpoints(state).into_iter().rev() {
        if name >= head_name {
            continue;
        }
        let Ok((manifest, machine)) = verify_checkpoint(state, &name) else {
            continue;
        };
        let recorded: B256 = manifest.block_hash.parse().unwrap_or_default();
        let current = l1.block_hash(manifest.block).await.map_err(l1_failure)?;
        let Some(current) = current else {
            return Err(Stop::transient(format!(
                "the L1 node cannot return block {}; the next run retries",
                manifest.block
            )));
        };
        if current != recorded {
            continue;
        }
        let new_head = head_for(&name, &manifest, &rfc3339_millis(SystemTime::now()));
        write_head(fs, state, &new_head)?;
        for doomed in list_checkpoints(state).into_iter().filter(|n| *n > name) {
            let path = state.checkpoints().join(&doomed);
            fs.remove_dir_all(&path)
                .map_err(|e| StateError::io(&path, e))?;
        }
        events.warn(
            "reorg_rollback",
            json!({
                "from_block": head.head.block,
                "to_block": manifest.block,
                "message": "the head block is no longer canonical on L1; rolled back",
            }),
        );
        return Ok(LoadedHead {
            head: new_head,
            manifest,
            machine,
        });
    }
    let mut observed = Observed::default();
    Err(latch(
        state,
        events,
        &mut observed,
        json!({
            "kind": "l1_reorg_below_head",
            "target_block": head.head.block,
            "agreed_block": head.head.block,
            "agreed_input_count": head.head.input_count,
        }),
        format!(
            "the head block {} is no longer canonical and no retained checkpoint is",
            head.head.block
        ),
    ))
}

/// Writes the latch (`incident/divergence.json`, atomically by directory rename), then emits
/// the one `divergence` event, then returns the verdict. Evidence comes after.
fn latch(
    state: &StateDir,
    events: &Events,
    observed: &mut Observed,
    mut record: Value,
    message: String,
) -> Stop {
    let kind = record["kind"].as_str().unwrap_or("unknown").to_string();
    record["version"] = json!(1);
    record["detected_at"] = json!(rfc3339_millis(SystemTime::now()));
    record["message"] = json!(message);
    observed.divergence_kind = Some(kind.clone());
    if let Err(e) = write_incident(state, &RealFs, &record) {
        // Without the latch the next tick would re-detect (and page) again; say so loudly.
        events.error(
            "latch_failed",
            json!({"message": format!("could not write the incident latch: {e}")}),
        );
    }
    events.error("divergence", record.clone());
    Stop::Verdict {
        kind: leak_kind(&kind),
        outcome: "diverged",
        message: format!(
            "{message}; latched in {} — run `warden recover` for the next step",
            state.incident().display()
        ),
    }
}

fn write_incident(state: &StateDir, fs: &dyn Fs, record: &Value) -> Result<(), StateError> {
    let tmp = state
        .root()
        .join(format!(".incident.tmp-{}", std::process::id()));
    fs.remove_dir_all(&tmp)
        .map_err(|e| StateError::io(&tmp, e))?;
    fs.create_dir(&tmp).map_err(|e| StateError::io(&tmp, e))?;
    let mut bytes = serde_json::to_vec_pretty(record).unwrap_or_default();
    bytes.push(b'\n');
    let file = tmp.join("divergence.json");
    fs.write_file_synced(&file, &bytes)
        .map_err(|e| StateError::io(&file, e))?;
    fs.sync_dir(&tmp).map_err(|e| StateError::io(&tmp, e))?;
    fs.rename(&tmp, &state.incident())
        .map_err(|e| StateError::io(state.incident(), e))?;
    fs.sync_dir(state.root())
        .map_err(|e| StateError::io(state.root(), e))
}

/// Evidence of a mismatch: both state files, the first differing offset and a semantic diff.
async fn collect_evidence(
    state: &StateDir,
    fs: &dyn Fs,
    sequencer: &SequencerClient,
    target: u64,
    canonical: &[u8],
    events: &Events,
) {
    let dir = state.incident();
    let mut evidence = json!({"target_block": target, "canonical_size": canonical.len()});
    let _ = write_atomic(fs, &dir.join("canonical_state.bin"), canonical);
    match sequencer.state().await {
        Ok((block, bytes)) if block == target => {
            let _ = write_atomic(fs, &dir.join("sequencer_state.bin"), &bytes);
            evidence["sequencer_size"] = json!(bytes.len());
            evidence["first_differing_offset"] = json!(first_difference(canonical, &bytes));
            evidence["semantic_diff"] = semantic_diff(canonical, &bytes);
        }
        Ok((block, _)) => {
            evidence["sequencer_state"] = json!(format!(
                "missing: /finalized_state served block {block}, not {target}"
            ));
        }
        Err(e) => evidence["sequencer_state"] = json!(format!("missing: {e}")),
    }
    let mut bytes = serde_json::to_vec_pretty(&evidence).unwrap_or_default();
    bytes.push(b'\n');
    if let Err(e) = write_atomic(fs, &dir.join("evidence.json"), &bytes) {
        events.warn("evidence_incomplete", json!({"message": e.to_string()}));
    }
    events.info("evidence", evidence);
}

fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or_else(|| (a.len() != b.len()).then(|| a.len().min(b.len())))
}

/// Which accounts, config fields and counters differ (when the sequencer's bytes decode).
pub fn semantic_diff(canonical: &[u8], served: &[u8]) -> Value {
    let Ok(ours) = decode_state(canonical) else {
        return json!({"error": "canonical bytes do not decode (a bug)"});
    };
    let theirs = match decode_state(served) {
        Ok(d) => d,
        Err(e) => return json!({"error": format!("the sequencer's bytes do not decode: {e}")}),
    };
    let mut config = Vec::new();
    for (field, a, b) in [
        (
            "erc20_portal",
            ours.config.erc20_portal,
            theirs.config.erc20_portal,
        ),
        (
            "supported_token",
            ours.config.supported_token,
            theirs.config.supported_token,
        ),
        (
            "fee_recipient",
            ours.config.fee_recipient,
            theirs.config.fee_recipient,
        ),
    ] {
        if a != b {
            config.push(
                json!({"field": field, "canonical": a.to_string(), "sequencer": b.to_string()}),
            );
        }
    }
    let (ours_balances, theirs_balances): (
        std::collections::BTreeMap<_, _>,
        std::collections::BTreeMap<_, _>,
    ) = (
        ours.balances.iter().cloned().collect(),
        theirs.balances.iter().cloned().collect(),
    );
    let mut balances = Vec::new();
    for address in ours_balances
        .keys()
        .chain(theirs_balances.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (a, b) = (ours_balances.get(address), theirs_balances.get(address));
        if a != b {
            balances.push(json!({
                "address": address.to_string(),
                "canonical": a.map(|v| v.to_string()),
                "sequencer": b.map(|v| v.to_string()),
            }));
        }
    }
    let (ours_nonces, theirs_nonces): (
        std::collections::BTreeMap<_, _>,
        std::collections::BTreeMap<_, _>,
    ) = (
        ours.nonces.iter().cloned().collect(),
        theirs.nonces.iter().cloned().collect(),
    );
    let mut nonces = Vec::new();
    for address in ours_nonces
        .keys()
        .chain(theirs_nonces.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (a, b) = (ours_nonces.get(address), theirs_nonces.get(address));
        if a != b {
            nonces.push(json!({"address": address.to_string(), "canonical": a, "sequencer": b}));
        }
    }
    let mut counters = Vec::new();
    if ours.executed_input_count != theirs.executed_input_count {
        counters.push(json!({"field": "executed_input_count", "canonical": ours.executed_input_count, "sequencer": theirs.executed_input_count}));
    }
    if ours.last_executed_safe_block != theirs.last_executed_safe_block {
        counters.push(json!({"field": "last_executed_safe_block", "canonical": ours.last_executed_safe_block, "sequencer": theirs.last_executed_safe_block}));
    }
    json!({
        "config": config,
        "balances": balances,
        "nonces": nonces,
        "counters": counters,
        "sequencer_canonical_encoding": theirs.is_canonical(),
    })
}

/// last_tick.json and status.prom on every exit path but `busy` (which never gets here).
fn record_outcome(
    state: &StateDir,
    global: &GlobalArgs,
    result: &Result<Done, Stop>,
    observed: &Observed,
    started: Instant,
    events: &Events,
) {
    if !state.root().is_dir() {
        return;
    }
    let fs = RealFs;
    let now = SystemTime::now();
    let Summary {
        code,
        outcome,
        class,
        kind,
        message,
    } = Summary::of(result);
    let (class, kind) = (class.map(str::to_string), kind.map(str::to_string));
    let previous = crate::state::records::read_json_value(&state.last_tick())
        .ok()
        .flatten();
    let last_success_at = if code == exit::SUCCESS {
        Some(rfc3339_millis(now))
    } else {
        previous
            .as_ref()
            .and_then(|p| p["last_success_at"].as_str().map(str::to_string))
    };
    let record = LastTick {
        version: crate::state::records::LAST_TICK_VERSION,
        finished_at: rfc3339_millis(now),
        exit_code: code,
        outcome: outcome.to_string(),
        class,
        kind,
        message,
        head_block: observed.head_block,
        duration_ms: started.elapsed().as_millis() as u64,
        last_success_at: last_success_at.clone(),
    };
    if let Err(e) = write_last_tick(&fs, state, &record) {
        events.warn("last_tick_not_written", json!({"message": e.to_string()}));
    }
    let Some(config) = &observed.config else {
        return;
    };
    let seconds = |t: SystemTime| {
        t.duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
    };
    let metrics = WatchdogMetrics {
        app_address: config.app.to_checksum(None),
        chain: config.chain_id.to_string(),
        health: Health::from_exit_code(code),
        divergence_kind: observed.divergence_kind.clone(),
        head_block: observed.head_block,
        last_tick_timestamp_seconds: seconds(now),
        last_success_timestamp_seconds: last_success_at
            .as_deref()
            .and_then(crate::timefmt::parse_rfc3339)
            .map(seconds),
        tick_duration_seconds: started.elapsed().as_secs_f64(),
        head_lag_blocks: observed
            .confirmed_head
            .zip(observed.head_block)
            .map(|(c, h)| c.saturating_sub(h)),
        inputs_replayed: observed.inputs_replayed,
    };
    let path = global
        .metrics_file
        .clone()
        .unwrap_or_else(|| state.status_prom());
    if let Err(e) = write_metrics_file(&fs, &path, &render_watchdog(&metrics)) {
        events.warn("metrics_not_written", json!({"message": e.to_string()}));
    }
}
