//! `warden tick`: one watchdog cycle, step by step as operator-contract §5 tick numbers them. It
//! never claims a divergence while the sequencer is only behind or the L1 view is unverified
//! (those exit 1), and never claims agreement on an unverified view: every verdict and every
//! head flip rests on inputs that `l1::inputs` proved complete in this run.

mod evidence;
mod report;

use super::{Ended, TICK_SIGNAL_GRACE, connect_l1, runtime, until_signal};
use crate::canonical::executor::{Executor, NativeExecutor};
use crate::canonical::{AdvanceError, MachineStop, Sha256Digest};
use crate::cli::{GlobalArgs, TickArgs};
use crate::events::{Events, Progress};
use crate::l1::inputs::{self, Base, Flow, InputSpec, Span};
use crate::l1::{BlockRef, L1Client};
use crate::outcome::{Done, Outcome, Stop, VerdictKind};
use crate::sequencer::{Finalized, SequencerClient};
use crate::state::checkpoint::{CheckpointMeta, LoadedHead, load_head, publish, read_head};
use crate::state::config::{Config, load_config};
use crate::state::fs::RealFs;
use crate::state::latch::{self, Divergence, LATCH_VERSION, Latch, StopRecord};
use crate::state::lock::{LockDomain, StateLock};
use crate::state::{StateDir, rollback};
use crate::timefmt::rfc3339_millis;
use report::Observed;
use serde_json::json;
use std::sync::atomic::AtomicBool;
use std::time::{Instant, SystemTime};

pub fn run(global: &GlobalArgs, args: &TickArgs, events: &Events) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    // 1. The lock; contention exits at once and touches nothing, not even metrics.
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;
    let started = Instant::now();
    let mut observed = Observed::default();
    let result = tick(&state, global, args, events, &mut observed);
    // 8. Always write last_tick.json and status.prom.
    report::record(&state, global, &result, &observed, started, events);
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
    // 1. A latched incident repeats its verdict without touching L1 or the sequencer.
    match latch::read(state) {
        Latch::Clear => {}
        Latch::Latched(record) => {
            observed.divergence = Some(record.kind);
            observed.head_block = read_head(state).ok().map(|h| h.block);
            return Err(
                record.latched_stop("Run `warden recover` for the diagnosis and the next command")
            );
        }
        Latch::Unreadable(why) => return Err(Latch::unreadable_stop(state, &why)),
    }
    // 2. Load and verify the head.
    let head = load_head(state)?;
    observed.head_block = Some(head.head.block);
    let l1 = connect_l1(global, Some(config.chain_id))?;
    let sequencer = SequencerClient::new(global.sequencer_endpoint(Some(&config.sequencer_url))?)?;
    let rt = runtime()?;
    let cycle = Cycle {
        state,
        config: &config,
        args,
        l1: &l1,
        sequencer: &sequencer,
        events,
    };
    // Nothing is committed before the synchronous head flip or latch, so an unfinished cycle
    // is simply dropped after the grace period.
    let interrupted = AtomicBool::new(false);
    match rt.block_on(until_signal(
        cycle.run(head, observed),
        &interrupted,
        TICK_SIGNAL_GRACE,
        events,
    )) {
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

struct Cycle<'a> {
    state: &'a StateDir,
    config: &'a Config,
    args: &'a TickArgs,
    l1: &'a L1Client,
    sequencer: &'a SequencerClient,
    events: &'a Events,
}

/// The head after step 5's canonicality check.
enum Checked {
    Kept(LoadedHead),
    RolledBack(LoadedHead),
}

