//! Latching a verdict: the `divergence.json` record, the latch itself, and the one `divergence`
//! event, in that order.

use super::Cycle;
use super::report::Observed;
use crate::outcome::{Outcome, Stop, VerdictKind};
use crate::state::checkpoint::LoadedHead;
use crate::state::fs::RealFs;
use crate::state::latch::{self, Divergence, LATCH_VERSION};
use crate::timefmt::rfc3339_millis;
use serde_json::json;
use std::time::SystemTime;

impl Cycle<'_> {
    pub(super) fn record(
        &self,
        head: &LoadedHead,
        kind: VerdictKind,
        target_block: u64,
    ) -> Divergence {
        Divergence {
            version: LATCH_VERSION,
            kind,
            target_block,
            agreed_block: head.head.block,
            agreed_input_count: head.head.input_count,
            canonical_sha256: None,
            sequencer_sha256: None,
            stop: None,
            detected_at: rfc3339_millis(SystemTime::now()),
            message: String::new(),
        }
    }

    /// Latches the verdict (`incident/divergence.json`), then emits the one `divergence` event,
    /// then returns the verdict; evidence comes after. The latching run's metrics carry it.
    pub(super) fn latch(&self, record: Divergence, observed: &mut Observed) -> Stop {
        observed.divergence = Some(record.kind);
        if let Err(e) = latch::write(&RealFs, self.state, &record) {
            // Without the latch the next tick would re-detect (and page) again; say so loudly.
            self.events.error(
                "latch_failed",
                json!({"message": format!("could not write the incident latch: {e}")}),
            );
        }
        self.events.error(
            "divergence",
            serde_json::to_value(&record).unwrap_or_default(),
        );
        let verdict = Stop::Verdict {
            kind: record.kind,
            outcome: Outcome::Diverged,
            message: format!(
                "{}; latched in {} — run `warden recover` for the next step",
                record.message,
                self.state.incident().display()
            ),
        };
        observed.latched = Some(verdict.clone());
        verdict
    }
}
