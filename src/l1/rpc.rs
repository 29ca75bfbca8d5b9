//! One JSON-RPC endpoint over HTTP: a POST per call, the answer read up to a byte cap checked
//! before and while reading, redirects never followed, and every failure typed with its cause.

use super::error::{L1ErrorKind, TransportCause};
use crate::secret::SecretUrl;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Per-request timeout; a one-shot run gives up quickly and lets the timer retry.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cap on one answer: a full 2,000-block `eth_getLogs` window of maximal inputs fits.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 << 20;

/// The HTTP client every endpoint shares: timeouts, no redirects. The platform's trusted roots
/// are loaded only when one of `endpoints` is https (loading them reads and parses every file of
/// the system store, most of an idle run's own time); without them a TLS handshake can only
/// fail, never be trusted.
pub fn http_client<'a>(
    timeout: Duration,
    endpoints: impl IntoIterator<Item = &'a SecretUrl>,
) -> Result<reqwest::Client, String> {
    crate::l1::install_crypto_provider();
    let builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none());
    let builder = if endpoints.into_iter().any(SecretUrl::is_https) {
        builder
    } else {
        builder.tls_certs_only([])
    };
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))
}

#[derive(Clone)]
pub struct RpcEndpoint {
    pub url: SecretUrl,
    http: reqwest::Client,
    max_response_bytes: u64,
}

#[derive(Deserialize)]
struct ErrorObject {
    code: i64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(bound = "R: DeserializeOwned")]
struct Response<R> {
    #[serde(default)]
    result: Option<R>,
    #[serde(default)]
    error: Option<ErrorObject>,
}

/// The longest provider message kept (some echo whole requests back).
const MESSAGE_CAP: usize = 512;

impl RpcEndpoint {
    pub fn new(url: SecretUrl, http: reqwest::Client, max_response_bytes: u64) -> Self {
        Self {
            url,
            http,
            max_response_bytes,
        }
    }

    /// Calls `method`; `Ok(None)` when the node answers `null`.
    pub async fn call<R: DeserializeOwned>(
        &self,
        method: &'static str,
        params: serde_json::Value,
    ) -> Result<Option<R>, L1ErrorKind> {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let mut response = self
            .http
            .post(self.url.url().clone())
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport(&e))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(L1ErrorKind::Transport {
                cause: TransportCause::Redirect,
                detail: format!("HTTP {status}; warden never follows redirects"),
            });
        }
        let cap = self.max_response_bytes;
        if response.content_length().is_some_and(|n| n > cap) {
            return Err(L1ErrorKind::TooLarge { cap });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(&e))? {
            if (bytes.len() + chunk.len()) as u64 > cap {
                return Err(L1ErrorKind::TooLarge { cap });
            }
            bytes.extend_from_slice(&chunk);
        }
        if status != 200 {
            // An HTTP failure (rate limit, gateway) is retried and failed over like a transport
            // error; a JSON-RPC error it carries is kept for range detection.
            let rpc = match serde_json::from_slice(&bytes) {
                Ok(Response::<serde::de::IgnoredAny> {
                    error: Some(error), ..
                }) => match self.rpc_error(error) {
                    L1ErrorKind::Rpc { code, message } => Some((code, message)),
                    _ => None,
                },
                _ => None,
            };
            return Err(L1ErrorKind::Http { status, rpc });
        }
        let answer: Response<R> = serde_json::from_slice(&bytes).map_err(|e| {
            L1ErrorKind::Malformed(format!(
                "{method} answer does not decode ({} bytes, at line {} column {})",
                bytes.len(),
                e.line(),
                e.column()
            ))
        })?;
        if let Some(error) = answer.error {
            return Err(self.rpc_error(error));
        }
        Ok(answer.result)
    }

    fn rpc_error(&self, error: ErrorObject) -> L1ErrorKind {
        let mut message = self.url.scrub(&error.message);
        if message.len() > MESSAGE_CAP {
            let mut end = MESSAGE_CAP;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push('…');
        }
        L1ErrorKind::Rpc {
            code: error.code,
            message,
        }
    }

    /// Classifies a reqwest failure by its cause chain and keeps the innermost cause's text,
    /// scrubbed of the URL.
    fn transport(&self, error: &reqwest::Error) -> L1ErrorKind {
        let (cause, detail) = transport_cause(error);
        L1ErrorKind::Transport {
            cause,
            detail: self.url.scrub(&detail),
        }
    }
}

/// DNS / connect / TLS / timeout from a reqwest error and its sources.
pub fn transport_cause(error: &reqwest::Error) -> (TransportCause, String) {
    let mut texts = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(e) = source {
        texts.push(e.to_string());
        source = e.source();
    }
    let all = texts.join(": ").to_ascii_lowercase();
    let innermost = texts.last().cloned().unwrap_or_default();
    let cause = if error.is_timeout() || all.contains("timed out") {
        TransportCause::Timeout
    } else if all.contains("dns error")
        || all.contains("failed to lookup address")
        || all.contains("name or service not known")
    {
        TransportCause::Dns
    } else if all.contains("certificate")
        || all.contains("tls")
        || all.contains("handshake")
        || all.contains("invalid peer")
    {
        TransportCause::Tls
    } else if error.is_connect() {
        TransportCause::Connect
    } else if error.is_body() || error.is_decode() {
        TransportCause::Body
    } else if error.is_redirect() {
        TransportCause::Redirect
    } else {
        TransportCause::Other
    };
    (cause, innermost)
}
