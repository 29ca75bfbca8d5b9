//! `eth_getLogs` over long ranges (canonical-protocol §1): windows of at most `max_log_range`
//! blocks, each fetched with the bisection rule — on a range error, split `[from, to]` at
//! `from + (to − from) / 2`, depth first, left first; abort on any other error or a failing single
//! block. After a window needed splitting, later windows of the same run start at the largest
//! sub-range that succeeded. Only `l1::inputs` scans; this module knows nothing of inputs.

use super::L1Error;
use super::error::L1ErrorKind;
use alloy::primitives::{Address, B256, Bytes};
use std::future::Future;

/// The default provider codes that mean "range too large".
pub const DEFAULT_LONG_RANGE_CODES: [&str; 5] = ["-32005", "-32012", "-32600", "-32602", "-32616"];

/// The fields of a log warden uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLog {
    pub address: Address,
    pub block_number: u64,
    pub block_hash: Option<B256>,
    pub transaction_index: u64,
    pub log_index: u64,
    pub removed: bool,
    pub topics: Vec<B256>,
    pub data: Bytes,
}

/// One `eth_getLogs` call for an inclusive block range.
pub trait LogSource {
    fn fetch(&mut self, from: u64, to: u64) -> impl Future<Output = Result<Vec<RawLog>, L1Error>>;
}

/// Which failures mean "range too large": the configured codes, matched against the JSON-RPC
/// error code first and as substrings of the message second (some providers, and proxies, carry
/// the real code only in the message); an answer over the byte cap always splits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeCodes(Vec<String>);

impl RangeCodes {
    pub fn new(codes: &[String]) -> Self {
        Self(
            codes
                .iter()
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect(),
        )
    }

    pub fn default_codes() -> Self {
        Self(
            DEFAULT_LONG_RANGE_CODES
                .iter()
                .map(|c| c.to_string())
                .collect(),
        )
    }

