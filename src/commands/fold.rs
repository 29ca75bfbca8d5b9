//! Folding the verified input stream into the canonical machine: what tick's step 6 and
//! `recover replay` both do. A stop ends the folding but not the verification, which covers the
//! whole span before the caller concludes anything. Tick's catch-up may also end a fold early
//! at a window boundary ([`fold_until`]) to save its progress.

use crate::canonical::executor::{Executor, NativeExecutor};
use crate::canonical::liveness::Preview;
use crate::canonical::{AdvanceError, Machine};
use crate::events::{Events, Progress};
use crate::l1::L1Client;
use crate::l1::inputs::{
    self, Base, Flow, InputSpec, Part, Paused, Span, StreamError, Streamed, Verified,
};
use crate::outcome::{Halt, Stop};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A fold over a verified span.
pub(crate) struct Folded {
    /// The machine after the last input folded (stopped, when an input stopped it).
    pub machine: Machine,
    pub replayed: u64,
    /// The scheduler's view at the witness block: the machine's, moved on over the inputs
    /// beyond the target without signature work (liveness figures only).
    pub preview: Preview,
    /// Where the stream started (the head, or a resume point) and what it proved: what the
    /// cross-check re-runs.
    pub base: Base,
    pub verified: Verified,
}

/// How a fold that may end early ended.
pub(crate) enum Segment {
    Done(Box<Folded>),
    /// Ended at a window boundary below the target, with a partial proof; the machine is at
    /// `paused.at` (never stopped: a stopped machine folds nothing more, so it never pauses
    /// with progress worth saving).
    Paused {
        machine: Box<Machine>,
        paused: Paused,
    },
    /// Halted before any window was folded.
    Halted,
}

/// When a catch-up's fold ends early: at the halt (a signal, or the deadline drawing near),
/// and at the first window boundary `save_every` after the fold began (so a killed run still
/// advanced).
pub(crate) struct Pace<'a> {
    pub halt: &'a Halt,
    pub save_every: Duration,
}

/// What the fold thread shares with the stream while it works.
#[derive(Default)]
struct Shared {
    /// The machine stopped: deliver nothing more.
    stopped: AtomicBool,
    replayed: AtomicU64,
}

/// The fold thread's result.
struct Worked {
    machine: Machine,
    preview: Option<Preview>,
    replayed: u64,
}

/// The fold thread: folds the windows it is sent up to the target, previews those beyond it.
struct Worker {
    parts: Option<std::sync::mpsc::SyncSender<Part>>,
    shared: Arc<Shared>,
    done: tokio::sync::oneshot::Receiver<Result<Worked, Stop>>,
}

impl Worker {
    fn start(machine: Machine) -> Result<Self, Stop> {
        let (parts, inbox) = std::sync::mpsc::sync_channel::<Part>(1);
        let (report, done) = tokio::sync::oneshot::channel();
        let shared = Arc::new(Shared::default());
        let state = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("fold".into())
            .spawn(move || {
                let mut executor = NativeExecutor::new(machine);
                let mut preview: Option<Preview> = None;
                let mut replayed = 0u64;
                let mut failure: Option<Stop> = None;
                for part in inbox {
                    match part {
                        Part::Upto { inputs, .. } => {
                            if failure.is_some() || executor.machine.stopped().is_some() {
                                continue;
                            }
                            let outcome = executor.advance_window(&inputs);
                            replayed += outcome.reports.len() as u64;
                            state.replayed.store(replayed, Ordering::Relaxed);
                            match outcome.error {
                                Some(AdvanceError::Stopped(_)) => {
                                    state.stopped.store(true, Ordering::Release)
                                }
                                Some(other) => {
                                    failure = Some(Stop::transient(format!(
                                        "the L1 view is inconsistent: {other}; the next run retries"
                                    )));
                                    state.stopped.store(true, Ordering::Release);
                                }
                                None => {}
                            }
                        }
                        Part::Beyond(inputs) => {
                            // As the stream does once told `Enough`: nothing past a stop.
                            if failure.is_some() || executor.machine.stopped().is_some() {
                                continue;
                            }
                            let preview =
                                preview.get_or_insert_with(|| Preview::of(&executor.machine));
                            inputs.iter().for_each(|input| preview.observe(input));
                        }
                    }
                }
                let _ = report.send(match failure {
                    Some(stop) => Err(stop),
                    None => Ok(Worked {
                        machine: executor.machine,
                        preview,
                        replayed,
                    }),
                });
            });
        spawned.map_err(|e| {
            Stop::internal(format!(
                "cannot start the fold thread ({e}); check the process and thread limits, then \
                 re-run the command"
            ))
        })?;
        Ok(Self {
            parts: Some(parts),
            shared,
            done,
        })
    }

