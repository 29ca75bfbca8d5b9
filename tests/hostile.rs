//! Hostile inputs (issue 12): every read bounded, nothing followed that warden did not create, no
//! secret ever echoed. One test (or a few) per numbered finding of the issue, each asserting the
//! fixed behaviour through the real binary: exit 0/1/2 only with exactly one exit event, a clear
//! message, the state directory and the key intact, no secret byte in stderr, state files, metrics
//! or `status`, and bounded memory (the child's peak RSS from `wait4`) where a size is involved.

mod common;

use alloy::primitives::{Address, U256};
use common::devnet;
use common::proxy::{Fault, RpcProxy};
use common::sequencer::Behavior;
use common::state::init_state;
use common::world::{SUBMITTER_KEY, World};
use serde_json::Value;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use warden::canonical::batch::Batch;

// ---------------------------------------------------------------------------------------------
// Running the binary with the OS's accounting.

/// A finished run: exit code, output, the child's peak RSS (from `wait4`) and wall time.
struct Measured {
    code: Option<i32>,
    stdout: String,
    stderr: Vec<u8>,
    exit: Value,
    peak_rss_mb: f64,
    elapsed: Duration,
    pid: u64,
}

impl Measured {
    fn message(&self) -> String {
        self.exit["message"].as_str().unwrap_or("").to_string()
    }

    /// Everything the run printed, for secret scans.
    fn output(&self) -> String {
        format!("{}\n{}", self.stdout, String::from_utf8_lossy(&self.stderr))
    }

    fn class(&self) -> &str {
        self.exit["class"].as_str().unwrap_or("")
    }
}

