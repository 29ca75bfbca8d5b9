//! The seam the rest of warden calls to re-execute inputs. The native implementation below is the
//! default; a Cartesi Machine backend (running the real application image) would implement the
//! same trait behind a cargo feature, which is why nothing outside `canonical/` sees `Machine`'s
//! internals when it only needs to advance and compare.

use super::codec::{CodecError, encode_machine};
use super::input::Input;
use super::machine::{AdvanceError, AdvanceReport, Machine, MachineStop};
use super::recovery::{PreparedInput, prepare_lazy, prepare_window_parallel};
use super::snapshot::state_sha256;

/// What folding a window did: one report per folded input, then the error that stopped it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowOutcome {
    pub reports: Vec<AdvanceReport>,
    pub error: Option<AdvanceError>,
}

impl WindowOutcome {
    pub fn into_result(self) -> Result<Vec<AdvanceReport>, AdvanceError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(self.reports),
        }
    }
}

pub trait Executor {
    /// Folds the next input in L1 order.
    fn advance(&mut self, input: &Input) -> Result<AdvanceReport, AdvanceError>;

    /// Folds consecutive inputs; implementations may do state-independent work for the whole
    /// window at once, with results identical to calling `advance` for each. Returns the reports
    /// of the inputs folded and, if one failed, its error (nothing after it is folded).
    fn advance_window(&mut self, inputs: &[Input]) -> WindowOutcome {
        let mut outcome = WindowOutcome::default();
        for input in inputs {
            match self.advance(input) {
                Ok(report) => outcome.reports.push(report),
                Err(error) => {
                    outcome.error = Some(error);
                    break;
                }
            }
        }
        outcome
    }

    /// Records that L1 was scanned through `block`.
    fn advance_to_block(&mut self, block: u64);

    /// The canonical state bytes the sequencer must serve for the same history.
    fn state_bytes(&self) -> Vec<u8>;

    fn state_sha256(&self) -> [u8; 32] {
        state_sha256(&self.state_bytes())
    }

    /// Where the machine stopped, if it did.
    fn stopped(&self) -> Option<&MachineStop>;

    /// The versioned checkpoint bytes (`machine.bin`).
    fn checkpoint_bytes(&self) -> Result<Vec<u8>, CodecError>;
}

/// Re-executes natively; recovers signers on all cores when `parallel` is set.
#[derive(Debug, Clone)]
pub struct NativeExecutor {
    pub machine: Machine,
    pub parallel: bool,
}

impl NativeExecutor {
    pub fn new(machine: Machine) -> Self {
        Self {
            machine,
            parallel: true,
        }
    }

    pub fn sequential(machine: Machine) -> Self {
        Self {
            machine,
            parallel: false,
        }
    }
}

/// Inputs per pipeline stage: large enough to amortise the pool's fork/join, small enough that
/// the first stage (which cannot overlap) is short.
const PIPELINE_CHUNK: usize = 16;

fn apply_all(
    machine: &mut Machine,
    inputs: &[Input],
    prepared: Vec<PreparedInput>,
    reports: &mut Vec<AdvanceReport>,
) -> Result<(), AdvanceError> {
    for (input, prepared) in inputs.iter().zip(prepared) {
        reports.push(machine.apply(input, prepared)?);
    }
    Ok(())
}

impl Executor for NativeExecutor {
    fn advance(&mut self, input: &Input) -> Result<AdvanceReport, AdvanceError> {
        self.machine.advance(input)
    }

    fn advance_window(&mut self, inputs: &[Input]) -> WindowOutcome {
        let submitter = self.machine.scheduler.batch_submitter;
        let mut outcome = WindowOutcome::default();
        if !self.parallel {
            for input in inputs {
                match self.machine.apply(input, prepare_lazy(submitter, input)) {
                    Ok(report) => outcome.reports.push(report),
                    Err(error) => {
                        outcome.error = Some(error);
                        break;
                    }
                }
            }
            return outcome;
        }
        // Pipeline: while this thread applies chunk k in order, the pool recovers the signers of
        // chunk k + 1, so the sequential part overlaps the parallel part.
        let mut chunks = inputs.chunks(PIPELINE_CHUNK);
        let mut current = chunks
            .next()
            .map(|chunk| (chunk, prepare_window_parallel(submitter, chunk)));
        while let Some((chunk, prepared)) = current.take() {
            let next_chunk = chunks.next();
            let machine = &mut self.machine;
            let (next_prepared, applied) = rayon::join(
                || next_chunk.map(|c| prepare_window_parallel(submitter, c)),
                || apply_all(machine, chunk, prepared, &mut outcome.reports),
            );
            if let Err(error) = applied {
                outcome.error = Some(error);
                break;
            }
            current = next_chunk.zip(next_prepared);
        }
        outcome
    }

    fn advance_to_block(&mut self, block: u64) {
        self.machine.advance_to_block(block);
    }

    fn state_bytes(&self) -> Vec<u8> {
        self.machine.state_bytes()
    }

    fn state_sha256(&self) -> [u8; 32] {
        self.machine.state_sha256()
    }

    fn stopped(&self) -> Option<&MachineStop> {
        self.machine.stopped()
    }

    fn checkpoint_bytes(&self) -> Result<Vec<u8>, CodecError> {
        encode_machine(&self.machine)
    }
}
