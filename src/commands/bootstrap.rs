//! Starting points that must agree with L1, shared by `init`, `recover restore` and
//! `recover replay`: a bundle of this identity, and a block whose hash and input count L1
//! confirms (through the verified input stream, so no historical state is needed).

use super::cross_check_failed;
use crate::events::Events;
use crate::l1::crosscheck::CrossCheck;
use crate::l1::inputs::{self, Base, InputSpec, StreamError};
use crate::l1::{BlockRef, L1Client};
use crate::outcome::Stop;
use crate::state::bundle::{VerifiedBundle, verify_bundle};
use crate::state::config::Config;
use alloy::primitives::B256;
use std::path::Path;

/// A bundle that verifies and belongs to `config`'s identity.
pub(crate) fn bundle_for(path: &Path, config: &Config) -> Result<VerifiedBundle, Stop> {
    let bundle = verify_bundle(path).map_err(|e| {
        Stop::operator(format!(
            "bundle {} does not verify: {e}; nothing changed",
            path.display()
        ))
    })?;
    require_identity(&bundle, config)?;
    Ok(bundle)
}

/// The bundle belongs to `config`'s identity.
pub(crate) fn require_identity(bundle: &VerifiedBundle, config: &Config) -> Result<(), Stop> {
    match bundle.meta.identity.difference(&config.identity()) {
        None => Ok(()),
        Some((field, have, want)) => Err(Stop::operator(format!(
            "the bundle belongs to another identity: its {field} is {have}, not {want}; use a \
             bundle of this application (nothing changed)"
        ))),
    }
}

/// A starting point a caller claims: a block, its hash when the caller has one (a bundle's), and
/// the application's input count there.
pub(crate) struct Claim<'a> {
    pub block: u64,
    pub expected_hash: Option<B256>,
    pub input_count: u64,
    /// What to do when L1 disagrees with the count.
    pub advice: &'a str,
}

/// The claimed block exists on L1 (with the expected hash, when there is one) and L1 proves the
/// application had exactly the claimed number of inputs there.
pub(crate) async fn bootstrap_on_l1(
    l1: &L1Client,
    cross: Option<&CrossCheck>,
    events: &Events,
    config: &Config,
    claim: Claim<'_>,
) -> Result<BlockRef, Stop> {
    let Claim {
        block,
        expected_hash,
        input_count,
        advice,
    } = claim;
    // A starting point must be confirmed: a hash pinned above the confirmed head could be
    // reorged out, and the next tick would find no retained checkpoint to fall back to.
    let confirmed = l1.confirmed_head(config.l1_confirmation).await?;
    if block > confirmed.number {
        return Err(Stop::transient(format!(
            "block {block} is above the L1 {} head {}; re-run once it is confirmed",
            config.l1_confirmation.as_str(),
            confirmed.number
        )));
    }
    let hash = l1.block_hash(block).await?.ok_or_else(|| {
        Stop::transient(format!(
            "the L1 node has no block {block} yet; re-run when it does"
        ))
    })?;
    if let Some(expected) = expected_hash
        && expected != hash
    {
        return Err(Stop::operator(format!(
            "the bundle's block {block} has hash {expected:#x}, but L1 has {hash:#x} there (a \
             reorg, or another chain); use a bundle of a block that is final"
        )));
    }
    let start = BlockRef {
        number: block,
        hash,
    };
    let spec = InputSpec::of(config);
    let verified = inputs::prove_count(l1, &spec, start, input_count, confirmed)
        .await
        .map_err(|e| count_disagreement(e, block, input_count, advice))?;
    // A new head: the cross-check endpoints confirm the block and its input count too.
    if let Some(cross) = cross {
        let base = Base {
            block,
            hash: Some(hash),
            input_count,
        };
        cross
            .inputs(l1, &spec, base, &verified, config.l1_confirmation)
            .await
            .map_err(|f| cross_check_failed(f, events))?;
    }
    Ok(start)
}

/// A stream from `block` with `claimed` inputs failed: when the failure is about that count
/// (the first input's index, or the witness), say so with `advice`; otherwise pass it on.
pub(crate) fn count_disagreement(
    error: StreamError<Stop>,
    block: u64,
    claimed: u64,
    advice: &str,
) -> Stop {
    let detail = match &error {
        StreamError::Sequence {
            expected, found, ..
        } if *expected == claimed => {
            format!("L1's first input after block {block} has index {found}")
        }
        StreamError::Incomplete {
            block: at,
            witnessed,
            seen,
        } => format!(
            "getNumberOfInputs at block {at} is {witnessed}, but {} input(s) follow block {block}",
            seen.saturating_sub(claimed)
        ),
        _ => return error.into(),
    };
    Stop::operator(format!(
        "the application did not have exactly {claimed} input(s) at block {block}: {detail}; \
         {advice} (if the count is right, the endpoint may be dropping logs: try another \
         --l1-rpc-url)"
    ))
}