/// `warden` with JSON events and none of the caller's `WARDEN_*` settings.
fn warden() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("warden"));
    cmd.env("WARDEN_LOG_FORMAT", "json");
    for (key, _) in std::env::vars_os() {
        if key.as_bytes().starts_with(b"WARDEN_") && key != "WARDEN_LOG_FORMAT" {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// `warden` against a world's state directory, the L1 endpoint `l1` and its sequencer double.
fn warden_in(w: &World, l1: &str) -> Command {
    let mut cmd = warden();
    cmd.env("WARDEN_STATE_DIR", w.state_dir.path())
        .env("WARDEN_L1_RPC_URL", l1)
        .env("WARDEN_SEQUENCER_URL", &w.sequencer.url);
    cmd
}

/// Where the probe finds what to run (see [`rss_probe`]).
const PROBE_SPEC: &str = "HOSTILE_RSS_PROBE_SPEC";

/// Helper process of [`measure`]: runs one command, waits for it with `wait4` and writes its exit
/// status, peak RSS and wall time to a file. `measure` starts it as a fresh small process, so the
/// child's `ru_maxrss` is its own: a child spawned straight from the test process inherits the
/// test process's high-water RSS at `exec` (Linux carries `signal->maxrss` across it).
#[test]
#[ignore = "helper process of the measuring tests (they spawn it with --ignored)"]
fn rss_probe() {
    let Some(spec) = std::env::var_os(PROBE_SPEC) else {
        return;
    };
    let spec: Value = serde_json::from_slice(&std::fs::read(spec).unwrap()).unwrap();
    let text = |k: &str| spec[k].as_str().unwrap().to_string();
    let args: Vec<std::ffi::OsString> = spec["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            use std::os::unix::ffi::OsStringExt;
            std::ffi::OsString::from_vec(hex::decode(a.as_str().unwrap()).unwrap())
        })
        .collect();
    let limit = Duration::from_millis(spec["limit_ms"].as_u64().unwrap());
    let started = Instant::now();
    // Reaped by wait4 below, not by Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(text("program"))
        .args(&args)
        .env_remove(PROBE_SPEC)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(text("stdout")).unwrap())
        .stderr(std::fs::File::create(text("stderr")).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; wait4 fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut killed = false;
    loop {
        // SAFETY: valid pointers to locals; pid is our own child.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        assert_eq!(r, 0, "wait4: {}", std::io::Error::last_os_error());
        if started.elapsed() > limit && !killed {
            // SAFETY: our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let result = serde_json::json!({
        "exited": libc::WIFEXITED(status),
        "code": libc::WEXITSTATUS(status),
        "status": status,
        "maxrss_kb": usage.ru_maxrss,
        "elapsed_ms": started.elapsed().as_millis() as u64,
        "killed": killed,
        "pid": pid,
    });
    std::fs::write(text("result"), result.to_string()).unwrap();
}

/// Runs `cmd` to completion (killed after `limit`) through [`rss_probe`], which measures the
/// child's peak RSS with `wait4`. Asserts the output contract: exit 0/1/2, every stderr line one
/// JSON object, exactly one exit event, no panic.
fn measure(cmd: Command, limit: Duration) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let spec = serde_json::json!({
        "program": cmd.get_program().to_str().unwrap(),
        "args": cmd.get_args().map(|a| hex::encode(a.as_bytes())).collect::<Vec<_>>(),
        "limit_ms": limit.as_millis() as u64,
        "stdout": path("stdout"),
        "stderr": path("stderr"),
        "result": path("result"),
    });
    std::fs::write(path("spec"), spec.to_string()).unwrap();
    let mut probe = Command::new(std::env::current_exe().unwrap());
    probe.args([
        "--ignored",
        "--exact",
        "rss_probe",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => probe.env(key, value),
            None => probe.env_remove(key),
        };
    }
    let probe = probe
        .env(PROBE_SPEC, path("spec"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "the probe failed: {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let result: Value = serde_json::from_slice(&std::fs::read(path("result")).unwrap()).unwrap();
    let stdout = std::fs::read(path("stdout")).unwrap();
    let stderr = std::fs::read(path("stderr")).unwrap();
    assert!(
        result["killed"] == false,
        "warden did not finish within {limit:?} (killed); stderr: {}",
        String::from_utf8_lossy(&stderr)
    );
    let code = (result["exited"] == true).then(|| result["code"].as_i64().unwrap() as i32);
    assert!(
        matches!(code, Some(0..=2)),
        "exit {code:?} ({result}); stderr: {}",
        String::from_utf8_lossy(&stderr)
    );
    let events = common::parse_events(&stderr);
    assert!(
        !events.iter().any(|e| e["event"] == "panic"),
        "panicked: {}",
        String::from_utf8_lossy(&stderr)
    );
    let exit = common::exit_event(&stderr);
    assert_eq!(exit["code"].as_i64(), code.map(i64::from), "{exit}");
    Measured {
        code,
        stdout: String::from_utf8_lossy(&stdout).to_string(),
        stderr,
        exit,
        peak_rss_mb: result["maxrss_kb"].as_f64().unwrap() / 1024.0,
        elapsed: Duration::from_millis(result["elapsed_ms"].as_u64().unwrap()),
        pid: result["pid"].as_u64().unwrap(),
    }
}

const QUICK: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Secret scans.

/// The regular files under `dir` (not following links, nothing over 8 MiB), with their bytes.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
            } else if meta.is_file() && meta.len() <= 8 << 20 {
                out.push((path.clone(), std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    out
}

/// Asserts that no secret occurs (ASCII case-insensitively) in `text`.
fn assert_clean(what: &str, text: &[u8], secrets: &[String]) {
    let lower = text.to_ascii_lowercase();
    for secret in secrets {
        let needle = secret.to_ascii_lowercase().into_bytes();
        assert!(
            !lower.windows(needle.len()).any(|w| w == needle.as_slice()),
            "{what} leaks {secret:?}: {}",
            String::from_utf8_lossy(text)
        );
    }
}

/// Asserts that no secret occurs in any file under `dir`.
fn assert_dir_clean(dir: &Path, secrets: &[String]) {
    for (path, bytes) in files_under(dir) {
        assert_clean(&path.display().to_string(), &bytes, secrets);
    }
}

/// Every 12-digit window of a key's hex: catches the key with or without `0x`, in any case, and
/// any sizeable part of it.
fn key_fragments(key_hex: &str) -> Vec<String> {
    let hex = key_hex.trim_start_matches("0x").to_ascii_lowercase();
    (0..=hex.len() - 12)
        .map(|i| hex[i..i + 12].to_string())
        .collect()
}

/// Every number a decoder could read out of `bytes` (4- and 8-byte words at every offset, both
/// byte orders), in decimal: a message quoting one of them quotes the file's content.
fn decimal_words(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..bytes.len() {
        if let Some(w) = bytes.get(i..i + 4) {
            let w: [u8; 4] = w.try_into().unwrap();
            out.push(u32::from_le_bytes(w).to_string());
            out.push(u32::from_be_bytes(w).to_string());
        }
        if let Some(w) = bytes.get(i..i + 8) {
            let w: [u8; 8] = w.try_into().unwrap();
            out.push(u64::from_le_bytes(w).to_string());
            out.push(u64::from_be_bytes(w).to_string());
        }
    }
    // Short numbers could be anything (a size, a duration); these are all 9 digits or more for
    // ASCII content, but keep only those to be sure.
    out.retain(|s| s.len() >= 9);
    out
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    let r = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
    assert_eq!(r, 0, "mkfifo: {}", std::io::Error::last_os_error());
}

fn is_regular(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

fn sparse_file(path: &Path, len: u64) {
    let file = std::fs::File::create(path).unwrap();
    file.set_len(len).unwrap();
}

fn write_key_file(path: &Path, key_hex: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    writeln!(file, "{key_hex}").unwrap();
}

/// Every file under `dir` with its bytes, for "intact" checks (lock files, run records, metrics
/// and temporary files legitimately change on every run).
fn contents(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .filter(|(p, _)| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            !(name == "LOCK"
                || name.starts_with("last_")
                || name.ends_with(".prom")
                || name.contains(".tmp"))
        })
        .collect()
}

/// Asserts two [`contents`] are equal, naming the paths that differ.
fn assert_same(
    what: &str,
    before: &std::collections::BTreeMap<PathBuf, Vec<u8>>,
    after: &std::collections::BTreeMap<PathBuf, Vec<u8>>,
) {
    let changed: Vec<&PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    assert!(changed.is_empty(), "{what}: changed {changed:?}");
}

// ---------------------------------------------------------------------------------------------
// A small HTTP server that misbehaves on purpose and counts its connections.

#[derive(Clone)]
enum Answer {
    /// `200 OK` and a JSON body that never ends; `chunked` or close-delimited.
    Endless { chunked: bool },
    /// `302 Found` to this location.
    Redirect(String),
    /// A JSON-RPC answer that is fine (`eth_chainId` = 31337); for redirect targets.
    Plain,
}

struct HostileServer {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl HostileServer {
    fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let answer = answer.clone();
                std::thread::spawn(move || serve_hostile(stream, answer));
            }
        });
        Self { url, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn serve_hostile(mut stream: TcpStream, answer: Answer) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    match answer {
        Answer::Endless { chunked } => {
            let head = if chunked {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            } else {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
            };
            if stream.write_all(head.as_bytes()).is_err() {
                return;
            }
            let prefix = br#"{"jsonrpc":"2.0","id":1,"result":"0x"#;
            let zeros = vec![b'0'; 64 * 1024];
            let frame = |data: &[u8]| -> Vec<u8> {
                if chunked {
                    let mut v = format!("{:x}\r\n", data.len()).into_bytes();
                    v.extend_from_slice(data);
                    v.extend_from_slice(b"\r\n");
                    v
                } else {
                    data.to_vec()
                }
            };
            if stream.write_all(&frame(prefix)).is_err() {
                return;
            }
            let chunk = frame(&zeros);
            // Until the client hangs up (or 8 GiB, whichever comes first).
            for _ in 0..(8u64 << 30) / zeros.len() as u64 {
                if stream.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
        Answer::Redirect(location) => {
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            );
        }
        Answer::Plain => {
            let body = br#"{"jsonrpc":"2.0","id":1,"result":"0x7a69"}"#;
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            let _ = stream.write_all(body);
        }
    }
}

/// `init` arguments for an identity that need not exist (for runs that must fail before L1
/// could confirm it).
fn init_args() -> Vec<String> {
    let a = |b: u8| format!("{:#x}", Address::repeat_byte(b));
    vec![
        "init".into(),
        "--app".into(),
        a(0xaa),
        "--batch-submitter".into(),
        a(0x5b),
        "--erc20-portal".into(),
        a(0x50),
        "--token".into(),
        a(0x70),
        "--chain-id".into(),
        "31337".into(),
        "--sequencer-url".into(),
        "http://127.0.0.1:1".into(),
    ]
}

const KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

// ---------------------------------------------------------------------------------------------
// 1. Key echoed.

#[test]
fn key_pasted_as_key_file_path_is_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    init_state(&state, &[10]);
    let outbox = dir.path().join("outbox");
    std::fs::create_dir(&outbox).unwrap();
    let bare = KEY.trim_start_matches("0x");
    let mut secrets = key_fragments(KEY);
    secrets.push(bare.to_ascii_uppercase());

    let mut variants: Vec<Command> = Vec::new();
    for text in [
        KEY.to_string(),
        bare.to_ascii_uppercase(),
        format!(" {bare}\n"),
    ] {
        let mut by_env = warden();
        by_env
            .env("WARDEN_STATE_DIR", &state)
            .env("WARDEN_L1_RPC_URL", "http://127.0.0.1:1")
            .env("WARDEN_SUBMITTER_KEY_FILE", &text)
            .args(["submit", "--outbox"])
            .arg(&outbox);
        variants.push(by_env);
        let mut by_flag = warden();
        by_flag
            .env("WARDEN_STATE_DIR", &state)
            .env("WARDEN_L1_RPC_URL", "http://127.0.0.1:1")
            .args(["submit", "--outbox"])
            .arg(&outbox)
            .arg("--key-file")
            .arg(&text);
        variants.push(by_flag);
    }
    // A key "file" that is a FIFO or a device: refused at once, never read.
    let fifo = dir.path().join("key.fifo");
    mkfifo(&fifo);
    for path in [fifo.as_path(), Path::new("/dev/zero")] {
        let mut cmd = warden();
        cmd.env("WARDEN_STATE_DIR", &state)
            .env("WARDEN_L1_RPC_URL", "http://127.0.0.1:1")
            .args(["submit", "--outbox"])
            .arg(&outbox)
            .arg("--key-file")
            .arg(path);
        let run = measure(cmd, Duration::from_secs(20));
        assert_eq!(run.code, Some(1), "{}", run.exit);
        assert_eq!(run.class(), "operator", "{}", run.exit);
        assert!(run.message().contains("not a regular file"), "{}", run.exit);
        assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    }
    for cmd in variants {
        let run = measure(cmd, QUICK);
        assert_eq!(run.code, Some(1), "{}", run.exit);
        assert_eq!(run.class(), "operator", "{}", run.exit);
        assert!(
            run.message()
                .contains("--key-file / WARDEN_SUBMITTER_KEY_FILE"),
            "{}",
            run.exit
        );
        assert_clean("submit's output", run.output().as_bytes(), &secrets);
        let record = std::fs::read(state.join("submitter/last_submit.json")).unwrap();
        assert_clean("last_submit.json", &record, &secrets);
    }
    let mut status = warden();
    status.env("WARDEN_STATE_DIR", &state).arg("status");
    let status = measure(status, QUICK);
    assert_eq!(status.code, Some(0), "{}", status.exit);
    assert!(status.stdout.contains("last_submit"), "{}", status.stdout);
    assert_clean("status", status.output().as_bytes(), &secrets);
    // Every file of the state directory: records, status.prom, submit.prom.
    assert!(state.join("submit.prom").exists());
    assert_dir_clean(&state, &secrets);
}

// ---------------------------------------------------------------------------------------------
// 2. Unbounded L1 responses.

#[test]
fn endless_l1_answer_stops_at_the_default_cap_with_bounded_memory() {
    let server = HostileServer::start(Answer::Endless { chunked: true });
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = warden();
    cmd.env("WARDEN_STATE_DIR", dir.path().join("state"))
        .env("WARDEN_L1_RPC_URL", &server.url)
        .args(init_args());
    let run = measure(cmd, Duration::from_secs(60));
    eprintln!(
        "endless body, default cap: {:?}, peak RSS {:.1} MB",
        run.elapsed, run.peak_rss_mb
    );
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.class(), "operator", "{}", run.exit);
    let cap = warden::l1::rpc::DEFAULT_MAX_RESPONSE_BYTES;
    assert!(
        run.message().contains(&format!("{cap}-byte cap")),
        "{}",
        run.exit
    );
    assert!(
        run.message().contains("--max-response-bytes"),
        "{}",
        run.exit
    );
    assert!(run.peak_rss_mb < 300.0, "peak RSS {} MB", run.peak_rss_mb);
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
}

#[test]
fn endless_l1_answer_stops_at_a_configured_cap() {
    for chunked in [true, false] {
        let server = HostileServer::start(Answer::Endless { chunked });
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = warden();
        cmd.env("WARDEN_STATE_DIR", dir.path().join("state"))
            .env("WARDEN_L1_RPC_URL", &server.url)
            .args(init_args())
            .args(["--max-response-bytes", "4096"]);
        let run = measure(cmd, QUICK);
        eprintln!(
            "endless body (chunked: {chunked}), 4096-byte cap: {:?}, peak RSS {:.1} MB",
            run.elapsed, run.peak_rss_mb
        );
        assert_eq!(run.code, Some(1), "{}", run.exit);
        assert_eq!(run.class(), "operator", "{}", run.exit);
        assert!(run.message().contains("4096-byte cap"), "{}", run.exit);
        assert!(run.message().contains("eth_chainId"), "{}", run.exit);
        assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
        assert!(run.peak_rss_mb < 100.0, "peak RSS {} MB", run.peak_rss_mb);
        // The state directory is not left initialised.
        assert!(!dir.path().join("state/config.json").exists());
    }
}

#[test]
fn get_logs_answer_over_the_cap_splits_its_range() {
    let (mut w, _) = World::agreed();
    w.advance();
    w.advance();
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    // Any eth_getLogs over more than 2 blocks comes back 40 KB larger than the 32 KiB cap.
    proxy.set(Fault::PadGetLogs {
        over_span: 2,
        pad: 40_000,
    });
    let mut cmd = warden_in(&w, &proxy.url);
    cmd.args(["tick", "--max-response-bytes", "32768"]);
    let run = measure(cmd, Duration::from_secs(60));
    assert_eq!(run.code, Some(0), "{}", run.exit);
    assert_eq!(run.exit["outcome"], "agreed", "{}", run.exit);
    let ranges = proxy.get_logs_ranges.lock().unwrap().clone();
    assert!(
        ranges.iter().any(|(from, to)| to - from + 1 > 2),
        "no large window was tried: {ranges:?}"
    );
    assert!(
        ranges.iter().any(|(from, to)| to - from < 2),
        "the window was never split: {ranges:?}"
    );

    // A single block over the cap cannot be split: exit 1 naming the cap, no endless halving.
    w.advance();
    proxy.get_logs_ranges.lock().unwrap().clear();
    proxy.set(Fault::PadGetLogs {
        over_span: 0,
        pad: 40_000,
    });
    let mut cmd = warden_in(&w, &proxy.url);
    cmd.args(["tick", "--max-response-bytes", "32768"]);
    let run = measure(cmd, Duration::from_secs(60));
    eprintln!(
        "one block over the cap: {:?}, {} getLogs calls: {}",
        run.elapsed,
        proxy.get_logs_ranges.lock().unwrap().len(),
        run.message()
    );
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.class(), "operator", "{}", run.exit);
    assert!(run.message().contains("32768-byte cap"), "{}", run.exit);
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
}

