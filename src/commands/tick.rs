//! `warden tick`: one watchdog cycle, step by step as operator-contract §5 tick numbers them. It
//! never claims a divergence while the sequencer is only behind or the L1 view is unverified
//! (those exit 1), and never claims agreement on an unverified view: every verdict and every
//! head flip rests on inputs that `l1::inputs` proved complete in this run.

mod evidence;
mod reorg;
mod report;
mod verdict;

use super::fold::fold;
use super::{Ended, TICK_DEADLINE, TICK_SIGNAL_GRACE, connect_l1, runtime, until_signal};
use crate::canonical::codec::encode_machine;
use crate::canonical::{Machine, Sha256Digest};
use crate::cli::{GlobalArgs, TickArgs};
use crate::events::Events;
use crate::l1::inputs::{Base, InputSpec, Span};
use crate::l1::{BlockRef, L1Client};
use crate::outcome::{Done, Outcome, Stop, VerdictKind};
use crate::sequencer::{Finalized, SequencerClient};
use crate::state::StateDir;
use crate::state::checkpoint::{CheckpointMeta, LoadedHead, load_head, publish, read_head};
use crate::state::config::{Config, load_config};
use crate::state::fs::RealFs;
use crate::state::latch::{self, Divergence, Latch, StopRecord};
use crate::state::lock::{LockDomain, StateLock};
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
    let result = tick(&state, global, args, events, &mut observed, started);
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
    started: Instant,
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
    let sequencer = SequencerClient::new(global.sequencer_endpoint(&config)?)?;
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
    let deadline = global.deadline(started, Some(TICK_DEADLINE));
    match rt.block_on(until_signal(
        cycle.run(head, observed),
        &interrupted,
        TICK_SIGNAL_GRACE,
        deadline,
        events,
    )) {
        Ended::Finished(outcome)
        | Ended::Interrupted {
            finished: Some(outcome),
            ..
        } => outcome,
        // Once a verdict is latched, a signal or the deadline (during the evidence download)
        // still ends the run with that verdict.
        Ended::Interrupted { cause, .. } => Err(observed.latched.take().unwrap_or_else(|| {
            Stop::transient(format!(
                "{}: nothing was committed after the last head flip; the next run resumes from it",
                cause.describe()
            ))
        })),
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
        let machine = self.replay(&head, target, confirmed, observed).await?;
        if let Some(stop) = machine.stopped().cloned() {
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
            let canonical = machine.before_stop().state_bytes();
            evidence::dead_machine(self.state, target.number, &canonical, &stop, self.events);
            return Err(verdict);
        }
        // 7. Compare; publish on agreement, latch on a mismatch.
        self.compare(&head, machine, target, digest.sha256, observed)
            .await
    }

    async fn confirmed_head(&self, observed: &mut Observed) -> Result<BlockRef, Stop> {
        let confirmed = self.l1.confirmed_head(self.config.l1_confirmation).await?;
        observed.confirmed_head = Some(confirmed.number);
        Ok(confirmed)
    }

    /// Step 6: folds (P, B] from the verified input stream.
    async fn replay(
        &self,
        head: &LoadedHead,
        target: BlockRef,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) -> Result<Machine, Stop> {
        let folded = fold(
            self.l1,
            &InputSpec::of(self.config),
            head.machine.clone(),
            Base {
                block: head.head.block,
                hash: Some(head.block_hash()),
                input_count: head.head.input_count,
            },
            Span::new(target, confirmed),
            self.events,
        )
        .await?;
        observed.inputs_replayed = folded.replayed;
        Ok(folded.machine)
    }

    /// Step 7.
    async fn compare(
        &self,
        head: &LoadedHead,
        mut machine: Machine,
        target: BlockRef,
        served: Sha256Digest,
        observed: &mut Observed,
    ) -> Result<Done, Stop> {
        machine.advance_to_block(target.number);
        let canonical_bytes = machine.state_bytes();
        let canonical = Sha256Digest::of(&canonical_bytes);
        let folded = machine.inputs_processed;
        if canonical == served {
            let machine_bytes =
                encode_machine(&machine).map_err(|e| Stop::internal(e.to_string()))?;
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
}
