//! Typed run outcomes: the vocabulary of the exit contract (operator-contract §2–§3). Commands
//! return `Result<Done, Stop>`; `main` alone maps them to exit codes and the `exit` event. The
//! strings of these enums are the contract's, so alert rules and scripts can match them.

use serde::{Serialize, Serializer};
use std::fmt;

/// Why a run did not finish (exit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// A deterministic verdict about the rollup (exit 2): page a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VerdictKind {
    StateMismatch,
    InclusionBlockRegressed,
    CanonicalMachineDead,
    L1ReorgBelowHead,
    RecoveryRequired,
}

/// What a run ended as (the `exit` event's `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Initialized,
    AlreadyInitialized,
    Idle,
    Agreed,
    CatchingUp,
    Diverged,
    Latched,
    Failed,
    Submitted,
    Waiting,
    RecoveryRequired,
    Healthy,
    NeedsAction,
    Done,
    Written,
    Verified,
    Ok,
}

/// A closed vocabulary with stable strings (`as_str`) that `Display` and `Serialize` use.
macro_rules! vocabulary {
    ($ty:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }

            /// The variant whose string is `text`, if any.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $ty::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "{text:?} is not a known {}",
                        stringify!($ty)
                    ))
                })
            }
        }
    };
}

vocabulary!(ErrorClass {
    Transient => "transient",
    Operator => "operator",
    Internal => "internal",
    Busy => "busy",
});

vocabulary!(VerdictKind {
    StateMismatch => "state_mismatch",
    InclusionBlockRegressed => "inclusion_block_regressed",
    CanonicalMachineDead => "canonical_machine_dead",
    L1ReorgBelowHead => "l1_reorg_below_head",
    RecoveryRequired => "recovery_required",
});

vocabulary!(Outcome {
    Initialized => "initialized",
    AlreadyInitialized => "already_initialized",
    Idle => "idle",
    Agreed => "agreed",
    CatchingUp => "catching_up",
    Diverged => "diverged",
    Latched => "latched",
    Failed => "failed",
    Submitted => "submitted",
    Waiting => "waiting",
    RecoveryRequired => "recovery_required",
    Healthy => "healthy",
    NeedsAction => "needs_action",
    Done => "done",
    Written => "written",
    Verified => "verified",
    Ok => "ok",
});

/// When a run must end (`--deadline`), measured from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub at: std::time::Instant,
    pub limit: std::time::Duration,
}

impl Deadline {
    pub fn new(started: std::time::Instant, limit: std::time::Duration) -> Self {
        Self {
            at: started + limit,
            limit,
        }
    }

    /// Time left, zero once passed.
    pub fn remaining(&self) -> std::time::Duration {
        self.at.saturating_duration_since(std::time::Instant::now())
    }

    pub fn passed(&self) -> bool {
        std::time::Instant::now() >= self.at
    }

    /// `--deadline 25m`, as messages show it.
    pub fn describe(&self) -> String {
        format!(
            "the run's deadline ({})",
            humantime::format_duration(self.limit)
        )
    }
}

/// A request to wind down at the next safe point: a signal or the run's deadline (set by
/// `until_signal`), or the point where a catch-up must stop to save its progress in time
/// (`soft_at`). Long work polls [`Halt::requested`] between steps and races [`Halt::wait`]
/// against what it awaits.
#[derive(Debug)]
pub struct Halt {
    flag: tokio::sync::watch::Sender<bool>,
    soft_at: Option<std::time::Instant>,
}

impl Halt {
    pub fn new(soft_at: Option<std::time::Instant>) -> Self {
        Self {
            flag: tokio::sync::watch::Sender::new(false),
            soft_at,
        }
    }

    /// A halt that only a signal or the deadline triggers.
    pub fn on_signal() -> Self {
        Self::new(None)
    }

    pub fn request(&self) {
        self.flag.send_replace(true);
    }

    /// A signal or the deadline arrived (not the soft point).
    pub fn signalled(&self) -> bool {
        *self.flag.borrow()
    }

    /// Whether work should stop at its next safe point.
    pub fn requested(&self) -> bool {
        self.signalled()
            || self
                .soft_at
                .is_some_and(|at| std::time::Instant::now() >= at)
    }

    /// Resolves once [`Halt::requested`] would say so.
    pub async fn wait(&self) {
        let mut rx = self.flag.subscribe();
        let soft = async {
            match self.soft_at {
                Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = rx.wait_for(|set| *set) => {}
            _ = soft => {}
        }
    }
}

/// A finished run (exit 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub outcome: Outcome,
    pub message: String,
}

impl Done {
    pub fn new(outcome: Outcome, message: impl Into<String>) -> Self {
        Self {
            outcome,
            message: message.into(),
        }
    }
}

