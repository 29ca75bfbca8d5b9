//! A sequencer double for tests and the demo: an in-process HTTP server serving the three
//! `finalized_state` routes (canonical-protocol §8) from a state the caller sets (computed by
//! replaying L1 with the canonical core, see `canonical_state_at`), and able to lie on demand.
//! It stands in for the real sequencer's operator routes only; everything else in a devnet is real.

use super::DevnetError;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behavior {
    Honest,
    /// Serve the state with one byte flipped (digest and bytes agree with each other).
    FlipByte(usize),
    /// Report this block instead of the real one.
    ReportBlock(u64),
    NotFound,
    Unavailable,
    /// Sleep this long before answering.
    Stall(Duration),
    Garbage,
    /// Announce more bytes than are sent, on every route.
    WrongLength,
    /// `l2_tx_index` instead of `executed_input_count`.
    OldFieldNames,
    /// 404 on `/finalized_state/digest` only (an older build).
    NoDigestRoute,
    /// As `NoDigestRoute`, and `/finalized_state` is one block behind what
    /// `/finalized_state/inclusion_block` says (a sequencer that moved between the two calls).
    NoDigestRouteStateBehind,
    /// Honest, but every route is served only under this path prefix (a base URL such as
    /// `http://host/api/v1/TOKEN`); any other path is 404.
    UnderPrefix(String),
    /// Every route answers `302 Found` with this `Location`.
    Redirect(String),
}

#[derive(Debug, Clone)]
pub struct Served {
    pub block: u64,
    pub count: u64,
    pub bytes: Vec<u8>,
    pub behavior: Behavior,
}

pub struct SequencerDouble {
    pub url: String,
    pub served: Arc<Mutex<Served>>,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl SequencerDouble {
    /// Serves on a free loopback port until the process exits.
    pub fn start() -> Result<Self, DevnetError> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| DevnetError(format!("sequencer double: bind: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| DevnetError(format!("sequencer double: {e}")))?;
        let url = format!("http://{address}");
        let served = Arc::new(Mutex::new(Served {
            block: 0,
            count: 0,
            bytes: vec![],
            behavior: Behavior::Honest,
        }));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (s, r) = (served.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, r) = (s.clone(), r.clone());
                std::thread::spawn(move || handle(stream, s, r));
            }
        });
        Ok(Self {
            url,
            served,
            requests,
        })
    }

    pub fn set(&self, block: u64, count: u64, bytes: Vec<u8>) {
        let mut served = locked(&self.served);
        served.block = block;
        served.count = count;
        served.bytes = bytes;
    }

    pub fn behave(&self, behavior: Behavior) {
        locked(&self.served).behavior = behavior;
    }

    pub fn request_count(&self) -> usize {
        locked(&self.requests).len()
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    headers: &[(&str, String)],
    body: &[u8],
    announce: Option<usize>,
) {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\n\r\n",
        announce.unwrap_or(body.len())
    ));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

fn handle(mut stream: TcpStream, served: Arc<Mutex<Served>>, requests: Arc<Mutex<Vec<String>>>) {
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let mut path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    locked(&requests).push(path.clone());
    let snapshot = locked(&served).clone();
    if let Behavior::UnderPrefix(prefix) = &snapshot.behavior {
        match path.strip_prefix(prefix.as_str()) {
            Some(route) => path = route.to_string(),
            None => return respond(&mut stream, "404 Not Found", &[], b"", None),
        }
    }
    if let Behavior::Redirect(location) = &snapshot.behavior {
        return respond(
            &mut stream,
            "302 Found",
            &[("Location", location.clone())],
            b"",
            None,
        );
    }
    let mut bytes = snapshot.bytes.clone();
    let mut block = snapshot.block;
    match &snapshot.behavior {
        Behavior::NotFound => return respond(&mut stream, "404 Not Found", &[], b"", None),
        Behavior::Unavailable => {
            return respond(&mut stream, "503 Service Unavailable", &[], b"", None);
        }
        Behavior::Stall(d) => std::thread::sleep(*d),
        Behavior::Garbage => return respond(&mut stream, "200 OK", &[], b"<html>oops", None),
        Behavior::FlipByte(at) if !bytes.is_empty() => {
            let at = at % bytes.len();
            bytes[at] ^= 0x01;
        }
        Behavior::ReportBlock(b) => block = *b,
        _ => {}
    }
    let sha = hex::encode(Sha256::digest(&bytes));
    let count_key = if snapshot.behavior == Behavior::OldFieldNames {
        "l2_tx_index"
    } else {
        "executed_input_count"
    };
    let json_headers = [("Content-Type", "application/json".to_string())];
    let announce = (snapshot.behavior == Behavior::WrongLength).then(|| bytes.len() + 100);
    match path.as_str() {
        "/finalized_state/inclusion_block" => {
            let body = format!(
                "{{\"inclusion_block\":{block},\"{count_key}\":{}}}",
                snapshot.count
            );
            let announce = announce.map(|_| body.len() + 100);
            respond(
                &mut stream,
                "200 OK",
                &json_headers,
                body.as_bytes(),
                announce,
            )
        }
        "/finalized_state/digest" => {
            if matches!(
                snapshot.behavior,
                Behavior::NoDigestRoute | Behavior::NoDigestRouteStateBehind
            ) {
                return respond(&mut stream, "404 Not Found", &[], b"", None);
            }
            let body = format!(
                "{{\"inclusion_block\":{block},\"{count_key}\":{},\"sha256\":\"{sha}\"}}",
                snapshot.count
            );
            let announce = announce.map(|_| body.len() + 100);
            respond(
                &mut stream,
                "200 OK",
                &json_headers,
                body.as_bytes(),
                announce,
            )
        }
        "/finalized_state" => {
            if snapshot.behavior == Behavior::NoDigestRouteStateBehind {
                block = block.saturating_sub(1);
            }
            respond(
                &mut stream,
                "200 OK",
                &[
                    ("Content-Type", "application/octet-stream".to_string()),
                    ("X-Inclusion-Block", block.to_string()),
                    (
                        if count_key == "l2_tx_index" {
                            "X-L2-Tx-Index"
                        } else {
                            "X-Executed-Input-Count"
                        },
                        snapshot.count.to_string(),
                    ),
                    ("ETag", format!("\"block-{block}\"")),
                ],
                &bytes,
                announce,
            )
        }
        _ => respond(&mut stream, "404 Not Found", &[], b"", None),
    }
}
