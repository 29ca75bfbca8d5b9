//! The L1 adapter: alloy over HTTP with timeouts, bounded retries and ordered failover between
//! endpoints. Every error is transient from warden's point of view (exit 1) unless the caller
//! decides otherwise (a wrong chain id is an operator error); messages never carry a full URL.

pub mod logs;
pub mod wallet;

use crate::canonical::input::{InputAdded, InputExpectation, decode_input_added};
use crate::secret::SecretUrl;
use crate::state::config::Confirmation;
use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{Provider, ProviderBuilder, RootProvider};
use alloy::rpc::client::RpcClient;
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::sol;
use alloy::sol_types::{SolCall, SolEvent};
use alloy::transports::http::Http;
use logs::{LogSource, RawLog};
use std::time::Duration;

sol! {
    function getDataAvailability() returns (bytes);
    function getDeploymentBlockNumber() returns (uint256);
    function getNumberOfInputs(address appContract) returns (uint256);
    function InputBox(address inputBox);
}

/// Per-request timeout; a one-shot run gives up quickly and lets the timer retry.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Attempts per endpoint for one request (transport errors only).
const ATTEMPTS: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct L1Error(pub String);

struct Endpoint {
    url: SecretUrl,
    provider: RootProvider,
}

pub struct L1Client {
    endpoints: Vec<Endpoint>,
}

/// Replaces any form of the secret URL in a message with its redacted form.
pub fn scrub(message: &str, url: &SecretUrl) -> String {
    let raw = url.expose();
    let mut out = message.to_string();
    let trimmed = raw.trim_end_matches('/');
    for variant in [raw.to_string(), format!("{trimmed}/"), trimmed.to_string()] {
        if variant.len() > 8 {
            out = out.replace(&variant, &url.redacted());
        }
    }
    // reqwest renders URLs normalised; anything after the host is dropped from the message.
    if let Ok(parsed) = reqwest::Url::parse(raw) {
        let normalised = parsed.to_string();
        out = out.replace(&normalised, &url.redacted());
        for secret in [
            parsed.path(),
            parsed.query().unwrap_or(""),
            parsed.password().unwrap_or(""),
        ] {
            if secret.len() > 1 {
                out = out.replace(secret, "<redacted>");
            }
        }
        if !parsed.username().is_empty() {
            out = out.replace(&format!("{}@", parsed.username()), "");
        }
    }
    out
}

fn is_transport_error(message: &str) -> bool {
    // alloy renders transport failures (connect, timeout, HTTP status) this way, RPC errors as
    // "server returned an error response".
    !message.contains("server returned an error response")
        && !message.contains("deserialization error")
}

