//! `warden recover` without a verb: a read-only diagnosis (no lock, no writes) of the state
//! directory, the latch, L1 and the sequencer, and the submitter's danger, ending with the exact
//! command to run next. Exit 0 healthy, 1 needs action, 2 latched.

use super::flush::wallet_nonces;
use crate::cli::GlobalArgs;
use crate::commands::runtime;
use crate::commands::tick::leak_kind;
use crate::events::Events;
use crate::l1::L1Client;
use crate::outcome::{Done, Stop};
use crate::sequencer::{Finalized, SequencerClient};
use crate::state::checkpoint::load_head;
use crate::state::config::{Config, load_config};
use crate::submitter::outbox;
use crate::submitter::records::{read_last_submit, read_watermark};
use serde_json::{Value, json};
use std::path::Path;

/// What needs doing, most urgent first.
enum Finding {
    Latched { kind: String, next: String },
    NeedsAction { why: String, next: String },
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
    let latch: Value = std::fs::read(state.incident().join("divergence.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    if state.incident().exists() {
        let kind = latch["kind"].as_str().unwrap_or("unknown").to_string();
        let target = latch["target_block"].as_u64().unwrap_or(0);
        let next = match kind.as_str() {
            "l1_reorg_below_head" => format!(
                "restore a snapshot older than the reorg with `warden recover restore --from \
                 BUNDLE --yes` (or `warden init` a new state directory), then `warden recover \
                 clear --block {target} --reason '...' --yes`"
            ),
            "inclusion_block_regressed" => format!(
                "confirm with the sequencer's operators why its finalized block went back to \
                 {target}; once it reports the agreed block again, `warden recover clear --block \
                 {target} --reason '...' --yes`"
            ),
            _ => format!(
                "decide who is wrong with `warden recover replay --from-block {} --to-block \
                 {target} --out /tmp/warden-replay-{target}` (compare its state_sha256 with the \
                 incident's canonical_sha256 and sequencer_sha256), then `warden recover clear \
                 --block {target} --reason '...' --yes` once resolved",
                config.bootstrap.block
            ),
        };
        findings.insert(0, Finding::Latched { kind, next });
    }

    let (l1_report, sequencer_report, submitter_report) =
        probe(global, &config, &state, &mut findings);

    let next = match findings.first() {
        Some(Finding::Latched { next, .. }) | Some(Finding::NeedsAction { next, .. }) => {
            next.clone()
        }
        None => "nothing to do: `warden tick` and `warden submit` run on their timers".into(),
    };
    let report = json!({
        "state": head,
        "latched": state.incident().exists(),
        "divergence": latch,
        "l1": l1_report,
        "sequencer": sequencer_report,
        "submitter": submitter_report,
        "findings": findings.iter().map(|f| match f {
            Finding::Latched { kind, .. } => format!("latched incident: {kind}"),
            Finding::NeedsAction { why, .. } => why.clone(),
        }).collect::<Vec<_>>(),
        "next": next,
    });
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Stop::internal(format!("cannot render the report: {e}")))?;
    println!("{text}");
    match findings.into_iter().next() {
        None => Ok(Done::new("healthy", format!("healthy; next: {next}"))),
        Some(Finding::Latched { kind, next }) => Err(Stop::Verdict {
            kind: leak_kind(&kind),
            outcome: "latched",
            message: format!("incident latched ({kind}); next: {next}"),
        }),
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
        "last_submit_outcome": last_submit.as_ref().map(|l| l.outcome.clone()),
        "max_wait_blocks": config.max_wait_blocks,
        "danger_threshold_blocks": config.max_wait_blocks.saturating_sub(config.preemptive_margin_blocks),
    });
    let Ok(rt) = runtime() else {
        return (Value::Null, Value::Null, submitter);
    };
    let l1_report = match global
        .l1_endpoints()
        .and_then(|urls| L1Client::new(&urls).map_err(|e| Stop::operator(e.0)))
    {
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
                        why: format!("L1 unreachable: {e}"),
                        next: "check the L1 endpoint (or pass another --l1-rpc-url)".into(),
                    });
                    return json!({"reachable": false, "error": e.0});
                }
            };
            if chain_id != config.chain_id {
                findings.push(Finding::NeedsAction {
                    why: format!(
                        "the L1 RPC serves chain {chain_id}, not the pinned {}",
                        config.chain_id
                    ),
                    next: "point --l1-rpc-url at the right network".into(),
                });
            }
            let confirmed = l1.confirmed_head(config.l1_confirmation).await.ok();
            if let Ok(nonces) = wallet_nonces(&l1, config).await {
                submitter["wallet_nonce_latest"] = json!(nonces.latest);
                submitter["wallet_nonce_pending"] = json!(nonces.pending);
                submitter["wallet_nonce_safe"] = json!(nonces.safe);
                let age = confirmed
                    .and_then(|(block, _)| oldest_unaccepted_age(last_submit.as_ref(), block));
                submitter["oldest_unaccepted_batch_age_blocks"] = json!(age);
                let danger = config
                    .max_wait_blocks
                    .saturating_sub(config.preemptive_margin_blocks);
                match age {
                    Some(age) if age >= config.max_wait_blocks => {
                        findings.push(Finding::NeedsAction {
                            why: format!(
                                "the oldest unaccepted batch is {age} blocks old, past \
                                 max_wait_blocks {}: L1 can never accept it",
                                config.max_wait_blocks
                            ),
                            next: "warden recover flush --yes, then have the sequencer reseal \
                                   from L1"
                                .into(),
                        })
                    }
                    Some(age) if age >= danger => findings.push(Finding::NeedsAction {
                        why: format!(
                            "the oldest unaccepted batch is {age} blocks old, past the danger \
                             threshold {danger}"
                        ),
                        next: "run `warden submit` now (check the submitter's balance and \
                               --max-fee-gwei if it keeps waiting)"
                            .into(),
                    }),
                    _ => {}
                }
                if watermark.is_some_and(|w| w + 1 > nonces.pending) {
                    submitter["note"] = json!(
                        "the watermark is above the pending nonce: a broadcast may have been \
                         interrupted; `warden submit` re-sends, `recover flush` fills the gap"
                    );
                }
            }
            json!({
                "reachable": true,
                "chain_id": chain_id,
                "confirmed_head": confirmed.map(|(b, _)| b),
            })
        }),
    };
    let sequencer_report = match global
        .sequencer_endpoint(Some(&config.sequencer_url))
        .and_then(|url| SequencerClient::new(url).map_err(|e| Stop::operator(e.to_string())))
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

/// Age of the oldest outbox batch at or above the last known accepted frontier.
fn oldest_unaccepted_age(
    last: Option<&crate::submitter::records::LastSubmit>,
    confirmed: u64,
) -> Option<u64> {
    let last = last?;
    let accepted_below = last.accepted_below?;
    let files = outbox::list(Path::new(&last.outbox)).ok()?;
    files
        .range(accepted_below..)
        .filter_map(|(&nonce, path)| outbox::load(nonce, path).ok())
        .filter_map(|b| b.first_safe_block())
        .map(|safe| confirmed.saturating_sub(safe))
        .max()
}
