//! `warden recover` without a verb: a read-only diagnosis (no lock, no writes) of the state
//! directory, the latch, L1 and the sequencer, and the submitter's danger, ending with the exact
//! command to run next. Exit 0 healthy, 1 needs action, 2 latched.

use crate::cli::GlobalArgs;
use crate::commands::tick::catch_up_report;
use crate::commands::{connect_l1, runtime};
use crate::events::Events;
use crate::outcome::{Done, Outcome, Stop, VerdictKind};
use crate::sequencer::{Finalized, SequencerClient};
use crate::state::checkpoint::load_head;
use crate::state::config::{Config, Confirmation, load_config};
use crate::state::latch::{self, Divergence, Latch};
use crate::submitter::outbox;
use crate::submitter::policy::{Staleness, Timing};
use crate::submitter::records::{read_last_submit, read_watermark};
use serde_json::{Value, json};
use std::path::Path;

/// What needs doing, most urgent first.
enum Finding {
    Latched { record: Divergence, next: String },
    NeedsAction { why: String, next: String },
}

/// The command that moves a latched incident towards being cleared.
fn next_for(record: &Divergence) -> String {
    let target = record.target_block;
    match record.kind {
        VerdictKind::L1ReorgBelowHead => format!(
            "restore a snapshot older than the reorg with `warden recover restore --from BUNDLE \
             --yes` (or `warden init` a new state directory), then `warden recover clear --block \
             {target} --reason '...' --yes`"
        ),
        VerdictKind::InclusionBlockRegressed => format!(
            "confirm with the sequencer's operators why its finalized block went back to \
             {target}; once it reports the agreed block again, `warden recover clear --block \
             {target} --reason '...' --yes`"
        ),
        _ => format!(
            "decide who is wrong with `warden recover replay --from-block {} --to-block {target} \
             --out /tmp/warden-replay-{target}` (it starts from the agreed head's checkpoint; \
             compare its state_sha256 with the incident's canonical_sha256 and sequencer_sha256, \
             and read its stop), then `warden recover clear --block {target} --reason '...' \
             --yes` once resolved",
            record.agreed_block
        ),
    }
}

pub fn run(global: &GlobalArgs, _events: &Events) -> Result<Done, Stop> {
    let state = global.require_state_dir()?;
    let config = load_config(&state)?;
    let mut findings: Vec<Finding> = Vec::new();

    let head = match load_head(&state) {
        Ok(loaded) => json!({"ok": true, "head": loaded.head}),
        Err(e) => {
            findings.push(Finding::NeedsAction {
                why: format!("the head does not verify: {e}"),
                next: "warden recover repair --yes".into(),
            });
            json!({"ok": false, "problem": e.to_string()})
        }
    };
    let latch = latch::read(&state);
    let latch_report = match &latch {
        Latch::Clear => Value::Null,
        Latch::Latched(record) => serde_json::to_value(record).unwrap_or_default(),
        Latch::Unreadable(why) => json!({"unreadable": why}),
    };
    match &latch {
        Latch::Clear => {}
        Latch::Latched(record) => findings.insert(
            0,
            Finding::Latched {
                record: record.clone(),
                next: next_for(record),
            },
        ),
        Latch::Unreadable(why) => findings.insert(
            0,
            Finding::NeedsAction {
                why: format!(
                    "{} is not a valid latch ({why})",
                    state.incident().display()
                ),
                next: "inspect it, then `warden recover clear --force --block 0 --reason '...' \
                       --yes`"
                    .into(),
            },
        ),
    }

    let (l1_report, sequencer_report, submitter_report) =
        probe(global, &config, &state, &mut findings);

    // A long catch-up saving resume points is progress, not a problem.
    let catch_up = catch_up_report(&state);
    let next = match findings.first() {
        Some(Finding::Latched { next, .. }) | Some(Finding::NeedsAction { next, .. }) => {
            next.clone()
        }
        None => match &catch_up {
            Some(c) if c.get("blocks_remaining").is_some() => format!(
                "nothing to do: a catch-up is under way ({} blocks remain{}); `warden tick` \
                 continues it on its timer",
                c["blocks_remaining"],
                c["estimated_seconds_left"]
                    .as_u64()
                    .map(|s| format!(
                        ", about {} of runs at the last run's rate",
                        humantime::format_duration(std::time::Duration::from_secs(s))
                    ))
                    .unwrap_or_default()
            ),
            _ => "nothing to do: `warden tick` and `warden submit` run on their timers".into(),
        },
    };
    let report = json!({
        "state": head,
        "latched": matches!(latch, Latch::Latched(_)),
        "divergence": latch_report,
        "l1": l1_report,
        "sequencer": sequencer_report,
        "submitter": submitter_report,
        "catch_up": catch_up,
        "findings": findings.iter().map(|f| match f {
            Finding::Latched { record, .. } => format!("latched incident: {}", record.kind),
            Finding::NeedsAction { why, .. } => why.clone(),
        }).collect::<Vec<_>>(),
        "next": next,
    });
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Stop::internal(format!("cannot render the report: {e}")))?;
    println!("{text}");
    match findings.into_iter().next() {
        None => Ok(Done::new(
            Outcome::Healthy,
            format!("healthy; next: {next}"),
        )),
        Some(Finding::Latched { record, next }) => {
            Err(record.latched_stop(&format!("Next: {next}")))
        }
        Some(Finding::NeedsAction { why, next }) => {
            Err(Stop::needs_action(format!("{why}; next: {next}")))
        }
    }
}

