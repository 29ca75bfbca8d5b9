//! The only exit codes warden produces (operator-contract §2). Alert rules page on `VERDICT`;
//! everything else that is not success, including usage errors and panics, is `NOT_DONE`.

/// Done: verified, idle, submitted, or nothing to do.
pub const SUCCESS: i32 = 0;

/// Not done: the next scheduled run may succeed (transient, busy), or an operator must fix the
/// configuration (operator), or warden itself failed (internal). Never a verdict about the
/// sequencer.
pub const NOT_DONE: i32 = 1;

/// A deterministic verdict about the rollup that retrying will not change: page a human.
pub const VERDICT: i32 = 2;
