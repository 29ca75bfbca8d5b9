//! The sequencer's operator routes (canonical-protocol §8). Every failure here is transient for
//! warden (exit 1): a sequencer that is down, not ready, or serving garbage is not a verdict.

use crate::canonical::Sha256Digest;
use crate::outcome::Stop;
use crate::secret::SecretUrl;
use std::time::Duration;

/// JSON answers are tiny; anything larger is refused.
const JSON_CAP: usize = 64 * 1024;
/// The state download cap (a 1M-account state is about 76 MiB).
pub const STATE_CAP: usize = 1 << 30;
/// The JSON routes answer in milliseconds; a sequencer that stalls longer is not ready.
pub const JSON_TIMEOUT: Duration = Duration::from_secs(10);
/// The state download may be large (tens of MiB).
pub const STATE_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sequencer {0}")]
pub struct SequencerError(pub String);

impl From<SequencerError> for Stop {
    fn from(e: SequencerError) -> Self {
        Stop::transient(format!(
            "{e}; the next run retries (check the sequencer if this persists)"
        ))
    }
}

/// `/finalized_state/inclusion_block`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finalized {
    /// 404: nothing finalized yet.
    NothingYet,
    /// 503: the sequencer says it diverged.
    Unavailable,
    At {
        inclusion_block: u64,
        /// `executed_input_count`, or `l2_tx_index` from older builds; shown, never judged.
        executed_input_count: Option<u64>,
    },
}

/// The sequencer's finalized state as one poll sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    /// 404 on both routes: nothing finalized yet.
    NothingYet,
    /// 503: the sequencer says it diverged.
    Unavailable,
    /// The finalized block, with its digest when the digest route exists (older builds need a
    /// state download to hash, done only when the digest is needed).
    At {
        inclusion_block: u64,
        sha256: Option<Sha256Digest>,
    },
}

/// The sequencer's digest of its finalized state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDigest {
    pub inclusion_block: u64,
    pub sha256: Sha256Digest,
    /// True when the digest route was missing and the state was downloaded and hashed.
    pub hashed_locally: bool,
}

pub struct SequencerClient {
    base: SecretUrl,
    http: reqwest::Client,
}

fn count_field(value: &serde_json::Value) -> Option<u64> {
    value
        .get("executed_input_count")
        .or_else(|| value.get("l2_tx_index"))
        .and_then(serde_json::Value::as_u64)
}

impl SequencerClient {
    pub fn new(base: SecretUrl) -> Result<Self, SequencerError> {
        let http = crate::l1::rpc::http_client(STATE_TIMEOUT, [&base]).map_err(SequencerError)?;
        Ok(Self { base, http })
    }

    pub fn endpoint(&self) -> &SecretUrl {
        &self.base
    }

    fn url(&self, route: &str) -> String {
        format!("{}{route}", self.base.expose().trim_end_matches('/'))
    }

    fn fail(&self, route: &str, what: impl std::fmt::Display) -> SequencerError {
        SequencerError(self.base.scrub(&format!("{} {route}: {what}", self.base)))
    }

    fn transport(&self, route: &str, error: &reqwest::Error) -> SequencerError {
        let (cause, detail) = crate::l1::rpc::transport_cause(error);
        if detail.is_empty() {
            self.fail(route, cause.as_str())
        } else {
            self.fail(route, format!("{} ({detail})", cause.as_str()))
        }
    }

