//! Liveness signals of the scheduler fold (issue 13): how batches and user ops fared, and what
//! waits in the fridge. Counted by the fold itself (`Machine::apply`), cumulatively since
//! `since_block`, and carried by checkpoints; a [`Preview`] runs the same scheduler fold over
//! inputs beyond the head without signature work, so fridge and batch figures move even while
//! the sequencer stalls. Pure: no I/O, no clock.

use super::input::Input;
use super::machine::{FridgeEntry, Machine, NoEffects, SchedulerFold};
use super::recovery::prepare_lazy;
use super::scheduler::{BatchRejection, SchedulerConfig};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// How the scheduler took a batch (the `outcome` label of `batches_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOutcome {
    Executed,
    Empty,
    WrongNonce,
    Undecodable,
    Stale,
    BadSafeBlock,
}

impl BatchOutcome {
    pub const ALL: [BatchOutcome; 6] = [
        BatchOutcome::Executed,
        BatchOutcome::Empty,
        BatchOutcome::WrongNonce,
        BatchOutcome::Undecodable,
        BatchOutcome::Stale,
        BatchOutcome::BadSafeBlock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BatchOutcome::Executed => "executed",
            BatchOutcome::Empty => "empty",
            BatchOutcome::WrongNonce => "wrong_nonce",
            BatchOutcome::Undecodable => "undecodable",
            BatchOutcome::Stale => "stale",
            BatchOutcome::BadSafeBlock => "bad_safe_block",
        }
    }

    /// Accepted outcomes consume the nonce (and reset `blocks_since_executed_batch`).
    pub fn accepted(self) -> bool {
        matches!(self, BatchOutcome::Executed | BatchOutcome::Empty)
    }

    pub fn of_rejection(rejection: &BatchRejection) -> Self {
        match rejection {
            BatchRejection::Undecodable(_) => BatchOutcome::Undecodable,
            BatchRejection::WrongNonce { .. } => BatchOutcome::WrongNonce,
            BatchRejection::SafeBlockAfterInclusion { .. }
            | BatchRejection::SafeBlockDecreasing { .. } => BatchOutcome::BadSafeBlock,
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }
}

/// How a user op fared (the `outcome` label of `user_ops_total`): executed, or the per-op check
/// of canonical-protocol §5 f that skipped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpOutcome {
    Executed,
    BadSignature,
    MaxFeeBelowPrice,
    WrongNonce,
    NonceExhausted,
    InsufficientBalance,
}

impl OpOutcome {
    pub const ALL: [OpOutcome; 6] = [
        OpOutcome::Executed,
        OpOutcome::BadSignature,
        OpOutcome::MaxFeeBelowPrice,
        OpOutcome::WrongNonce,
        OpOutcome::NonceExhausted,
        OpOutcome::InsufficientBalance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OpOutcome::Executed => "executed",
            OpOutcome::BadSignature => "bad_signature",
            OpOutcome::MaxFeeBelowPrice => "max_fee_below_price",
            OpOutcome::WrongNonce => "wrong_nonce",
            OpOutcome::NonceExhausted => "nonce_exhausted",
            OpOutcome::InsufficientBalance => "insufficient_balance",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }
}

/// Cumulative counters since `since_block` (the bootstrap block, or the block a checkpoint
/// written before these counters existed was migrated at).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Liveness {
    pub since_block: u64,
    /// Indexed by `BatchOutcome::ALL`.
    pub batches: [u64; 6],
    /// Indexed by `OpOutcome::ALL`.
    pub ops: [u64; 6],
    /// Inclusion block of the last accepted batch (`empty` included).
    pub last_accepted_batch_block: Option<u64>,
}

impl Liveness {
    pub fn starting_at(block: u64) -> Self {
        Self {
            since_block: block,
            ..Self::default()
        }
    }

    pub fn batch(&mut self, outcome: BatchOutcome, inclusion_block: u64) {
        let slot = &mut self.batches[outcome.index()];
        *slot = slot.saturating_add(1);
        if outcome.accepted() {
            self.last_accepted_batch_block = Some(inclusion_block);
        }
    }

    pub fn op(&mut self, outcome: OpOutcome) {
        let slot = &mut self.ops[outcome.index()];
        *slot = slot.saturating_add(1);
    }

