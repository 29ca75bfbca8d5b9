//! The seam the rest of warden calls to re-execute inputs. The native implementation below is the
//! default; a Cartesi Machine backend (running the real application image) would implement the
//! same trait behind a cargo feature, which is why nothing outside `canonical/` sees `Machine`'s
//! internals when it only needs to advance and compare.

use super::codec::{CodecError, encode_machine};
use super::input::Input;
use super::machine::{AdvanceError, AdvanceReport, Machine, MachineStop};
use super::recovery::prepare_window_parallel;
use super::snapshot::state_sha256;

pub trait Executor {
    /// Folds the next input in L1 order.
    fn advance(&mut self, input: &Input) -> Result<AdvanceReport, AdvanceError>;

    /// Folds consecutive inputs; implementations may do state-independent work for the whole
    /// window at once, with results identical to calling `advance` for each.
    fn advance_window(&mut self, inputs: &[Input]) -> Result<Vec<AdvanceReport>, AdvanceError> {
        inputs.iter().map(|input| self.advance(input)).collect()
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

impl Executor for NativeExecutor {
    fn advance(&mut self, input: &Input) -> Result<AdvanceReport, AdvanceError> {
        self.machine.advance(input)
    }

    fn advance_window(&mut self, inputs: &[Input]) -> Result<Vec<AdvanceReport>, AdvanceError> {
        if !self.parallel {
            return inputs.iter().map(|i| self.machine.advance(i)).collect();
        }
        let prepared = prepare_window_parallel(self.machine.scheduler.batch_submitter, inputs);
        inputs
            .iter()
            .zip(prepared)
            .map(|(input, prepared)| self.machine.apply(input, prepared))
            .collect()
    }

    fn advance_to_block(&mut self, block: u64) {
        self.machine.advance_to_block(block);
    }

    fn state_bytes(&self) -> Vec<u8> {
        self.machine.state_bytes()
    }

    fn stopped(&self) -> Option<&MachineStop> {
        self.machine.stopped()
    }

    fn checkpoint_bytes(&self) -> Result<Vec<u8>, CodecError> {
        encode_machine(&self.machine)
    }
}