impl Cycle<'_> {
    async fn run(&self, head: LoadedHead, observed: &mut Observed) -> Result<Done, Stop> {
        let p = head.head.block;
        // 3. The sequencer's finalized block.
        let polled = match self.sequencer.finalized().await? {
            Finalized::NothingYet => {
                return Err(Stop::transient(
                    "the sequencer has nothing finalized yet (404); the next run retries",
                ));
            }
            Finalized::Unavailable => {
                return Err(Stop::transient(
                    "the sequencer answers 503 (it may have detected a divergence itself); \
                     check its logs — the next run retries",
                ));
            }
            Finalized::At {
                inclusion_block, ..
            } => inclusion_block,
        };
        if polled == p {
            return Ok(Done::new(
                Outcome::Idle,
                format!("the sequencer is still at block {p}"),
            ));
        }
        if polled < p {
            return self.regressed(head, polled, observed).await;
        }
        // 4. The sequencer's digest of its state at the target block B.
        let digest = self.sequencer.digest(polled).await?;
        let target = digest.inclusion_block;
        if target <= p {
            return Err(Stop::transient(format!(
                "the sequencer answered inclusion block {polled} then digest block {target} \
                 (head {p}); it is moving — the next run retries"
            )));
        }
        // 5. L1: the pinned chain (checked on first contact), the confirmed head at or above B,
        //    and P still canonical (else roll back, or latch a reorg below the head).
        let confirmed = self.confirmed_head(observed).await?;
        if confirmed.number < target {
            return Err(Stop::transient(format!(
                "the L1 {} head {} is behind the sequencer's block {target}; the next run retries",
                self.config.l1_confirmation.as_str(),
                confirmed.number
            )));
        }
        let head = match self.canonical_head(head, confirmed, observed).await? {
            Checked::Kept(head) | Checked::RolledBack(head) => head,
        };
        observed.head_block = Some(head.head.block);
        let target = BlockRef {
            number: target,
            hash: self.l1.block_hash(target).await?.ok_or_else(|| {
                Stop::transient(format!(
                    "the L1 node has no block {target}; the next run retries"
                ))
            })?,
        };
        // 6. Replay (P, B] from the verified input stream.
        let (executor, stop) = self.replay(&head, target, confirmed, observed).await?;
        if let Some(stop) = stop {
            let record = self.record(&head, VerdictKind::CanonicalMachineDead, target.number);
            let record = Divergence {
                stop: Some(StopRecord::from(&stop)),
                message: format!(
                    "the canonical machine stopped at input {} (block {}): {}",
                    stop.input_index, stop.block, stop.reason
                ),
                ..record
            };
            let verdict = self.latch(record, observed);
            let canonical = executor.machine.before_stop().state_bytes();
            evidence::dead_machine(self.state, target.number, &canonical, &stop, self.events);
            return Err(verdict);
        }
        // 7. Compare; publish on agreement, latch on a mismatch.
        self.compare(&head, executor, target, digest.sha256, observed)
            .await
    }

    async fn confirmed_head(&self, observed: &mut Observed) -> Result<BlockRef, Stop> {
        let confirmed = self.l1.confirmed_head(self.config.l1_confirmation).await?;
        observed.confirmed_head = Some(confirmed.number);
        Ok(confirmed)
    }

    /// Step 3, the sequencer below the head: idle at the bootstrap block, a rollback when the
    /// head was reorged out from under it, else `inclusion_block_regressed`.
    async fn regressed(
        &self,
        head: LoadedHead,
        polled: u64,
        observed: &mut Observed,
    ) -> Result<Done, Stop> {
        let bootstrap = &self.config.bootstrap;
        if head.head.block == bootstrap.block && head.head.input_count == bootstrap.input_count {
            return Ok(Done::new(
                Outcome::Idle,
                format!(
                    "the sequencer (block {polled}) has not reached the bootstrap block {}",
                    bootstrap.block
                ),
            ));
        }
        let confirmed = self.confirmed_head(observed).await?;
        let head = match self.canonical_head(head, confirmed, observed).await? {
            Checked::RolledBack(head) if polled >= head.head.block => {
                observed.head_block = Some(head.head.block);
                return Ok(Done::new(
                    Outcome::Idle,
                    format!(
                        "rolled back over an L1 reorg to block {}; the sequencer is at {polled}",
                        head.head.block
                    ),
                ));
            }
            Checked::Kept(head) | Checked::RolledBack(head) => head,
        };
        observed.head_block = Some(head.head.block);
        let record = Divergence {
            message: format!(
                "the sequencer's finalized block went back from {} to {polled}",
                head.head.block
            ),
            ..self.record(&head, VerdictKind::InclusionBlockRegressed, polled)
        };
        Err(self.latch(record, observed))
    }

    /// Step 5: is the head's block still canonical on an endpoint whose confirmed head is at or
    /// above it? If not, roll back to the newest retained checkpoint that is; with none left,
    /// and the view re-checked, latch `l1_reorg_below_head`.
    async fn canonical_head(
        &self,
        head: LoadedHead,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) -> Result<Checked, Stop> {
        let p = head.head.block;
        if confirmed.number < p {
            return Err(Stop::transient(format!(
                "the L1 {} head {} is below the verified head {p}: the endpoint lags; the next \
                 run retries",
                self.config.l1_confirmation.as_str(),
                confirmed.number
            )));
        }
        match self.l1.block_hash(p).await? {
            Some(hash) if hash == head.block_hash() => return Ok(Checked::Kept(head)),
            Some(_) => {}
            None => {
                return Err(Stop::transient(format!(
                    "the L1 node cannot return the head block {p}; the next run retries"
                )));
            }
        }
        let l1 = self.l1;
        let rolled = rollback::roll_back(
            &RealFs,
            self.state,
            &head,
            &rfc3339_millis(SystemTime::now()),
            |block, hash| async move { Ok::<_, Stop>(l1.block_hash(block).await? == Some(hash)) },
        )
        .await?;
        if let Some(new_head) = rolled {
            self.events.warn(
                "reorg_rollback",
                json!({
                    "from_block": p,
                    "to_block": new_head.head.block,
                    "message": "the head block is no longer canonical on L1; rolled back",
                }),
            );
            return Ok(Checked::RolledBack(new_head));
        }
        // A verdict needs a stable view: the confirmed head unchanged and P still replaced.
        let stable = self.l1.block_hash(confirmed.number).await? == Some(confirmed.hash)
            && self
                .l1
                .block_hash(p)
                .await?
                .is_some_and(|h| h != head.block_hash());
        if !stable {
            return Err(Stop::transient(
                "L1 changed while the head's canonicality was checked; the next run retries",
            ));
        }
        let record = Divergence {
            message: format!(
                "the head block {p} is no longer canonical and no retained checkpoint is"
            ),
            ..self.record(&head, VerdictKind::L1ReorgBelowHead, p)
        };
        Err(self.latch(record, observed))
    }

    /// Step 6: streams (P, B] into the machine; a stop ends the folding but not the
    /// verification, which covers the whole span before anything is concluded.
    async fn replay(
        &self,
        head: &LoadedHead,
        target: BlockRef,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) -> Result<(NativeExecutor, Option<MachineStop>), Stop> {
        let p = head.head.block;
        let mut executor = NativeExecutor::new(head.machine.clone());
        let mut progress = Progress::new(self.events, target.number - p);
        let (mut replayed, mut stop) = (0u64, None);
        inputs::stream(
            self.l1,
            &InputSpec::of(self.config),
            Base {
                block: p,
                hash: Some(head.block_hash()),
                input_count: head.head.input_count,
            },
            Span::new(target, confirmed),
            |end, inputs| {
                let outcome = executor.advance_window(&inputs);
                replayed += outcome.reports.len() as u64;
                match outcome.error {
                    Some(AdvanceError::Stopped(s)) => {
                        stop = Some(s);
                        return Ok(Flow::Enough);
                    }
                    Some(other) => {
                        return Err(Stop::transient(format!(
                            "the L1 view is inconsistent: {other}; the next run retries"
                        )));
                    }
                    None => {}
                }
                progress.update(end - p, replayed);
                Ok(Flow::Continue)
            },
        )
        .await?;
        observed.inputs_replayed = replayed;
        Ok((executor, stop))
    }

    /// Step 7.
    async fn compare(
        &self,
        head: &LoadedHead,
        mut executor: NativeExecutor,
        target: BlockRef,
        served: Sha256Digest,
        observed: &mut Observed,
    ) -> Result<Done, Stop> {
        executor.advance_to_block(target.number);
        let canonical_bytes = executor.state_bytes();
        let canonical = Sha256Digest::of(&canonical_bytes);
        let folded = executor.machine.inputs_processed;
        if canonical == served {
            let machine_bytes = executor
                .checkpoint_bytes()
                .map_err(|e| Stop::internal(e.to_string()))?;
            let (new_head, leftovers) = publish(
                &RealFs,
                self.state,
                CheckpointMeta {
                    block: target.number,
                    block_hash: target.hash,
                    input_count: folded,
                },
                &machine_bytes,
                canonical,
                self.args.keep as usize,
                &rfc3339_millis(SystemTime::now()),
            )?;
            if !leftovers.is_empty() {
                self.events
                    .warn("gc_incomplete", json!({"paths": leftovers}));
            }
            observed.head_block = Some(new_head.block);
            return Ok(Done::new(
                Outcome::Agreed,
                format!(
                    "agreed at block {} ({folded} inputs, {} replayed), state sha256 {canonical}",
                    target.number, observed.inputs_replayed
                ),
            ));
        }
        let record = Divergence {
            canonical_sha256: Some(canonical),
            sequencer_sha256: Some(served),
            message: format!(
                "state mismatch at block {}: canonical {canonical}, sequencer {served}",
                target.number
            ),
            ..self.record(head, VerdictKind::StateMismatch, target.number)
        };
        let verdict = self.latch(record, observed);
        evidence::mismatch(
            self.state,
            self.sequencer,
            target.number,
            &canonical_bytes,
            self.events,
        )
        .await;
        Err(verdict)
    }

    fn record(&self, head: &LoadedHead, kind: VerdictKind, target_block: u64) -> Divergence {
        Divergence {
            version: LATCH_VERSION,
            kind,
            target_block,
            agreed_block: head.head.block,
            agreed_input_count: head.head.input_count,
            canonical_sha256: None,
            sequencer_sha256: None,
            stop: None,
            detected_at: rfc3339_millis(SystemTime::now()),
            message: String::new(),
        }
    }

    /// Latches the verdict (`incident/divergence.json`), then emits the one `divergence` event,
    /// then returns the verdict; evidence comes after. The latching run's metrics carry it.
    fn latch(&self, record: Divergence, observed: &mut Observed) -> Stop {
        observed.divergence = Some(record.kind);
        if let Err(e) = latch::write(&RealFs, self.state, &record) {
            // Without the latch the next tick would re-detect (and page) again; say so loudly.
            self.events.error(
                "latch_failed",
                json!({"message": format!("could not write the incident latch: {e}")}),
            );
        }
        self.events.error(
            "divergence",
            serde_json::to_value(&record).unwrap_or_default(),
        );
        Stop::Verdict {
            kind: record.kind,
            outcome: Outcome::Diverged,
            message: format!(
                "{}; latched in {} — run `warden recover` for the next step",
                record.message,
                self.state.incident().display()
            ),
        }
    }
}
