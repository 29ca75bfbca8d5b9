//! Cross-checked L1 (`--l1-cross-check-url`, issue 13): independent endpoints, not failover,
//! that must agree with the view a head flip or a verdict rests on. Each one re-runs the same
//! verified input stream on its own node and must reach the same block hash, input count and
//! running digest of the inputs; for reorg and regression verdicts and for rollback, the block
//! hashes of the head and the retained checkpoints must match. A disagreement or a lagging
//! endpoint is never a verdict and never a flip: exit 1 (transient) with an
//! `l1_endpoints_disagree` event.

use super::inputs::{self, Base, Flow, InputSpec, Paused, Span, StreamError, Streamed, Verified};
use super::{At, L1Client, L1Error, L1Settings};
use crate::outcome::Stop;
use crate::secret::SecretUrl;
use crate::state::config::Confirmation;
use alloy::primitives::{Address, B256};

/// One way the cross-check endpoints did not confirm the primary view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The primary endpoint (the one that answered) and the cross-check endpoint, redacted.
    pub primary: String,
    pub peer: String,
    pub block: u64,
    pub what: String,
}

impl Disagreement {
    pub fn stop(&self) -> Stop {
        Stop::transient(format!(
            "the L1 endpoints disagree at block {} ({} vs {}): {}; nothing was concluded — the \
             next run compares again (check the lagging or lying endpoint)",
            self.block, self.primary, self.peer, self.what
        ))
    }

    pub fn event(&self) -> serde_json::Value {
        serde_json::json!({
            "endpoints": [self.primary, self.peer],
            "block": self.block,
            "differed": self.what,
        })
    }
}

/// Why a comparison did not pass.
#[derive(Debug)]
pub enum CheckFailure {
    Disagree(Disagreement),
    /// A cross-check endpoint could not be asked (transport, wrong chain…).
    L1(L1Error),
}

impl From<L1Error> for CheckFailure {
    fn from(e: L1Error) -> Self {
        CheckFailure::L1(e)
    }
}

pub struct CrossCheck {
    peers: Vec<L1Client>,
}

impl CrossCheck {
    /// The cross-check endpoints, pinned to the same chain; `None` without any.
    pub fn connect(
        urls: &[SecretUrl],
        pinned_chain: Option<u64>,
        settings: L1Settings,
    ) -> Result<Option<Self>, Stop> {
        if urls.is_empty() {
            return Ok(None);
        }
        let peers = urls
            .iter()
            .map(|url| L1Client::connect(std::slice::from_ref(url), pinned_chain, settings))
            .collect::<Result<Vec<_>, Stop>>()?;
        Ok(Some(Self { peers }))
    }

    fn disagree(primary: &L1Client, peer: &L1Client, block: u64, what: String) -> CheckFailure {
        CheckFailure::Disagree(Disagreement {
            primary: primary.single().endpoints().join(","),
            peer: peer.endpoints().join(","),
            block,
            what,
        })
    }

    /// Every peer re-runs the stream the primary verified and reaches the same view of
    /// (base, target]: the same block hash at the target, input count and inputs digest.
    pub async fn inputs(
        &self,
        primary: &L1Client,
        spec: &InputSpec,
        base: Base,
        verified: &Verified,
        level: Confirmation,
    ) -> Result<(), CheckFailure> {
        let target = verified.span.target;
        let ours = (verified.input_count, verified.inputs_digest);
        for peer in &self.peers {
            let confirmed = self.reaches(primary, peer, target, level).await?;
            let theirs = inputs::stream(peer, spec, base, Span::new(target, confirmed), |_| {
                Ok::<_, Stop>(Flow::Continue)
            })
            .await
            .map(|v| (v.input_count, v.inputs_digest));
            Self::same_inputs(primary, peer, target.number, ours, theirs)?;
        }
        Ok(())
    }

    /// As [`CrossCheck::inputs`], for the part (base, at] a catch-up saves as a resume point:
    /// every peer re-runs it with the same partial proof.
    pub async fn inputs_upto(
        &self,
        primary: &L1Client,
        spec: &InputSpec,
        base: Base,
        paused: &Paused,
        level: Confirmation,
    ) -> Result<(), CheckFailure> {
        let ours = (paused.input_count, paused.inputs_digest);
        for peer in &self.peers {
            self.reaches(primary, peer, paused.at, level).await?;
            let theirs = match inputs::stream_upto(peer, spec, base, paused.at, |_| {
                Ok::<_, Stop>(Flow::Continue)
            })
            .await
            {
                Ok(Streamed::Paused(p)) => Ok((p.input_count, p.inputs_digest)),
                Ok(_) => Err(StreamError::Inconsistent("no partial proof".into())),
                Err(e) => Err(e),
            };
            Self::same_inputs(primary, peer, paused.at.number, ours, theirs)?;
        }
        Ok(())
    }

