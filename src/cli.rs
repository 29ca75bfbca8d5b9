//! The command-line surface (operator-contract §8). Parsing only: no I/O happens here.

use crate::events::LogFormat;
use crate::jsonfmt::parse_address;
use crate::outcome::Stop;
use crate::release::GIT_COMMIT;
use crate::secret::SecretUrl;
use alloy::primitives::Address;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

pub fn long_version() -> &'static str {
    match GIT_COMMIT {
        Some(commit) => {
            Box::leak(format!("{} (commit {commit})", env!("CARGO_PKG_VERSION")).into_boxed_str())
        }
        None => env!("CARGO_PKG_VERSION"),
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "warden",
    version,
    long_version = long_version(),
    about = "Guards the L1 side of a Cartesi application rollup run by a centralised sequencer",
    long_about = "Guards the L1 side of a Cartesi application rollup run by a centralised \
                  sequencer.\n\nEvery subcommand runs once and exits 0 (done), 1 (not done: \
                  transient, operator, internal or busy) or 2 (a verdict: page a human). Events \
                  are NDJSON on stderr. `warden --version --json` prints the release fields and the \
                  git commit of the build."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags shared by the subcommands that need them (operator-contract §8). URLs are plain strings
/// here and validated later, so clap never echoes a credential-bearing URL in an error.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Event format on stderr (default: text on a terminal, json otherwise).
    #[arg(long, global = true, env = "WARDEN_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    /// The state directory (created by `init`).
    #[arg(long, global = true, env = "WARDEN_STATE_DIR")]
    pub state_dir: Option<PathBuf>,

    /// L1 JSON-RPC endpoint; repeat for ordered failover (comma-separated in the variable).
    /// Never persisted or logged beyond scheme://host[:port].
    #[arg(
        long = "l1-rpc-url",
        global = true,
        env = "WARDEN_L1_RPC_URL",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub l1_rpc_urls: Vec<String>,

    /// Sequencer base URL (pinned by `init`; this overrides it for one run).
    #[arg(
        long,
        global = true,
        env = "WARDEN_SEQUENCER_URL",
        hide_env_values = true
    )]
    pub sequencer_url: Option<String>,

    /// Write this run's metrics here instead of the state directory's file.
    #[arg(long, global = true, env = "WARDEN_METRICS_FILE")]
    pub metrics_file: Option<PathBuf>,

    /// Allow plain http:// to hosts other than loopback.
    #[arg(
        long,
        global = true,
        env = "WARDEN_ALLOW_INSECURE_RPC",
        value_parser = clap::builder::FalseyValueParser::new(),
        default_value_t = false,
        num_args = 0,
        default_missing_value = "true"
    )]
    pub allow_insecure_rpc: bool,
}

impl GlobalArgs {
    /// The validated L1 endpoints, in failover order.
    pub fn l1_endpoints(&self) -> Result<Vec<SecretUrl>, Stop> {
        let urls: Vec<&String> = self
            .l1_rpc_urls
            .iter()
            .filter(|u| !u.trim().is_empty())
            .collect();
        if urls.is_empty() {
            return Err(Stop::operator(
                "no L1 RPC endpoint: pass --l1-rpc-url URL or set WARDEN_L1_RPC_URL",
            ));
        }
        urls.iter()
            .enumerate()
            .map(|(i, u)| {
                let what = format!("L1 RPC URL #{}", i + 1);
                SecretUrl::parse(&what, u, self.allow_insecure_rpc).map_err(Stop::operator)
            })
            .collect()
    }

    /// The sequencer endpoint: the flag, else the pinned one.
    pub fn sequencer_endpoint(&self, pinned: Option<&str>) -> Result<SecretUrl, Stop> {
        let url = self.sequencer_url.as_deref().or(pinned).ok_or_else(|| {
            Stop::operator("no sequencer URL: pass --sequencer-url URL or set WARDEN_SEQUENCER_URL")
        })?;
        SecretUrl::parse("the sequencer URL", url, self.allow_insecure_rpc).map_err(Stop::operator)
    }

