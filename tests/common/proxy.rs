//! A fault-injecting JSON-RPC proxy in front of anvil: it can drop `InputAdded` logs or answer
//! `eth_getLogs` with a provider's "range too large" error.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Remove the first log of every eth_getLogs answer that has one.
    DropFirstLog,
    /// eth_getLogs over more than `max_span` blocks fails with this message.
    RangeLimit {
        max_span: u64,
        message: String,
    },
    /// Every eth_getLogs fails with this message.
    AlwaysFail(String),
    /// Remove the InputAdded log carrying this input index from every eth_getLogs answer.
    DropInputIndex(u64),
    /// `getNumberOfInputs` answers this many fewer inputs (a node whose state lags its logs).
    InputCountBehind(u64),
    /// Refuse a bare 32-byte hash as a block parameter with -32602, as some node
    /// implementations do (they want the EIP-1898 object form).
    RejectBareHashParams,
    /// This method (any method) answers a JSON-RPC error, as a provider without it does; with
    /// `param`, only calls that pass that parameter value (e.g. the `pending` tag).
    MethodError {
        method: String,
        param: Option<String>,
        message: String,
    },
    /// eth_getLogs answers over more than `over_span` blocks are padded with `pad` bytes of
    /// JSON whitespace (same logs, a larger body: an answer over a byte cap).
    PadGetLogs {
        over_span: u64,
        pad: usize,
    },
    /// Every log of every eth_getLogs answer claims to come from this contract address.
    RewriteLogAddress(String),
    /// This method answers `result` (JSON text) without asking upstream.
    MethodResult {
        method: String,
        result: String,
    },
    /// eth_getBlockByNumber answers another hash for this block (a node on another branch).
    LieBlockHash(u64),
    /// The `safe` and `finalized` tags answer the block this many below (a lagging node).
    ConfirmedBehind(u64),
    /// Every eth_getLogs answer comes this many milliseconds late (a slow provider: a long
    /// catch-up that no single run finishes).
    DelayGetLogs(u64),
}

pub struct RpcProxy {
    pub url: String,
    pub fault: Arc<Mutex<Fault>>,
    pub get_logs_ranges: Arc<Mutex<Vec<(u64, u64)>>>,
}

impl RpcProxy {
    pub fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let fault = Arc::new(Mutex::new(Fault::None));
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let (f, r) = (fault.clone(), ranges.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (f, r, u) = (f.clone(), r.clone(), upstream.clone());
                std::thread::spawn(move || serve(stream, &u, f, r));
            }
        });
        Self {
            url,
            fault,
            get_logs_ranges: ranges,
        }
    }

    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }
}

