//! `warden init`: create and pin a state directory, verify the bootstrap state against L1, write
//! the first checkpoint, then `config.json` last (init's commit point). Idempotent for the same
//! identity; refuses a different one, naming the field.

use super::{l1_failure, runtime};
use crate::canonical::codec::encode_machine;
use crate::cli::{BootstrapSource, GlobalArgs, InitArgs};
use crate::events::Events;
use crate::l1::L1Client;
use crate::outcome::{Done, Stop};
use crate::state::bundle::{BundleIdentity, verify_bundle};
use crate::state::checkpoint::{CheckpointMeta, load_head, publish};
use crate::state::config::{Bootstrap, CONFIG_VERSION, Config, load_config, write_config};
use crate::state::fs::{Fs, RealFs};
use crate::state::lock::{LockDomain, StateLock};
use crate::state::{StateDir, StateError};
use crate::timefmt::rfc3339_millis;
use alloy::eips::BlockId;
use serde_json::json;
use std::os::unix::fs::DirBuilderExt;
use std::time::SystemTime;

pub fn run(global: &GlobalArgs, args: &InitArgs, events: &Events) -> Result<Done, Stop> {
    // Everything that needs no network is validated first.
    let state = global.require_state_dir()?;
    let l1_urls = global.l1_endpoints()?;
    let sequencer = global.sequencer_endpoint(None)?;
    let pinned_sequencer = pinnable_sequencer_url(sequencer.expose())?;
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
    let fs = RealFs;

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
            "already_initialized",
            format!(
                "{} is already initialised for this identity",
                state.root().display()
            ),
        ));
    }
    if state.checkpoints().exists() || state.head().exists() {
        events.warn(
            "interrupted_init",
            json!({"message": "removing the checkpoints of an interrupted init and starting over"}),
        );
        fs.remove_file(&state.head())
            .and_then(|_| fs.remove_dir_all(&state.checkpoints()))
            .map_err(|e| StateError::io(state.checkpoints(), e))?;
    }

    let rt = runtime()?;
    let l1 = L1Client::new(&l1_urls).map_err(|e| Stop::operator(e.0))?;
    let (config, head_block, machine) = rt.block_on(async {
        let chain_id = l1.chain_id().await.map_err(l1_failure)?;
        if let Some(pin) = args.chain_id
            && pin != chain_id
        {
            return Err(Stop::operator(format!(
                "the L1 RPC serves chain {chain_id}, not the pinned {pin}; point --l1-rpc-url at \
                 the right network"
            )));
        }
        if !l1.has_code(args.app).await.map_err(l1_failure)? {
            return Err(Stop::operator(format!(
                "no contract at --app {} on chain {chain_id}; check the address and the network",
                args.app
            )));
        }
        let input_box = l1
            .discover_input_box(args.app)
            .await
            .map_err(l1_failure)?
            .map_err(Stop::operator)?;
        if !l1.has_code(input_box).await.map_err(l1_failure)? {
            return Err(Stop::operator(format!(
                "the application names InputBox {input_box}, which has no code on chain {chain_id}"
            )));
        }
        let mut config = desired_config(args, &placeholder(), &pinned_sequencer);
        config.chain_id = chain_id;
        config.input_box = input_box;
        let (block, machine) = match &bundle {
            None => {
                let block = match args.bootstrap_block {
                    Some(block) => block,
                    None => l1.deployment_block(args.app).await.map_err(l1_failure)?,
                };
                let mut machine = config.genesis_machine();
                machine.advance_to_block(block);
                (block, machine)
            }
            Some(bundle) => {
                let wanted = BundleIdentity::of(&config);
                if let Some((field, have, want)) = bundle.meta.identity.difference(&wanted) {
                    return Err(Stop::operator(format!(
                        "the bundle belongs to another identity: its {field} is {have}, this \
                         init asks for {want}; use a bundle of this application"
                    )));
                }
                (bundle.meta.checkpoint.block, bundle.machine.clone())
            }
        };
        let Some(block_hash) = l1.block_hash(block).await.map_err(l1_failure)? else {
            return Err(Stop::transient(format!(
                "the L1 node has no block {block} yet; re-run when it does"
            )));
        };
        let inputs = l1
            .number_of_inputs(input_box, args.app, BlockId::hash(block_hash))
            .await
            .map_err(l1_failure)?;
        match &bundle {
            None if inputs != 0 => {
                return Err(Stop::operator(format!(
                    "the application already had {inputs} inputs at bootstrap block {block}; a \
                     genesis bootstrap needs a block before its first input (omit \
                     --bootstrap-block to use its deployment block)"
                )));
            }
            Some(bundle) => {
                let bundle_hash = &bundle.meta.checkpoint.block_hash;
                if !bundle_hash.eq_ignore_ascii_case(&format!("{block_hash:#x}")) {
                    return Err(Stop::operator(format!(
                        "the bundle's block {block} has hash {bundle_hash}, but L1 has \
                         {block_hash:#x} there (a reorg, or another chain); take a snapshot of a \
                         block that is final"
                    )));
                }
                if inputs != bundle.meta.checkpoint.input_count {
                    return Err(Stop::operator(format!(
                        "getNumberOfInputs at the bundle's block {block} is {inputs}, but the \
                         bundle holds {} inputs; it does not belong to this application's \
                         history",
                        bundle.meta.checkpoint.input_count
                    )));
                }
            }
            None => {}
        }
        config.bootstrap = Bootstrap {
            kind: if bundle.is_some() {
                "snapshot"
            } else {
                "genesis"
            }
            .into(),
            block,
            input_count: machine.inputs_processed,
        };
        Ok((config, (block, block_hash), machine))
    })?;

    let bytes = encode_machine(&machine).map_err(|e| Stop::internal(e.to_string()))?;
    let now = rfc3339_millis(SystemTime::now());
    publish(
        &fs,
        &state,
        CheckpointMeta {
            block: head_block.0,
            block_hash: head_block.1,
            input_count: machine.inputs_processed,
        },
        &bytes,
        &hex::encode(machine.state_sha256()),
        2,
        &now,
    )?;
    write_config(&fs, &state, &config)?;
    events.info(
        "initialized",
        json!({
            "chain_id": config.chain_id,
            "app": config.app.to_string(),
            "input_box": config.input_box.to_string(),
            "bootstrap_block": head_block.0,
            "state_sha256": hex::encode(machine.state_sha256()),
        }),
    );
    Ok(Done::new(
        "initialized",
        format!(
            "initialised {} at block {} ({}); `warden tick` runs next",
            state.root().display(),
            head_block.0,
            config.bootstrap.kind
        ),
    ))
}

/// The sequencer URL is pinned in config.json, which never holds secrets: refuse one that
/// carries credentials (user info or a query string).
fn pinnable_sequencer_url(url: &str) -> Result<String, Stop> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Stop::operator(format!("the sequencer URL does not parse: {e}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some() {
        return Err(Stop::operator(
            "the sequencer URL carries credentials (user info or a query), which config.json \
             must never hold; pin a URL without them and put credentials in a proxy",
        ));
    }
    Ok(url.trim_end_matches('/').to_string())
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
        l1_confirmation: crate::state::config::Confirmation::Safe,
        max_log_range: 0,
        long_range_error_codes: vec![],
        sequencer_url: String::new(),
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
fn desired_config(args: &InitArgs, base: &Config, sequencer_url: &str) -> Config {
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
        sequencer_url: sequencer_url.to_string(),
        bootstrap: base.bootstrap.clone(),
        created_at: rfc3339_millis(SystemTime::now()),
    }
}
