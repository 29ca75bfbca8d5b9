//! Values that must never reach stderr, state files or metrics: RPC URLs (credentials hide in
//! user info, paths and queries) and private keys. Their `Debug`, `Display` and `Serialize` show
//! only a redacted form; the raw value is reachable only through `expose`.

use crate::events::redact_url;
use serde::{Serialize, Serializer};
use std::fmt;

/// An endpoint URL; shown as `scheme://host[:port]`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(String);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The full URL, for the HTTP client only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for SecretUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

/// A private key as given (hex); never shown in any form.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for SecretKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Events, LogFormat};
    use serde_json::json;

    const URL: &str = "https://alice:pa55word@eth.example.org:8545/v3/APIKEY0123?token=QUERYSECRET";
    const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    fn leaks(text: &str) -> bool {
        [
            "alice",
            "pa55word",
            "APIKEY0123",
            "QUERYSECRET",
            "59c6995e998f97a5",
        ]
        .iter()
        .any(|s| text.contains(s))
    }

    #[test]
    fn secrets_never_render() {
        let url = SecretUrl::new(URL);
        let key = SecretKey::new(KEY);
        for text in [
            format!("{url} {url:?} {key} {key:?}"),
            serde_json::to_string(&json!({"url": url, "key": key})).unwrap(),
            serde_json::to_string(&vec![url.clone()]).unwrap(),
        ] {
            assert!(!leaks(&text), "{text}");
        }
        assert_eq!(url.to_string(), "https://eth.example.org:8545");
        assert_eq!(url.expose(), URL);
    }

    #[test]
    fn events_carrying_secrets_stay_clean() {
        let events = Events::new("tick", LogFormat::Json);
        let url = SecretUrl::new(URL);
        let key = SecretKey::new(KEY);
        let fields = json!({"endpoint": url, "key": key, "detail": format!("{url:?} {key:?}")});
        let line = events.render(
            crate::events::Level::Error,
            "exit",
            fields,
            std::time::SystemTime::now(),
        );
        assert!(!leaks(&line), "{line}");
        assert!(line.contains("https://eth.example.org:8545"));
    }
}
