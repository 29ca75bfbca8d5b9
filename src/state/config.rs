//! `config.json`: the pinned identity and settings, written last by `init` (its commit point).
//! It never holds secrets or the L1 RPC URL, so credentials can rotate freely.

use super::checkpoint::RECORD_CAP;
use super::fs::{Fs, ReadError, read_regular, write_atomic};
use super::{StateDir, StateError};
use crate::canonical::Sha256Digest;
use crate::jsonfmt;
use crate::secret::SecretUrl;
use alloy::primitives::Address;
use serde::{Deserialize, Serialize};

pub const CONFIG_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Confirmation {
    Safe,
    Finalized,
}

impl Confirmation {
    pub fn as_str(self) -> &'static str {
        match self {
            Confirmation::Safe => "safe",
            Confirmation::Finalized => "finalized",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    /// `genesis` or `snapshot`.
    pub kind: String,
    pub block: u64,
    pub input_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub version: u32,
    pub chain_id: u64,
    #[serde(with = "jsonfmt::address")]
    pub app: Address,
    #[serde(with = "jsonfmt::address")]
    pub input_box: Address,
    #[serde(with = "jsonfmt::address")]
    pub batch_submitter: Address,
    #[serde(with = "jsonfmt::address")]
    pub erc20_portal: Address,
    #[serde(with = "jsonfmt::address")]
    pub supported_token: Address,
    #[serde(with = "jsonfmt::address")]
    pub fee_recipient: Address,
    pub max_wait_blocks: u64,
    pub preemptive_margin_blocks: u64,
    pub l1_confirmation: Confirmation,
    pub max_log_range: u64,
    pub long_range_error_codes: Vec<String>,
    /// Pinned at init: the full URL when nothing in it can be secret (no user info, query or
    /// path), else only its origin, with `sequencer_url_sha256` pinning the full URL.
    pub sequencer_url: String,
    /// SHA-256 of the full sequencer URL when only its origin is stored: each run must supply
    /// a URL (`--sequencer-url`) that hashes to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequencer_url_sha256: Option<crate::canonical::Sha256Digest>,
    pub bootstrap: Bootstrap,
    pub created_at: String,
}

/// How a sequencer URL is pinned: (what `config.json` stores, the hash of the full URL when the
/// stored text is only its origin). The one owner of the rule that `config.json` never holds a
/// path token, a query or credentials.
pub fn pin_sequencer_url(url: &SecretUrl) -> (String, Option<Sha256Digest>) {
    if url.has_secret_parts() {
        (url.redacted(), Some(sequencer_url_digest(url)))
    } else {
        (url.expose().trim_end_matches('/').to_string(), None)
    }
}

fn sequencer_url_digest(url: &SecretUrl) -> Sha256Digest {
    Sha256Digest::of(url.expose().trim_end_matches('/').as_bytes())
}

impl Config {
    /// The sequencer URL for this run: the one given (which must match the pinned hash, when the
    /// pin is only an origin), else the pinned full URL.
    pub fn sequencer_url_for_run(&self, given: Option<SecretUrl>) -> Result<SecretUrl, String> {
        match (given, self.sequencer_url_sha256) {
            (Some(url), Some(pinned)) if sequencer_url_digest(&url) != pinned => Err(format!(
                "the sequencer URL given ({url}) is not the one pinned at init (compared by \
                 SHA-256, since its path, query or user info is not stored); pass the same URL \
                 as at init"
            )),
            (Some(url), _) => Ok(url),
            (None, Some(_)) => Err(format!(
                "this state directory pins the sequencer URL {} by hash only (its path, query or \
                 user info may hold a token, so it is not stored); pass it with --sequencer-url \
                 or WARDEN_SEQUENCER_URL",
                self.sequencer_url
            )),
            (None, None) => SecretUrl::parse("the pinned sequencer URL", &self.sequencer_url, true),
        }
    }

    /// The scheduler this identity pins.
    pub fn scheduler_config(&self) -> crate::canonical::SchedulerConfig {
        crate::canonical::SchedulerConfig {
            batch_submitter: self.batch_submitter,
            max_wait_blocks: self.max_wait_blocks,
        }
    }

    /// The empty canonical machine this identity starts from.
    pub fn genesis_machine(&self) -> crate::canonical::Machine {
        crate::canonical::Machine::genesis(
            self.scheduler_config(),
            crate::canonical::WalletConfig {
                erc20_portal: self.erc20_portal,
                supported_token: self.supported_token,
                fee_recipient: self.fee_recipient,
            },
        )
    }

    pub fn identity(&self) -> Identity {
        Identity::of(self)
    }

