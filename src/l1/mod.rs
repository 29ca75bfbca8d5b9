//! The L1 adapter: JSON-RPC over HTTP with bounded retries and ordered failover between
//! endpoints. One constructor (`L1Client::connect`) serves every command; it makes no call until
//! one is needed, and checks each endpoint's chain id against the pin on that endpoint's first
//! call, concurrently with it. Messages never carry more of a URL than `scheme://host[:port]`.

pub mod crosscheck;
pub mod error;
pub mod inputs;
pub mod logs;
pub mod rpc;
pub mod wallet;

pub use error::{L1Error, L1ErrorKind, TransportCause};

use crate::secret::SecretUrl;
use crate::state::config::Confirmation;
use alloy::primitives::{Address, B256, Bytes, U64, U256};
use alloy::sol;
use alloy::sol_types::SolCall;
use rpc::RpcEndpoint;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

sol! {
    function getDataAvailability() returns (bytes);
    function getDeploymentBlockNumber() returns (uint256);
    function getNumberOfInputs(address appContract) returns (uint256);
    function InputBox(address inputBox);
}

/// Attempts per endpoint for one request (transport errors only).
const ATTEMPTS: usize = 2;
const RETRY_PAUSE: Duration = Duration::from_millis(250);

/// A block parameter. By-hash parameters always go out in EIP-1898 object form with
/// `requireCanonical: true`, so a node that rejects bare hashes still answers, and a hash that
/// was reorged out is an error instead of an answer about a dead fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Latest,
    Pending,
    Safe,
    Finalized,
    Number(u64),
    Hash(B256),
}

impl At {
    pub fn param(self) -> Value {
        match self {
            At::Latest => json!("latest"),
            At::Pending => json!("pending"),
            At::Safe => json!("safe"),
            At::Finalized => json!("finalized"),
            At::Number(n) => json!(format!("{n:#x}")),
            At::Hash(hash) => json!({"blockHash": hash, "requireCanonical": true}),
        }
    }

    pub fn confirmed(level: Confirmation) -> Self {
        match level {
            Confirmation::Safe => At::Safe,
            Confirmation::Finalized => At::Finalized,
        }
    }
}

/// A block's number and hash (and base fee, for fee estimates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    pub number: u64,
    pub hash: B256,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeaderJson {
    number: U64,
    hash: B256,
    #[serde(default)]
    base_fee_per_gas: Option<U256>,
}

/// Settings shared by every endpoint of a run.
#[derive(Debug, Clone, Copy)]
pub struct L1Settings {
    pub max_response_bytes: u64,
    pub request_timeout: Duration,
}

impl Default for L1Settings {
    fn default() -> Self {
        Self {
            max_response_bytes: rpc::DEFAULT_MAX_RESPONSE_BYTES,
            request_timeout: rpc::REQUEST_TIMEOUT,
        }
    }
}

struct Endpoint {
    rpc: RpcEndpoint,
    /// The chain this endpoint serves, learnt on its first call.
    chain: tokio::sync::OnceCell<u64>,
}

pub struct L1Client {
    endpoints: Vec<Endpoint>,
    /// The pinned chain id; without a pin (init), the first endpoint's answer becomes it.
    pinned: OnceLock<u64>,
    /// The endpoint that answered last: later requests of the run start there, so a dead
    /// primary costs its retries once per run, not once per request.
    preferred: AtomicUsize,
}

impl L1Client {
    /// The one way to reach L1. Makes no network call.
    pub fn connect(
        urls: &[SecretUrl],
        pinned_chain: Option<u64>,
        settings: L1Settings,
    ) -> Result<Self, crate::outcome::Stop> {
        if urls.is_empty() {
            return Err(crate::outcome::Stop::operator(
                "no L1 RPC endpoint: pass --l1-rpc-url URL or set WARDEN_L1_RPC_URL",
            ));
        }
        let http = rpc::http_client(settings.request_timeout, urls)
            .map_err(crate::outcome::Stop::internal)?;
        let pinned = OnceLock::new();
        if let Some(chain) = pinned_chain {
            let _ = pinned.set(chain);
        }
        Ok(Self {
            endpoints: urls
                .iter()
                .map(|url| Endpoint {
                    rpc: RpcEndpoint::new(url.clone(), http.clone(), settings.max_response_bytes),
                    chain: tokio::sync::OnceCell::new(),
                })
                .collect(),
            pinned,
            preferred: AtomicUsize::new(0),
        })
    }

