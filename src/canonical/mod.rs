//! The canonical core: a byte-exact re-execution of the rollup's state transition.
//!
//! Nothing in here performs I/O, reads a clock or spawns async work, so every rule can be tested
//! and benchmarked alone. Adapters (`l1`, `sequencer`, `state`) feed it inputs and store its bytes.

pub mod batch;
pub mod codec;
pub mod diff;
pub mod digest;
pub mod eip712;
pub mod executor;
pub mod fee;
pub mod input;
pub mod liveness;
pub mod machine;
pub mod method;
pub mod recovery;
pub mod scheduler;
pub mod snapshot;
pub mod ssz_error;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod wallet;

pub use digest::Sha256Digest;
pub use executor::{Executor, NativeExecutor, WindowOutcome};
pub use input::Input;
pub use machine::{AdvanceError, AdvanceReport, InputOutcome, Machine, MachineStop, StopReason};
pub use scheduler::SchedulerConfig;
pub use wallet::{Wallet, WalletConfig};