// ---------------------------------------------------------------------------------------------
// 3. Hostile outbox entries.

/// An initialised world, the submitter's key in a file, and a fresh outbox per case.
struct Outboxes {
    w: World,
    dir: tempfile::TempDir,
    key_file: PathBuf,
    cases: usize,
    initial: std::collections::BTreeMap<PathBuf, Vec<u8>>,
}

impl Outboxes {
    fn new() -> Self {
        let w = World::new();
        let run = w.init();
        assert_eq!(run.code, Some(0), "{}", run.exit);
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("submitter.key");
        write_key_file(&key_file, devnet::ANVIL_KEYS[SUBMITTER_KEY]);
        let initial = contents(w.state_dir.path());
        Self {
            w,
            dir,
            key_file,
            cases: 0,
            initial,
        }
    }

    /// The watchdog's state is what init left, and nothing was signed or journalled (submit
    /// may cache the L1 frontier in `submitter/frontier.json`).
    fn assert_state_intact(&self) {
        let mut now = contents(self.w.state_dir.path());
        now.retain(|p, _| !p.ends_with("submitter/frontier.json"));
        assert_same("the state directory", &self.initial, &now);
    }

    fn outbox(&mut self) -> PathBuf {
        self.cases += 1;
        let path = self.dir.path().join(format!("outbox{}", self.cases));
        std::fs::create_dir(&path).unwrap();
        path
    }

    fn submit(&self, outbox: &Path, limit: Duration) -> Measured {
        self.submit_via(&self.w.devnet.anvil.url, outbox, limit)
    }

    fn submit_via(&self, l1: &str, outbox: &Path, limit: Duration) -> Measured {
        let mut cmd = warden_in(&self.w, l1);
        cmd.args(["submit", "--outbox"])
            .arg(outbox)
            .arg("--key-file")
            .arg(&self.key_file);
        measure(cmd, limit)
    }

    fn secrets(&self) -> Vec<String> {
        let mut s = key_fragments(devnet::ANVIL_KEYS[SUBMITTER_KEY]);
        s.extend(decimal_words(&std::fs::read(&self.key_file).unwrap()));
        s
    }

    fn assert_key_intact(&self) {
        self.assert_state_intact();
        assert_eq!(
            std::fs::read_to_string(&self.key_file).unwrap(),
            format!("{}\n", devnet::ANVIL_KEYS[SUBMITTER_KEY])
        );
    }

    /// The output, the state directory and `status` hold no key byte.
    fn assert_no_key_anywhere(&self, run: &Measured) {
        let secrets = self.secrets();
        assert_clean("submit's output", run.output().as_bytes(), &secrets);
        assert_dir_clean(self.w.state_dir.path(), &secrets);
        let mut status = warden_in(&self.w, &self.w.devnet.anvil.url);
        status.arg("status");
        let status = run_status(status);
        assert_clean("status", status.as_bytes(), &secrets);
    }
}

fn run_status(cmd: Command) -> String {
    let status = measure(cmd, QUICK);
    assert_eq!(status.code, Some(0), "{}", status.exit);
    status.output()
}

const BATCH_ZERO: &str = "00000000000000000000.ssz";

