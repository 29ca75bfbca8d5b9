//! The canonical machine: the scheduler fold (canonical-protocol §5) driving the wallet (§6).
//! Pure: no I/O, no clock, no randomness. Equal input histories give equal bytes everywhere.

use super::batch::Batch;
use super::fee::{MAX_EXPONENT, fee_to_linear};
use super::input::Input;
use super::liveness::{BatchOutcome, Liveness, OpOutcome};
use super::recovery::{PreparedInput, input_domain, prepare_lazy, recover_op_signer};
use super::scheduler::{BatchRejection, GateVerdict, SchedulerConfig, batch_gates, is_overdue};
use super::snapshot::{encode_state, wallet_state_sha256};
use super::wallet::{Wallet, WalletConfig};
use alloy::primitives::Address;
use alloy::primitives::B256;
use std::collections::VecDeque;
use std::fmt;

/// A direct input waiting in the fridge for a frame's safe block or the backstop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FridgeEntry {
    pub sender: Address,
    pub payload: Vec<u8>,
    pub inclusion_block: u64,
}

/// Why the canonical machine stopped. An honest machine cannot get past this input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// An op reached the fee computation in a frame priced above [`MAX_EXPONENT`].
    FeeExponentTooLarge {
        batch_nonce: u64,
        frame: usize,
        op: usize,
        fee_price: u16,
    },
    /// A batch was accepted at nonce `u64::MAX`: the next expected nonce has no successor.
    BatchNonceOverflow { batch_nonce: u64 },
    /// `executed_input_count` would pass `u64::MAX`.
    ExecutedCountOverflow,
    /// The L1 input index would pass `u64::MAX`.
    InputCountOverflow,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::FeeExponentTooLarge {
                batch_nonce,
                frame,
                op,
                fee_price,
            } => write!(
                f,
                "batch {batch_nonce} frame {frame} op {op}: fee_price {fee_price} exceeds the \
                 maximum exponent {MAX_EXPONENT}"
            ),
            StopReason::BatchNonceOverflow { batch_nonce } => write!(
                f,
                "batch {batch_nonce} was accepted but the next batch nonce overflows u64 (no \
                 canonical successor)"
            ),
            StopReason::ExecutedCountOverflow => {
                f.write_str("executed_input_count overflows u64 (no canonical successor)")
            }
            StopReason::InputCountOverflow => {
                f.write_str("the input count overflows u64 (no canonical successor)")
            }
        }
    }
}

/// Where and why the machine stopped (becomes `canonical_machine_dead`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineStop {
    pub input_index: u64,
    pub block: u64,
    pub reason: StopReason,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdvanceError {
    #[error("canonical machine stopped at input {} (block {}): {}", .0.input_index, .0.block, .0.reason)]
    Stopped(MachineStop),
    /// A caller bug or a broken L1 view, never a verdict: inputs must arrive gap-free.
    #[error("input {found} was fed where input {expected} was expected")]
    OutOfSequence { expected: u64, found: u64 },
    /// A caller bug or a broken L1 view: inputs must arrive in L1 order.
    #[error("input {index} at block {block} arrived after block {last}")]
    BlockRegressed { index: u64, block: u64, last: u64 },
}

