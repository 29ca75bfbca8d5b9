//! The batch submitter's parts around `commands::submit` and `recover flush`: the sequencer's
//! outbox, the signing key, the selection and fee policies, the journal-then-broadcast path and
//! the records kept under `<state>/submitter/`.

pub mod broadcast;
pub mod fees;
pub mod frontier;
pub mod key;
pub mod outbox;
pub mod policy;
pub mod records;