#[test]
fn outbox_fifo_fails_fast_and_releases_the_lock() {
    let mut o = Outboxes::new();
    let outbox = o.outbox();
    mkfifo(&outbox.join(BATCH_ZERO));
    let first = o.submit(&outbox, Duration::from_secs(20));
    eprintln!("FIFO in the outbox: exit after {:?}", first.elapsed);
    assert_eq!(first.code, Some(1), "{}", first.exit);
    assert_eq!(first.class(), "operator", "{}", first.exit);
    assert!(first.message().contains(BATCH_ZERO), "{}", first.exit);
    assert!(first.message().contains("FIFO"), "{}", first.exit);
    assert!(
        first.elapsed < Duration::from_secs(10),
        "{:?}",
        first.elapsed
    );
    // The lock was released: the same run again is the same refusal, not busy…
    let second = o.submit(&outbox, Duration::from_secs(20));
    assert_eq!(second.code, Some(1), "{}", second.exit);
    assert_ne!(second.class(), "busy", "{}", second.exit);
    // …and once the FIFO is gone, submit runs.
    let empty = o.outbox();
    let third = o.submit(&empty, Duration::from_secs(60));
    assert_eq!(third.code, Some(0), "{}", third.exit);
    o.assert_key_intact();
}

#[test]
fn outbox_symlink_to_dev_zero_is_refused_without_reading() {
    let mut o = Outboxes::new();
    let outbox = o.outbox();
    std::os::unix::fs::symlink("/dev/zero", outbox.join(BATCH_ZERO)).unwrap();
    let run = o.submit(&outbox, Duration::from_secs(20));
    eprintln!(
        "symlink to /dev/zero: {:?}, peak RSS {:.1} MB",
        run.elapsed, run.peak_rss_mb
    );
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.class(), "operator", "{}", run.exit);
    assert!(run.message().contains("not a regular file"), "{}", run.exit);
    assert!(run.message().contains("symlink"), "{}", run.exit);
    assert!(run.peak_rss_mb < 100.0, "peak RSS {} MB", run.peak_rss_mb);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    o.assert_key_intact();
}

#[test]
fn outbox_sparse_gigabyte_file_is_refused_by_its_size() {
    let mut o = Outboxes::new();
    let outbox = o.outbox();
    sparse_file(&outbox.join(BATCH_ZERO), 1 << 30);
    let run = o.submit(&outbox, Duration::from_secs(20));
    eprintln!(
        "sparse 1 GiB outbox file: {:?}, peak RSS {:.1} MB",
        run.elapsed, run.peak_rss_mb
    );
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.class(), "operator", "{}", run.exit);
    assert!(run.message().contains("65216"), "{}", run.exit);
    assert!(run.message().contains(BATCH_ZERO), "{}", run.exit);
    assert!(run.peak_rss_mb < 100.0, "peak RSS {} MB", run.peak_rss_mb);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    o.assert_key_intact();
}

#[test]
fn outbox_symlink_to_the_key_file_leaks_nothing() {
    let mut o = Outboxes::new();
    let outbox = o.outbox();
    std::os::unix::fs::symlink(&o.key_file, outbox.join(BATCH_ZERO)).unwrap();
    let run = o.submit(&outbox, QUICK);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.class(), "operator", "{}", run.exit);
    assert!(run.message().contains("symlink"), "{}", run.exit);
    o.assert_no_key_anywhere(&run);
    o.assert_key_intact();
}

#[test]
fn outbox_hard_link_to_the_key_file_fails_to_decode_without_quoting_it() {
    let mut o = Outboxes::new();
    let outbox = o.outbox();
    // Same filesystem: the key file is in the outbox's parent directory.
    std::fs::hard_link(&o.key_file, outbox.join(BATCH_ZERO)).unwrap();
    let run = o.submit(&outbox, QUICK);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.class(), "operator", "{}", run.exit);
    assert!(run.message().contains("does not decode"), "{}", run.exit);
    eprintln!("hard link to the key: {}", run.message());
    // Positions within the file are fine; values read from it are not.
    o.assert_no_key_anywhere(&run);
    o.assert_key_intact();
}

// ---------------------------------------------------------------------------------------------
// 4. init removes nothing it did not create.

#[test]
fn init_refuses_a_directory_with_foreign_content_before_any_network_call() {
    let l1 = HostileServer::start(Answer::Plain);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(state.join("checkpoints/run42")).unwrap();
    std::fs::write(state.join("head.json"), b"{\"mine\": \"not warden's\"}").unwrap();
    std::fs::write(state.join("checkpoints/run42/x"), b"precious").unwrap();
    let mut cmd = warden();
    cmd.env("WARDEN_STATE_DIR", &state)
        .env("WARDEN_L1_RPC_URL", &l1.url)
        .args(init_args());
    let run = measure(cmd, QUICK);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.class(), "operator", "{}", run.exit);
    assert!(run.message().contains("run42"), "{}", run.exit);
    assert_eq!(
        std::fs::read(state.join("head.json")).unwrap(),
        b"{\"mine\": \"not warden's\"}"
    );
    assert_eq!(
        std::fs::read(state.join("checkpoints/run42/x")).unwrap(),
        b"precious"
    );
    assert_eq!(l1.hits(), 0, "init reached L1 before refusing");

    // Against a closed port the message is still about the foreign entry, not L1.
    let mut closed = warden();
    closed
        .env("WARDEN_STATE_DIR", &state)
        .env("WARDEN_L1_RPC_URL", "http://127.0.0.1:1")
        .args(init_args());
    let closed = measure(closed, QUICK);
    assert_eq!(closed.code, Some(1));
    assert!(closed.message().contains("run42"), "{}", closed.exit);
    assert!(state.join("checkpoints/run42/x").exists());
    assert!(state.join("head.json").exists());
}

// ---------------------------------------------------------------------------------------------
// 5. Non-UTF-8 arguments.

#[test]
fn non_utf8_arguments_are_a_usage_error_not_a_panic() {
    let bad = OsStr::from_bytes(b"\xff\xfe");
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<Vec<&OsStr>> = vec![vec![bad]];
    for sub in [
        "init", "tick", "submit", "status", "recover", "snapshot", "inspect",
    ] {
        cases.push(vec![OsStr::new(sub), bad]);
    }
    cases.push(vec![OsStr::new("tick"), OsStr::new("--l1-rpc-url"), bad]);
    cases.push(vec![OsStr::new("--log-format"), bad, OsStr::new("tick")]);
    cases.push(vec![
        OsStr::new("inspect"),
        OsStr::new("state"),
        OsStr::new("--encoding"),
        bad,
        OsStr::new("-"),
    ]);
    for args in cases {
        let mut cmd = warden();
        cmd.env("WARDEN_STATE_DIR", dir.path()).args(&args);
        let run = measure(cmd, QUICK);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.exit);
        assert_eq!(run.exit["cmd"], "warden", "{args:?}: {}", run.exit);
        assert!(!run.message().is_empty(), "{args:?}: {}", run.exit);
    }
    // A non-UTF-8 *path* is a path like any other: no panic either.
    let mut cmd = warden();
    cmd.arg("status")
        .arg("--state-dir")
        .arg(dir.path().join(bad));
    let run = measure(cmd, QUICK);
    assert_eq!(run.code, Some(1), "{}", run.exit);
}

// ---------------------------------------------------------------------------------------------
// 6. Evidence memory.

/// Peak RSS allowed for a tick that diffs a 1M-account (52 MB) state: measured 175 MB in a debug
/// build (the build before issue 12 needed 1.4 GB).
const EVIDENCE_RSS_MB: f64 = 400.0;

