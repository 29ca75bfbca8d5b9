//! warden: guards the L1 side of a Cartesi application rollup run by a centralised sequencer.
//! The binary's entry point is `src/main.rs`; this library holds everything it calls so tests and
//! benchmarks can reach the same code.

pub mod canonical;
pub mod cli;
pub mod commands;
/// The local devnet, the sequencer double and the workload builders: test support only.
#[cfg(feature = "testkit")]
pub mod devnet;
pub mod events;
pub mod exit;
pub mod jsonfmt;
pub mod l1;
pub mod memory;
pub mod metrics;
pub mod outcome;
pub mod release;
pub mod secret;
pub mod sequencer;
pub mod state;
pub mod submitter;
pub mod timefmt;
