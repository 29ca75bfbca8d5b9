//! The one verified input stream. Everything that needs an application's inputs from L1 — tick,
//! `recover replay`, the submitter's frontier, init and restore — goes through [`stream`], and
//! nothing else asks L1 for `InputAdded` logs or `getNumberOfInputs`.
//!
//! It delivers the inputs of (A, B] in L1 order and proves them complete without any state older
//! than the node's recent window (canonical-protocol §1, the issue's "completeness without old
//! state"):
//! - it scans (A, S] for a recent confirmed block S ≥ B, in bisected windows;
//! - each log must be an `InputAdded` of the InputBox for this application, not `removed`, whose
//!   envelope matches the log (block, app, chain) and whose index is exactly the next one,
//!   starting from A's known input count;
//! - `getNumberOfInputs(app)` at S's hash (EIP-1898, `requireCanonical`) must equal the next
//!   index after the scan, so nothing in (A, S] was missed, hence nothing in (A, B];
//! - the hashes of B and S (and A's, when known) must be unchanged after the scan.
//!
//! Any failure is a typed [`StreamError`] that maps to exit 1, never to a verdict.

use super::logs::{LogSource, RangeCodes, RawLog, ScanEnd, ScanError, scan};
use super::{At, BlockRef, L1Client, L1Error, L1ErrorKind};
use crate::canonical::Input;
use crate::canonical::input::{InputAdded, InputError, InputExpectation, decode_input_added};
use crate::outcome::{ErrorClass, Stop};
use crate::state::config::Config;
use alloy::primitives::{Address, B256, Bytes, U64, U256};
use alloy::sol_types::SolEvent;
use serde::Deserialize;
use serde_json::json;

/// What identifies one application's input sequence on L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    pub input_box: Address,
    pub app: Address,
    pub chain_id: u64,
    pub max_log_range: u64,
    pub codes: RangeCodes,
}

impl InputSpec {
    pub fn of(config: &Config) -> Self {
        Self {
            input_box: config.input_box,
            app: config.app,
            chain_id: config.chain_id,
            max_log_range: config.max_log_range,
            codes: RangeCodes::new(&config.long_range_error_codes),
        }
    }
}

/// Where a stream starts: after `block`, whose input count is known (a verified checkpoint, a
/// bundle, or genesis). When `hash` is given, the block must still be canonical at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Base {
    pub block: u64,
    pub hash: Option<B256>,
    pub input_count: u64,
}

/// The inputs of (base, target] are delivered; (target, witness] is scanned and counted only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub target: BlockRef,
    pub witness: BlockRef,
}

impl Span {
    /// The witness for `target`: the confirmed head when it is at or above the target (the
    /// usual case, and the one that needs no historical state), else the target itself.
    pub fn new(target: BlockRef, confirmed: BlockRef) -> Self {
        let witness = if confirmed.number >= target.number {
            confirmed
        } else {
            target
        };
        Self { target, witness }
    }
}

/// What a stream hands its sink, window by window.
#[derive(Debug)]
pub enum Part {
    /// The inputs of one window up to the target (possibly none), and the window's last block
    /// (capped at the target).
    Upto { end: u64, inputs: Vec<Input> },
    /// Inputs beyond the target, in (target, witness]: verified like the rest, never folded
    /// into a verdict (the liveness preview reads them).
    Beyond(Vec<Input>),
}

/// What the sink wants after a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Deliver nothing more (the machine stopped); the stream still verifies the whole span.
    Enough,
    /// End the stream after this window with a partial proof ([`Streamed::Paused`]): tick's
    /// catch-up saving its progress. After a window that reaches the target it means `Continue`.
    Pause,
}

/// How a stream that may stop early ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streamed {
    /// (base, witness] proven complete.
    Complete(Verified),
    /// Stopped after a window, with a partial proof of (base, at].
    Paused(Paused),
    /// Halted before any window was delivered: nothing verified, nothing gained.
    Halted,
}

/// A stream that stopped before its witness. (base, at] was delivered, and proven as far as a
/// partial proof goes: the inputs' indexes are contiguous from the base's count; `at`'s hash was
/// read while the target's hash (pinned before the scan, re-checked after) held, so `at` is on
/// the target's chain and every log delivered is too; the base's hash is unchanged; and, when
/// the node still has the state at `at`, `getNumberOfInputs` there equals the count
/// (`witnessed`). What a node without that state cannot prove (that no log just before `at` was
/// dropped), the stream that later extends `at` to a witness does: its first index, and its
/// witness, would disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paused {
    pub at: BlockRef,
    /// The application's input count at `at`.
    pub input_count: u64,
    pub delivered: u64,
    pub witnessed: bool,
    /// As [`Verified::inputs_digest`], over (base, at].
    pub inputs_digest: crate::canonical::Sha256Digest,
}