/// A run that stopped: not done (exit 1) or a verdict (exit 2). Every message says what to do
/// next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    NotDone {
        class: ErrorClass,
        outcome: Outcome,
        message: String,
    },
    Verdict {
        kind: VerdictKind,
        outcome: Outcome,
        message: String,
    },
    /// A catch-up that saved a resume point before its deadline (exit 1, class transient,
    /// outcome `catching_up`): the next run continues from it.
    CatchingUp { progress: CatchUp, message: String },
}

/// How far a catch-up got: the `exit` event's and `last_tick.json`'s additive fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CatchUp {
    pub resume_block: u64,
    pub target_block: u64,
    pub blocks_remaining: u64,
}

impl CatchUp {
    pub fn new(resume_block: u64, target_block: u64) -> Self {
        Self {
            resume_block,
            target_block,
            blocks_remaining: target_block.saturating_sub(resume_block),
        }
    }
}

impl Stop {
    pub fn not_done(class: ErrorClass, message: impl Into<String>) -> Self {
        Stop::NotDone {
            class,
            outcome: Outcome::Failed,
            message: message.into(),
        }
    }

    pub fn operator(message: impl Into<String>) -> Self {
        Self::not_done(ErrorClass::Operator, message)
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::not_done(ErrorClass::Transient, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::not_done(ErrorClass::Internal, message)
    }

    /// A `recover` plan that needs a human's action (or `--yes`): exit 1, class operator.
    pub fn needs_action(message: impl Into<String>) -> Self {
        Stop::NotDone {
            class: ErrorClass::Operator,
            outcome: Outcome::NeedsAction,
            message: message.into(),
        }
    }

    /// Still waiting on L1 (exit 1, transient, outcome `waiting`).
    pub fn waiting(message: impl Into<String>) -> Self {
        Stop::NotDone {
            class: ErrorClass::Transient,
            outcome: Outcome::Waiting,
            message: message.into(),
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Stop::NotDone { message, .. }
            | Stop::Verdict { message, .. }
            | Stop::CatchingUp { message, .. } => message,
        }
    }

    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            Stop::NotDone { class, .. } => Some(*class),
            Stop::CatchingUp { .. } => Some(ErrorClass::Transient),
            Stop::Verdict { .. } => None,
        }
    }

    /// The same stop with `context: ` in front of its message.
    pub fn context(self, context: &str) -> Self {
        match self {
            Stop::NotDone {
                class,
                outcome,
                message,
            } => Stop::NotDone {
                class,
                outcome,
                message: format!("{context}: {message}"),
            },
            Stop::Verdict {
                kind,
                outcome,
                message,
            } => Stop::Verdict {
                kind,
                outcome,
                message: format!("{context}: {message}"),
            },
            Stop::CatchingUp { progress, message } => Stop::CatchingUp {
                progress,
                message: format!("{context}: {message}"),
            },
        }
    }
}

/// The fields every run record (`last_tick.json`, `last_submit.json`), metric and the `exit`
/// event derive from an outcome: exit code, outcome, class (code 1), kind (code 2), message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub code: i32,
    pub outcome: Outcome,
    pub class: Option<ErrorClass>,
    pub kind: Option<VerdictKind>,
    pub message: String,
    /// A catch-up's progress (outcome `catching_up`).
    pub progress: Option<CatchUp>,
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
                progress: None,
            },
            Err(Stop::NotDone {
                class,
                outcome,
                message,
            }) => Summary {
                code: crate::exit::NOT_DONE,
                outcome: *outcome,
                class: Some(*class),
                kind: None,
                message: message.clone(),
                progress: None,
            },
            Err(Stop::Verdict {
                kind,
                outcome,
                message,
            }) => Summary {
                code: crate::exit::VERDICT,
                outcome: *outcome,
                class: None,
                kind: Some(*kind),
                message: message.clone(),
                progress: None,
            },
            Err(Stop::CatchingUp { progress, message }) => Summary {
                code: crate::exit::NOT_DONE,
                outcome: Outcome::CatchingUp,
                class: Some(ErrorClass::Transient),
                kind: None,
                message: message.clone(),
                progress: Some(*progress),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip_through_their_strings() {
        for kind in VerdictKind::ALL {
            assert_eq!(VerdictKind::parse(kind.as_str()), Some(*kind));
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(serde_json::from_str::<VerdictKind>(&json).unwrap(), *kind);
        }
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(*outcome));
        }
        for class in ErrorClass::ALL {
            assert_eq!(ErrorClass::parse(class.as_str()), Some(*class));
        }
        assert_eq!(VerdictKind::parse("latched"), None);
        assert!(serde_json::from_str::<VerdictKind>("\"bogus\"").is_err());
    }
}
