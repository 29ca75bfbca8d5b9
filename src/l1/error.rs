//! Typed L1 failures. Provider errors keep their JSON-RPC code; transport failures keep their
//! cause (DNS, connect, TLS, timeout); nothing here ever carries more of an endpoint than
//! `scheme://host[:port]`.

use crate::outcome::{ErrorClass, Stop};
use std::fmt;

/// Why a request never got a JSON-RPC answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportCause {
    Dns,
    Connect,
    Tls,
    Timeout,
    /// The connection broke while the body was read.
    Body,
    /// The endpoint answered with a redirect, which warden never follows.
    Redirect,
    Other,
}

impl TransportCause {
    pub fn as_str(self) -> &'static str {
        match self {
            TransportCause::Dns => "DNS resolution failed",
            TransportCause::Connect => "connection failed",
            TransportCause::Tls => "TLS handshake failed",
            TransportCause::Timeout => "timed out",
            TransportCause::Body => "the response broke off",
            TransportCause::Redirect => "redirect refused",
            TransportCause::Other => "request failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum L1ErrorKind {
    /// No answer: retried, then the next endpoint is tried.
    Transport {
        cause: TransportCause,
        detail: String,
    },
    /// An HTTP status other than 200 (rate limits, gateways): retried and failed over. A
    /// JSON-RPC error in the body is kept (code, message).
    Http {
        status: u16,
        rpc: Option<(i64, String)>,
    },
    /// The node answered with a JSON-RPC error (another endpoint would say the same).
    Rpc { code: i64, message: String },
    /// The answer was larger than `--max-response-bytes`.
    TooLarge { cap: u64 },
    /// The answer is not what the method returns.
    Malformed(String),
    /// The endpoint serves another chain than the one pinned.
    WrongChain { served: u64, pinned: u64 },
}

/// One failed L1 request: which endpoint (redacted), which method, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct L1Error {
    pub endpoint: String,
    pub method: &'static str,
    pub kind: L1ErrorKind,
}

impl L1Error {
    /// Worth retrying on the same endpoint and failing over to the next.
    pub fn is_transport(&self) -> bool {
        matches!(
            self.kind,
            L1ErrorKind::Transport { .. } | L1ErrorKind::Http { .. }
        )
    }

    /// The JSON-RPC error code and message, from a plain error answer or an HTTP failure's body.
    pub fn rpc(&self) -> Option<(i64, &str)> {
        match &self.kind {
            L1ErrorKind::Rpc { code, message }
            | L1ErrorKind::Http {
                rpc: Some((code, message)),
                ..
            } => Some((*code, message)),
            _ => None,
        }
    }

    /// A plain JSON-RPC error answer (HTTP 200): the node understood and refused.
    pub fn rpc_code(&self) -> Option<i64> {
        match &self.kind {
            L1ErrorKind::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn class(&self) -> ErrorClass {
        match self.kind {
            L1ErrorKind::WrongChain { .. } | L1ErrorKind::TooLarge { .. } => ErrorClass::Operator,
            L1ErrorKind::Http {
                status: 401 | 403, ..
            } => ErrorClass::Operator,
            _ => ErrorClass::Transient,
        }
    }

    /// What the operator should do next.
    fn advice(&self) -> &'static str {
        match self.kind {
            L1ErrorKind::WrongChain { .. } => {
                "point --l1-rpc-url at the network this state directory is pinned to (nothing was \
                 signed or committed)"
            }
            L1ErrorKind::TooLarge { .. } => {
                "raise --max-response-bytes if the endpoint is trusted, or use another endpoint"
            }
            L1ErrorKind::Http {
                status: 401 | 403, ..
            } => "the endpoint refused the credentials: check the URL's API key",
            _ => {
                "the next run retries (check the endpoint, or add another --l1-rpc-url, if this \
                 persists)"
            }
        }
    }
}

impl fmt::Display for L1ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            L1ErrorKind::Transport { cause, detail } if detail.is_empty() => {
                f.write_str(cause.as_str())
            }
            L1ErrorKind::Transport { cause, detail } => write!(f, "{} ({detail})", cause.as_str()),
            L1ErrorKind::Http { status, rpc: None } => write!(f, "HTTP status {status}"),
            L1ErrorKind::Http {
                status,
                rpc: Some((code, message)),
            } => write!(f, "HTTP status {status}, error {code}: {message}"),
            L1ErrorKind::Rpc { code, message } => write!(f, "error {code}: {message}"),
            L1ErrorKind::TooLarge { cap } => {
                write!(f, "the answer is larger than the {cap}-byte cap")
            }
            L1ErrorKind::Malformed(what) => write!(f, "malformed answer: {what}"),
            L1ErrorKind::WrongChain { served, pinned } => write!(
                f,
                "the endpoint serves chain {served}, but this state directory is pinned to \
                 chain {pinned}"
            ),
        }
    }
}

impl fmt::Display for L1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L1 {} via {}: {}", self.method, self.endpoint, self.kind)
    }
}

impl From<L1Error> for Stop {
    fn from(error: L1Error) -> Self {
        let advice = error.advice();
        Stop::not_done(error.class(), format!("{error}; {advice}"))
    }
}