/// Reachability and submitter danger; every probe failure is a finding, never a crash.
fn probe(
    global: &GlobalArgs,
    config: &Config,
    state: &crate::state::StateDir,
    findings: &mut Vec<Finding>,
) -> (Value, Value, Value) {
    let watermark = read_watermark(state)
        .ok()
        .flatten()
        .map(|w| w.highest_wallet_nonce);
    let last_submit = read_last_submit(state);
    let mut submitter = json!({
        "watermark": watermark,
        "last_submit_outcome": last_submit.as_ref().map(|l| l.outcome),
        "max_wait_blocks": config.max_wait_blocks,
        "danger_threshold_blocks": timing(config).danger_blocks(),
    });
    let Ok(rt) = runtime() else {
        return (Value::Null, Value::Null, submitter);
    };
    let l1_report = match connect_l1(global, Some(config.chain_id)) {
        Err(e) => {
            findings.push(Finding::NeedsAction {
                why: format!("L1 is not configured: {e}"),
                next: "pass --l1-rpc-url (or set WARDEN_L1_RPC_URL) and re-run `warden recover`"
                    .into(),
            });
            json!({"reachable": false, "error": e.to_string()})
        }
        Ok(l1) => rt.block_on(async {
            let chain_id = match l1.chain_id().await {
                Ok(id) => id,
                Err(e) => {
                    findings.push(Finding::NeedsAction {
                        why: format!("L1 unreachable or on another chain: {e}"),
                        next: "check the L1 endpoint (or pass another --l1-rpc-url)".into(),
                    });
                    return json!({"reachable": false, "error": e.to_string()});
                }
            };
            let confirmed = l1.confirmed_head(config.l1_confirmation).await.ok();
            let nonces = l1
                .wallet_now(config.batch_submitter, config.l1_confirmation)
                .await
                .ok();
            if let Some(nonces) = nonces {
                submitter["wallet_nonce_latest"] = json!(nonces.latest);
                submitter["wallet_nonce_pending"] = json!(nonces.pending);
                submitter["wallet_nonce_safe"] = json!(nonces.confirmed);
                submitter["pending_view"] = json!(nonces.pending_view);
                // Staleness is the scheduler's rule at the safe head, as submit judges it.
                let safe = l1.confirmed_head(Confirmation::Safe).await.ok();
                let staleness = safe
                    .zip(oldest_unaccepted_safe_block(last_submit.as_ref()))
                    .map(|(safe, first)| timing(config).staleness(safe.number, first));
                match staleness {
                    Some(Staleness::Stale { age_blocks }) => {
                        submitter["oldest_unaccepted_batch_age_blocks"] = json!(age_blocks);
                        findings.push(Finding::NeedsAction {
                            why: format!(
                                "the oldest unaccepted batch is {age_blocks} blocks behind the \
                                 safe head, at or past max_wait_blocks {}: L1 can never accept it",
                                config.max_wait_blocks
                            ),
                            next: "warden recover flush --yes, then have the sequencer reseal \
                                   from L1"
                                .into(),
                        })
                    }
                    Some(Staleness::Danger { age_blocks }) => {
                        submitter["oldest_unaccepted_batch_age_blocks"] = json!(age_blocks);
                        findings.push(Finding::NeedsAction {
                            why: format!(
                                "the oldest unaccepted batch is {age_blocks} blocks behind the \
                                 safe head, past the danger threshold {}",
                                timing(config).danger_blocks()
                            ),
                            next: "run `warden submit` now (check the submitter's balance and \
                                   --max-fee-gwei if it keeps waiting)"
                                .into(),
                        })
                    }
                    Some(Staleness::Fresh { age_blocks }) => {
                        submitter["oldest_unaccepted_batch_age_blocks"] = json!(age_blocks);
                    }
                    None => {}
                }
                if watermark.is_some_and(|w| w.saturating_add(1) > nonces.pending) {
                    submitter["note"] = json!(
                        "the watermark is above the pending nonce: a broadcast may have been \
                         interrupted; `warden submit` re-sends, `recover flush` fills the gap"
                    );
                }
            }
            json!({
                "reachable": true,
                "chain_id": chain_id,
                "confirmed_head": confirmed.map(|b| b.number),
            })
        }),
    };
    let sequencer_report = match global
        .sequencer_endpoint(config)
        .and_then(|url| SequencerClient::new(url).map_err(Stop::from))
    {
        Err(e) => json!({"reachable": false, "error": e.to_string()}),
        Ok(client) => rt.block_on(async {
            match client.finalized().await {
                Ok(Finalized::At {
                    inclusion_block, ..
                }) => json!({"reachable": true, "inclusion_block": inclusion_block}),
                Ok(Finalized::NothingYet) => json!({"reachable": true, "inclusion_block": null}),
                Ok(Finalized::Unavailable) => {
                    findings.push(Finding::NeedsAction {
                        why: "the sequencer answers 503 (it reports a divergence itself)".into(),
                        next: "check the sequencer's logs".into(),
                    });
                    json!({"reachable": true, "status": 503})
                }
                Err(e) => {
                    findings.push(Finding::NeedsAction {
                        why: format!("the sequencer is unreachable: {e}"),
                        next: "check the sequencer (or pass --sequencer-url)".into(),
                    });
                    json!({"reachable": false, "error": e.to_string()})
                }
            }
        }),
    };
    (l1_report, sequencer_report, submitter)
}

/// The protocol timing pinned at init.
fn timing(config: &Config) -> Timing {
    Timing {
        max_wait_blocks: config.max_wait_blocks,
        preemptive_margin_blocks: config.preemptive_margin_blocks,
    }
}

/// The first frame's safe block of the oldest outbox batch at or above the last known accepted
/// frontier.
fn oldest_unaccepted_safe_block(
    last: Option<&crate::submitter::records::LastSubmit>,
) -> Option<u64> {
    let last = last?;
    let accepted_below = last.details.accepted_below?;
    let files = outbox::list(Path::new(&last.details.outbox)).ok()?;
    files
        .range(accepted_below..)
        .filter_map(|(&nonce, path)| outbox::load(nonce, path).ok())
        .filter_map(|b| b.first_safe_block())
        .min()
}
