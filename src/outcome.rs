//! Typed run outcomes. Commands return `Result<Done, Stop>`; `main` alone maps them to exit codes.

use serde::Serialize;
use std::fmt;

/// Why a run did not finish (exit 1). Every message says what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The next scheduled run may succeed (network, rate limits, L1 behind, sequencer not ready).
    Transient,
    /// A human must fix configuration, input or the state directory.
    Operator,
    /// warden itself failed (a bug or a panic).
    Internal,
    /// Another run holds the lock; nothing was touched.
    Busy,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Transient => "transient",
            ErrorClass::Operator => "operator",
            ErrorClass::Internal => "internal",
            ErrorClass::Busy => "busy",
        }
    }
}

/// A finished run (exit 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub outcome: &'static str,
    pub message: String,
}

impl Done {
    pub fn new(outcome: &'static str, message: impl Into<String>) -> Self {
        Self {
            outcome,
            message: message.into(),
        }
    }
}

/// A run that stopped: not done (exit 1) or a verdict (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    NotDone {
        class: ErrorClass,
        outcome: &'static str,
        message: String,
    },
    Verdict {
        /// Stable snake_case kind, e.g. `state_mismatch`.
        kind: &'static str,
        outcome: &'static str,
        message: String,
    },
}

impl Stop {
    pub fn operator(message: impl Into<String>) -> Self {
        Stop::NotDone {
            class: ErrorClass::Operator,
            outcome: "failed",
            message: message.into(),
        }
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Stop::NotDone {
            class: ErrorClass::Transient,
            outcome: "failed",
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Stop::NotDone {
            class: ErrorClass::Internal,
            outcome: "failed",
            message: message.into(),
        }
    }

    /// A `recover` plan that needs a human's action (or `--yes`): exit 1, class operator.
    pub fn needs_action(message: impl Into<String>) -> Self {
        Stop::NotDone {
            class: ErrorClass::Operator,
            outcome: "needs_action",
            message: message.into(),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Stop::NotDone { message, .. } | Stop::Verdict { message, .. } => message,
        }
    }
}

/// The fields every run record (`last_tick.json`, `last_submit.json`) and metric derive from an
/// outcome: exit code, outcome, class (code 1) and kind (code 2), message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub code: i32,
    pub outcome: &'static str,
    pub class: Option<&'static str>,
    pub kind: Option<&'static str>,
    pub message: String,
}

impl Summary {
    pub fn of(result: &Result<Done, Stop>) -> Self {
        match result {
            Ok(done) => Summary {
                code: crate::exit::SUCCESS,
                outcome: done.outcome,
                class: None,
                kind: None,
                message: done.message.clone(),
            },
            Err(Stop::NotDone {
                class,
                outcome,
                message,
            }) => Summary {
                code: crate::exit::NOT_DONE,
                outcome,
                class: Some(class.as_str()),
                kind: None,
                message: message.clone(),
            },
            Err(Stop::Verdict {
                kind,
                outcome,
                message,
            }) => Summary {
                code: crate::exit::VERDICT,
                outcome,
                class: None,
                kind: Some(kind),
                message: message.clone(),
            },
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Stop {}
