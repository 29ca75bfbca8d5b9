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

    /// An independent L1 endpoint that must agree before any head flip or verdict (repeatable;
    /// comma-separated in the variable). Disagreement is exit 1, never a verdict.
    #[arg(
        long = "l1-cross-check-url",
        global = true,
        env = "WARDEN_L1_CROSS_CHECK_URL",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub l1_cross_check_urls: Vec<String>,

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

    /// Longest this run may take (e.g. 90s, 25m, 1h; ms for tests); when it passes the run ends as
    /// SIGTERM does: exit 1, nothing half-committed (a tick catching up saves a resume point
    /// shortly before it: outcome catching_up). Defaults: tick 25m, submit 8m, snapshot 10m,
    /// recover flush its --timeout + 60s; none for the other commands.
    #[arg(long, global = true, env = "WARDEN_DEADLINE", value_parser = parse_duration)]
    pub deadline: Option<std::time::Duration>,

    /// Largest L1 JSON-RPC answer read, in bytes; an eth_getLogs answer above it splits its
    /// block range, any other is refused (exit 1).
    #[arg(
        long,
        global = true,
        env = "WARDEN_MAX_RESPONSE_BYTES",
        default_value_t = crate::l1::rpc::DEFAULT_MAX_RESPONSE_BYTES,
        value_parser = clap::value_parser!(u64).range(1024..)
    )]
    pub max_response_bytes: u64,

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

    /// The validated cross-check endpoints (none unless given).
    pub fn l1_cross_check_endpoints(&self) -> Result<Vec<SecretUrl>, Stop> {
        self.l1_cross_check_urls
            .iter()
            .filter(|u| !u.trim().is_empty())
            .enumerate()
            .map(|(i, u)| {
                let what = format!("L1 cross-check URL #{}", i + 1);
                SecretUrl::parse(&what, u, self.allow_insecure_rpc).map_err(Stop::operator)
            })
            .collect()
    }

    /// The sequencer URL given to this run (`--sequencer-url` / `WARDEN_SEQUENCER_URL`).
    pub fn sequencer_url_given(&self) -> Result<Option<SecretUrl>, Stop> {
        self.sequencer_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(|u| {
                SecretUrl::parse("the sequencer URL", u, self.allow_insecure_rpc)
                    .map_err(Stop::operator)
            })
            .transpose()
    }

    /// The sequencer endpoint of an initialised state directory (see
    /// `Config::sequencer_url_for_run`).
    pub fn sequencer_endpoint(
        &self,
        config: &crate::state::config::Config,
    ) -> Result<SecretUrl, Stop> {
        config
            .sequencer_url_for_run(self.sequencer_url_given()?)
            .map_err(Stop::operator)
    }

    /// The run's deadline: `--deadline` when given, else the command's default.
    pub fn deadline(
        &self,
        started: std::time::Instant,
        default: Option<std::time::Duration>,
    ) -> Option<crate::outcome::Deadline> {
        self.deadline
            .or(default)
            .map(|limit| crate::outcome::Deadline::new(started, limit))
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
    /// The sequencer counts as stalled (a warning, never a page) when its finalized block
    /// trails the L1 confirmed head by more than this while L1 holds inputs above it.
    #[arg(long, default_value_t = 300)]
    pub stall_threshold_blocks: u64,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The sequencer's outbox: `<%020d nonce>.ssz` batch files (read only).
    #[arg(long)]
    pub outbox: PathBuf,
    /// File holding the submitter's private key (mode 0600 or stricter); otherwise the key is
    /// read from WARDEN_SUBMITTER_KEY.
    #[arg(long, env = "WARDEN_SUBMITTER_KEY_FILE", hide_env_values = true)]
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

/// `90s`, `25m`, `1h30m`, `500ms` (humantime), never zero.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|_| "not a duration: use e.g. 90s, 25m, 1h (or ms)".to_string())?;
    if duration.is_zero() {
        return Err("a deadline must be above zero".into());
    }
    Ok(duration)
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
        _ => Err("not a bootstrap: use `genesis` or `snapshot:PATH`".to_string()),
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
        #[arg(long, env = "WARDEN_SUBMITTER_KEY_FILE", hide_env_values = true)]
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

/// A usage error in words that never quote an argument's value (a stray URL or a key typed in
/// the wrong place must not reach the exit event): flag names, expected values and our own
/// parsers' messages only.
pub fn usage_message(error: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let context = |kind: ContextKind| match error.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        Some(ContextValue::StyledStr(s)) => Some(s.to_string()),
        Some(ContextValue::StyledStrs(v)) => Some(
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    };
    // An argument's *name* is shown only when it looks like a flag or a subcommand.
    let shown_name = |text: String| {
        let name = text.split(['=', ' ']).next().unwrap_or("").to_string();
        let plain = !name.is_empty()
            && name.len() <= 40
            && name
                .trim_start_matches('-')
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-');
        plain.then_some(name)
    };
    let arg = context(ContextKind::InvalidArg);
    let suggestion = context(ContextKind::SuggestedArg)
        .or_else(|| context(ContextKind::SuggestedSubcommand))
        .and_then(shown_name)
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    match error.kind() {
        ErrorKind::UnknownArgument => match arg.and_then(shown_name) {
            Some(name) if name.starts_with('-') => format!("unknown flag {name}{suggestion}"),
            _ => {
                format!("an unexpected argument (not shown: it may be a URL or a key){suggestion}")
            }
        },
        ErrorKind::InvalidSubcommand => match arg.and_then(shown_name) {
            Some(name) => format!("unknown command {name}{suggestion}"),
            None => format!("an unknown command (not shown: it may be a secret){suggestion}"),
        },
        ErrorKind::InvalidValue => {
            let valid = context(ContextKind::ValidValue)
                .map(|v| format!("; expected one of: {v}"))
                .unwrap_or_default();
            format!(
                "invalid value for {} (the value is not shown){valid}",
                arg.unwrap_or_else(|| "an argument".into())
            )
        }
        ErrorKind::ValueValidation => {
            let reason = std::error::Error::source(error)
                .map(|e| format!(": {e}"))
                .unwrap_or_default();
            format!(
                "invalid value for {}{reason}",
                arg.unwrap_or_else(|| "an argument".into())
            )
        }
        ErrorKind::MissingRequiredArgument => format!(
            "missing required argument(s): {}",
            arg.unwrap_or_else(|| "see --help".into())
        ),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "a command is missing".into()
        }
        ErrorKind::ArgumentConflict => format!(
            "{} cannot be used with {}",
            arg.unwrap_or_else(|| "an argument".into()),
            context(ContextKind::PriorArg).unwrap_or_else(|| "another argument".into())
        ),
        ErrorKind::InvalidUtf8 => "an argument is not valid UTF-8".into(),
        ErrorKind::NoEquals => format!(
            "{} needs its value after '='",
            arg.unwrap_or_else(|| "an argument".into())
        ),
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!(
                "wrong number of values for {}",
                arg.unwrap_or_else(|| "an argument".into())
            )
        }
        other => format!("usage error ({other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn usage(args: &[&str]) -> String {
        let error = Cli::try_parse_from(args).unwrap_err();
        usage_message(&error)
    }

    #[test]
    fn usage_errors_never_quote_values() {
        let key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let url = "https://user:pw@rpc.example.org/v3/APIKEY";
        for args in [
            vec!["warden", "tick", url],
            vec!["warden", "tick", key],
            vec!["warden", key],
            vec!["warden", "--log-format", url, "tick"],
            vec!["warden", "init", "--app", key],
            vec!["warden", "tick", "--keep", key],
            vec!["warden", "tick", &format!("--{key}")],
        ] {
            let message = usage(&args);
            for secret in ["59c6995e", "APIKEY", "pw@", "user:"] {
                assert!(!message.contains(secret), "{args:?}: {message}");
            }
        }
        assert!(usage(&["warden", "tick", "--kep", "1"]).contains("--kep"));
        assert!(usage(&["warden", "--log-format", "xml", "tick"]).contains("json"));
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
