//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` beside the repository, when it exists (CI has it; a bare clone does not).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    dir.is_dir().then_some(dir)
}

/// Reads an anchor fixture, or prints why the case is skipped and returns `None`.
pub fn anchor_fixture(name: &str) -> Option<String> {
    match shared_dir() {
        Some(dir) => {
            let path = dir.join("fixtures/anchor").join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Some(text),
                Err(e) => {
                    eprintln!("SKIP: anchor fixture {} unreadable: {e}", path.display());
                    None
                }
            }
        }
        None => {
            eprintln!("SKIP: ../shared is absent, so anchor fixture {name} cannot be checked");
            None
        }
    }
}

/// Every stderr line of a run must be one JSON object with the envelope fields; returns them.
pub fn parse_events(stderr: &[u8]) -> Vec<serde_json::Value> {
    let text = std::str::from_utf8(stderr).expect("stderr is UTF-8");
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {line}"));
            for key in ["ts", "level", "cmd", "event"] {
                assert!(value.get(key).is_some(), "missing {key} in {line}");
            }
            value
        })
        .collect()
}

/// The single `exit` event of a run (asserts there is exactly one).
pub fn exit_event(stderr: &[u8]) -> serde_json::Value {
    let exits: Vec<_> = parse_events(stderr)
        .into_iter()
        .filter(|e| e["event"] == "exit")
        .collect();
    assert_eq!(exits.len(), 1, "exactly one exit event expected");
    exits.into_iter().next().unwrap()
}

pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}
