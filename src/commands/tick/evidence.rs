//! Evidence for a latched verdict (operator-contract §5 tick step 7): the canonical bytes, the
//! sequencer's bytes when they are for the same block, the first differing offset and a bounded
//! semantic diff. Collected after the latch and the `divergence` event; a failure here only
//! warns, the verdict stands.

use crate::canonical::MachineStop;
use crate::canonical::diff::{first_difference, state_diff};
use crate::events::Events;
use crate::sequencer::SequencerClient;
use crate::state::StateDir;
use crate::state::fs::RealFs;
use crate::state::latch::{Evidence, StopRecord, write_evidence};
use serde_json::json;

/// A mismatch: both states, where they first differ and what differs.
pub async fn mismatch(
    state: &StateDir,
    sequencer: &SequencerClient,
    target: u64,
    canonical: &[u8],
    events: &Events,
) {
    let mut evidence = Evidence::new(target, canonical);
    let served = match sequencer.state().await {
        Ok((block, bytes)) if block == target => Some(bytes),
        Ok((block, _)) => {
            evidence.sequencer_state = Some(format!(
                "missing: /finalized_state served block {block}, not {target}"
            ));
            None
        }
        Err(e) => {
            evidence.sequencer_state = Some(format!("missing: {e}"));
            None
        }
    };
    if let Some(bytes) = &served {
        evidence.sequencer_size = Some(bytes.len() as u64);
        evidence.first_differing_offset = first_difference(canonical, bytes).map(|o| o as u64);
        evidence.semantic_diff = Some(state_diff(canonical, bytes));
    }
    write(state, &evidence, canonical, served.as_deref(), events);
}

/// A dead machine: the state before the fatal input, and the stop.
pub fn dead_machine(
    state: &StateDir,
    target: u64,
    canonical: &[u8],
    stop: &MachineStop,
    events: &Events,
) {
    let evidence = Evidence {
        stop: Some(StopRecord::from(stop)),
        ..Evidence::new(target, canonical)
    };
    write(state, &evidence, canonical, None, events);
}

fn write(
    state: &StateDir,
    evidence: &Evidence,
    canonical: &[u8],
    served: Option<&[u8]>,
    events: &Events,
) {
    if let Err(e) = write_evidence(&RealFs, state, evidence, canonical, served) {
        events.warn("evidence_incomplete", json!({"message": e.to_string()}));
    }
    events.info(
        "evidence",
        serde_json::to_value(evidence).unwrap_or_default(),
    );
}