impl L1Client {
    pub fn new(urls: &[SecretUrl]) -> Result<Self, L1Error> {
        if urls.is_empty() {
            return Err(L1Error(
                "no L1 RPC endpoint: pass --l1-rpc-url or set WARDEN_L1_RPC_URL".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| L1Error(format!("cannot build the HTTP client: {}", e.without_url())))?;
        let endpoints = urls
            .iter()
            .map(|url| {
                let parsed = reqwest::Url::parse(url.expose())
                    .map_err(|e| L1Error(format!("L1 RPC URL {url} does not parse: {e}")))?;
                let transport = Http::with_client(http.clone(), parsed);
                let client = RpcClient::new(transport, false);
                Ok(Endpoint {
                    url: url.clone(),
                    provider: ProviderBuilder::new()
                        .disable_recommended_fillers()
                        .connect_client(client),
                })
            })
            .collect::<Result<Vec<_>, L1Error>>()?;
        Ok(Self { endpoints })
    }

    /// Runs one request with bounded retries per endpoint and ordered failover on transport
    /// errors; RPC errors are returned at once (another endpoint would say the same).
    async fn request<T, F, Fut>(&self, what: &str, mut call: F) -> Result<T, L1Error>
    where
        F: FnMut(RootProvider) -> Fut,
        Fut: std::future::Future<Output = Result<T, String>>,
    {
        let mut last = String::new();
        for endpoint in &self.endpoints {
            for attempt in 0..ATTEMPTS {
                match call(endpoint.provider.clone()).await {
                    Ok(value) => return Ok(value),
                    Err(message) => {
                        let message = scrub(&message, &endpoint.url);
                        last = format!("{what} via {}: {message}", endpoint.url);
                        if !is_transport_error(&message) {
                            return Err(L1Error(last));
                        }
                        if attempt + 1 < ATTEMPTS {
                            tokio::time::sleep(Duration::from_millis(250)).await;
                        }
                    }
                }
            }
        }
        Err(L1Error(last))
    }

    pub async fn chain_id(&self) -> Result<u64, L1Error> {
        self.request("eth_chainId", |p| async move {
            p.get_chain_id().await.map_err(|e| e.to_string())
        })
        .await
    }

    pub async fn has_code(&self, address: Address) -> Result<bool, L1Error> {
        self.request("eth_getCode", |p| async move {
            p.get_code_at(address)
                .await
                .map(|code| !code.is_empty())
                .map_err(|e| e.to_string())
        })
        .await
    }

    /// The `safe` or `finalized` head: number and hash.
    pub async fn confirmed_head(&self, level: Confirmation) -> Result<(u64, B256), L1Error> {
        let tag = match level {
            Confirmation::Safe => BlockNumberOrTag::Safe,
            Confirmation::Finalized => BlockNumberOrTag::Finalized,
        };
        let block = self
            .request("eth_getBlockByNumber", |p| async move {
                p.get_block_by_number(tag).await.map_err(|e| e.to_string())
            })
            .await?
            .ok_or_else(|| L1Error(format!("the L1 node has no {} block yet", level.as_str())))?;
        Ok((block.header.number, block.header.hash))
    }

    pub async fn latest_block_number(&self) -> Result<u64, L1Error> {
        self.request("eth_blockNumber", |p| async move {
            p.get_block_number().await.map_err(|e| e.to_string())
        })
        .await
    }

    /// The canonical hash at a height, or `None` when the node has no such block.
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, L1Error> {
        let block = self
            .request("eth_getBlockByNumber", |p| async move {
                p.get_block_by_number(BlockNumberOrTag::Number(number))
                    .await
                    .map_err(|e| e.to_string())
            })
            .await?;
        Ok(block.map(|b| b.header.hash))
    }

    async fn call(&self, to: Address, data: Vec<u8>, block: BlockId) -> Result<Bytes, L1Error> {
        self.request("eth_call", |p| {
            let tx = TransactionRequest::default()
                .with_to(to)
                .with_input(Bytes::from(data.clone()));
            async move { p.call(tx).block(block).await.map_err(|e| e.to_string()) }
        })
        .await
    }

    /// The InputBox an application reads from: `getDataAvailability()` must be exactly the ABI
    /// calldata `InputBox(address)`.
    pub async fn discover_input_box(
        &self,
        app: Address,
    ) -> Result<Result<Address, String>, L1Error> {
        let answer = self
            .call(
                app,
                getDataAvailabilityCall {}.abi_encode(),
                BlockId::latest(),
            )
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

    pub async fn deployment_block(&self, contract: Address) -> Result<u64, L1Error> {
        let answer = self
            .call(
                contract,
                getDeploymentBlockNumberCall {}.abi_encode(),
                BlockId::latest(),
            )
            .await?;
        let value = getDeploymentBlockNumberCall::abi_decode_returns(&answer)
            .map_err(|e| L1Error(format!("getDeploymentBlockNumber() answer: {e}")))?;
        u64::try_from(value).map_err(|_| L1Error(format!("deployment block {value} beyond u64")))
    }

    /// `getNumberOfInputs(app)` at a block (by number, or by hash per EIP-1898).
    pub async fn number_of_inputs(
        &self,
        input_box: Address,
        app: Address,
        block: BlockId,
    ) -> Result<u64, L1Error> {
        let answer = self
            .call(
                input_box,
                getNumberOfInputsCall { appContract: app }.abi_encode(),
                block,
            )
            .await?;
        let value: U256 = getNumberOfInputsCall::abi_decode_returns(&answer)
            .map_err(|e| L1Error(format!("getNumberOfInputs answer: {e}")))?;
        u64::try_from(value).map_err(|_| L1Error(format!("input count {value} beyond u64")))
    }

    /// A log source for one application's `InputAdded` events.
    pub fn input_logs(&self, input_box: Address, app: Address) -> InputLogSource<'_> {
        InputLogSource {
            client: self,
            input_box,
            app,
        }
    }
}

pub struct InputLogSource<'a> {
    client: &'a L1Client,
    input_box: Address,
    app: Address,
}

impl LogSource for InputLogSource<'_> {
    async fn fetch(&mut self, from: u64, to: u64) -> Result<Vec<RawLog>, String> {
        let filter = Filter::new()
            .address(self.input_box)
            .event_signature(InputAdded::SIGNATURE_HASH)
            .topic1(B256::left_padding_from(self.app.as_slice()))
            .from_block(from)
            .to_block(to);
        let found = self
            .client
            .request("eth_getLogs", |p| {
                let filter = filter.clone();
                async move { p.get_logs(&filter).await.map_err(|e| e.to_string()) }
            })
            .await
            .map_err(|e| e.0)?;
        found
            .into_iter()
            .map(|log| {
                Ok(RawLog {
                    block_number: log
                        .block_number
                        .ok_or("a log without blockNumber (pending?)")?,
                    block_hash: log.block_hash,
                    transaction_index: log
                        .transaction_index
                        .ok_or("a log without transactionIndex")?,
                    log_index: log.log_index.ok_or("a log without logIndex")?,
                    removed: log.removed,
                    topics: log.inner.data.topics().to_vec(),
                    data: log.inner.data.data.clone(),
                })
            })
            .collect::<Result<Vec<_>, &str>>()
            .map_err(|e| e.to_string())
    }
}

/// Decodes a scanned log into the next input (see `canonical::input` for the checks).
pub fn log_to_input(
    log: &RawLog,
    expected: &InputExpectation,
) -> Result<crate::canonical::Input, String> {
    if log.removed {
        return Err(format!(
            "log at block {} is marked removed (a reorg in progress)",
            log.block_number
        ));
    }
    decode_input_added(&log.topics, &log.data, log.block_number, expected).map_err(|e| {
        format!(
            "input at block {} (log index {}): {e}",
            log.block_number, log.log_index
        )
    })
}

/// Installs the TLS crypto provider reqwest needs; call once before any client is built.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_every_form_of_the_url() {
        let url = SecretUrl::new("https://user:pw123@rpc.example.org:8545/v3/KEYKEY?token=TOKTOK");
        let message = "error sending request for url (https://user:pw123@rpc.example.org:8545/v3/KEYKEY?token=TOKTOK): timed out; also /v3/KEYKEY and token=TOKTOK";
        let clean = scrub(message, &url);
        for secret in ["pw123", "KEYKEY", "TOKTOK", "user:"] {
            assert!(!clean.contains(secret), "{clean}");
        }
    }
}