    pub fn is_range_error(&self, error: &L1Error) -> bool {
        match &error.kind {
            L1ErrorKind::TooLarge { .. } => true,
            L1ErrorKind::Rpc { code, message } => {
                let code = code.to_string();
                self.0.contains(&code) || self.0.iter().any(|c| message.contains(c.as_str()))
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("eth_getLogs for blocks {from}..={to} failed: {error}")]
pub struct ScanError {
    pub from: u64,
    pub to: u64,
    pub error: L1Error,
}

/// Sorts by (block, transaction index, log index), the order inputs were added.
pub fn sort_logs(logs: &mut [RawLog]) {
    logs.sort_by_key(|l| (l.block_number, l.transaction_index, l.log_index));
}

/// Fetches one range with the bisection rule. Returns the logs (sorted), the largest span that
/// succeeded in one call, and whether it had to split.
pub async fn fetch_bisecting(
    source: &mut impl LogSource,
    from: u64,
    to: u64,
    codes: &RangeCodes,
) -> Result<(Vec<RawLog>, u64, bool), ScanError> {
    let mut logs = Vec::new();
    let mut largest_ok = 0u64;
    let mut split = false;
    if to < from {
        return Ok((logs, largest_ok, split));
    }
    // Depth first, left first: a stack whose top is always the leftmost pending range.
    let mut pending = vec![(from, to)];
    while let Some((a, b)) = pending.pop() {
        match source.fetch(a, b).await {
            Ok(mut found) => {
                largest_ok = largest_ok.max((b - a).saturating_add(1));
                logs.append(&mut found);
            }
            Err(error) => {
                if a < b && codes.is_range_error(&error) {
                    let mid = a + (b - a) / 2;
                    pending.push((mid + 1, b));
                    pending.push((a, mid));
                    split = true;
                } else {
                    return Err(ScanError {
                        from: a,
                        to: b,
                        error,
                    });
                }
            }
        }
    }
    sort_logs(&mut logs);
    Ok((logs, largest_ok, split))
}

/// How a scan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanEnd {
    /// Every window up to `to` was handed to the sink.
    Finished,
    /// The sink asked to stop, or the halt came while a window was fetched (that window is
    /// dropped); the windows before it were all handed to the sink.
    Stopped,
}

/// Splits `[from, to]` into windows and hands each window's sorted logs to `sink` as soon as it
/// is fetched (bounded memory); the sink returns whether to go on. The window shrinks after a
/// window needed bisection. A `halt` abandons the window being fetched.
pub async fn scan<E: From<ScanError>>(
    source: &mut impl LogSource,
    from: u64,
    to: u64,
    max_log_range: u64,
    codes: &RangeCodes,
    halt: Option<&crate::outcome::Halt>,
    mut sink: impl FnMut(u64, u64, Vec<RawLog>) -> Result<bool, E>,
) -> Result<ScanEnd, E> {
    let mut window = max_log_range.max(1);
    let mut start = from;
    while start <= to {
        let end = to.min(start.saturating_add(window - 1));
        let fetched = match halt {
            None => fetch_bisecting(source, start, end, codes).await?,
            Some(halt) => {
                tokio::select! {
                    biased;
                    fetched = fetch_bisecting(source, start, end, codes) => fetched?,
                    _ = halt.wait() => return Ok(ScanEnd::Stopped),
                }
            }
        };
        let (logs, largest_ok, split) = fetched;
        if split {
            window = largest_ok.max(1);
        }
        if !sink(start, end, logs)? {
            return Ok(ScanEnd::Stopped);
        }
        if end == u64::MAX {
            break;
        }
        start = end + 1;
    }
    Ok(ScanEnd::Finished)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that fails the listed ranges with a message and records every call.
    struct Scripted {
        failures: Vec<((u64, u64), String)>,
        calls: Vec<(u64, u64)>,
        limit: Option<u64>,
    }

    /// A provider that carries the real code only in the message (code -32000).
    fn failure(message: &str) -> L1Error {
        L1Error {
            endpoint: "http://127.0.0.1:1".into(),
            method: "eth_getLogs",
            kind: L1ErrorKind::Rpc {
                code: -32000,
                message: message.into(),
            },
        }
    }

    impl LogSource for Scripted {
        async fn fetch(&mut self, from: u64, to: u64) -> Result<Vec<RawLog>, L1Error> {
            self.calls.push((from, to));
            if let Some((_, m)) = self.failures.iter().find(|(r, _)| *r == (from, to)) {
                return Err(failure(m));
            }
            if let Some(limit) = self.limit
                && to - from + 1 > limit
            {
                return Err(failure("error -32005: too many blocks"));
            }
            Ok(vec![])
        }
    }

    fn codes() -> RangeCodes {
        RangeCodes::default_codes()
    }

    #[test]
    fn the_typed_code_matches_first_and_over_cap_answers_split() {
        let codes = RangeCodes::new(&["-32005".into(), "35".into()]);
        let typed = |code| L1Error {
            endpoint: String::new(),
            method: "eth_getLogs",
            kind: L1ErrorKind::Rpc {
                code,
                message: "query exceeds the limit".into(),
            },
        };
        assert!(codes.is_range_error(&typed(-32005)));
        assert!(codes.is_range_error(&typed(35)));
        assert!(!codes.is_range_error(&typed(-32000)));
        assert!(codes.is_range_error(&failure("error -32005: too many")));
        let too_large = L1Error {
            endpoint: String::new(),
            method: "eth_getLogs",
            kind: L1ErrorKind::TooLarge { cap: 1 },
        };
        assert!(codes.is_range_error(&too_large));
        let transport = L1Error {
            endpoint: String::new(),
            method: "eth_getLogs",
            kind: L1ErrorKind::Transport {
                cause: crate::l1::TransportCause::Timeout,
                detail: "-32005".into(),
            },
        };
        assert!(!codes.is_range_error(&transport));
    }

    fn run(from: u64, to: u64, failures: &[((u64, u64), &str)]) -> (Vec<(u64, u64)>, bool) {
        let mut source = Scripted {
            failures: failures.iter().map(|(r, m)| (*r, m.to_string())).collect(),
            calls: vec![],
            limit: None,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ok = rt
            .block_on(fetch_bisecting(&mut source, from, to, &codes()))
            .is_ok();
        (source.calls, ok)
    }

    #[test]
    fn bisect_on_default_code() {
        let (calls, ok) = run(1, 4, &[((1, 4), "RPC error -32005: query returned more")]);
        assert_eq!(calls, vec![(1, 4), (1, 2), (3, 4)]);
        assert!(ok);
    }

    #[test]
    fn single_range() {
        assert_eq!(run(10, 12, &[]), (vec![(10, 12)], true));
    }

    #[test]
    fn empty_range_makes_no_call() {
        assert_eq!(run(5, 4, &[]), (vec![], true));
    }

    #[test]
    fn non_retryable_error_aborts() {
        assert_eq!(
            run(1, 4, &[((1, 4), "connection refused")]),
            (vec![(1, 4)], false)
        );
    }

    #[test]
    fn nested_bisect() {
        let m = "error -32600: block range too large";
        let (calls, ok) = run(1, 8, &[((1, 8), m), ((1, 4), m), ((1, 2), m)]);
        assert_eq!(
            calls,
            vec![(1, 8), (1, 4), (1, 2), (1, 1), (2, 2), (3, 4), (5, 8)]
        );
        assert!(ok);
    }

    #[test]
    fn odd_split() {
        let (calls, ok) = run(100, 200, &[((100, 200), "-32012: exceeded max range")]);
        assert_eq!(calls, vec![(100, 200), (100, 150), (151, 200)]);
        assert!(ok);
    }

    #[test]
    fn single_block_failure_aborts() {
        assert_eq!(
            run(7, 7, &[((7, 7), "error -32616: range limit")]),
            (vec![(7, 7)], false)
        );
    }

    #[test]
    fn windows_shrink_after_a_split_and_cover_the_range_exactly() {
        let mut source = Scripted {
            failures: vec![],
            calls: vec![],
            limit: Some(300),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let mut covered = Vec::new();
        rt.block_on(scan::<ScanError>(
            &mut source,
            1,
            5000,
            2000,
            &codes(),
            None,
            |a, b, _| {
                covered.push((a, b));
                Ok(true)
            },
        ))
        .unwrap();
        assert_eq!(covered[0], (1, 2000));
        // The first window bisected down to 250-block pieces; the next starts at 250.
        assert_eq!(covered[1], (2001, 2250));
        assert_eq!(covered.last().unwrap().1, 5000);
        for pair in covered.windows(2) {
            assert_eq!(pair[0].1 + 1, pair[1].0);
        }
        // After shrinking, no call exceeds the limit.
        let first_window_calls = source.calls.iter().position(|c| c.0 == 2001).unwrap();
        assert!(
            source.calls[first_window_calls..]
                .iter()
                .all(|(a, b)| b - a < 300)
        );
    }

    #[test]
    fn logs_sort_by_block_transaction_and_log_index() {
        let log = |b, t, l| RawLog {
            address: Address::ZERO,
            block_number: b,
            block_hash: None,
            transaction_index: t,
            log_index: l,
            removed: false,
            topics: vec![],
            data: Bytes::new(),
        };
        let mut logs = vec![log(2, 0, 5), log(1, 9, 0), log(2, 0, 1)];
        sort_logs(&mut logs);
        assert_eq!(logs, vec![log(1, 9, 0), log(2, 0, 1), log(2, 0, 5)]);
    }
}