/// A stream that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub span: Span,
    /// The application's input count at the target block.
    pub input_count: u64,
    /// Inputs handed to the sink.
    pub delivered: u64,
    /// A running SHA-256 over every input of (base, target] (index, block and the log's data):
    /// two nodes that saw the same inputs give the same digest.
    pub inputs_digest: crate::canonical::Sha256Digest,
}

#[derive(Debug, thiserror::Error)]
pub enum StreamError<E> {
    #[error("{0}")]
    Scan(ScanError),
    #[error("{0}")]
    L1(L1Error),
    /// A log that cannot be the next input (mismatch, removed, foreign).
    #[error("the L1 view is inconsistent: {0}")]
    Inconsistent(String),
    /// The next log's index is not the next input's (a gap or a repeat).
    #[error(
        "the L1 view is inconsistent: the input at block {block} has index {found} where \
         {expected} was expected (a gap or a repeat)"
    )]
    Sequence {
        block: u64,
        expected: u64,
        found: u64,
    },
    /// The witness disagrees with what the scan saw.
    #[error(
        "incomplete L1 view: getNumberOfInputs at block {block} is {witnessed}, but the log scan \
         accounts for {seen} inputs"
    )]
    Incomplete {
        block: u64,
        witnessed: u64,
        seen: u64,
    },
    /// A block's hash changed during the scan.
    #[error("block {block}'s hash changed during the scan (an L1 reorg)")]
    Reorged { block: u64 },
    #[error("{0}")]
    Sink(E),
}

impl<E: Into<Stop> + std::fmt::Display> From<StreamError<E>> for Stop {
    fn from(error: StreamError<E>) -> Self {
        match error {
            StreamError::Sink(e) => e.into(),
            StreamError::L1(e) => e.into(),
            StreamError::Scan(e) if e.error.class() != ErrorClass::Transient => e.error.into(),
            StreamError::Scan(e) => Stop::transient(format!(
                "{e}; the next run retries (if the provider caps ranges with another error \
                 code, add it to --long-range-error-codes at init)"
            )),
            other => Stop::transient(format!(
                "{other}; the next run retries (try another --l1-rpc-url if this persists)"
            )),
        }
    }
}

impl<E> From<ScanError> for StreamError<E> {
    fn from(e: ScanError) -> Self {
        StreamError::Scan(e)
    }
}

impl<E> From<L1Error> for StreamError<E> {
    fn from(e: L1Error) -> Self {
        StreamError::L1(e)
    }
}

/// Streams the inputs of (base, span.target] into `sink` window by window (`Part::Upto`, every
/// window up to the target, empty ones included), then those of (target, witness]
/// (`Part::Beyond`, non-empty only), and proves (base, span.witness] complete.
pub async fn stream<E>(
    l1: &L1Client,
    spec: &InputSpec,
    base: Base,
    span: Span,
    sink: impl FnMut(Part) -> Result<Flow, E>,
) -> Result<Verified, StreamError<E>> {
    match stream_until(l1, spec, base, span, None, sink).await? {
        Streamed::Complete(verified) => Ok(verified),
        Streamed::Paused(_) | Streamed::Halted => Err(StreamError::Inconsistent(
            "a stream that may not pause paused".into(),
        )),
    }
}

/// As [`stream`], but the sink may answer [`Flow::Pause`], and `halt` abandons the window being
/// fetched: either ends the stream after the last window delivered, with a partial proof.
pub async fn stream_until<E>(
    l1: &L1Client,
    spec: &InputSpec,
    base: Base,
    span: Span,
    halt: Option<&crate::outcome::Halt>,
    sink: impl FnMut(Part) -> Result<Flow, E>,
) -> Result<Streamed, StreamError<E>> {
    run_stream(l1, spec, base, span, halt, false, sink).await
}

/// The inputs of (base, at] with a partial proof at `at` (whose hash the caller pinned): how
/// the cross-check endpoints confirm a catch-up's saved progress.
pub async fn stream_upto<E>(
    l1: &L1Client,
    spec: &InputSpec,
    base: Base,
    at: BlockRef,
    sink: impl FnMut(Part) -> Result<Flow, E>,
) -> Result<Streamed, StreamError<E>> {
    let span = Span {
        target: at,
        witness: at,
    };
    run_stream(l1, spec, base, span, None, true, sink).await
}