    /// The peer's confirmed head is at or above `target` and it has the same hash there.
    /// Returns that confirmed head.
    async fn reaches(
        &self,
        primary: &L1Client,
        peer: &L1Client,
        target: super::BlockRef,
        level: Confirmation,
    ) -> Result<super::BlockRef, CheckFailure> {
        let confirmed = peer.confirmed_head(level).await?;
        if confirmed.number < target.number {
            return Err(Self::disagree(
                primary,
                peer,
                target.number,
                format!(
                    "its {} head {} is behind the block (it lags)",
                    level.as_str(),
                    confirmed.number
                ),
            ));
        }
        let hash = peer.block_hash(target.number).await?;
        if hash != Some(target.hash) {
            return Err(Self::disagree(
                primary,
                peer,
                target.number,
                format!(
                    "block hash {} vs {}",
                    hex_hash(Some(target.hash)),
                    hex_hash(hash)
                ),
            ));
        }
        Ok(confirmed)
    }

    /// The peer's stream verified and reached the primary's input count and digest.
    fn same_inputs(
        primary: &L1Client,
        peer: &L1Client,
        block: u64,
        ours: (u64, crate::canonical::Sha256Digest),
        theirs: Result<(u64, crate::canonical::Sha256Digest), StreamError<Stop>>,
    ) -> Result<(), CheckFailure> {
        let theirs = match theirs {
            Ok(theirs) => theirs,
            Err(StreamError::L1(e)) => return Err(CheckFailure::L1(e)),
            Err(e) => {
                return Err(Self::disagree(
                    primary,
                    peer,
                    block,
                    format!("its view does not verify: {e}"),
                ));
            }
        };
        if theirs.0 != ours.0 {
            return Err(Self::disagree(
                primary,
                peer,
                block,
                format!("input count {} vs {}", ours.0, theirs.0),
            ));
        }
        if theirs.1 != ours.1 {
            return Err(Self::disagree(
                primary,
                peer,
                block,
                "the inputs differ (their running digests do not match)".into(),
            ));
        }
        Ok(())
    }

    /// Every peer sees the same hash as the primary at each of `blocks` (the head and the
    /// retained checkpoints, before a reorg or regression verdict or a rollback).
    pub async fn hashes(&self, primary: &L1Client, blocks: &[u64]) -> Result<(), CheckFailure> {
        let primary_view = primary.single();
        for &block in blocks {
            let ours = primary_view.block_hash(block).await?;
            for peer in &self.peers {
                let theirs = peer.block_hash(block).await?;
                if theirs != ours {
                    return Err(Self::disagree(
                        primary,
                        peer,
                        block,
                        format!("block hash {} vs {}", hex_hash(ours), hex_hash(theirs)),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Before `submit` or `recover flush` signs: every peer serves the pinned chain (a wrong
    /// chain is an operator error) and agrees on the submitter's nonce.
    pub async fn before_signing(
        &self,
        primary: &L1Client,
        account: Address,
    ) -> Result<(), CheckFailure> {
        for peer in &self.peers {
            peer.chain_id().await?;
        }
        self.wallet_nonce(primary, account).await
    }

    /// The account's nonce at one block number every endpoint serves (never `pending`: mempools
    /// legitimately differ).
    pub async fn wallet_nonce(
        &self,
        primary: &L1Client,
        account: Address,
    ) -> Result<(), CheckFailure> {
        let primary_view = primary.single();
        let mut block = primary_view.latest_head().await?.number;
        for peer in &self.peers {
            block = block.min(peer.latest_head().await?.number);
        }
        let ours = primary_view
            .transaction_count(account, At::Number(block))
            .await?;
        for peer in &self.peers {
            let theirs = peer.transaction_count(account, At::Number(block)).await?;
            if theirs != ours {
                return Err(Self::disagree(
                    primary,
                    peer,
                    block,
                    format!("the submitter's nonce {ours} vs {theirs}"),
                ));
            }
        }
        Ok(())
    }
}

fn hex_hash(hash: Option<B256>) -> String {
    hash.map_or("none".to_string(), |h| format!("{h:#x}"))
}
