//! The batch submitter's parts around `commands::submit`: the sequencer's outbox, the signing
//! key, the fee policy and the records kept under `<state>/submitter/`.

pub mod fees;
pub mod frontier;
pub mod key;
pub mod outbox;
pub mod records;
