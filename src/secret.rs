//! Values that must never reach stderr, state files or metrics: endpoint URLs (credentials hide in
//! the user info, the path and the query) and private keys. Their `Debug`, `Display` and
//! `Serialize` show only a redacted form; the raw value is reachable only through `url`/`expose`.
//!
//! A URL is parsed once, with the WHATWG parser the HTTP client itself uses (`reqwest::Url`), and
//! that one parse decides validity, the plain-http-to-loopback rule and the redacted form, so the
//! host warden checks is the host the request goes to.

use serde::{Serialize, Serializer};
use std::fmt;

/// A parsed endpoint URL; shown as `scheme://host[:port]`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretUrl(reqwest::Url);

impl SecretUrl {
    /// Parses and validates an endpoint: http(s) only, a host, no fragment, and plain http only
    /// to a loopback host unless `allow_insecure`. `what` names the setting in messages; no
    /// message quotes any part of the text.
    pub fn parse(what: &str, text: &str, allow_insecure: bool) -> Result<Self, String> {
        let url = reqwest::Url::parse(text.trim()).map_err(|e| {
            format!("{what} does not parse as a URL ({e}); expected http(s)://host[:port][/path]")
        })?;
        let secret = Self(url);
        let shown = secret.redacted();
        if secret.0.fragment().is_some() {
            return Err(format!(
                "{what} {shown} has a #fragment, which HTTP never sends; remove it"
            ));
        }
        let Some(host) = secret.0.host() else {
            return Err(format!("{what} {shown} has no host"));
        };
        match secret.0.scheme() {
            "https" => Ok(secret),
            "http" if allow_insecure || is_loopback(&host) => Ok(secret),
            "http" => Err(format!(
                "{what} {shown} is plain http to a non-loopback host; use https, or pass \
                 --allow-insecure-rpc if this network is trusted"
            )),
            other => Err(format!(
                "{what} has scheme {other:?}; only http and https are supported"
            )),
        }
    }

    /// The URL, for the HTTP client only.
    pub fn url(&self) -> &reqwest::Url {
        &self.0
    }

    /// Whether requests to this endpoint need TLS (and so the trusted roots).
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }

    /// The full text, for the HTTP client only.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// `scheme://host[:port]`, the only form that may be shown.
    pub fn redacted(&self) -> String {
        let host = match self.0.host() {
            Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
            Some(host) => host.to_string(),
            None => return "<no host>".into(),
        };
        match self.0.port() {
            Some(port) => format!("{}://{host}:{port}", self.0.scheme()),
            None => format!("{}://{host}", self.0.scheme()),
        }
    }

    /// `scheme://host[:port]` plus the path, for routes under a base; still no user info,
    /// query or fragment. Only for URLs whose path is known to hold no secret.
    pub fn origin_and_path(&self) -> String {
        let path = self.0.path().trim_end_matches('/');
        format!("{}{path}", self.redacted())
    }

    /// True when the path, query or user info could hold a secret.
    pub fn has_secret_parts(&self) -> bool {
        !self.0.username().is_empty()
            || self.0.password().is_some()
            || self.0.query().is_some()
            || !matches!(self.0.path(), "" | "/")
    }

    /// Replaces every secret-bearing part of this URL that occurs in `message`.
    pub fn scrub(&self, message: &str) -> String {
        let mut out = message.replace(self.0.as_str(), &self.redacted());
        let trimmed = self.0.as_str().trim_end_matches('/');
        if trimmed.len() > 8 {
            out = out.replace(trimmed, &self.redacted());
        }
        let path = self.0.path();
        let parts = [
            self.0.password().unwrap_or(""),
            self.0.query().unwrap_or(""),
            if path == "/" { "" } else { path },
            self.0.username(),
        ];
        for part in parts {
            if part.len() > 1 {
                out = out.replace(part, "<redacted>");
                if let Ok(decoded) = urlencoding_decode(part)
                    && decoded.len() > 1
                {
                    out = out.replace(&decoded, "<redacted>");
                }
            }
        }
        out
    }
}