async fn run_stream<E>(
    l1: &L1Client,
    spec: &InputSpec,
    base: Base,
    span: Span,
    halt: Option<&crate::outcome::Halt>,
    partial_only: bool,
    mut sink: impl FnMut(Part) -> Result<Flow, E>,
) -> Result<Streamed, StreamError<E>> {
    // Every request of one proof goes to one node.
    let l1 = &l1.single();
    let (target, witness) = (span.target, span.witness);
    if base.block > target.number || target.number > witness.number {
        return Err(StreamError::Inconsistent(format!(
            "a stream needs base {} ≤ target {} ≤ witness {}",
            base.block, target.number, witness.number
        )));
    }
    let mut expectation = InputExpectation {
        chain_id: U256::from(spec.chain_id),
        app: spec.app,
        next_index: base.input_count,
    };
    let mut input_count = base.input_count;
    let mut delivered = 0u64;
    let mut digest = <sha2::Sha256 as sha2::Digest>::new();
    let mut wanted = true;
    // The last block whose window was wholly delivered (capped at the target), and the last
    // block scanned (beyond the target too) with the input count there.
    let mut delivered_to = base.block;
    let mut scanned = (base.block, base.input_count);
    let mut source = InputLogs { l1, spec };
    // When (base, witness] is one window (every tick that is idle or nearly so), the witness
    // is asked concurrently with the logs: it is the count at the witness's hash whenever it is
    // asked, and the hashes are re-checked after both.
    let one_window = !partial_only
        && halt.is_none()
        && witness.number.saturating_sub(base.block) <= spec.max_log_range.max(1);
    let early_witness = async {
        if one_window {
            Some(
                l1.number_of_inputs(spec.input_box, spec.app, At::Hash(witness.hash))
                    .await,
            )
        } else {
            None
        }
    };
    // (base, witness]: empty when they are the same block (scan makes no call for from > to).
    let scanning = scan::<StreamError<E>>(
        &mut source,
        base.block.saturating_add(1),
        witness.number,
        spec.max_log_range,
        &spec.codes,
        halt,
        |start, end, logs| {
            let (mut inputs, mut beyond) = (Vec::new(), Vec::new());
            for log in &logs {
                check_log(spec, log, &[target, witness])?;
                let input = log_to_input(log, &expectation).map_err(|e| match e {
                    LogError::Input {
                        block,
                        error: InputError::IndexMismatch { expected, found },
                        ..
                    } => StreamError::Sequence {
                        block,
                        expected,
                        found,
                    },
                    other => StreamError::Inconsistent(other.to_string()),
                })?;
                expectation.next_index += 1;
                if input.block_number <= target.number {
                    input_count = expectation.next_index;
                    for part in [input.index, input.block_number, log.data.len() as u64] {
                        sha2::Digest::update(&mut digest, part.to_be_bytes());
                    }
                    sha2::Digest::update(&mut digest, &log.data);
                    if wanted {
                        inputs.push(input);
                    }
                } else if wanted {
                    beyond.push(input);
                }
            }
            scanned = (end, expectation.next_index);
            let mut go_on = true;
            if start <= target.number {
                let end = end.min(target.number);
                delivered_to = end;
                if wanted {
                    delivered += inputs.len() as u64;
                    match sink(Part::Upto { end, inputs }).map_err(StreamError::Sink)? {
                        Flow::Enough => wanted = false,
                        Flow::Pause if end < target.number => go_on = false,
                        Flow::Pause | Flow::Continue => {}
                    }
                }
            }
            if wanted
                && !beyond.is_empty()
                && sink(Part::Beyond(beyond)).map_err(StreamError::Sink)? == Flow::Enough
            {
                wanted = false;
            }
            Ok(go_on)
        },
    );
    let (end, early_witness) = tokio::join!(scanning, early_witness);
    let end = end?;
    let inputs_digest = crate::canonical::Sha256Digest(sha2::Digest::finalize(digest).into());
    if end == ScanEnd::Stopped
        && delivered_to == target.number
        && scanned.0 > target.number
        && let Some(at) = witness_beyond(l1, spec, scanned).await?
    {
        // Halted while only counting inputs beyond the target: a witness where the scan
        // stopped, when the node still has that state, proves (base, target] all the same.
        recheck_hashes(
            l1,
            &[(target.number, target.hash), (at.number, at.hash)],
            base,
        )
        .await?;
        return Ok(Streamed::Complete(Verified {
            span: Span {
                target,
                witness: at,
            },
            input_count,
            delivered,
            inputs_digest,
        }));
    }
    if end == ScanEnd::Stopped || partial_only {
        if delivered_to == base.block && !partial_only {
            return Ok(Streamed::Halted);
        }
        let (at, witnessed) =
            prove_partial(l1, spec, base, target, delivered_to, input_count).await?;
        return Ok(Streamed::Paused(Paused {
            at,
            input_count,
            delivered,
            witnessed,
            inputs_digest,
        }));
    }
    let witnessed = match early_witness {
        Some(witnessed) => witnessed?,
        None => {
            l1.number_of_inputs(spec.input_box, spec.app, At::Hash(witness.hash))
                .await?
        }
    };
    if witnessed != expectation.next_index {
        return Err(StreamError::Incomplete {
            block: witness.number,
            witnessed,
            seen: expectation.next_index,
        });
    }
    recheck_hashes(
        l1,
        &[(target.number, target.hash), (witness.number, witness.hash)],
        base,
    )
    .await?;
    Ok(Streamed::Complete(Verified {
        span,
        input_count,
        delivered,
        inputs_digest,
    }))
}

