//! `warden init`: create and pin a state directory, verify the bootstrap state against L1, write
//! the first checkpoint, then `config.json` last (init's commit point). Idempotent for the same
//! identity; refuses a different one, naming the field. Step by step as operator-contract §5
//! init describes it.

use super::bootstrap::{Claim, bootstrap_on_l1, require_identity};
use super::{connect_cross_check, connect_l1, runtime, within};
use crate::canonical::Sha256Digest;
use crate::canonical::codec::encode_machine;
use crate::canonical::liveness::SchedulerSeed;
use crate::cli::{BootstrapSource, GlobalArgs, InitArgs};
use crate::events::Events;
use crate::l1::L1Client;
use crate::l1::crosscheck::CrossCheck;
use crate::outcome::{Done, Outcome, Stop};
use crate::state::bundle::{VerifiedBundle, verify_bundle};
use crate::state::checkpoint::{CheckpointMeta, load_head, publish_seeded};
use crate::state::config::{
    Bootstrap, CONFIG_VERSION, Config, Confirmation, load_config, pin_sequencer_url, write_config,
};
use crate::state::fs::{Fs, RealFs};
use crate::state::lock::{LockDomain, StateLock};
use crate::state::{StateDir, StateError};
use crate::timefmt::rfc3339_millis;
use alloy::primitives::Address;
use serde_json::json;
use std::os::unix::fs::DirBuilderExt;
use std::time::SystemTime;

pub fn run(global: &GlobalArgs, args: &InitArgs, events: &Events) -> Result<Done, Stop> {
    let started = std::time::Instant::now();
    // Everything that needs no network is validated first.
    let state = global.require_state_dir()?;
    global.l1_endpoints()?;
    let sequencer = global.sequencer_url_given()?.ok_or_else(|| {
        Stop::operator("no sequencer URL: pass --sequencer-url URL or set WARDEN_SEQUENCER_URL")
    })?;
    let pinned_sequencer = pin_sequencer_url(&sequencer);
    if args.preemptive_margin_blocks >= args.max_wait_blocks {
        return Err(Stop::operator(format!(
            "--preemptive-margin-blocks {} must be below --max-wait-blocks {}",
            args.preemptive_margin_blocks, args.max_wait_blocks
        )));
    }
    let bundle = match &args.bootstrap {
        BootstrapSource::Genesis => None,
        BootstrapSource::Snapshot(path) => {
            if args.bootstrap_block.is_some() {
                return Err(Stop::operator(
                    "--bootstrap-block applies to genesis only; a snapshot bootstraps at its own \
                     block",
                ));
            }
            Some(verify_bundle(path).map_err(|e| {
                Stop::operator(format!(
                    "bundle {} does not verify: {e}; take a new snapshot",
                    path.display()
                ))
            })?)
        }
    };
    create_state_dir(&state)?;
    let _lock = StateLock::acquire(&state, LockDomain::Watchdog)?;

    // Idempotent: the same identity and an intact head are already initialised.
    if state.config().exists() {
        let existing = load_config(&state)?;
        let wanted = desired_config(args, &existing, &pinned_sequencer);
        if let Some((field, have, want)) = existing.identity_difference(&wanted) {
            return Err(Stop::operator(format!(
                "{} is already initialised with {field} = {have}, not {want}; use another \
                 --state-dir for another identity (warden never overwrites one)",
                state.root().display()
            )));
        }
        if let Some(pin) = args.chain_id
            && pin != existing.chain_id
        {
            return Err(Stop::operator(format!(
                "{} is pinned to chain {}, not {pin}; use another --state-dir",
                state.root().display(),
                existing.chain_id
            )));
        }
        load_head(&state)?;
        return Ok(Done::new(
            Outcome::AlreadyInitialized,
            format!(
                "{} is already initialised for this identity",
                state.root().display()
            ),
        ));
    }
    // Only what an interrupted init left may be removed; anything foreign is refused now,
    // before any network call or change.
    let leftovers = state.init_leftovers()?;

    let l1 = connect_l1(global, args.chain_id)?;
    let cross = connect_cross_check(global, args.chain_id)?;
    let rt = runtime()?;
    let (config, block_hash, machine) = rt.block_on(within(
        global.deadline(started, None),
        verify_on_l1(
            &l1,
            cross.as_ref(),
            events,
            args,
            bundle.as_ref(),
            &pinned_sequencer,
        ),
    ))?;

    let fs = RealFs;
    if !leftovers.is_empty() {
        events.warn(
            "interrupted_init",
            json!({"message": "removing what an interrupted init left and starting over"}),
        );
        for path in &leftovers {
            let removed = if path.is_dir() {
                fs.remove_dir_all(path)
            } else {
                fs.remove_file(path)
            };
            removed.map_err(|e| StateError::io(path, e))?;
        }
    }
    let bytes = encode_machine(&machine).map_err(|e| Stop::internal(e.to_string()))?;
    let sha = Sha256Digest(machine.state_sha256());
    publish_seeded(
        &fs,
        &state,
        CheckpointMeta {
            block: config.bootstrap.block,
            block_hash,
            input_count: machine.inputs_processed,
        },
        SchedulerSeed::of(&machine),
        &bytes,
        sha,
        2,
        &rfc3339_millis(SystemTime::now()),
    )?;
    // config.json last: init's commit point.
    write_config(&fs, &state, &config)?;
    events.info(
        "initialized",
        json!({
            "chain_id": config.chain_id,
            "app": config.app.to_string(),
            "input_box": config.input_box.to_string(),
            "bootstrap_block": config.bootstrap.block,
            "state_sha256": sha,
        }),
    );
    Ok(Done::new(
        Outcome::Initialized,
        format!(
            "initialised {} at block {} ({}); `warden tick` runs next",
            state.root().display(),
            config.bootstrap.block,
            config.bootstrap.kind
        ),
    ))
}

