//! Step 6 as a resumable catch-up (operator-contract §3 `catching_up`, §4 `resume/`): the fold
//! of (P, B] starts from the resume point an earlier run saved, when one extends this head, and
//! saves its own progress at window boundaries — periodically, and when the run must end (a
//! signal, or its deadline drawing near) — so a catch-up longer than any one run completes.
//!
//! A resume point is never a head and never compared; the run that reaches B proves (R, B]
//! complete with its witness and re-checks R's hash, so (P, B] is covered end to end.

use super::Cycle;
use super::report::Observed;
use crate::canonical::Machine;
use crate::canonical::codec::encode_machine;
use crate::commands::fold::{Folded, Pace, Segment, Tracker, fold_until};
use crate::l1::BlockRef;
use crate::l1::inputs::{Base, InputSpec, Paused, Span, StreamError};
use crate::outcome::{CatchUp, Deadline, Stop};
use crate::state::checkpoint::LoadedHead;
use crate::state::fs::RealFs;
use crate::state::resume::{self, NewResume, Unusable};
use crate::timefmt::rfc3339_millis;
use serde_json::json;
use std::time::{Duration, Instant, SystemTime};

/// How long before the deadline a catch-up stops fetching to save its progress: a tenth of the
/// run's budget, within [300 ms, 60 s].
pub(super) fn save_point(deadline: Deadline) -> Instant {
    let reserve = (deadline.limit / 10).clamp(Duration::from_millis(300), Duration::from_secs(60));
    deadline.at.checked_sub(reserve).unwrap_or(deadline.at)
}

/// How often a catch-up saves its progress: a quarter of the run's budget, within [200 ms,
/// 60 s], so a run killed without warning has still advanced.
pub(super) fn save_every(deadline: Option<Deadline>) -> Duration {
    deadline.map_or(Duration::from_secs(60), |d| {
        (d.limit / 4).clamp(Duration::from_millis(200), Duration::from_secs(60))
    })
}