/// The partial proof of a stream that stopped at `at` (see [`Paused`]).
async fn prove_partial<E>(
    l1: &L1Client,
    spec: &InputSpec,
    base: Base,
    target: BlockRef,
    at: u64,
    input_count: u64,
) -> Result<(BlockRef, bool), StreamError<E>> {
    let hash = if at == target.number {
        target.hash
    } else {
        l1.block_hash(at)
            .await?
            .ok_or(StreamError::Reorged { block: at })?
    };
    let witnessed = match l1
        .number_of_inputs(spec.input_box, spec.app, At::Hash(hash))
        .await
    {
        Ok(n) if n == input_count => true,
        Ok(n) => {
            return Err(StreamError::Incomplete {
                block: at,
                witnessed: n,
                seen: input_count,
            });
        }
        // A node that no longer keeps the state at `at` answers with an error; the stream that
        // extends this point proves the count with its own witness.
        Err(L1Error {
            kind: L1ErrorKind::Rpc { .. },
            ..
        }) => false,
        Err(e) => return Err(e.into()),
    };
    // The target's hash, pinned before the scan, still holds: `at` (read in between) and every
    // log delivered are on its chain.
    recheck_hashes(l1, &[(target.number, target.hash)], base).await?;
    Ok((BlockRef { number: at, hash }, witnessed))
}