/// Percent-decodes (for scrubbing the decoded form of a credential too).
fn urlencoding_decode(text: &str) -> Result<String, ()> {
    let bytes: Vec<u8> = url::form_urlencoded::parse(text.as_bytes())
        .flat_map(|(k, v)| {
            let mut out = k.into_owned().into_bytes();
            if !v.is_empty() {
                out.push(b'=');
                out.extend(v.into_owned().into_bytes());
            }
            out
        })
        .collect();
    String::from_utf8(bytes).map_err(|_| ())
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
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

/// An operator-given path as messages may show it: as given, unless it looks like a secret
/// pasted into the wrong flag (a run of 64 hex digits, or a URL), which is never echoed.
pub fn shown_path(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    let mut run = 0usize;
    let mut longest = 0usize;
    for c in text.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    if longest >= 40 || text.contains("://") {
        "<the path given (not shown: it looks like a key or a URL)>".to_string()
    } else {
        text.to_string()
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

    fn parse(text: &str) -> Result<SecretUrl, String> {
        SecretUrl::parse("rpc", text, false)
    }

    #[test]
    fn secrets_never_render() {
        let url = parse(URL).unwrap();
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
        let url = parse(URL).unwrap();
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

    #[test]
    fn validation_follows_the_clients_parser() {
        assert!(parse("http://127.0.0.1:8545").is_ok());
        assert!(parse("http://127.3.2.1:8545").is_ok());
        assert!(parse("http://localhost:8545/").is_ok());
        assert!(parse("http://[::1]:8545").is_ok());
        assert!(parse("https://rpc.example.com/v3/KEY").is_ok());
        assert!(SecretUrl::parse("rpc", "http://rpc.example.com", true).is_ok());
        assert!(SecretUrl::parse("rpc", "ftp://rpc.example.com", true).is_err());
        assert!(SecretUrl::parse("rpc", "rpc.example.com", true).is_err());
        assert!(SecretUrl::parse("rpc", "http://", true).is_err());
        // The backslash differential: WHATWG reads `\` as `/`, so the host is 192.0.2.2.
        let err = parse("http://192.0.2.2:18547\\@127.0.0.1/").unwrap_err();
        assert!(err.contains("192.0.2.2"), "{err}");
        assert!(err.contains("non-loopback"), "{err}");
        // Fragments are refused.
        assert!(parse("https://rpc.example.com/#frag").is_err());
    }

    #[test]
    fn errors_never_quote_secret_parts() {
        for text in [
            "http://user:pw@rpc.example.com/KEY?x=SECRET",
            "https://user:p#a?s/s@127.0.0.1:bad/KEY",
            "https://127.0.0.1:1\u{b}3\\APIKEYAPIKEY",
            "https://u:SECRETPW@[::1:8545/KEY",
        ] {
            if let Err(e) = parse(text) {
                for secret in ["pw@", "SECRET", "KEY", "p#a", "APIKEY"] {
                    assert!(!e.contains(secret), "{text}: {e}");
                }
            }
        }
        let url = parse("https://127.0.0.1:1/v3/APIKEYAPIKEY").unwrap();
        assert_eq!(url.redacted(), "https://127.0.0.1:1");
    }

    #[test]
    fn paths_that_look_like_secrets_are_not_shown() {
        use std::path::Path;
        assert_eq!(
            shown_path(Path::new("/var/lib/warden/app")),
            "/var/lib/warden/app"
        );
        for secret in [&KEY[2..], KEY, URL] {
            assert!(!shown_path(Path::new(secret)).contains("59c6995e"));
            assert!(!shown_path(Path::new(secret)).contains("APIKEY"));
        }
    }

    #[test]
    fn scrubbing_removes_every_form() {
        let url = parse(URL).unwrap();
        let message = format!(
            "error sending request for url ({URL}): timed out; also /v3/APIKEY0123 and \
             token=QUERYSECRET"
        );
        let clean = url.scrub(&message);
        assert!(!leaks(&clean), "{clean}");
    }
}