    /// The endpoints in the order this request tries them: the last one that answered first,
    /// then the rest in the configured failover order.
    fn in_order(&self) -> impl Iterator<Item = (usize, &Endpoint)> {
        let n = self.endpoints.len();
        let first = self
            .preferred
            .load(Ordering::Relaxed)
            .min(n.saturating_sub(1));
        (0..n)
            .map(move |k| (first + k) % n)
            .map(|i| (i, &self.endpoints[i]))
    }

    /// A client on the one endpoint that answered last (no failover): a multi-request proof —
    /// logs, witness, hash re-checks — must come from one node's view, never a mix of two
    /// nodes on different branches. A failure ends the proof; the next run starts over.
    pub fn single(&self) -> L1Client {
        let n = self.endpoints.len();
        let index = self
            .preferred
            .load(Ordering::Relaxed)
            .min(n.saturating_sub(1));
        let endpoint = &self.endpoints[index];
        let pinned = OnceLock::new();
        if let Some(chain) = self.pinned.get() {
            let _ = pinned.set(*chain);
        }
        L1Client {
            endpoints: vec![Endpoint {
                rpc: endpoint.rpc.clone(),
                chain: endpoint.chain.clone(),
            }],
            pinned,
            preferred: AtomicUsize::new(0),
        }
    }

    /// The endpoints, redacted, in failover order.
    pub fn endpoints(&self) -> Vec<String> {
        self.endpoints
            .iter()
            .map(|e| e.rpc.url.redacted())
            .collect()
    }

    fn error(endpoint: &Endpoint, method: &'static str, kind: L1ErrorKind) -> L1Error {
        L1Error {
            endpoint: endpoint.rpc.url.redacted(),
            method,
            kind,
        }
    }

    /// The chain id `endpoint` serves (asked once per run), checked against the pin.
    async fn checked_chain(&self, endpoint: &Endpoint) -> Result<u64, L1Error> {
        let served = *endpoint
            .chain
            .get_or_try_init(|| async {
                let answer: Option<U64> = endpoint.rpc.call("eth_chainId", json!([])).await?;
                answer
                    .map(|c| c.to::<u64>())
                    .ok_or_else(|| L1ErrorKind::Malformed("eth_chainId answered null".into()))
            })
            .await
            .map_err(|kind| Self::error(endpoint, "eth_chainId", kind))?;
        let pinned = *self.pinned.get_or_init(|| served);
        if served != pinned {
            return Err(Self::error(
                endpoint,
                "eth_chainId",
                L1ErrorKind::WrongChain { served, pinned },
            ));
        }
        Ok(served)
    }

