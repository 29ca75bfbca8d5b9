//! Signer recovery ahead of execution. Recovery depends only on (chain id, application, op), never
//! on state, so it can run for a whole window of inputs on every core; execution then applies the
//! ops strictly in order. Both paths feed the same `Machine::apply`, so they cannot disagree.

use super::batch::{Batch, WireUserOp, decode_batch};
use super::eip712::{SignatureError, domain_separator, recover_signer, user_op_digest};
use super::input::Input;
use super::ssz_error::SszError;
use alloy::primitives::{Address, B256};
use rayon::prelude::*;

/// Recovered signers of a batch, indexed `[frame][op]`.
pub type Signers = Vec<Vec<Result<Address, SignatureError>>>;

/// An input with its batch decoded and, optionally, its signers recovered in advance.
#[derive(Debug, Clone)]
pub struct PreparedInput {
    /// `None` when the input is not from the batch submitter.
    pub batch: Option<Result<Batch, SszError>>,
    /// `None` when signers were not recovered ahead; the fold then recovers them as it goes.
    pub signers: Option<Signers>,
}

/// The signer of one op under an input's domain.
pub fn recover_op_signer(domain: &B256, op: &WireUserOp) -> Result<Address, SignatureError> {
    let digest = user_op_digest(domain, op.nonce, op.max_fee, &op.data);
    recover_signer(&digest, &op.signature)
}

pub fn input_domain(input: &Input) -> B256 {
    domain_separator(input.chain_id, input.app)
}

/// Decodes without recovering (the sequential fold recovers lazily, op by op).
pub fn prepare_lazy(batch_submitter: Address, input: &Input) -> PreparedInput {
    PreparedInput {
        batch: (input.sender == batch_submitter).then(|| decode_batch(&input.payload)),
        signers: None,
    }
}

/// Decodes every batch of the window and recovers all of their signers on all cores.
pub fn prepare_window_parallel(batch_submitter: Address, inputs: &[Input]) -> Vec<PreparedInput> {
    let batches: Vec<Option<Result<Batch, SszError>>> = inputs
        .par_iter()
        .map(|input| (input.sender == batch_submitter).then(|| decode_batch(&input.payload)))
        .collect();

    let mut jobs: Vec<(B256, &WireUserOp)> = Vec::new();
    for (input, batch) in inputs.iter().zip(&batches) {
        if let Some(Ok(batch)) = batch {
            let domain = input_domain(input);
            for frame in &batch.frames {
                jobs.extend(frame.user_ops.iter().map(|op| (domain, op)));
            }
        }
    }
    let recovered: Vec<Result<Address, SignatureError>> = jobs
        .par_iter()
        .with_min_len(16)
        .map(|(domain, op)| recover_op_signer(domain, op))
        .collect();

    let mut recovered = recovered.into_iter();
    batches
        .into_iter()
        .map(|batch| {
            let signers = match &batch {
                Some(Ok(b)) => Some(
                    b.frames
                        .iter()
                        .map(|f| recovered.by_ref().take(f.user_ops.len()).collect())
                        .collect(),
                ),
                _ => None,
            };
            PreparedInput { batch, signers }
        })
        .collect()
}