impl Cycle<'_> {
    /// Step 6: replays (P, B] from the verified input stream, from a resume point when one
    /// extends this head.
    pub(super) async fn catch_up(
        &self,
        head: &LoadedHead,
        target: BlockRef,
        confirmed: BlockRef,
        observed: &mut Observed,
    ) -> Result<Folded, Stop> {
        let spec = InputSpec::of(self.config);
        let span = Span::new(target, confirmed);
        let started = Instant::now();
        let (mut machine, mut base, mut witnessed) = self.resume_from(head, target).await?;
        let mut tracker = Tracker::new(self.events, head.head.block, target.number);
        let pace = Pace {
            halt: self.halt,
            save_every: self.save_every,
        };
        let first = base.block;
        loop {
            let segment = fold_until(
                self.l1,
                &spec,
                machine,
                base,
                span,
                &mut tracker,
                Some(&pace),
            )
            .await;
            observed.inputs_replayed = tracker.replayed;
            let segment = match segment {
                Ok(segment) => segment,
                Err(error) => {
                    if base.block > head.head.block && refutes(&error, base, witnessed) {
                        self.discard_resume(&format!("the stream from it failed: {error}"));
                    }
                    return Err(error.into());
                }
            };
            match segment {
                Segment::Done(folded) => return Ok(*folded),
                Segment::Paused {
                    machine: at,
                    paused,
                } => {
                    self.save_progress(head, base, &at, &paused, target, observed)
                        .await?;
                    if let Some(progress) = observed.catch_up.as_mut() {
                        progress.rate = rate(paused.at.number - first, started.elapsed());
                    }
                    if self.halt.requested() {
                        return Err(self.halted(observed));
                    }
                    (machine, witnessed) = (*at, paused.witnessed);
                    base = Base {
                        block: paused.at.number,
                        hash: Some(paused.at.hash),
                        input_count: paused.input_count,
                    };
                }
                Segment::Halted => return Err(self.halted(observed)),
            }
        }
    }

    /// The machine and stream base step 6 starts from: the newest resume point when it extends
    /// this head for this identity, lies in (P, B], verifies, and L1 still has its block hash
    /// (with a cross-check, only one whose inputs the cross-check confirmed); else the head.
    /// Returns whether the start's input count was witnessed at its block (the head's always
    /// was).
    async fn resume_from(
        &self,
        head: &LoadedHead,
        target: BlockRef,
    ) -> Result<(Machine, Base, bool), Stop> {
        let from_head = || {
            let base = Base {
                block: head.head.block,
                hash: Some(head.block_hash()),
                input_count: head.head.input_count,
            };
            (head.machine.clone(), base, true)
        };
        let point = match resume::usable(self.state, &head.head, self.config, target.number) {
            Ok(Some(point)) => point,
            Ok(None) | Err(Unusable::BeyondTarget { .. }) => return Ok(from_head()),
            Err(Unusable::Corrupt(why) | Unusable::Stale(why)) => {
                self.discard_resume(&why);
                return Ok(from_head());
            }
        };
        let m = &point.manifest;
        if self.cross.is_some() && !m.cross_checked {
            self.discard_resume(&format!(
                "resume/{} was saved without the cross-check endpoints",
                point.name
            ));
            return Ok(from_head());
        }
        if self.l1.block_hash(m.block).await? != Some(m.block_hash) {
            self.discard_resume(&format!(
                "L1 no longer has block {} with hash {:#x} (a reorg below it)",
                m.block, m.block_hash
            ));
            return Ok(from_head());
        }
        self.events.info(
            "resuming",
            json!({
                "resume_block": m.block,
                "input_count": m.input_count,
                "target_block": target.number,
                "blocks_remaining": target.number.saturating_sub(m.block),
            }),
        );
        let base = Base {
            block: m.block,
            hash: Some(m.block_hash),
            input_count: m.input_count,
        };
        Ok((point.machine, base, m.witnessed))
    }

    /// Saves the machine at `paused.at` as the resume point (after the cross-check endpoints,
    /// if any, confirmed the inputs of (base, at]).
    async fn save_progress(
        &self,
        head: &LoadedHead,
        base: Base,
        machine: &Machine,
        paused: &Paused,
        target: BlockRef,
        observed: &mut Observed,
    ) -> Result<(), Stop> {
        if machine.inputs_processed != paused.input_count
            || machine.last_processed_block != paused.at.number
        {
            return Err(Stop::transient(format!(
                "the L1 view is inconsistent: the fold reached {} inputs at block {}, the stream \
                 {} at block {}; the next run retries",
                machine.inputs_processed,
                machine.last_processed_block,
                paused.input_count,
                paused.at.number
            )));
        }
        let cross_checked = self.confirm_progress(base, paused, observed).await?;
        let machine_bytes = encode_machine(machine).map_err(|e| Stop::internal(e.to_string()))?;
        let name = resume::save(
            &RealFs,
            self.state,
            &NewResume {
                block: paused.at.number,
                block_hash: paused.at.hash,
                machine,
                machine_bytes: &machine_bytes,
                base: &head.head,
                config: self.config,
                target_block: target.number,
                witnessed: paused.witnessed,
                cross_checked,
                created_at: &rfc3339_millis(SystemTime::now()),
            },
        )?;
        let progress = CatchUp::new(paused.at.number, target.number);
        self.events.info(
            "resume_saved",
            json!({
                "resume_point": format!("resume/{name}"),
                "resume_block": progress.resume_block,
                "target_block": progress.target_block,
                "blocks_remaining": progress.blocks_remaining,
                "input_count": paused.input_count,
                "witnessed": paused.witnessed,
            }),
        );
        observed.catch_up = Some(Progress {
            progress,
            rate: None,
        });
        Ok(())
    }

    /// The run ends before B: `catching_up` when it saved progress, else a transient failure.
    fn halted(&self, observed: &Observed) -> Stop {
        match &observed.catch_up {
            Some(p) => p.stop(),
            None => Stop::transient(
                "the run had to end (its deadline, or a signal) before the catch-up saved any \
                 progress; the next run retries (raise --deadline if this repeats)",
            ),
        }
    }

    pub(super) fn discard_resume(&self, why: &str) {
        let left = resume::discard(&RealFs, self.state);
        self.events
            .warn("resume_discarded", json!({"reason": why, "left": left}));
    }
}

/// A catch-up's progress as a run reports it.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub progress: CatchUp,
    /// Blocks per second over this run's catch-up.
    pub rate: Option<f64>,
}

impl Progress {
    /// Seconds of catching up left at this run's rate.
    pub fn estimated_seconds_left(&self) -> Option<u64> {
        self.rate
            .filter(|r| *r > 0.0)
            .map(|r| (self.progress.blocks_remaining as f64 / r).ceil() as u64)
    }

    pub fn stop(&self) -> Stop {
        let p = self.progress;
        let eta = self
            .estimated_seconds_left()
            .map(|s| {
                format!(
                    ", about {} of runs left at this rate",
                    humantime::format_duration(Duration::from_secs(s))
                )
            })
            .unwrap_or_default();
        Stop::CatchingUp {
            progress: p,
            message: format!(
                "catching up: verified through block {} of {} ({} blocks remain{eta}) and saved \
                 a resume point; the next run continues from it",
                p.resume_block, p.target_block, p.blocks_remaining
            ),
        }
    }
}

fn rate(blocks: u64, elapsed: Duration) -> Option<f64> {
    let seconds = elapsed.as_secs_f64();
    (seconds > 0.0 && blocks > 0).then(|| blocks as f64 / seconds)
}

/// Whether a stream from a resume point failed in a way that refutes the point itself: its
/// hash is gone, or (when its count was never witnessed) the inputs after it do not continue
/// its count.
fn refutes(error: &StreamError<Stop>, base: Base, witnessed: bool) -> bool {
    match error {
        StreamError::Reorged { block } => *block == base.block,
        StreamError::Sequence { expected, .. } => !witnessed && *expected == base.input_count,
        StreamError::Incomplete { .. } => !witnessed,
        _ => false,
    }
}