    pub fn require_state_dir(&self) -> Result<crate::state::StateDir, Stop> {
        self.state_dir
            .as_ref()
            .map(crate::state::StateDir::new)
            .ok_or_else(|| {
                Stop::operator(
                    "no state directory given: pass --state-dir DIR or set WARDEN_STATE_DIR",
                )
            })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and pin a state directory, verified against L1 (run once).
    Init(InitArgs),
    /// One watchdog cycle: replay L1 inputs and compare with the sequencer's finalized state.
    Tick(TickArgs),
    /// Post the sequencer's sealed batches to the InputBox, with L1 as the nonce authority.
    Submit(SubmitArgs),
    /// Print a read-only JSON report of the state directory (takes no lock).
    Status,
    /// Diagnose and repair (mutating verbs print their plan and need --yes).
    Recover(RecoverArgs),
    /// Write a self-verifying bundle of the verified head, or verify one.
    Snapshot(SnapshotArgs),
    /// Decode a state file or a batch file into JSON (needs no state directory).
    Inspect(InspectArgs),
}

impl Command {
    /// The `cmd` field of every event of the run.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Init(_) => "init",
            Command::Tick(_) => "tick",
            Command::Submit(_) => "submit",
            Command::Status => "status",
            Command::Recover(_) => "recover",
            Command::Snapshot(_) => "snapshot",
            Command::Inspect(_) => "inspect",
        }
    }
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The Cartesi Rollups v2 Application.
    #[arg(long, value_parser = parse_address)]
    pub app: Address,
    /// The EOA that posts batches.
    #[arg(long, value_parser = parse_address)]
    pub batch_submitter: Address,
    /// The ERC-20 portal whose deposits credit the wallet.
    #[arg(long, value_parser = parse_address)]
    pub erc20_portal: Address,
    /// The wallet's supported token.
    #[arg(long, value_parser = parse_address)]
    pub token: Address,
    /// Credited with fees (default: the batch submitter).
    #[arg(long, value_parser = parse_address)]
    pub fee_recipient: Option<Address>,
    /// Refuse an RPC that serves another chain.
    #[arg(long)]
    pub chain_id: Option<u64>,
    /// `genesis` (the empty machine at --bootstrap-block) or `snapshot:PATH` (a bundle written
    /// by `warden snapshot`).
    #[arg(long, default_value = "genesis", value_parser = parse_bootstrap)]
    pub bootstrap: BootstrapSource,
    /// Genesis block (default: the application's deployment block).
    #[arg(long)]
    pub bootstrap_block: Option<u64>,
    #[arg(long, default_value_t = 1200)]
    pub max_wait_blocks: u64,
    #[arg(long, default_value_t = 300)]
    pub preemptive_margin_blocks: u64,
    #[arg(long, value_enum, default_value = "safe")]
    pub l1_confirmation: crate::state::config::Confirmation,
    /// Largest eth_getLogs window in blocks.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_log_range: u64,
    /// Error codes (substrings of the error text) that mean "range too large".
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "-32005,-32012,-32600,-32602,-32616"
    )]
    pub long_range_error_codes: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TickArgs {
    /// Checkpoints to retain, the head included (2 keeps a predecessor for rollback).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub keep: u64,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The sequencer's outbox: `<%020d nonce>.ssz` batch files (read only).
    #[arg(long)]
    pub outbox: PathBuf,
    /// File holding the submitter's private key (mode 0600 or stricter); otherwise the key is
    /// read from WARDEN_SUBMITTER_KEY.
    #[arg(long, env = "WARDEN_SUBMITTER_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Blocks on top of a batch's block before it counts as posted.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..))]
    pub confirmations: u64,
    /// Never offer more than this max fee per gas (gwei).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_fee_gwei: u64,
    /// Seconds to wait for confirmations; a transaction unconfirmed this long is re-sent with
    /// both fee caps raised by at least 10 %.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    /// Build, sign and simulate; print the plan; send nothing and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootstrapSource {
    Genesis,
    Snapshot(PathBuf),
}