/// What one input did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvanceReport {
    /// Direct inputs executed by the backstop before this input was looked at.
    pub backstop_executed: u64,
    pub outcome: InputOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputOutcome {
    /// A direct input, now in the fridge.
    Queued,
    Rejected(BatchRejection),
    Stale {
        nonce: u64,
        age_blocks: u64,
    },
    Accepted {
        nonce: u64,
        executed_ops: u64,
        skipped_ops: u64,
        directs_drained: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub scheduler: SchedulerConfig,
    pub wallet: Wallet,
    pub fridge: VecDeque<FridgeEntry>,
    pub next_expected_batch_nonce: u64,
    /// L1 inputs folded so far, which is also the index of the next one.
    pub inputs_processed: u64,
    /// The L1 block this state is valid at (the last input's block, or later if advanced).
    pub last_processed_block: u64,
    /// Liveness counters of the fold (not part of the canonical state bytes).
    pub liveness: Liveness,
    stopped: Option<MachineStop>,
}

impl Machine {
    /// The empty genesis machine.
    pub fn genesis(scheduler: SchedulerConfig, wallet: WalletConfig) -> Self {
        Self {
            scheduler,
            wallet: Wallet::new(wallet),
            fridge: VecDeque::new(),
            next_expected_batch_nonce: 0,
            inputs_processed: 0,
            last_processed_block: 0,
            liveness: Liveness::starting_at(0),
            stopped: None,
        }
    }

    /// Rebuilds a live machine from its parts (used by the checkpoint decoder).
    pub fn from_parts(
        scheduler: SchedulerConfig,
        wallet: Wallet,
        fridge: VecDeque<FridgeEntry>,
        next_expected_batch_nonce: u64,
        inputs_processed: u64,
        last_processed_block: u64,
    ) -> Self {
        Self {
            scheduler,
            wallet,
            fridge,
            next_expected_batch_nonce,
            inputs_processed,
            last_processed_block,
            liveness: Liveness::starting_at(last_processed_block),
            stopped: None,
        }
    }

    pub fn stopped(&self) -> Option<&MachineStop> {
        self.stopped.as_ref()
    }

    /// The live machine as it was before the input that stopped it (a stop rolls that input
    /// back: the stop is evidence, this is the state). Equal to `self` when it never stopped.
    pub fn before_stop(&self) -> Machine {
        Machine {
            stopped: None,
            ..self.clone()
        }
    }

    /// The canonical state bytes (canonical-protocol §7).
    pub fn state_bytes(&self) -> Vec<u8> {
        encode_state(&self.wallet)
    }

    /// SHA-256 of [`Machine::state_bytes`], streamed: the bytes are never materialised.
    pub fn state_sha256(&self) -> [u8; 32] {
        wallet_state_sha256(&self.wallet)
    }

    /// Records that L1 was scanned through `block` with no further input (no state effect: the
    /// backstop only runs when a later input arrives).
    pub fn advance_to_block(&mut self, block: u64) {
        self.last_processed_block = self.last_processed_block.max(block);
    }

    /// Starts the liveness counters at the machine's current block (genesis and bootstrap).
    pub fn reset_liveness(&mut self) {
        self.liveness = Liveness::starting_at(self.last_processed_block);
    }

    /// Folds one input, recovering signers as it goes.
    pub fn advance(&mut self, input: &Input) -> Result<AdvanceReport, AdvanceError> {
        let prepared = prepare_lazy(self.scheduler.batch_submitter, input);
        self.apply(input, prepared)
    }

    /// Folds one input whose batch was decoded (and perhaps its signers recovered) ahead.
    pub fn apply(
        &mut self,
        input: &Input,
        prepared: PreparedInput,
    ) -> Result<AdvanceReport, AdvanceError> {
        if let Some(stop) = &self.stopped {
            return Err(AdvanceError::Stopped(stop.clone()));
        }
        if input.index != self.inputs_processed {
            return Err(AdvanceError::OutOfSequence {
                expected: self.inputs_processed,
                found: input.index,
            });
        }
        if input.block_number < self.last_processed_block {
            return Err(AdvanceError::BlockRegressed {
                index: input.index,
                block: input.block_number,
                last: self.last_processed_block,
            });
        }
        // A stop rolls the whole input back. Only inputs that can stop pay for a copy of what
        // they may change; every other input runs without one.
        let undo = self.may_stop(&prepared).then(|| {
            (
                self.wallet.clone(),
                self.fridge.clone(),
                self.liveness,
                self.next_expected_batch_nonce,
            )
        });
        let folded = self.fold_input(input, prepared);
        let folded = folded.and_then(|report| {
            self.inputs_processed = self
                .inputs_processed
                .checked_add(1)
                .ok_or(StopReason::InputCountOverflow)?;
            Ok(report)
        });
        match folded {
            Ok(report) => {
                self.last_processed_block = input.block_number;
                Ok(report)
            }
            Err(reason) => {
                if let Some((wallet, fridge, liveness, nonce)) = undo {
                    self.wallet = wallet;
                    self.fridge = fridge;
                    self.liveness = liveness;
                    self.next_expected_batch_nonce = nonce;
                }
                let stop = MachineStop {
                    input_index: input.index,
                    block: input.block_number,
                    reason,
                };
                self.stopped = Some(stop.clone());
                Err(AdvanceError::Stopped(stop))
            }
        }
    }

    /// True when this input could stop the machine (so its effects must be undoable): a frame
    /// priced above the maximum exponent, a batch at the last nonce, or counters at their end.
    fn may_stop(&self, prepared: &PreparedInput) -> bool {
        let batch = match &prepared.batch {
            Some(Ok(batch)) => Some(batch),
            _ => None,
        };
        let ops = batch.map_or(0, |b| b.op_count() as u64);
        let executions = (self.fridge.len() as u64).saturating_add(ops);
        self.inputs_processed == u64::MAX
            || self
                .wallet
                .executed_input_count
                .checked_add(executions)
                .is_none()
            || batch.is_some_and(|b| {
                self.next_expected_batch_nonce == u64::MAX
                    || b.frames.iter().any(|f| f.fee_price > MAX_EXPONENT)
            })
    }

    /// Steps 1–3 for one input. `Err` is a machine stop; the caller rolls the input back.
    fn fold_input(
        &mut self,
        input: &Input,
        prepared: PreparedInput,
    ) -> Result<AdvanceReport, StopReason> {
        let mut fold = SchedulerFold {
            config: &self.scheduler,
            fridge: &mut self.fridge,
            next_expected_batch_nonce: &mut self.next_expected_batch_nonce,
            liveness: &mut self.liveness,
        };
        fold.input(
            &mut WalletEffects {
                wallet: &mut self.wallet,
            },
            input,
            prepared,
        )
    }
}

/// What the scheduler fold drives when it executes something: the wallet (the canonical machine)
/// or nothing (the liveness preview, which needs no signature work).
pub(crate) trait Effects {
    /// Executes a direct input taken from the fridge.
    fn direct(&mut self, entry: &FridgeEntry) -> Result<(), StopReason>;

    /// Steps (1)–(7) of gate f for one frame's ops, counting each op's outcome.
    fn frame_ops(
        &mut self,
        frame: FrameOps<'_>,
        liveness: &mut Liveness,
    ) -> Result<OpTally, StopReason>;
}

/// One frame of an executing batch, as `Effects::frame_ops` sees it.
pub(crate) struct FrameOps<'a> {
    pub domain: &'a B256,
    pub batch_nonce: u64,
    pub index: usize,
    pub frame: &'a super::batch::Frame,
    pub signers: Option<&'a [Result<Address, super::eip712::SignatureError>]>,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OpTally {
    pub executed: u64,
    pub skipped: u64,
}