    async fn get(&self, route: &str) -> Result<reqwest::Response, SequencerError> {
        let timeout = if route == "/finalized_state" {
            STATE_TIMEOUT
        } else {
            JSON_TIMEOUT
        };
        let response = self
            .http
            .get(self.url(route))
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| self.transport(route, &e))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(self.fail(
                route,
                format!("HTTP {status} redirect; warden never follows redirects"),
            ));
        }
        Ok(response)
    }

    /// Reads a body up to `cap` bytes.
    async fn body(
        &self,
        route: &str,
        mut response: reqwest::Response,
        cap: usize,
    ) -> Result<Vec<u8>, SequencerError> {
        if response.content_length().is_some_and(|n| n as usize > cap) {
            return Err(self.fail(route, format!("body larger than the {cap}-byte cap")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport(route, &e))?
        {
            if body.len() + chunk.len() > cap {
                return Err(self.fail(route, format!("body larger than the {cap}-byte cap")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    async fn json(
        &self,
        route: &str,
        response: reqwest::Response,
    ) -> Result<serde_json::Value, SequencerError> {
        let body = self.body(route, response, JSON_CAP).await?;
        serde_json::from_slice(&body).map_err(|e| self.fail(route, format!("malformed JSON: {e}")))
    }

    fn inclusion_block(
        &self,
        route: &str,
        value: &serde_json::Value,
    ) -> Result<u64, SequencerError> {
        value
            .get("inclusion_block")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| self.fail(route, "answer has no u64 inclusion_block"))
    }

    pub async fn finalized(&self) -> Result<Finalized, SequencerError> {
        let route = "/finalized_state/inclusion_block";
        let response = self.get(route).await?;
        match response.status().as_u16() {
            404 => return Ok(Finalized::NothingYet),
            503 => return Ok(Finalized::Unavailable),
            200 => {}
            other => return Err(self.fail(route, format!("HTTP {other}"))),
        }
        let value = self.json(route, response).await?;
        let inclusion_block = self.inclusion_block(route, &value)?;
        Ok(Finalized::At {
            inclusion_block,
            executed_input_count: count_field(&value),
        })
    }

    /// One poll: the digest route (block and digest in one answer); when it is missing, the
    /// inclusion-block route.
    pub async fn poll(&self) -> Result<Poll, SequencerError> {
        let route = "/finalized_state/digest";
        let response = self.get(route).await?;
        match response.status().as_u16() {
            200 => {
                let value = self.json(route, response).await?;
                let inclusion_block = self.inclusion_block(route, &value)?;
                let sha256 = self.sha256(route, &value)?;
                Ok(Poll::At {
                    inclusion_block,
                    sha256: Some(sha256),
                })
            }
            503 => Ok(Poll::Unavailable),
            404 => Ok(match self.finalized().await? {
                Finalized::NothingYet => Poll::NothingYet,
                Finalized::Unavailable => Poll::Unavailable,
                Finalized::At {
                    inclusion_block, ..
                } => Poll::At {
                    inclusion_block,
                    sha256: None,
                },
            }),
            other => Err(self.fail(route, format!("HTTP {other}"))),
        }
    }

    fn sha256(
        &self,
        route: &str,
        value: &serde_json::Value,
    ) -> Result<Sha256Digest, SequencerError> {
        value
            .get("sha256")
            .and_then(serde_json::Value::as_str)
            .and_then(Sha256Digest::parse)
            .ok_or_else(|| self.fail(route, "answer has no 64-hex-digit sha256"))
    }

    /// The digest, falling back to downloading and hashing the state when the route is missing
    /// (an older build); the downloaded state must be at `polled`, the block the sequencer just
    /// reported as finalized.
    pub async fn digest(&self, polled: u64) -> Result<StateDigest, SequencerError> {
        let route = "/finalized_state/digest";
        let response = self.get(route).await?;
        match response.status().as_u16() {
            200 => {}
            404 => {
                let (block, bytes) = self.state().await?;
                if block != polled {
                    return Err(self.fail(
                        "/finalized_state",
                        format!(
                            "the digest route is missing and the state download is at block \
                             {block} (X-Inclusion-Block), not the finalized block {polled}; it \
                             is moving"
                        ),
                    ));
                }
                return Ok(StateDigest {
                    inclusion_block: block,
                    sha256: Sha256Digest::of(&bytes),
                    hashed_locally: true,
                });
            }
            other => return Err(self.fail(route, format!("HTTP {other}"))),
        }
        let value = self.json(route, response).await?;
        let inclusion_block = self.inclusion_block(route, &value)?;
        let sha256 = self.sha256(route, &value)?;
        Ok(StateDigest {
            inclusion_block,
            sha256,
            hashed_locally: false,
        })
    }

    /// `/finalized_state`: the block it is at (`X-Inclusion-Block`) and the bytes.
    pub async fn state(&self) -> Result<(u64, Vec<u8>), SequencerError> {
        let route = "/finalized_state";
        let response = self.get(route).await?;
        if response.status().as_u16() != 200 {
            return Err(self.fail(route, format!("HTTP {}", response.status().as_u16())));
        }
        let block = response
            .headers()
            .get("x-inclusion-block")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| self.fail(route, "no numeric X-Inclusion-Block header"))?;
        let bytes = self.body(route, response, STATE_CAP).await?;
        Ok((block, bytes))
    }
}