    /// One call with bounded retries per endpoint and ordered failover on transport errors;
    /// RPC errors come back at once (another endpoint would say the same). An endpoint's first
    /// call also asks its chain id, concurrently, and its answer is used only if the chain is
    /// the pinned one.
    pub async fn request<R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
    ) -> Result<Option<R>, L1Error> {
        let mut last = None;
        for (index, endpoint) in self.in_order() {
            for attempt in 0..ATTEMPTS {
                // A broadcast never reaches an endpoint whose chain is not yet known to be the
                // pinned one; reads overlap the check with the call.
                let outcome = if endpoint.chain.initialized() || method.starts_with("eth_send") {
                    match self.checked_chain(endpoint).await {
                        Ok(_) => endpoint.rpc.call(method, params.clone()).await,
                        Err(e) if e.is_transport() => Err(e.kind),
                        Err(e) => return Err(e),
                    }
                } else {
                    let (chain, answer) = tokio::join!(
                        self.checked_chain(endpoint),
                        endpoint.rpc.call::<R>(method, params.clone())
                    );
                    match chain {
                        Ok(_) => answer,
                        Err(e) if e.is_transport() => Err(e.kind),
                        Err(e) => return Err(e),
                    }
                };
                match outcome {
                    Ok(value) => {
                        self.preferred.store(index, Ordering::Relaxed);
                        return Ok(value);
                    }
                    Err(kind) => {
                        let error = Self::error(endpoint, method, kind);
                        if !error.is_transport() {
                            return Err(error);
                        }
                        last = Some(error);
                        if attempt + 1 < ATTEMPTS {
                            tokio::time::sleep(RETRY_PAUSE).await;
                        }
                    }
                }
            }
        }
        Err(last.unwrap_or_else(|| L1Error {
            endpoint: "none".into(),
            method,
            kind: L1ErrorKind::Malformed("no endpoint".into()),
        }))
    }

    /// As `request`, but a `null` answer is an error.
    async fn require<R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
    ) -> Result<R, L1Error> {
        let endpoint = self.endpoints.first().map(|e| e.rpc.url.redacted());
        self.request(method, params).await?.ok_or_else(|| L1Error {
            endpoint: endpoint.unwrap_or_default(),
            method,
            kind: L1ErrorKind::Malformed("the node answered null".into()),
        })
    }

    /// The pinned chain id, checked on the first endpoint that answers.
    pub async fn chain_id(&self) -> Result<u64, L1Error> {
        let mut last = None;
        for (index, endpoint) in self.in_order() {
            for attempt in 0..ATTEMPTS {
                match self.checked_chain(endpoint).await {
                    Ok(chain) => {
                        self.preferred.store(index, Ordering::Relaxed);
                        return Ok(chain);
                    }
                    Err(e) if e.is_transport() => {
                        last = Some(e);
                        if attempt + 1 < ATTEMPTS {
                            tokio::time::sleep(RETRY_PAUSE).await;
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Err(last.unwrap_or_else(|| L1Error {
            endpoint: "none".into(),
            method: "eth_chainId",
            kind: L1ErrorKind::Malformed("no endpoint".into()),
        }))
    }

    pub async fn has_code(&self, address: Address) -> Result<bool, L1Error> {
        let code: Bytes = self
            .require("eth_getCode", json!([address, At::Latest.param()]))
            .await?;
        Ok(!code.is_empty())
    }

    async fn header(&self, at: At) -> Result<Option<(BlockRef, Option<U256>)>, L1Error> {
        let header: Option<HeaderJson> = match at {
            At::Hash(hash) => {
                self.request("eth_getBlockByHash", json!([hash, false]))
                    .await?
            }
            other => {
                self.request("eth_getBlockByNumber", json!([other.param(), false]))
                    .await?
            }
        };
        Ok(header.map(|h| {
            (
                BlockRef {
                    number: h.number.to::<u64>(),
                    hash: h.hash,
                },
                h.base_fee_per_gas,
            )
        }))
    }

    /// A block by tag or number, or `None` when the node has none.
    pub async fn block(&self, at: At) -> Result<Option<BlockRef>, L1Error> {
        Ok(self.header(at).await?.map(|(block, _)| block))
    }

    /// The `safe` or `finalized` head: number and hash.
    pub async fn confirmed_head(&self, level: Confirmation) -> Result<BlockRef, L1Error> {
        self.block(At::confirmed(level))
            .await?
            .ok_or_else(|| L1Error {
                endpoint: self.endpoints().join(","),
                method: "eth_getBlockByNumber",
                kind: L1ErrorKind::Malformed(format!(
                    "the node has no {} block yet",
                    level.as_str()
                )),
            })
    }

    pub async fn latest_head(&self) -> Result<BlockRef, L1Error> {
        self.block(At::Latest).await?.ok_or_else(|| L1Error {
            endpoint: self.endpoints().join(","),
            method: "eth_getBlockByNumber",
            kind: L1ErrorKind::Malformed("the node has no latest block".into()),
        })
    }

    /// The canonical hash at a height, or `None` when the node has no such block.
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, L1Error> {
        Ok(self.block(At::Number(number)).await?.map(|b| b.hash))
    }

    /// The latest block's base fee, when it has one.
    pub async fn latest_base_fee(&self) -> Result<Option<u128>, L1Error> {
        Ok(self
            .header(At::Latest)
            .await?
            .and_then(|(_, fee)| fee)
            .map(|fee| fee.saturating_to::<u128>()))
    }

    async fn call(&self, to: Address, data: Vec<u8>, at: At) -> Result<Bytes, L1Error> {
        self.require(
            "eth_call",
            json!([{"to": to, "data": Bytes::from(data)}, at.param()]),
        )
        .await
    }

    /// The InputBox an application reads from: `getDataAvailability()` must be exactly the ABI
    /// calldata `InputBox(address)`.
    pub async fn discover_input_box(
        &self,
        app: Address,
    ) -> Result<Result<Address, String>, L1Error> {
        let answer = self
            .call(app, getDataAvailabilityCall {}.abi_encode(), At::Latest)
            .await?;
        let Ok(bytes) = getDataAvailabilityCall::abi_decode_returns(&answer) else {
            return Ok(Err(format!(
                "{app}.getDataAvailability() returned {} bytes that do not decode as bytes; is it \
                 a Cartesi Rollups v2 Application?",
                answer.len()
            )));
        };
        Ok(match InputBoxCall::abi_decode_validate(&bytes) {
            Ok(call) if bytes.len() == 36 => Ok(call.inputBox),
            _ => Err(format!(
                "{app} uses data availability 0x{} which is not InputBox(address); warden \
                 supports only InputBox data availability",
                hex::encode(&bytes[..bytes.len().min(4)])
            )),
        })
    }

    fn malformed(&self, method: &'static str, what: String) -> L1Error {
        L1Error {
            endpoint: self.endpoints().join(","),
            method,
            kind: L1ErrorKind::Malformed(what),
        }
    }

    pub async fn deployment_block(&self, contract: Address) -> Result<u64, L1Error> {
        let answer = self
            .call(
                contract,
                getDeploymentBlockNumberCall {}.abi_encode(),
                At::Latest,
            )
            .await?;
        let value = getDeploymentBlockNumberCall::abi_decode_returns(&answer).map_err(|_| {
            self.malformed(
                "eth_call",
                format!(
                    "getDeploymentBlockNumber() returned {} bytes, not a uint256",
                    answer.len()
                ),
            )
        })?;
        u64::try_from(value)
            .map_err(|_| self.malformed("eth_call", format!("deployment block {value} beyond u64")))
    }

    /// `getNumberOfInputs(app)` at a block. Only the verified input stream (`inputs`) calls
    /// this: it is the completeness witness.
    pub(crate) async fn number_of_inputs(
        &self,
        input_box: Address,
        app: Address,
        at: At,
    ) -> Result<u64, L1Error> {
        let answer = self
            .call(
                input_box,
                getNumberOfInputsCall { appContract: app }.abi_encode(),
                at,
            )
            .await?;
        let value: U256 = getNumberOfInputsCall::abi_decode_returns(&answer).map_err(|_| {
            self.malformed(
                "eth_call",
                format!("getNumberOfInputs returned {} bytes", answer.len()),
            )
        })?;
        u64::try_from(value)
            .map_err(|_| self.malformed("eth_call", format!("input count {value} beyond u64")))
    }
}

/// Installs the TLS crypto provider reqwest needs; called before any client is built.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_hash_parameters_are_eip_1898_objects() {
        let hash = B256::repeat_byte(0xab);
        assert_eq!(
            At::Hash(hash).param(),
            json!({"blockHash": format!("{hash:#x}"), "requireCanonical": true})
        );
        assert_eq!(At::Number(255).param(), json!("0xff"));
        assert_eq!(At::Safe.param(), json!("safe"));
    }
}