    pub fn batches_of(&self, outcome: BatchOutcome) -> u64 {
        self.batches[outcome.index()]
    }

    pub fn ops_of(&self, outcome: OpOutcome) -> u64 {
        self.ops[outcome.index()]
    }

    /// The batch counters by outcome name (the contract's strings), as reports carry them.
    pub fn batches_by_name(&self) -> BTreeMap<String, u64> {
        BatchOutcome::ALL
            .iter()
            .map(|o| (o.as_str().to_string(), self.batches_of(*o)))
            .collect()
    }

    /// The op counters by outcome name (the contract's strings), as reports carry them.
    pub fn ops_by_name(&self) -> BTreeMap<String, u64> {
        OpOutcome::ALL
            .iter()
            .map(|o| (o.as_str().to_string(), self.ops_of(*o)))
            .collect()
    }

    /// Batches neither executed nor empty, by outcome, that `self` counts beyond `earlier`.
    pub fn rejected_since(&self, earlier: &Liveness) -> Vec<(BatchOutcome, u64)> {
        BatchOutcome::ALL
            .iter()
            .filter(|o| !o.accepted())
            .map(|o| {
                (
                    *o,
                    self.batches_of(*o).saturating_sub(earlier.batches_of(*o)),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// The fridge and batch figures at a block (the L1 confirmed head).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FridgeFigures {
    pub inputs: u64,
    /// Confirmed head minus the oldest waiting input's block; `None` when the fridge is empty.
    pub oldest_age_blocks: Option<u64>,
    /// Blocks left before the backstop executes the oldest waiting input (negative when
    /// overdue); `None` when the fridge is empty.
    pub backstop_margin_blocks: Option<i64>,
}

/// What waits in `fridge`, seen from `at`.
pub fn fridge_figures(
    fridge: &VecDeque<FridgeEntry>,
    max_wait_blocks: u64,
    at: u64,
) -> FridgeFigures {
    let oldest = fridge.front().map(|e| e.inclusion_block);
    FridgeFigures {
        inputs: fridge.len() as u64,
        oldest_age_blocks: oldest.map(|b| at.saturating_sub(b)),
        backstop_margin_blocks: oldest.map(|b| {
            let due = i128::from(b) + i128::from(max_wait_blocks);
            (due - i128::from(at)).clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
        }),
    }
}

/// Every liveness figure, measured at one L1 block (the confirmed head read in the run): what
/// `status.prom`, `status` and the warning events report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// The L1 confirmed head the ages and margins are measured from.
    pub at_block: u64,
    /// The counters count from this block (the bootstrap block, or a migration).
    pub since_block: u64,
    pub fridge_inputs: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fridge_oldest_age_blocks: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backstop_margin_blocks: Option<i64>,
    /// `BatchOutcome` label → count.
    pub batches: BTreeMap<String, u64>,
    /// `OpOutcome` label → count (from the committed fold only).
    pub user_ops: BTreeMap<String, u64>,
    pub blocks_since_executed_batch: u64,
}

impl Figures {
    /// From a preview that reached `at` (it carries the committed op counts unchanged).
    pub fn new(preview: &Preview, at: u64) -> Self {
        let liveness = &preview.liveness;
        let fridge = preview.fridge_figures(at);
        Self {
            at_block: at,
            since_block: liveness.since_block,
            fridge_inputs: fridge.inputs,
            fridge_oldest_age_blocks: fridge.oldest_age_blocks,
            backstop_margin_blocks: fridge.backstop_margin_blocks,
            batches: liveness.batches_by_name(),
            user_ops: liveness.ops_by_name(),
            blocks_since_executed_batch: at.saturating_sub(
                liveness
                    .last_accepted_batch_block
                    .unwrap_or(liveness.since_block),
            ),
        }
    }
}

/// The scheduler fold over inputs beyond the head, without signature work: batch gates, the
/// fridge and the batch counters move exactly as the canonical fold would move them; the wallet
/// and the op counters do not (op outcomes come from the committed fold only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    config: SchedulerConfig,
    pub fridge: VecDeque<FridgeEntry>,
    pub next_expected_batch_nonce: u64,
    pub liveness: Liveness,
    /// Inputs observed.
    pub inputs: u64,
}

impl Preview {
    /// Starts where `machine` is.
    pub fn of(machine: &Machine) -> Self {
        Self {
            config: machine.scheduler,
            fridge: machine.fridge.clone(),
            next_expected_batch_nonce: machine.next_expected_batch_nonce,
            liveness: machine.liveness,
            inputs: 0,
        }
    }

    /// Folds the scheduler's part of one input (never stops: nothing is executed).
    pub fn observe(&mut self, input: &Input) {
        let prepared = prepare_lazy(self.config.batch_submitter, input);
        let mut fold = SchedulerFold {
            config: &self.config,
            fridge: &mut self.fridge,
            next_expected_batch_nonce: &mut self.next_expected_batch_nonce,
            liveness: &mut self.liveness,
        };
        // NoEffects cannot stop; a nonce at u64::MAX only saturates here (the canonical fold
        // is the one that stops on it).
        let _ = fold.input(&mut NoEffects, input, prepared);
        self.inputs += 1;
    }

    pub fn fridge_figures(&self, at: u64) -> FridgeFigures {
        fridge_figures(&self.fridge, self.config.max_wait_blocks, at)
    }
}

/// What a [`Preview`] needs of a machine, small enough for a checkpoint's manifest: an idle
/// tick moves the liveness figures on from it without reading the machine (operator-contract
/// §4: an idle tick reads `head.json` and the manifest alone). The fridge is kept as the
/// inclusion blocks of its entries, run-length encoded (the preview never executes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSeed {
    pub next_expected_batch_nonce: u64,
    pub since_block: u64,
    /// Indexed by `BatchOutcome::ALL`.
    pub batches: [u64; 6],
    /// Indexed by `OpOutcome::ALL`.
    pub ops: [u64; 6],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_accepted_batch_block: Option<u64>,
    /// `[inclusion block, entries]`, oldest first.
    pub fridge: Vec<[u64; 2]>,
}

impl SchedulerSeed {
    /// Runs of fridge entries a seed holds at most; a machine with more has none (an idle tick
    /// then reads the machine).
    pub const MAX_FRIDGE_RUNS: usize = 4096;