/// The canonical state bytes of `state` with `extra` accounts of balance 1 added (what
/// `encode_state` would produce, built directly: a million-entry `BTreeMap` is slow in a debug
/// build). `extra` must be ascending.
fn state_bytes(state: &warden::canonical::snapshot::DecodedState, extra: &[Address]) -> Vec<u8> {
    let mut balances: Vec<(Address, U256)> = state.balances.clone();
    balances.extend(extra.iter().map(|a| (*a, U256::from(1u64))));
    balances.sort_by_key(|(a, _)| *a);
    let fixed = warden::canonical::snapshot::STATE_FIXED_LEN;
    let mut out = Vec::with_capacity(fixed + balances.len() * 52 + state.nonces.len() * 24);
    for address in [
        state.config.erc20_portal,
        state.config.supported_token,
        state.config.fee_recipient,
    ] {
        out.extend_from_slice(address.as_slice());
    }
    out.extend_from_slice(&(fixed as u32).to_le_bytes());
    out.extend_from_slice(&((fixed + balances.len() * 52) as u32).to_le_bytes());
    out.extend_from_slice(&state.executed_input_count.to_le_bytes());
    out.extend_from_slice(&state.last_executed_safe_block.unwrap().to_le_bytes());
    for (address, balance) in &balances {
        out.extend_from_slice(address.as_slice());
        out.extend_from_slice(&balance.to_be_bytes::<32>());
    }
    for (address, nonce) in &state.nonces {
        out.extend_from_slice(address.as_slice());
        out.extend_from_slice(&nonce.to_le_bytes());
    }
    out
}

#[test]
fn evidence_for_a_million_account_state_stays_small() {
    let (mut w, _) = World::agreed();
    let block = w.advance();
    let (honest, count) = {
        let served = w.sequencer.served.lock().unwrap();
        (served.bytes.clone(), served.count)
    };
    let decoded = warden::canonical::snapshot::decode_state(&honest).unwrap();
    assert_eq!(
        state_bytes(&decoded, &[]),
        honest,
        "the test's encoder is canonical"
    );
    let extra: Vec<Address> = (0..1_000_000u32)
        .map(|i| {
            let mut a = [0xeeu8; 20];
            a[16..].copy_from_slice(&i.to_be_bytes());
            Address::from(a)
        })
        .collect();
    let lying = state_bytes(&decoded, &extra);
    eprintln!("served state: {} bytes", lying.len());
    w.sequencer.set(block, count, lying);
    let mut cmd = warden_in(&w, &w.devnet.anvil.url);
    cmd.arg("tick");
    let run = measure(cmd, Duration::from_secs(120));
    eprintln!(
        "1M-account mismatch: {:?}, peak RSS {:.1} MB",
        run.elapsed, run.peak_rss_mb
    );
    assert_eq!(run.code, Some(2), "{}", run.exit);
    assert_eq!(run.exit["kind"], "state_mismatch", "{}", run.exit);
    assert!(
        run.peak_rss_mb < EVIDENCE_RSS_MB,
        "peak RSS {:.1} MB",
        run.peak_rss_mb
    );
    for line in String::from_utf8_lossy(&run.stderr).lines() {
        assert!(line.len() < 64 << 10, "a {}-byte stderr line", line.len());
    }
    let evidence_path = w.state_dir.path().join("incident/evidence.json");
    let size = std::fs::metadata(&evidence_path).unwrap().len();
    eprintln!("evidence.json: {size} bytes");
    assert!(size < 64 << 10, "evidence.json is {size} bytes");
    let evidence: Value = serde_json::from_slice(&std::fs::read(&evidence_path).unwrap()).unwrap();
    let diff = &evidence["semantic_diff"];
    let listed = diff["balances"].as_array().expect("a decoded diff").len();
    assert!(listed <= 100, "{listed} balances listed");
    assert!(listed > 0);
    let total = diff["balances_total"].as_u64().unwrap();
    assert!((1_000_000..=1_000_010).contains(&total), "{total}");
}

// ---------------------------------------------------------------------------------------------
// 7. One URL parser.

#[test]
fn backslash_url_is_judged_by_the_host_the_client_would_use() {
    let dir = tempfile::tempdir().unwrap();
    init_state(dir.path(), &[10]);
    let mut cmd = warden();
    cmd.env("WARDEN_STATE_DIR", dir.path()).args([
        "tick",
        "--l1-rpc-url",
        r"http://192.0.2.2:18547\@127.0.0.1/",
    ]);
    let run = measure(cmd, QUICK);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.class(), "operator", "{}", run.exit);
    assert!(run.message().contains("plain http"), "{}", run.exit);
    assert!(run.message().contains("192.0.2.2"), "{}", run.exit);
    // Refused before any connection attempt (192.0.2.2 would take the connect timeout).
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
}