    /// The fields that make up the identity, for `init`'s idempotence check: the first one that
    /// differs, with both values.
    pub fn identity_difference(&self, other: &Config) -> Option<(&'static str, String, String)> {
        Identity::of(self)
            .difference(&Identity::of(other))
            .or_else(|| {
                (self.l1_confirmation != other.l1_confirmation).then(|| {
                    (
                        "l1_confirmation",
                        self.l1_confirmation.as_str().to_string(),
                        other.l1_confirmation.as_str().to_string(),
                    )
                })
            })
    }
}

/// The pinned identity: what a bundle must match to go into a state directory, and what a
/// second `init` must repeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    pub chain_id: u64,
    #[serde(with = "jsonfmt::address")]
    pub app: Address,
    #[serde(with = "jsonfmt::address")]
    pub input_box: Address,
    #[serde(with = "jsonfmt::address")]
    pub batch_submitter: Address,
    #[serde(with = "jsonfmt::address")]
    pub erc20_portal: Address,
    #[serde(with = "jsonfmt::address")]
    pub supported_token: Address,
    #[serde(with = "jsonfmt::address")]
    pub fee_recipient: Address,
    pub max_wait_blocks: u64,
    pub preemptive_margin_blocks: u64,
}

impl Identity {
    pub fn of(config: &Config) -> Self {
        Self {
            chain_id: config.chain_id,
            app: config.app,
            input_box: config.input_box,
            batch_submitter: config.batch_submitter,
            erc20_portal: config.erc20_portal,
            supported_token: config.supported_token,
            fee_recipient: config.fee_recipient,
            max_wait_blocks: config.max_wait_blocks,
            preemptive_margin_blocks: config.preemptive_margin_blocks,
        }
    }

    /// The first field that differs from `other`, with both values.
    pub fn difference(&self, other: &Identity) -> Option<(&'static str, String, String)> {
        fn field(
            name: &'static str,
            a: impl ToString,
            b: impl ToString,
        ) -> (&'static str, String, String) {
            (name, a.to_string(), b.to_string())
        }
        let fields = [
            field("chain_id", self.chain_id, other.chain_id),
            field("app", self.app, other.app),
            field("input_box", self.input_box, other.input_box),
            field(
                "batch_submitter",
                self.batch_submitter,
                other.batch_submitter,
            ),
            field("erc20_portal", self.erc20_portal, other.erc20_portal),
            field(
                "supported_token",
                self.supported_token,
                other.supported_token,
            ),
            field("fee_recipient", self.fee_recipient, other.fee_recipient),
            field(
                "max_wait_blocks",
                self.max_wait_blocks,
                other.max_wait_blocks,
            ),
            field(
                "preemptive_margin_blocks",
                self.preemptive_margin_blocks,
                other.preemptive_margin_blocks,
            ),
        ];
        fields.into_iter().find(|(_, a, b)| a != b)
    }
}

pub fn load_config(state: &StateDir) -> Result<Config, StateError> {
    state.require_exists()?;
    let path = state.config();
    let bytes = match read_regular(&path, RECORD_CAP) {
        Ok(bytes) => bytes,
        Err(ReadError::NotFound) => {
            return Err(if state.checkpoints().exists() {
                StateError::InterruptedInit(state.root().display().to_string())
            } else {
                StateError::NotInitialised(state.root().display().to_string())
            });
        }
        Err(ReadError::Io(e)) => return Err(StateError::io(&path, e)),
        Err(e) => {
            return Err(StateError::Unsupported(format!(
                "{} {e}; restore it from a snapshot bundle or re-run `warden init` into a new \
                 state directory",
                path.display()
            )));
        }
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        StateError::Unsupported(format!(
            "{} does not parse ({e}); restore it from a snapshot bundle or re-run `warden init` \
             into a new state directory",
            path.display()
        ))
    })?;
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(u64::from(CONFIG_VERSION)) {
        return Err(StateError::Unsupported(format!(
            "{} has version {}, this warden reads version {CONFIG_VERSION}; run the warden \
             release that wrote it",
            path.display(),
            version.map_or("none".to_string(), |v| v.to_string())
        )));
    }
    serde_json::from_value(value).map_err(|e| {
        StateError::Unsupported(format!(
            "{} is not a valid version {CONFIG_VERSION} config ({e}); restore it from a snapshot \
             bundle or re-run `warden init` into a new state directory",
            path.display()
        ))
    })
}

pub fn write_config(fs: &dyn Fs, state: &StateDir, config: &Config) -> Result<(), StateError> {
    let mut bytes = serde_json::to_vec_pretty(config)
        .map_err(|e| StateError::Unsupported(format!("cannot serialize config: {e}")))?;
    bytes.push(b'\n');
    write_atomic(fs, &state.config(), &bytes).map_err(|e| StateError::io(state.config(), e))
}
