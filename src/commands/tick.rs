//! `warden tick`: one watchdog cycle, step by step as operator-contract §5 tick numbers them. It
//! never claims a divergence while the sequencer is only behind or the L1 view is unverified
//! (those exit 1), and never claims agreement on an unverified view: every verdict and every
//! head flip rests on inputs that `l1::inputs` proved complete in this run.

mod catchup;
mod compare;
mod crosscheck;
mod evidence;
mod idle;
mod reorg;
mod report;
mod verdict;

use super::{
    Ended, TICK_DEADLINE, TICK_SIGNAL_GRACE, connect_cross_check, connect_l1, runtime, until_signal,
};
use crate::cli::{GlobalArgs, TickArgs};
use crate::events::Events;
use crate::l1::crosscheck::CrossCheck;
use crate::l1::{BlockRef, L1Client};
use crate::outcome::{Done, Halt, Stop, VerdictKind};
use crate::sequencer::{Poll, SequencerClient};
use crate::state::StateDir;
use crate::state::checkpoint::{HeadPointer, LoadedHead, read_head, read_pointer};
use crate::state::config::{Config, load_config};
use crate::state::latch::{self, Divergence, Latch, StopRecord};
use crate::state::lock::{LockDomain, StateLock};
use report::Observed;
pub use report::{TickDetails, catch_up_report};
use std::time::{Duration, Instant};

pub fn run(global: &GlobalArgs, args: &TickArgs, events: &Events) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    // 1. The lock; contention exits at once and touches nothing, not even metrics.
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;
    let started = Instant::now();
    let mut observed = Observed::default();
    let result = tick(&state, global, args, events, &mut observed, started);
    // 8. Always write last_tick.json and status.prom.
    report::record(&state, global, args, &result, &observed, started, events);
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
    // 2. The head: the pointer and its manifest now; the machine only when the cycle replays
    // (an idle tick reads head.json and the manifest alone, operator-contract §4).
    let head = read_pointer(state)?;
    observed.head_block = Some(head.head.block);
    let l1 = connect_l1(global, Some(config.chain_id))?;
    let sequencer = SequencerClient::new(global.sequencer_endpoint(&config)?)?;
    let rt = runtime()?;
    let cross = connect_cross_check(global, Some(config.chain_id))?;
    // A signal or the deadline halts the cycle; a catch-up also stops early enough to save.
    let deadline = global.deadline(started, Some(TICK_DEADLINE));
    let halt = Halt::new(deadline.map(catchup::save_point));
    let cycle = Cycle {
        state,
        config: &config,
        args,
        l1: &l1,
        cross: cross.as_ref(),
        sequencer: &sequencer,
        events,
        halt: &halt,
        save_every: catchup::save_every(deadline),
    };
    // Nothing is committed before the synchronous head flip, latch or resume point, so an
    // unfinished cycle is simply dropped after the grace period.
    match rt.block_on(until_signal(
        cycle.run(head, observed),
        &halt,
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
        // still ends the run with that verdict; a catch-up that saved progress is catching up.
        Ended::Interrupted { cause, .. } => Err(observed
            .latched
            .take()
            .or_else(|| observed.catch_up.map(|p| p.stop()))
            .unwrap_or_else(|| {
                Stop::transient(format!(
                    "{}: nothing was committed after the last head flip; the next run resumes \
                     from it",
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
    /// `--l1-cross-check-url` endpoints, when any.
    cross: Option<&'a CrossCheck>,
    sequencer: &'a SequencerClient,
    events: &'a Events,
    halt: &'a Halt,
    /// How often a catch-up saves its progress.
    save_every: Duration,
}

/// The head after step 5's canonicality check.
enum Checked {
    Kept(LoadedHead),
    RolledBack(LoadedHead),
}

impl Cycle<'_> {
    async fn run(&self, pointer: HeadPointer, observed: &mut Observed) -> Result<Done, Stop> {
        // 3–5, the reads that need nothing else, concurrently (an idle tick stays one round
        // trip): the sequencer's finalized block and digest, and L1's confirmed head (the
        // pinned chain is checked on that first contact).
        let (polled, confirmed) = tokio::join!(self.sequencer.poll(), self.confirmed_head());
        let (polled, served) = match polled? {
            Poll::NothingYet => {
                return Err(Stop::transient(
                    "the sequencer has nothing finalized yet (404); the next run retries",
                ));
            }
            Poll::Unavailable => {
                return Err(Stop::transient(
                    "the sequencer answers 503 (it may have detected a divergence itself); \
                     check its logs — the next run retries",
                ));
            }
            Poll::At {
                inclusion_block,
                sha256,
            } => (inclusion_block, sha256),
        };
        let confirmed = confirmed?;
        observed.confirmed_head = Some(confirmed.number);
        observed.sequencer_block = Some(polled);
        if polled == pointer.head.block
            && let Some(done) = self.idle(&pointer, served, confirmed, observed).await?
        {
            return Ok(done);
        }
        // 2, for every other path: the head's machine, verified.
        let head = pointer.load(self.state)?;
        if polled < head.head.block {
            return self.regressed(head, polled, confirmed, observed).await;
        }
        if confirmed.number < polled {
            return Err(Stop::transient(format!(
                "the L1 {} head {} is behind the sequencer's block {polled}; the next run retries",
                self.config.l1_confirmation.as_str(),
                confirmed.number
            )));
        }
        // 5. P still canonical (else roll back, or latch a reorg below the head).
        let head = match self.canonical_head(head, confirmed, observed).await? {
            Checked::Kept(head) | Checked::RolledBack(head) => head,
        };
        observed.head_block = Some(head.head.block);
        // 4. The sequencer's digest of its state at B (older builds: download and hash).
        let served = match served {
            Some(sha256) => sha256,
            None => self.sequencer.digest(polled).await?.sha256,
        };
        let target = BlockRef {
            number: polled,
            hash: self.l1.block_hash(polled).await?.ok_or_else(|| {
                Stop::transient(format!(
                    "the L1 node has no block {polled}; the next run retries"
                ))
            })?,
        };
        if polled == head.head.block {
            return self
                .unchanged(head, target, served, confirmed, observed)
                .await;
        }
        // 6. Replay (P, B] from the verified input stream (resuming a saved catch-up).
        let folded = self.catch_up(&head, target, confirmed, observed).await?;
        self.liveness(&head, &folded, confirmed, observed);
        if let Some(stop) = folded.machine.stopped().cloned() {
            self.confirm_inputs(&folded, observed).await?;
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
            let canonical = folded.machine.before_stop().state_bytes();
            evidence::dead_machine(self.state, target.number, &canonical, &stop, self.events);
            return Err(verdict);
        }
        // 7. Compare; publish on agreement, latch on a mismatch.
        self.compare(&head, folded, target, served, observed).await
    }

    async fn confirmed_head(&self) -> Result<BlockRef, Stop> {
        Ok(self.l1.confirmed_head(self.config.l1_confirmation).await?)
    }
}