/// The chain (against the pin), the contracts, the InputBox, and the bootstrap state: the
/// empty machine with no input at the genesis block, or a bundle that L1 confirms.
async fn verify_on_l1(
    l1: &L1Client,
    cross: Option<&CrossCheck>,
    events: &Events,
    args: &InitArgs,
    bundle: Option<&VerifiedBundle>,
    sequencer_url: &(String, Option<Sha256Digest>),
) -> Result<(Config, alloy::primitives::B256, crate::canonical::Machine), Stop> {
    let chain_id = l1.chain_id().await?;
    require_code(l1, args.app, "--app", chain_id).await?;
    let input_box = l1
        .discover_input_box(args.app)
        .await?
        .map_err(Stop::operator)?;
    require_code(l1, input_box, "the application's InputBox", chain_id).await?;
    let mut config = desired_config(args, &placeholder(), sequencer_url);
    config.chain_id = chain_id;
    config.input_box = input_box;
    let (machine, expected_hash) = match bundle {
        None => {
            let block = match args.bootstrap_block {
                Some(block) => block,
                None => l1.deployment_block(args.app).await?,
            };
            let mut machine = config.genesis_machine();
            machine.advance_to_block(block);
            machine.reset_liveness();
            (machine, None)
        }
        Some(bundle) => {
            require_identity(bundle, &config)?;
            let hash = bundle.meta.checkpoint.block_hash;
            (bundle.machine.clone(), Some(hash))
        }
    };
    let advice = match bundle {
        None => {
            "a genesis bootstrap needs a block before the application's first input (omit \
             --bootstrap-block to use its deployment block)"
        }
        Some(_) => "the bundle must come from this application's history",
    };
    let block = bootstrap_on_l1(
        l1,
        cross,
        events,
        &config,
        Claim {
            block: machine.last_processed_block,
            expected_hash,
            input_count: machine.inputs_processed,
            advice,
        },
    )
    .await?;
    config.bootstrap = Bootstrap {
        kind: if bundle.is_some() {
            "snapshot"
        } else {
            "genesis"
        }
        .into(),
        block: block.number,
        input_count: machine.inputs_processed,
    };
    Ok((config, block.hash, machine))
}

async fn require_code(l1: &L1Client, at: Address, what: &str, chain: u64) -> Result<(), Stop> {
    if l1.has_code(at).await? {
        return Ok(());
    }
    Err(Stop::operator(format!(
        "no contract at {what} {at} on chain {chain}; check the address and the network"
    )))
}

fn create_state_dir(state: &StateDir) -> Result<(), Stop> {
    if state.root().is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(state.root())
        .map_err(|e| StateError::io(state.root(), e).into())
}

fn placeholder() -> Config {
    Config {
        version: CONFIG_VERSION,
        chain_id: 0,
        app: Default::default(),
        input_box: Default::default(),
        batch_submitter: Default::default(),
        erc20_portal: Default::default(),
        supported_token: Default::default(),
        fee_recipient: Default::default(),
        max_wait_blocks: 0,
        preemptive_margin_blocks: 0,
        l1_confirmation: Confirmation::Safe,
        max_log_range: 0,
        long_range_error_codes: vec![],
        sequencer_url: String::new(),
        sequencer_url_sha256: None,
        bootstrap: Bootstrap {
            kind: String::new(),
            block: 0,
            input_count: 0,
        },
        created_at: String::new(),
    }
}

/// The config these flags ask for; chain id, InputBox and bootstrap come from `base` (the
/// existing config, or what L1 answered).
fn desired_config(
    args: &InitArgs,
    base: &Config,
    sequencer_url: &(String, Option<Sha256Digest>),
) -> Config {
    Config {
        version: CONFIG_VERSION,
        chain_id: base.chain_id,
        app: args.app,
        input_box: base.input_box,
        batch_submitter: args.batch_submitter,
        erc20_portal: args.erc20_portal,
        supported_token: args.token,
        fee_recipient: args.fee_recipient.unwrap_or(args.batch_submitter),
        max_wait_blocks: args.max_wait_blocks,
        preemptive_margin_blocks: args.preemptive_margin_blocks,
        l1_confirmation: args.l1_confirmation,
        max_log_range: args.max_log_range,
        long_range_error_codes: args.long_range_error_codes.clone(),
        sequencer_url: sequencer_url.0.clone(),
        sequencer_url_sha256: sequencer_url.1,
        bootstrap: base.bootstrap.clone(),
        created_at: rfc3339_millis(SystemTime::now()),
    }
}