    /// Hands the next window over (waiting while the thread is a window behind).
    fn send(&self, part: Part) -> Result<(), Stop> {
        self.parts
            .as_ref()
            .and_then(|p| p.send(part).ok())
            .ok_or_else(|| Stop::internal("the fold thread ended early; re-run the command"))
    }

    /// Waits for the thread to fold everything it was sent.
    async fn finish(mut self) -> Result<Worked, Stop> {
        self.parts = None;
        self.done.await.unwrap_or_else(|_| {
            Err(Stop::internal(
                "the fold thread panicked; re-run the command",
            ))
        })
    }
}

/// A run's progress over blocks (origin, target]: one `progress` reporter across segments.
pub(crate) struct Tracker<'e> {
    progress: Progress<'e>,
    origin: u64,
    pub replayed: u64,
}

impl<'e> Tracker<'e> {
    pub fn new(events: &'e Events, origin: u64, target: u64) -> Self {
        Self {
            progress: Progress::new(events, target.saturating_sub(origin)),
            origin,
            replayed: 0,
        }
    }
}

/// Streams (base, span.target] into `machine` (which must be at `base`), reporting progress.
pub(crate) async fn fold(
    l1: &L1Client,
    spec: &InputSpec,
    machine: Machine,
    base: Base,
    span: Span,
    events: &Events,
) -> Result<Folded, StreamError<Stop>> {
    let mut tracker = Tracker::new(events, base.block, span.target.number);
    match fold_until(l1, spec, machine, base, span, &mut tracker, None).await? {
        Segment::Done(folded) => Ok(*folded),
        Segment::Paused { .. } | Segment::Halted => Err(StreamError::Inconsistent(
            "a fold without a pace paused".into(),
        )),
    }
}

/// As [`fold`]; with a `pace`, the fold may end early (see [`Pace`]).
pub(crate) async fn fold_until(
    l1: &L1Client,
    spec: &InputSpec,
    machine: Machine,
    base: Base,
    span: Span,
    tracker: &mut Tracker<'_>,
    pace: Option<&Pace<'_>>,
) -> Result<Segment, StreamError<Stop>> {
    let began = Instant::now();
    // The fold runs on a thread of its own, a window behind the download: while it recovers
    // signers for window k on all cores, the stream fetches window k + 1 (a catch-up costs
    // about max(download, fold), not their sum). Windows reach it in order through a
    // one-slot channel, so at most two windows are held in memory.
    let worker = Worker::start(machine).map_err(StreamError::Sink)?;
    let streamed = inputs::stream_until(l1, spec, base, span, pace.map(|p| p.halt), |part| {
        let end = match &part {
            Part::Upto { end, .. } => Some(*end),
            Part::Beyond(_) => None,
        };
        worker.send(part)?;
        let Some(end) = end else {
            return Ok(Flow::Continue);
        };
        if worker.shared.stopped.load(Ordering::Acquire) {
            return Ok(Flow::Enough);
        }
        tracker.progress.update(
            end.saturating_sub(tracker.origin),
            tracker.replayed + worker.shared.replayed.load(Ordering::Relaxed),
        );
        let due = pace.is_some_and(|p| p.halt.requested() || began.elapsed() >= p.save_every);
        Ok(if due { Flow::Pause } else { Flow::Continue })
    })
    .await;
    let folded = worker.finish().await;
    let streamed = streamed?;
    let Worked {
        mut machine,
        preview,
        replayed,
    } = folded.map_err(StreamError::Sink)?;
    tracker.replayed += replayed;
    Ok(match streamed {
        Streamed::Complete(verified) => {
            let preview = preview.unwrap_or_else(|| Preview::of(&machine));
            Segment::Done(Box::new(Folded {
                machine,
                replayed,
                preview,
                base,
                verified,
            }))
        }
        Streamed::Paused(paused) if machine.stopped().is_none() => {
            machine.advance_to_block(paused.at.number);
            Segment::Paused {
                machine: Box::new(machine),
                paused,
            }
        }
        Streamed::Paused(_) | Streamed::Halted => Segment::Halted,
    })
}