#[test]
fn url_secrets_survive_no_parser_differential() {
    let dir = tempfile::tempdir().unwrap();
    init_state(dir.path(), &[10]);
    let before = contents(dir.path());
    let cases: [(&str, &[&str]); 6] = [
        (r"https://127.0.0.1:1\v3\APIKEYAPIKEY", &["APIKEY", r"v3\"]),
        (
            "https://user:p#a/s?s@127.0.0.1:1/",
            &["p#a", "a/s?s", "user:"],
        ),
        (
            "https://user:pa/ss@127.0.0.1:1/",
            &["pa/ss", "user:", "ss@"],
        ),
        (
            "https://user:pa?ss@127.0.0.1:1/",
            &["pa?ss", "user:", "ss@"],
        ),
        (
            "https://us3r:s3cr%23t@127.0.0.1:1/",
            &["us3r", "s3cr", "%23t"],
        ),
        ("https://127.0.0.1:1/?key=QUERYSECRET", &["QUERYSECRET"]),
    ];
    for (url, secrets) in cases {
        let secrets: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
        for flag in ["--l1-rpc-url", "--sequencer-url"] {
            let mut cmd = warden();
            cmd.env("WARDEN_STATE_DIR", dir.path())
                .env("WARDEN_L1_RPC_URL", "http://127.0.0.1:1")
                .args(["tick", flag, url]);
            let run = measure(cmd, QUICK);
            assert_eq!(run.code, Some(1), "{url} {flag}: {}", run.exit);
            assert_clean(&format!("{url} {flag}"), run.output().as_bytes(), &secrets);
            assert_dir_clean(dir.path(), &secrets);
        }
        // init validates the same way.
        let fresh = tempfile::tempdir().unwrap();
        let mut cmd = warden();
        cmd.env("WARDEN_STATE_DIR", fresh.path())
            .env("WARDEN_L1_RPC_URL", url)
            .args(init_args());
        let run = measure(cmd, QUICK);
        assert_eq!(run.code, Some(1), "{url}: {}", run.exit);
        assert_clean(url, run.output().as_bytes(), &secrets);
        assert_dir_clean(fresh.path(), &secrets);
    }
    assert_same("the state directory", &before, &contents(dir.path()));
    let mut status = warden();
    status.env("WARDEN_STATE_DIR", dir.path()).arg("status");
    let out = run_status(status);
    assert_clean(
        "status",
        out.as_bytes(),
        &["APIKEY".into(), "QUERYSECRET".into(), "s3cr".into()],
    );
}

// ---------------------------------------------------------------------------------------------
// 8. --metrics-file in a shared directory.

#[test]
fn metrics_file_never_writes_through_planted_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    init_state(&state, &[10]);
    let shared = dir.path().join("textfiles");
    std::fs::create_dir(&shared).unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious\n").unwrap();
    let metrics = shared.join("warden.prom");
    std::os::unix::fs::symlink(&victim, shared.join("warden.prom.tmp")).unwrap();
    std::os::unix::fs::symlink(&victim, &metrics).unwrap();
    let mut planted_for_warden = 0;
    for _ in 0..2 {
        // The temporary name holds the writer's pid: plant a link at each of the next few
        // hundred pids, so the run meets one at its own temporary name.
        let last: u64 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        let planted: Vec<u64> = (last + 1..=last + 400).collect();
        for pid in &planted {
            let _ =
                std::os::unix::fs::symlink(&victim, shared.join(format!("warden.prom.tmp-{pid}")));
        }
        let mut cmd = warden();
        cmd.env("WARDEN_STATE_DIR", &state)
            .env("WARDEN_L1_RPC_URL", "http://127.0.0.1:1")
            .arg("tick")
            .arg("--metrics-file")
            .arg(&metrics);
        let run = measure(cmd, QUICK);
        assert_eq!(run.code, Some(1), "{}", run.exit);
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious\n");
        assert!(
            is_regular(&metrics),
            "the metrics file is not a regular file"
        );
        let text = std::fs::read_to_string(&metrics).unwrap();
        assert!(text.contains("cartesi_watchdog_"), "{text}");
        assert!(
            !run.stderr.windows(19).any(|w| w == b"metrics_not_written"),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        if planted.contains(&run.pid) {
            planted_for_warden += 1;
        }
    }
    eprintln!("runs that met a link planted at their own temporary name: {planted_for_warden}/2");
    // Beside the metrics file: only the planted links, untouched (no temporary file left).
    for entry in std::fs::read_dir(&shared).unwrap() {
        let path = entry.unwrap().path();
        if path != metrics {
            assert!(
                std::fs::symlink_metadata(&path).unwrap().is_symlink(),
                "{} is left over",
                path.display()
            );
            assert_eq!(std::fs::read_link(&path).unwrap(), victim);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Usage errors.

#[test]
fn usage_errors_quote_no_secret() {
    let key64 = KEY.trim_start_matches("0x");
    let url = "https://user:pw@host.example/KEY123";
    let mut secrets = key_fragments(KEY);
    secrets.extend(["pw@".to_string(), "KEY123".into(), "user:".into()]);
    let cases: Vec<(Vec<String>, Option<&str>)> = vec![
        (vec!["tick".into(), url.into()], None),
        (vec!["tick".into(), KEY.into()], None),
        (vec!["tick".into(), key64.into()], None),
        (vec![KEY.into()], None),
        (vec!["tick".into(), "--keep".into(), KEY.into()], None),
        (vec!["tick".into(), "--deadline".into(), url.into()], None),
        (
            vec!["tick".into(), "--max-response-bytes".into(), KEY.into()],
            None,
        ),
        (vec!["tick".into(), format!("--keep={KEY}")], None),
        (vec!["init".into(), "--app".into(), KEY.into()], None),
        (vec!["init".into(), "--bootstrap".into(), url.into()], None),
        (
            vec![
                "inspect".into(),
                "state".into(),
                "--encoding".into(),
                url.into(),
                "-".into(),
            ],
            None,
        ),
        (vec!["recover".into(), url.into()], None),
        (vec![format!("--{KEY}"), "tick".into()], None),
        (vec!["tick".into()], Some(url)),
        (vec!["tick".into()], Some(KEY)),
    ];
    for (args, log_format) in cases {
        let mut cmd = warden();
        if let Some(value) = log_format {
            cmd.env("WARDEN_LOG_FORMAT", value);
        }
        cmd.args(&args);
        let run = measure(cmd, QUICK);
        assert_eq!(run.code, Some(1), "{args:?}: {}", run.exit);
        assert!(!run.message().is_empty());
        assert_clean(&format!("{args:?}"), run.output().as_bytes(), &secrets);
    }
}

// ---------------------------------------------------------------------------------------------
// 10. A sequencer URL path token.

#[test]
fn sequencer_url_path_token_is_pinned_by_hash_and_never_shown() {
    let mut w = World::new();
    let prefix = "/api/v1/tok3nSECRET";
    w.sequencer.behave(Behavior::UnderPrefix(prefix.into()));
    let url = format!("{}{prefix}", w.sequencer.url);
    let secrets = vec!["tok3nSECRET".to_string()];
    let tick = |w: &World, seq: Option<&str>| {
        let mut cmd = warden();
        cmd.env("WARDEN_STATE_DIR", w.state_dir.path())
            .env("WARDEN_L1_RPC_URL", &w.devnet.anvil.url)
            .arg("tick");
        if let Some(s) = seq {
            cmd.env("WARDEN_SEQUENCER_URL", s);
        }
        let run = measure(cmd, Duration::from_secs(60));
        assert_clean("tick", run.output().as_bytes(), &secrets);
        run
    };

    // A fragment is refused at init.
    let other = tempfile::tempdir().unwrap();
    let mut args = w.init_args();
    args.push("--sequencer-url".into());
    args.push(format!("{url}#frag"));
    let mut frag = warden();
    frag.env("WARDEN_STATE_DIR", other.path().join("state"))
        .env("WARDEN_L1_RPC_URL", &w.devnet.anvil.url)
        .args(&args);
    let run_frag = measure(frag, QUICK);
    assert_eq!(run_frag.code, Some(1), "{}", run_frag.exit);
    assert_eq!(run_frag.class(), "operator", "{}", run_frag.exit);
    assert!(run_frag.message().contains("fragment"), "{}", run_frag.exit);
    assert!(!other.path().join("state/config.json").exists());

    // init with the token in the path.
    let mut args = w.init_args();
    args.push("--sequencer-url".into());
    args.push(url.clone());
    let mut init = warden();
    init.env("WARDEN_STATE_DIR", w.state_dir.path())
        .env("WARDEN_L1_RPC_URL", &w.devnet.anvil.url)
        .args(&args);
    let init = measure(init, Duration::from_secs(60));
    assert_eq!(init.code, Some(0), "{}", init.exit);
    assert_clean("init", init.output().as_bytes(), &secrets);
    let config: Value =
        serde_json::from_slice(&std::fs::read(w.state_dir.path().join("config.json")).unwrap())
            .unwrap();
    assert_eq!(
        config["sequencer_url"],
        w.sequencer.url.as_str(),
        "{config}"
    );
    assert!(config["sequencer_url_sha256"].is_string(), "{config}");

    // Without the URL: asked for it.
    let bare = tick(&w, None);
    assert_eq!(bare.code, Some(1), "{}", bare.exit);
    assert_eq!(bare.class(), "operator", "{}", bare.exit);
    assert!(bare.message().contains("--sequencer-url"), "{}", bare.exit);
    // Another token: refused.
    let wrong = tick(&w, Some(&format!("{}/api/v1/tok3nOTHER", w.sequencer.url)));
    assert_eq!(wrong.code, Some(1), "{}", wrong.exit);
    assert_eq!(wrong.class(), "operator", "{}", wrong.exit);
    // The same URL: works.
    w.advance();
    let good = tick(&w, Some(&url));
    assert_eq!(good.code, Some(0), "{}", good.exit);
    assert_eq!(good.exit["outcome"], "agreed", "{}", good.exit);
    assert!(
        w.sequencer
            .requests
            .lock()
            .unwrap()
            .iter()
            .any(|p| p.starts_with(prefix)),
        "the double never saw the prefixed routes"
    );

    let mut status = warden();
    status
        .env("WARDEN_STATE_DIR", w.state_dir.path())
        .arg("status");
    let out = run_status(status);
    assert_clean("status", out.as_bytes(), &secrets);
    assert_dir_clean(w.state_dir.path(), &secrets);
}

// ---------------------------------------------------------------------------------------------
// 11 and 14a. Restores: archive names never collide; a restore onto the head is a no-op.

#[test]
fn restores_in_the_same_second_keep_every_archive_and_the_head_restore_is_a_no_op() {
    let (mut w, first) = World::agreed();
    let bundles = tempfile::tempdir().unwrap();
    let snapshot = |w: &World, name: &str| {
        let path = bundles.path().join(name);
        let mut cmd = warden_in(w, &w.devnet.anvil.url);
        cmd.args(["snapshot", "--out"]).arg(&path);
        let run = measure(cmd, QUICK);
        assert_eq!(run.code, Some(0), "{}", run.exit);
        path
    };
    let s1 = snapshot(&w, "s1");
    let second = w.advance_and_agree();
    assert!(second > first);
    let s2 = snapshot(&w, "s2");
    let restore = |from: &Path| {
        let mut cmd = warden_in(&w, &w.devnet.anvil.url);
        cmd.args(["recover", "restore", "--yes", "--from"])
            .arg(from);
        let run = measure(cmd, QUICK);
        assert_eq!(run.code, Some(0), "{}", run.exit);
        run
    };
    let archive = w.state_dir.path().join("archive");
    let archived = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&archive)
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    let mut restores = 0;
    let mut heads = Vec::new();
    // Alternate the two bundles until two restores land in the same second (a few tries).
    for _ in 0..10 {
        for bundle in [&s1, &s2] {
            heads.push(std::fs::read(w.state_dir.path().join("head.json")).unwrap());
            restore(bundle);
            restores += 1;
        }
        if archived().iter().any(|n| n.ends_with("-2")) {
            break;
        }
    }
    let names = archived();
    eprintln!("{restores} restores, archives: {names:?}");
    assert!(
        names.iter().any(|n| n.ends_with("-2")),
        "no two restores shared a second: {names:?}"
    );
    assert_eq!(names.len(), restores, "{names:?}");
    // Every archive keeps the head it replaced, in order of the stamps.
    let mut kept: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(archive.join(n).join("head.json")).unwrap())
        .collect();
    kept.sort();
    heads.sort();
    assert_eq!(kept, heads);

    // 14a: restoring the bundle of the head's own block with the same state changes nothing.
    let head_before = std::fs::read(w.state_dir.path().join("head.json")).unwrap();
    let checkpoints_before = contents(&w.state_dir.path().join("checkpoints"));
    let last = if restores % 2 == 0 { &s2 } else { &s1 };
    let same = restore(last);
    assert_eq!(same.exit["outcome"], "done", "{}", same.exit);
    assert_eq!(
        std::fs::read(w.state_dir.path().join("head.json")).unwrap(),
        head_before
    );
    assert_same(
        "checkpoints",
        &checkpoints_before,
        &contents(&w.state_dir.path().join("checkpoints")),
    );
    assert_eq!(archived(), names);
    // And tick continues from it.
    w.sequencer_at(second);
    let mut tick = warden_in(&w, &w.devnet.anvil.url);
    tick.arg("tick");
    let tick = measure(tick, QUICK);
    assert_eq!(tick.code, Some(0), "{}", tick.exit);
}

// ---------------------------------------------------------------------------------------------
// 12. Redirects.

#[test]
fn l1_redirect_is_not_followed() {
    let target = HostileServer::start(Answer::Plain);
    let redirect = HostileServer::start(Answer::Redirect(format!("{}/", target.url)));
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = warden();
    cmd.env("WARDEN_STATE_DIR", dir.path().join("state"))
        .env("WARDEN_L1_RPC_URL", &redirect.url)
        .args(init_args());
    let run = measure(cmd, QUICK);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert!(run.message().contains("redirect"), "{}", run.exit);
    assert!(redirect.hits() > 0);
    assert_eq!(target.hits(), 0, "the redirect was followed");
}

#[test]
fn sequencer_redirect_is_not_followed() {
    let target = HostileServer::start(Answer::Plain);
    let w = World::new();
    assert_eq!(w.init().code, Some(0));
    w.sequencer.behave(Behavior::Redirect(format!(
        "{}/finalized_state",
        target.url
    )));
    let mut cmd = warden_in(&w, &w.devnet.anvil.url);
    cmd.arg("tick");
    let run = measure(cmd, QUICK);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert!(run.message().contains("redirect"), "{}", run.exit);
    assert!(w.sequencer.request_count() > 0);
    assert_eq!(target.hits(), 0, "the redirect was followed");
}

// ---------------------------------------------------------------------------------------------
// 13. Planted state files.

/// `status`, then `tick` (which rewrites `last_tick.json`), on a state directory without L1.
fn tick_and_status(state: &Path) -> (Measured, Measured) {
    let mut status = warden();
    status.env("WARDEN_STATE_DIR", state).arg("status");
    let status = measure(status, Duration::from_secs(20));
    let mut tick = warden();
    tick.env("WARDEN_STATE_DIR", state)
        .env("WARDEN_L1_RPC_URL", "http://127.0.0.1:1")
        .arg("tick");
    let tick = measure(tick, Duration::from_secs(20));
    (tick, status)
}

fn head_checkpoint(state: &Path) -> PathBuf {
    let head: Value =
        serde_json::from_slice(&std::fs::read(state.join("head.json")).unwrap()).unwrap();
    state.join(head["checkpoint"].as_str().unwrap())
}

#[test]
fn planted_fifos_never_hang_a_run() {
    for planted in ["head.json", "manifest.json", "config.json"] {
        let dir = tempfile::tempdir().unwrap();
        init_state(dir.path(), &[10, 20]);
        let path = if planted == "manifest.json" {
            head_checkpoint(dir.path()).join(planted)
        } else {
            dir.path().join(planted)
        };
        std::fs::remove_file(&path).unwrap();
        mkfifo(&path);
        let before = contents(dir.path());
        let (tick, status) = tick_and_status(dir.path());
        assert_same(planted, &before, &contents(dir.path()));
        assert!(
            std::fs::symlink_metadata(&path).is_ok_and(|m| {
                use std::os::unix::fs::FileTypeExt;
                m.file_type().is_fifo()
            }),
            "{planted}: the FIFO was replaced"
        );
        for (what, run) in [("tick", &tick), ("status", &status)] {
            eprintln!("FIFO {planted}: {what} exits after {:?}", run.elapsed);
            assert_eq!(run.code, Some(1), "{planted} {what}: {}", run.exit);
            assert!(
                run.elapsed < Duration::from_secs(10),
                "{planted} {what}: {:?}",
                run.elapsed
            );
        }
        assert!(
            tick.message().contains(planted) || tick.message().contains("FIFO"),
            "{planted}: {}",
            tick.exit
        );
    }
}

#[test]
fn oversized_records_are_refused() {
    for planted in ["config.json", "last_tick.json"] {
        let dir = tempfile::tempdir().unwrap();
        init_state(dir.path(), &[10]);
        let path = dir.path().join(planted);
        let mut bytes = if planted == "config.json" {
            std::fs::read(&path).unwrap()
        } else {
            b"{}".to_vec()
        };
        // Valid JSON, 2 MiB of it.
        bytes.resize(2 << 20, b' ');
        std::fs::write(&path, &bytes).unwrap();
        let (tick, status) = tick_and_status(dir.path());
        for (what, run) in [("tick", &tick), ("status", &status)] {
            eprintln!(
                "2 MiB {planted}: {what} exit {:?} after {:?}: {}",
                run.code,
                run.elapsed,
                run.message()
            );
            assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
        }
        if planted == "config.json" {
            for run in [&tick, &status] {
                assert_eq!(run.code, Some(1), "{}", run.exit);
                assert!(run.message().contains("config.json"), "{}", run.exit);
            }
        } else {
            // Only status reads last_tick.json (a report: it shows the refusal and exits 0);
            // the oversized record is refused by its size, never parsed.
            eprintln!("{}", status.stdout);
            let report: Value = serde_json::from_str(&status.stdout).unwrap();
            let error = report["last_tick"]["error"].as_str().unwrap_or_default();
            assert!(error.contains("1048576"), "{}", status.stdout);
            assert_eq!(tick.code, Some(1), "{}", tick.exit);
        }
    }
}

#[test]
fn a_plain_file_named_incident_is_an_operator_error_that_clear_can_archive() {
    let (mut w, _) = World::agreed();
    std::fs::write(w.state_dir.path().join("incident"), b"not a latch").unwrap();
    let tick = w.warden(&["tick"]);
    assert_eq!(tick.code, Some(1), "{}", tick.exit);
    assert_eq!(tick.exit["class"], "operator", "{}", tick.exit);
    assert!(
        tick.exit["message"].as_str().unwrap().contains("incident"),
        "{}",
        tick.exit
    );
    let clear = w.warden(&[
        "recover", "clear", "--force", "--block", "0", "--reason", "x", "--yes",
    ]);
    assert_eq!(clear.code, Some(0), "{}", clear.exit);
    assert!(!w.state_dir.path().join("incident").exists());
    // Archived, not deleted.
    let kept = files_under(w.state_dir.path())
        .into_iter()
        .any(|(_, bytes)| bytes == b"not a latch");
    assert!(kept, "the planted incident was deleted, not archived");
    let block = w.advance();
    let tick = w.warden(&["tick"]);
    assert_eq!(tick.code, Some(0), "{}", tick.exit);
    assert_eq!(w.head_block(), block);
}

// ---------------------------------------------------------------------------------------------
// 14. Code-level findings.

#[test]
fn snapshot_verify_never_walks_or_reads_what_is_not_a_bundle() {
    let root = {
        let mut cmd = warden();
        cmd.args(["snapshot", "verify", "/"]);
        measure(cmd, QUICK)
    };
    eprintln!("snapshot verify /: {:?}", root.elapsed);
    assert_eq!(root.code, Some(1), "{}", root.exit);
    assert!(
        root.message().contains("not part of a bundle"),
        "{}",
        root.exit
    );
    assert!(root.elapsed < Duration::from_secs(3), "{:?}", root.elapsed);

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    init_state(&state, &[10]);
    let bundle = dir.path().join("bundle");
    let mut cmd = warden();
    cmd.env("WARDEN_STATE_DIR", &state)
        .args(["snapshot", "--out"])
        .arg(&bundle);
    let written = measure(cmd, QUICK);
    assert_eq!(written.code, Some(0), "{}", written.exit);
    let verify = |path: &Path| {
        let mut cmd = warden();
        cmd.args(["snapshot", "verify"]).arg(path);
        measure(cmd, QUICK)
    };
    assert_eq!(verify(&bundle).code, Some(0));
    // An extra 4 GiB (sparse) file at the root, then inside the checkpoint: refused by name.
    for extra in ["junk.bin", "checkpoint/junk.bin"] {
        let path = bundle.join(extra);
        sparse_file(&path, 4 << 30);
        let run = verify(&bundle);
        eprintln!(
            "bundle with {extra}: {:?}, peak RSS {:.1} MB",
            run.elapsed, run.peak_rss_mb
        );
        assert_eq!(run.code, Some(1), "{}", run.exit);
        assert!(run.message().contains("junk.bin"), "{}", run.exit);
        assert!(run.peak_rss_mb < 100.0, "{}", run.peak_rss_mb);
        assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
        std::fs::remove_file(&path).unwrap();
    }
    // machine.bin itself far over the state cap: refused by its size, not read.
    let machine = bundle.join("checkpoint/machine.bin");
    std::fs::remove_file(&machine).unwrap();
    sparse_file(&machine, 4 << 30);
    let run = verify(&bundle);
    eprintln!(
        "bundle with a 4 GiB machine.bin: {:?}, peak RSS {:.1} MB",
        run.elapsed, run.peak_rss_mb
    );
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert!(run.message().contains("machine.bin"), "{}", run.exit);
    assert!(run.message().contains("limit"), "{}", run.exit);
    assert!(run.peak_rss_mb < 100.0, "{}", run.peak_rss_mb);
}

#[test]
fn logs_from_another_contract_are_inconsistent_never_a_verdict() {
    let (mut w, head) = World::agreed();
    w.advance();
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    proxy.set(Fault::RewriteLogAddress(format!(
        "{:#x}",
        Address::repeat_byte(0x66)
    )));
    let run = w.warden_via(&proxy.url, &["tick"]);
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.exit["class"], "transient", "{}", run.exit);
    assert!(
        run.exit["message"]
            .as_str()
            .unwrap()
            .contains("inconsistent"),
        "{}",
        run.exit
    );
    assert_eq!(w.head_block(), head);
    assert!(!w.state_dir.path().join("incident").exists());
    // The honest endpoint then agrees.
    let run = w.warden(&["tick"]);
    assert_eq!(run.code, Some(0), "{}", run.exit);
}

#[test]
fn an_absurd_wallet_nonce_is_refused_without_a_panic() {
    let mut o = Outboxes::new();
    let outbox = o.outbox();
    std::fs::write(
        outbox.join(BATCH_ZERO),
        Batch {
            nonce: 0,
            frames: vec![],
        }
        .to_ssz(),
    )
    .unwrap();
    let proxy = RpcProxy::start(&o.w.devnet.anvil.url);
    proxy.set(Fault::MethodResult {
        method: "eth_getTransactionCount".into(),
        result: "\"0xffffffffffffffff\"".into(),
    });
    let run = o.submit_via(&proxy.url, &outbox, Duration::from_secs(60));
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_ne!(run.class(), "internal", "{}", run.exit);
    assert!(!run.message().is_empty());
    // Nothing was sent.
    let count =
        o.w.rt
            .block_on(devnet::rpc(
                &o.w.devnet.anvil.url,
                "eth_getTransactionCount",
                serde_json::json!([format!("{:#x}", o.w.submitter()), "latest"]),
            ))
            .unwrap();
    assert_eq!(count, "0x0");
}

#[test]
fn transport_failures_name_their_cause() {
    // An https URL to a plain-http server fails the TLS handshake.
    let plain = HostileServer::start(Answer::Plain);
    let tls = plain.url.replace("http://", "https://");
    for (url, cause) in [
        ("https://nonexistent.invalid", "DNS"),
        ("http://127.0.0.1:1", "connection"),
        (tls.as_str(), "TLS"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = warden();
        cmd.env("WARDEN_STATE_DIR", dir.path().join("state"))
            .env("WARDEN_L1_RPC_URL", url)
            .args(init_args());
        let run = measure(cmd, Duration::from_secs(60));
        eprintln!("{url}: {:?}: {}", run.elapsed, run.message());
        assert_eq!(run.code, Some(1), "{}", run.exit);
        assert_eq!(run.class(), "transient", "{}", run.exit);
        assert!(run.message().contains(cause), "{}", run.exit);
    }
}

#[test]
fn deadline_ends_a_tick_stalled_on_the_sequencer() {
    let w = World::new();
    assert_eq!(w.init().code, Some(0));
    let before = contents(w.state_dir.path());
    w.sequencer.behave(Behavior::Stall(Duration::from_secs(30)));
    let mut cmd = warden_in(&w, &w.devnet.anvil.url);
    cmd.args(["tick", "--deadline", "2s"]);
    let run = measure(cmd, Duration::from_secs(40));
    eprintln!(
        "tick --deadline 2s against a stalled sequencer: {:?}",
        run.elapsed
    );
    assert_eq!(run.code, Some(1), "{}", run.exit);
    assert_eq!(run.class(), "transient", "{}", run.exit);
    assert!(run.message().contains("deadline"), "{}", run.exit);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    assert!(w.state_dir.path().join("last_tick.json").exists());
    assert_same(
        "the state directory",
        &before,
        &contents(w.state_dir.path()),
    );
}