fn parse_bootstrap(text: &str) -> Result<BootstrapSource, String> {
    if text == "genesis" {
        return Ok(BootstrapSource::Genesis);
    }
    match text.strip_prefix("snapshot:") {
        Some(path) if !path.is_empty() => Ok(BootstrapSource::Snapshot(PathBuf::from(path))),
        _ => Err(format!(
            "{text:?} is not a bootstrap: use `genesis` or `snapshot:PATH`"
        )),
    }
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// Without a verb: a read-only diagnosis ending with the command to run next.
    #[command(subcommand)]
    pub verb: Option<RecoverVerb>,
}

#[derive(Debug, Subcommand)]
pub enum RecoverVerb {
    /// Roll a corrupt or torn head back to the newest intact checkpoint.
    Repair {
        /// Act on the printed plan (without it, nothing changes).
        #[arg(long)]
        yes: bool,
    },
    /// Archive a latched incident to incidents/ with a resolution record.
    Clear {
        /// The latched block (the incident's target_block), as a guard against clearing the
        /// wrong incident.
        #[arg(long)]
        block: u64,
        /// Why it is safe to clear (kept in the resolution record).
        #[arg(long)]
        reason: String,
        /// Archive an `incident` that is not a valid latch (after inspecting it by hand).
        #[arg(long)]
        force: bool,
        #[arg(long)]
        yes: bool,
    },
    /// Replace every pending submitter transaction with a 0-value self-transfer.
    Flush {
        /// File holding the submitter's private key (mode 0600); else WARDEN_SUBMITTER_KEY.
        #[arg(long, env = "WARDEN_SUBMITTER_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// Never offer more than this max fee per gas (gwei).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
        max_fee_gwei: u64,
        /// Seconds to wait for the replacements to become safe.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
        #[arg(long)]
        yes: bool,
    },
    /// Re-derive the canonical state over (A, B] into a new directory (touches no state).
    Replay {
        #[arg(long)]
        from_block: u64,
        #[arg(long)]
        to_block: u64,
        /// Start from this snapshot bundle (A must be its block) instead of genesis.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Output directory (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Make a verified snapshot bundle the head; the replaced head moves to archive/.
    Restore {
        #[arg(long)]
        from: PathBuf,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SnapshotArgs {
    /// Where to write the bundle: a new directory, or a file ending in `.tar`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(subcommand)]
    pub verb: Option<SnapshotVerb>,
}

#[derive(Debug, Subcommand)]
pub enum SnapshotVerb {
    /// Re-check a bundle (directory or .tar): sums, manifest, machine and digest.
    Verify { path: PathBuf },
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(subcommand)]
    pub what: InspectWhat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputEncoding {
    /// Hex text when the whole file is hex digits (optionally 0x-prefixed), raw bytes otherwise.
    Auto,
    Raw,
    Hex,
}

#[derive(Debug, Subcommand)]
pub enum InspectWhat {
    /// Canonical state bytes (what `/finalized_state` serves) or a checkpoint's machine.bin.
    State {
        /// File to read, or `-` for standard input.
        file: String,
        #[arg(long, value_enum, default_value = "auto")]
        encoding: InputEncoding,
    },
    /// An SSZ batch (an outbox file or the payload of a posted input).
    Batch {
        /// File to read, or `-` for standard input.
        file: String,
        /// Chain id of the EIP-712 domain the ops were signed for.
        #[arg(long)]
        chain_id: u64,
        /// Application address (the EIP-712 verifying contract).
        #[arg(long, value_parser = parse_address)]
        app: Address,
        #[arg(long, value_enum, default_value = "auto")]
        encoding: InputEncoding,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
