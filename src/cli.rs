//! The command-line surface (operator-contract §8). Parsing only: no I/O happens here.

use crate::events::LogFormat;
use alloy::primitives::Address;
use clap::{Args, Parser, Subcommand, ValueEnum};

pub const GIT_COMMIT: Option<&str> = option_env!("WARDEN_GIT_COMMIT");

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
                  are NDJSON on stderr."
)]
pub struct Cli {
    /// Event format on stderr (default: text on a terminal, json otherwise).
    #[arg(long, global = true, env = "WARDEN_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode a state file or a batch file into JSON (needs no state directory).
    Inspect(InspectArgs),
}

impl Command {
    /// The `cmd` field of every event of the run.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Inspect(_) => "inspect",
        }
    }
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

/// `0x` + 40 hex digits; mixed case must be a valid EIP-55 checksum (a typo guard).
pub fn parse_address(text: &str) -> Result<Address, String> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or_else(|| format!("{text:?} is not an address: it must start with 0x"))?;
    if hex.len() != 40 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "{text:?} is not an address: expected 0x and 40 hex digits"
        ));
    }
    let has_upper = hex.chars().any(|c| c.is_ascii_uppercase());
    let has_lower = hex.chars().any(|c| c.is_ascii_lowercase());
    let address: Address = format!("0x{hex}")
        .parse()
        .map_err(|e| format!("{text:?} is not an address: {e}"))?;
    if has_upper && has_lower && address.to_checksum(None) != format!("0x{hex}") {
        return Err(format!(
            "{text:?} has mixed case but an invalid EIP-55 checksum (did you mean {}?); check \
             the address, or write it in lower case",
            address.to_checksum(None)
        ));
    }
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn address_parsing() {
        assert!(parse_address("0x70997970C51812dc3A010C7d01b50e0d17dc79C8").is_ok());
        assert!(parse_address("0x70997970c51812dc3a010c7d01b50e0d17dc79c8").is_ok());
        assert!(parse_address("0x70997970C51812dc3A010C7d01b50e0d17dc79c8").is_err());
        assert!(parse_address("70997970c51812dc3a010c7d01b50e0d17dc79c8").is_err());
        assert!(parse_address("0x1234").is_err());
    }
}