fn read_http(reader: &mut impl BufRead) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    let mut content_length = 0usize;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            content_length = v.trim().parse().ok()?;
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
        head.push_str(&line);
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else {
        body.resize(content_length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some((head, body))
}

fn hex_u64(v: &Value) -> Option<u64> {
    u64::from_str_radix(v.as_str()?.trim_start_matches("0x"), 16).ok()
}

/// One JSON-RPC call upstream.
fn forward(upstream: &str, body: &[u8]) -> Value {
    let mut upstream_stream = TcpStream::connect(upstream).unwrap();
    let request_head = format!(
        "POST / HTTP/1.1\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    upstream_stream.write_all(request_head.as_bytes()).unwrap();
    upstream_stream.write_all(body).unwrap();
    let mut upstream_reader = BufReader::new(upstream_stream);
    let mut status = String::new();
    upstream_reader.read_line(&mut status).unwrap();
    let (_, response) = read_http(&mut upstream_reader).unwrap();
    serde_json::from_slice(&response).unwrap_or(Value::Null)
}

fn serve(
    mut client: TcpStream,
    upstream: &str,
    fault: Arc<Mutex<Fault>>,
    ranges: Arc<Mutex<Vec<(u64, u64)>>>,
) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    while let Some((_, body)) = read_http(&mut reader) {
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let fault = fault.lock().unwrap().clone();
        let mut answer: Option<Value> = None;
        if let Fault::MethodError {
            method,
            param,
            message,
        } = &fault
            && request["method"] == method.as_str()
            && param.as_ref().is_none_or(|p| {
                request["params"]
                    .as_array()
                    .is_some_and(|params| params.iter().any(|v| v == p.as_str()))
            })
        {
            answer = Some(
                json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32601, "message": message}}),
            );
        }
        if let Fault::MethodResult { method, result } = &fault
            && request["method"] == method.as_str()
        {
            let result: Value = serde_json::from_str(result).unwrap();
            answer = Some(json!({"jsonrpc": "2.0", "id": request["id"], "result": result}));
        }
        if fault == Fault::RejectBareHashParams
            && [
                "eth_call",
                "eth_getTransactionCount",
                "eth_getBalance",
                "eth_getCode",
                "eth_getStorageAt",
                "eth_getProof",
            ]
            .contains(&request["method"].as_str().unwrap_or(""))
            && request["params"].as_array().is_some_and(|params| {
                params
                    .iter()
                    .skip(1)
                    .any(|p| p.as_str().is_some_and(|s| s.len() == 66))
            })
        {
            answer = Some(json!({"jsonrpc": "2.0", "id": request["id"], "error": {
                "code": -32602,
                "message": "invalid argument 1: hex string has length 64, want 16 for hexutil.Uint64"
            }}));
        }
        if request["method"] == "eth_getLogs" {
            let filter = &request["params"][0];
            if let (Some(from), Some(to)) =
                (hex_u64(&filter["fromBlock"]), hex_u64(&filter["toBlock"]))
            {
                ranges.lock().unwrap().push((from, to));
                if let Fault::DelayGetLogs(ms) = fault {
                    std::thread::sleep(std::time::Duration::from_millis(ms));
                }
                let error = match &fault {
                    Fault::RangeLimit { max_span, message } if to - from + 1 > *max_span => {
                        Some(message.clone())
                    }
                    Fault::AlwaysFail(message) => Some(message.clone()),
                    _ => None,
                };
                if let Some(message) = error {
                    answer = Some(
                        json!({"jsonrpc": "2.0", "id": request["id"], "error": {"code": -32000, "message": message}}),
                    );
                }
            }
        }
        let answer = match answer {
            Some(a) => serde_json::to_vec(&a).unwrap(),
            None => {
                let mut value = forward(upstream, &body);
                if let Fault::ConfirmedBehind(behind) = fault
                    && request["method"] == "eth_getBlockByNumber"
                    && matches!(request["params"][0].as_str(), Some("safe" | "finalized"))
                    && let Some(number) = hex_u64(&value["result"]["number"])
                {
                    let older = json!({"jsonrpc": "2.0", "id": request["id"],
                        "method": "eth_getBlockByNumber",
                        "params": [format!("{:#x}", number.saturating_sub(behind)), false]});
                    value = forward(upstream, &serde_json::to_vec(&older).unwrap());
                }
                if let Fault::LieBlockHash(block) = fault
                    && request["method"] == "eth_getBlockByNumber"
                    && hex_u64(&value["result"]["number"]) == Some(block)
                {
                    value["result"]["hash"] = json!(format!("0x{}", "42".repeat(32)));
                }
                if fault == Fault::DropFirstLog
                    && request["method"] == "eth_getLogs"
                    && value["result"].as_array().is_some_and(|a| !a.is_empty())
                {
                    value["result"].as_array_mut().unwrap().remove(0);
                }
                if let Fault::DropInputIndex(index) = fault
                    && request["method"] == "eth_getLogs"
                    && let Some(logs) = value["result"].as_array_mut()
                {
                    let topic = format!("0x{index:064x}");
                    logs.retain(|log| log["topics"][2] != topic.as_str());
                }
                if let Fault::InputCountBehind(behind) = fault
                    && request["method"] == "eth_call"
                    && request["params"][0]["data"]
                        .as_str()
                        .or(request["params"][0]["input"].as_str())
                        .is_some_and(|d| d.starts_with("0x61a93c87"))
                    && let Some(count) = value["result"]
                        .as_str()
                        .and_then(|r| u64::from_str_radix(r.trim_start_matches("0x"), 16).ok())
                {
                    value["result"] = json!(format!("0x{:064x}", count.saturating_sub(behind)));
                }
                if let Fault::RewriteLogAddress(address) = &fault
                    && request["method"] == "eth_getLogs"
                    && let Some(logs) = value["result"].as_array_mut()
                {
                    for log in logs {
                        log["address"] = json!(address);
                    }
                }
                let mut bytes = serde_json::to_vec(&value).unwrap();
                if let Fault::PadGetLogs { over_span, pad } = fault
                    && request["method"] == "eth_getLogs"
                    && let (Some(from), Some(to)) = (
                        hex_u64(&request["params"][0]["fromBlock"]),
                        hex_u64(&request["params"][0]["toBlock"]),
                    )
                    && to - from + 1 > over_span
                {
                    bytes.resize(bytes.len() + pad, b' ');
                }
                bytes
            }
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            answer.len()
        );
        if client.write_all(head.as_bytes()).is_err() || client.write_all(&answer).is_err() {
            return;
        }
    }
}