    pub fn of(machine: &Machine) -> Option<Self> {
        let mut fridge: Vec<[u64; 2]> = Vec::new();
        for entry in &machine.fridge {
            match fridge.last_mut() {
                Some([block, count]) if *block == entry.inclusion_block => *count += 1,
                _ => {
                    if fridge.len() == Self::MAX_FRIDGE_RUNS {
                        return None;
                    }
                    fridge.push([entry.inclusion_block, 1]);
                }
            }
        }
        let liveness = &machine.liveness;
        Some(Self {
            next_expected_batch_nonce: machine.next_expected_batch_nonce,
            since_block: liveness.since_block,
            batches: liveness.batches,
            ops: liveness.ops,
            last_accepted_batch_block: liveness.last_accepted_batch_block,
            fridge,
        })
    }

    pub fn liveness(&self) -> Liveness {
        Liveness {
            since_block: self.since_block,
            batches: self.batches,
            ops: self.ops,
            last_accepted_batch_block: self.last_accepted_batch_block,
        }
    }
}

impl Preview {
    /// Starts where the machine a seed describes is (`config`: the pinned scheduler's). The seed
    /// comes from disk: `None` when it cannot describe a machine that has processed
    /// `input_count` inputs (more fridge entries than inputs, runs out of block order, or
    /// counters starting after `block`), so a planted manifest costs nothing and the caller
    /// reads the machine instead.
    pub fn of_seed(
        config: SchedulerConfig,
        seed: &SchedulerSeed,
        block: u64,
        input_count: u64,
    ) -> Option<Self> {
        let total = seed
            .fridge
            .iter()
            .try_fold(0u64, |sum, [_, n]| sum.checked_add(*n))?;
        let ordered = seed.fridge.windows(2).all(|w| w[0][0] < w[1][0]);
        let in_range = seed.fridge.iter().all(|[b, n]| *b <= block && *n > 0);
        if total > input_count || !ordered || !in_range || seed.since_block > block {
            return None;
        }
        let mut fridge = VecDeque::with_capacity(total.min(1 << 16) as usize);
        for &[block, count] in &seed.fridge {
            for _ in 0..count {
                fridge.push_back(FridgeEntry {
                    sender: Default::default(),
                    payload: Vec::new(),
                    inclusion_block: block,
                });
            }
        }
        Some(Self {
            config,
            fridge,
            next_expected_batch_nonce: seed.next_expected_batch_nonce,
            liveness: seed.liveness(),
            inputs: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fridge_figures_are_signed_and_absent_when_empty() {
        let entry = |block| FridgeEntry {
            sender: Default::default(),
            payload: vec![],
            inclusion_block: block,
        };
        let empty = fridge_figures(&VecDeque::new(), 100, 50);
        assert_eq!(
            (
                empty.inputs,
                empty.oldest_age_blocks,
                empty.backstop_margin_blocks
            ),
            (0, None, None)
        );
        let waiting = fridge_figures(&VecDeque::from([entry(10), entry(20)]), 100, 50);
        assert_eq!(waiting.inputs, 2);
        assert_eq!(waiting.oldest_age_blocks, Some(40));
        assert_eq!(waiting.backstop_margin_blocks, Some(60));
        let overdue = fridge_figures(&VecDeque::from([entry(10)]), 100, 150);
        assert_eq!(overdue.backstop_margin_blocks, Some(-40));
    }

    #[test]
    fn a_seeded_preview_moves_exactly_as_the_machine_preview() {
        use crate::canonical::testkit::InputFactory;
        use crate::canonical::{WalletConfig, machine::Machine};
        use alloy::primitives::{Address, U256};
        let portal = Address::repeat_byte(0x50);
        let token = Address::repeat_byte(0x70);
        let submitter = Address::repeat_byte(0x5b);
        let config = SchedulerConfig {
            batch_submitter: submitter,
            max_wait_blocks: 100,
        };
        let mut machine = Machine::genesis(
            config,
            WalletConfig {
                erc20_portal: portal,
                supported_token: token,
                fee_recipient: submitter,
            },
        );
        let mut factory = InputFactory::new(31337, Address::repeat_byte(0xaa));
        for block in [10, 10, 11, 40] {
            let input = factory.deposit(
                portal,
                token,
                Address::repeat_byte(1),
                U256::from(5u64),
                block,
            );
            machine.advance(&input).unwrap();
        }
        let seed = SchedulerSeed::of(&machine).unwrap();
        assert_eq!(seed.fridge, vec![[10, 2], [11, 1], [40, 1]]);
        let mut from_machine = Preview::of(&machine);
        let mut from_seed = Preview::of_seed(
            config,
            &seed,
            machine.last_processed_block,
            machine.inputs_processed,
        )
        .unwrap();
        // A seed no machine at that block and input count could have is refused.
        let mut planted = seed.clone();
        planted.fridge[0][1] = u64::MAX;
        assert!(Preview::of_seed(config, &planted, 40, 4).is_none());
        assert!(Preview::of_seed(config, &seed, 40, 3).is_none());
        assert!(Preview::of_seed(config, &seed, 39, 4).is_none());
        let mut unordered = seed.clone();
        unordered.fridge.swap(0, 1);
        assert!(Preview::of_seed(config, &unordered, 40, 4).is_none());
        // Later inputs: more deposits, then one that makes the oldest overdue.
        for block in [50, 130, 145] {
            let input = factory.deposit(
                portal,
                token,
                Address::repeat_byte(2),
                U256::from(1u64),
                block,
            );
            from_machine.observe(&input);
            from_seed.observe(&input);
        }
        assert_eq!(
            Figures::new(&from_machine, 150),
            Figures::new(&from_seed, 150)
        );
        assert_eq!(from_machine.fridge.len(), from_seed.fridge.len());
    }

    #[test]
    fn rejections_since_exclude_accepted_outcomes() {
        let mut earlier = Liveness::starting_at(5);
        earlier.batch(BatchOutcome::Executed, 6);
        let mut now = earlier;
        now.batch(BatchOutcome::Empty, 7);
        now.batch(BatchOutcome::Stale, 8);
        now.batch(BatchOutcome::Stale, 9);
        now.batch(BatchOutcome::WrongNonce, 9);
        assert_eq!(
            now.rejected_since(&earlier),
            vec![(BatchOutcome::WrongNonce, 1), (BatchOutcome::Stale, 2)]
        );
        assert_eq!(now.last_accepted_batch_block, Some(7));
    }
}