/// The liveness preview's effects: nothing is executed and no op is looked at.
pub(crate) struct NoEffects;

impl Effects for NoEffects {
    fn direct(&mut self, _: &FridgeEntry) -> Result<(), StopReason> {
        Ok(())
    }

    fn frame_ops(&mut self, _: FrameOps<'_>, _: &mut Liveness) -> Result<OpTally, StopReason> {
        Ok(OpTally::default())
    }
}

/// The canonical machine's effects: the wallet executes.
struct WalletEffects<'a> {
    wallet: &'a mut Wallet,
}

impl Effects for WalletEffects<'_> {
    fn direct(&mut self, entry: &FridgeEntry) -> Result<(), StopReason> {
        self.wallet
            .execute_direct(entry.sender, &entry.payload, entry.inclusion_block)
            .map(|_| ())
            .map_err(|_| StopReason::ExecutedCountOverflow)
    }

    fn frame_ops(
        &mut self,
        frame: FrameOps<'_>,
        liveness: &mut Liveness,
    ) -> Result<OpTally, StopReason> {
        let mut tally = OpTally::default();
        let price = frame.frame.fee_price;
        for (op_index, op) in frame.frame.user_ops.iter().enumerate() {
            // (1) the signer, recovered ahead or now.
            let signer = frame
                .signers
                .and_then(|s| s.get(op_index).copied())
                .unwrap_or_else(|| recover_op_signer(frame.domain, op));
            // (2) the op must accept the frame's price (exponent comparison); (3) carry the
            // sender's current nonce; (4) a u32::MAX nonce could never be incremented.
            let skip = match signer {
                Err(_) => Some(OpOutcome::BadSignature),
                Ok(_) if op.max_fee < price => Some(OpOutcome::MaxFeeBelowPrice),
                Ok(sender) if op.nonce != self.wallet.nonce(&sender) => Some(OpOutcome::WrongNonce),
                Ok(_) if op.nonce == u32::MAX => Some(OpOutcome::NonceExhausted),
                Ok(_) => None,
            };
            if let Some(outcome) = skip {
                liveness.op(outcome);
                tally.skipped += 1;
                continue;
            }
            let Ok(sender) = signer else { continue };
            // (5) pricing: an honest machine cannot price above MAX_EXPONENT and stops here.
            let fee = fee_to_linear(price).map_err(|_| StopReason::FeeExponentTooLarge {
                batch_nonce: frame.batch_nonce,
                frame: frame.index,
                op: op_index,
                fee_price: price,
            })?;
            // (6) the sender must be able to pay the fee.
            if self.wallet.balance(&sender) < fee {
                liveness.op(OpOutcome::InsufficientBalance);
                tally.skipped += 1;
                continue;
            }
            // (7)
            self.wallet
                .execute_op(sender, &op.data, fee, frame.frame.safe_block)
                .map_err(|_| StopReason::ExecutedCountOverflow)?;
            liveness.op(OpOutcome::Executed);
            tally.executed += 1;
        }
        Ok(tally)
    }
}

/// The scheduler fold (canonical-protocol §5) over borrowed scheduler state, driving `Effects`:
/// the one place the backstop, the batch gates, the frame drains and the batch liveness
/// counters live, for the canonical machine and the liveness preview alike.
pub(crate) struct SchedulerFold<'a> {
    pub config: &'a SchedulerConfig,
    pub fridge: &'a mut VecDeque<FridgeEntry>,
    pub next_expected_batch_nonce: &'a mut u64,
    pub liveness: &'a mut Liveness,
}