/// `getNumberOfInputs` at `scanned.0` (a block beyond the target where a halted scan stopped)
/// equals the count the scan reached there: the block, when the node still has its state.
async fn witness_beyond<E>(
    l1: &L1Client,
    spec: &InputSpec,
    scanned: (u64, u64),
) -> Result<Option<BlockRef>, StreamError<E>> {
    let (block, seen) = scanned;
    let Some(hash) = l1.block_hash(block).await? else {
        return Ok(None);
    };
    match l1
        .number_of_inputs(spec.input_box, spec.app, At::Hash(hash))
        .await
    {
        Ok(n) if n == seen => Ok(Some(BlockRef {
            number: block,
            hash,
        })),
        Ok(witnessed) => Err(StreamError::Incomplete {
            block,
            witnessed,
            seen,
        }),
        Err(L1Error {
            kind: L1ErrorKind::Rpc { .. },
            ..
        }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Every `(block, hash)` (and the base's, when known) is still canonical after a scan; the
/// (at most three) blocks are asked concurrently.
async fn recheck_hashes<E>(
    l1: &L1Client,
    pinned: &[(u64, B256)],
    base: Base,
) -> Result<(), StreamError<E>> {
    let mut blocks: Vec<(u64, B256)> = Vec::with_capacity(pinned.len() + 1);
    let base = base.hash.map(|hash| (base.block, hash));
    for &(block, hash) in pinned.iter().chain(base.iter()) {
        if !blocks.iter().any(|(b, _)| *b == block) {
            blocks.push((block, hash));
        }
    }
    let check = |entry: Option<&(u64, B256)>| {
        let entry = entry.copied();
        async move {
            match entry {
                None => Ok(()),
                Some((block, hash)) => match l1.block_hash(block).await? {
                    Some(found) if found == hash => Ok(()),
                    _ => Err(StreamError::Reorged { block }),
                },
            }
        }
    };
    // Three at a time (every caller has at most three); a longer list is still checked whole.
    for group in blocks.chunks(3) {
        let (a, b, c) = tokio::join!(
            check(group.first()),
            check(group.get(1)),
            check(group.get(2))
        );
        a.and(b).and(c)?;
    }
    Ok(())
}

/// A log must come from the InputBox, be this application's `InputAdded`, and agree with the
/// block hashes the stream is pinned to.
fn check_log<E>(spec: &InputSpec, log: &RawLog, pinned: &[BlockRef]) -> Result<(), StreamError<E>> {
    if log.address != spec.input_box {
        return Err(StreamError::Inconsistent(format!(
            "a log at block {} comes from {}, not the InputBox {}",
            log.block_number, log.address, spec.input_box
        )));
    }
    if let Some(hash) = log.block_hash
        && let Some(block) = pinned.iter().find(|b| b.number == log.block_number)
        && block.hash != hash
    {
        return Err(StreamError::Reorged {
            block: log.block_number,
        });
    }
    Ok(())
}

/// Why a log is not the next input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error("log at block {block} is marked removed (a reorg in progress)")]
    Removed { block: u64 },
    #[error("input at block {block} (log index {log_index}): {error}")]
    Input {
        block: u64,
        log_index: u64,
        error: InputError,
    },
}

/// Decodes a scanned log into the next input (see `canonical::input` for the checks).
pub fn log_to_input(log: &RawLog, expected: &InputExpectation) -> Result<Input, LogError> {
    if log.removed {
        return Err(LogError::Removed {
            block: log.block_number,
        });
    }
    decode_input_added(&log.topics, &log.data, log.block_number, expected).map_err(|error| {
        LogError::Input {
            block: log.block_number,
            log_index: log.log_index,
            error,
        }
    })
}

/// Proves that the application had exactly `input_count` inputs at `block` (whose hash must be
/// canonical), from the logs after it and the witness at the confirmed head: what init checks
/// of its bootstrap, restore of a bundle, and replay of its starting block. Needs no state older
/// than the node's recent window.
pub async fn prove_count(
    l1: &L1Client,
    spec: &InputSpec,
    block: BlockRef,
    input_count: u64,
    confirmed: BlockRef,
) -> Result<Verified, StreamError<Stop>> {
    stream(
        l1,
        spec,
        Base {
            block: block.number,
            hash: Some(block.hash),
            input_count,
        },
        Span::new(block, confirmed),
        |_| Ok::<_, Stop>(Flow::Continue),
    )
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogJson {
    address: Address,
    block_number: Option<U64>,
    #[serde(default)]
    block_hash: Option<B256>,
    transaction_index: Option<U64>,
    log_index: Option<U64>,
    #[serde(default)]
    removed: bool,
    topics: Vec<B256>,
    data: Bytes,
}

/// `eth_getLogs` for one application's `InputAdded` events.
struct InputLogs<'a> {
    l1: &'a L1Client,
    spec: &'a InputSpec,
}

impl LogSource for InputLogs<'_> {
    async fn fetch(&mut self, from: u64, to: u64) -> Result<Vec<RawLog>, L1Error> {
        let filter = json!({
            "address": self.spec.input_box,
            "topics": [InputAdded::SIGNATURE_HASH, B256::left_padding_from(self.spec.app.as_slice())],
            "fromBlock": format!("{from:#x}"),
            "toBlock": format!("{to:#x}"),
        });
        let logs: Vec<LogJson> = self
            .l1
            .request("eth_getLogs", json!([filter]))
            .await?
            .unwrap_or_default();
        logs.into_iter()
            .map(|log| {
                let missing = |field: &str| L1Error {
                    endpoint: self.l1.endpoints().join(","),
                    method: "eth_getLogs",
                    kind: L1ErrorKind::Malformed(format!("a log without {field} (pending?)")),
                };
                Ok(RawLog {
                    address: log.address,
                    block_number: log.block_number.ok_or_else(|| missing("blockNumber"))?.to(),
                    block_hash: log.block_hash,
                    transaction_index: log
                        .transaction_index
                        .ok_or_else(|| missing("transactionIndex"))?
                        .to(),
                    log_index: log.log_index.ok_or_else(|| missing("logIndex"))?.to(),
                    removed: log.removed,
                    topics: log.topics,
                    data: log.data,
                })
            })
            .collect()
    }
}