impl SchedulerFold<'_> {
    /// Steps 1–3 for one input. `Err` is a machine stop.
    pub fn input(
        &mut self,
        effects: &mut impl Effects,
        input: &Input,
        prepared: PreparedInput,
    ) -> Result<AdvanceReport, StopReason> {
        let inclusion_block = input.block_number;
        let backstop_executed = self.run_backstop(effects, inclusion_block)?;
        let outcome = match prepared.batch {
            None => {
                self.fridge.push_back(FridgeEntry {
                    sender: input.sender,
                    payload: input.payload.clone(),
                    inclusion_block,
                });
                InputOutcome::Queued
            }
            Some(Err(e)) => {
                self.liveness
                    .batch(BatchOutcome::Undecodable, inclusion_block);
                InputOutcome::Rejected(BatchRejection::Undecodable(e))
            }
            Some(Ok(batch)) => self.batch(effects, input, &batch, prepared.signers)?,
        };
        Ok(AdvanceReport {
            backstop_executed,
            outcome,
        })
    }

    /// Step 1: execute every fridge entry that is overdue relative to the new input.
    fn run_backstop(
        &mut self,
        effects: &mut impl Effects,
        inclusion_block: u64,
    ) -> Result<u64, StopReason> {
        let mut executed = 0;
        while let Some(front) = self.fridge.front() {
            if !is_overdue(
                inclusion_block,
                front.inclusion_block,
                self.config.max_wait_blocks,
            ) {
                break;
            }
            self.execute_front_direct(effects)?;
            executed += 1;
        }
        Ok(executed)
    }

    fn execute_front_direct(&mut self, effects: &mut impl Effects) -> Result<(), StopReason> {
        if let Some(entry) = self.fridge.pop_front() {
            effects.direct(&entry)?;
        }
        Ok(())
    }

    /// Consumes the batch nonce; at `u64::MAX` there is no successor and the machine stops.
    fn consume_batch_nonce(&mut self, batch_nonce: u64) -> Result<(), StopReason> {
        *self.next_expected_batch_nonce = self
            .next_expected_batch_nonce
            .checked_add(1)
            .ok_or(StopReason::BatchNonceOverflow { batch_nonce })?;
        Ok(())
    }

    /// Gates b–e, then gate f. `Err` is a machine stop.
    fn batch(
        &mut self,
        effects: &mut impl Effects,
        input: &Input,
        batch: &Batch,
        signers: Option<super::recovery::Signers>,
    ) -> Result<InputOutcome, StopReason> {
        let inclusion_block = input.block_number;
        let batch = match batch_gates(
            batch,
            inclusion_block,
            *self.next_expected_batch_nonce,
            self.config.max_wait_blocks,
        ) {
            GateVerdict::Rejected(rejection) => {
                self.liveness
                    .batch(BatchOutcome::of_rejection(&rejection), inclusion_block);
                return Ok(InputOutcome::Rejected(rejection));
            }
            GateVerdict::Stale { nonce, age_blocks } => {
                self.liveness.batch(BatchOutcome::Stale, inclusion_block);
                return Ok(InputOutcome::Stale { nonce, age_blocks });
            }
            GateVerdict::AcceptedEmpty { nonce } => {
                self.consume_batch_nonce(nonce)?;
                self.liveness.batch(BatchOutcome::Empty, inclusion_block);
                return Ok(InputOutcome::Accepted {
                    nonce,
                    executed_ops: 0,
                    skipped_ops: 0,
                    directs_drained: 0,
                });
            }
            GateVerdict::Execute(batch) => batch,
        };

        let domain = input_domain(input);
        let (mut tally, mut directs_drained) = (OpTally::default(), 0u64);
        for (index, frame) in batch.frames.iter().enumerate() {
            while self
                .fridge
                .front()
                .is_some_and(|front| front.inclusion_block <= frame.safe_block)
            {
                self.execute_front_direct(effects)?;
                directs_drained += 1;
            }
            let frame_tally = effects.frame_ops(
                FrameOps {
                    domain: &domain,
                    batch_nonce: batch.nonce,
                    index,
                    frame,
                    signers: signers
                        .as_ref()
                        .and_then(|s| s.get(index))
                        .map(Vec::as_slice),
                },
                self.liveness,
            )?;
            tally.executed += frame_tally.executed;
            tally.skipped += frame_tally.skipped;
        }
        self.consume_batch_nonce(batch.nonce)?;
        self.liveness.batch(BatchOutcome::Executed, inclusion_block);
        Ok(InputOutcome::Accepted {
            nonce: batch.nonce,
            executed_ops: tally.executed,
            skipped_ops: tally.skipped,
            directs_drained,
        })
    }
}
