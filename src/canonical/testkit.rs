//! Deterministic builders for inputs, signed user ops and workloads. Tests, the benchmark, the
//! demo and the test sequencer all build traffic the same way through these; nothing here is used
//! to decide anything about a real rollup.

use super::batch::{Batch, Frame, WireUserOp};
use super::eip712::{UserKey, domain_separator, user_op_digest};
use super::input::Input;
use super::method::{Method, Transfer, Withdrawal};
use super::wallet::encode_deposit;
use alloy::primitives::{Address, U256, keccak256};

/// splitmix64: tiny, seedable and identical on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough in `0..n` for workloads (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A key derived from a label, so workloads need no key material of their own.
pub fn key_from_label(label: &str) -> UserKey {
    let mut counter = 0u64;
    loop {
        let seed = keccak256(format!("{label}/{counter}"));
        if let Ok(key) = UserKey::from_bytes(&seed.0) {
            return key;
        }
        counter += 1;
    }
}

pub fn transfer_data(amount: U256, to: Address) -> Vec<u8> {
    Method::Transfer(Transfer { amount, to }).encode()
}

pub fn withdrawal_data(amount: U256) -> Vec<u8> {
    Method::Withdrawal(Withdrawal { amount }).encode()
}

/// Builds gap-free inputs for one application on one chain.
#[derive(Debug, Clone)]
pub struct InputFactory {
    pub chain_id: U256,
    pub app: Address,
    pub next_index: u64,
}

impl InputFactory {
    pub fn new(chain_id: u64, app: Address) -> Self {
        Self {
            chain_id: U256::from(chain_id),
            app,
            next_index: 0,
        }
    }

    pub fn input(&mut self, sender: Address, block: u64, payload: Vec<u8>) -> Input {
        let input = Input {
            index: self.next_index,
            chain_id: self.chain_id,
            app: self.app,
            sender,
            block_number: block,
            block_timestamp: 1_700_000_000 + block * 12,
            prev_randao: U256::from(block),
            payload,
        };
        self.next_index += 1;
        input
    }

    pub fn deposit(
        &mut self,
        portal: Address,
        token: Address,
        depositor: Address,
        value: U256,
        block: u64,
    ) -> Input {
        self.input(portal, block, encode_deposit(token, depositor, value, &[]))
    }

    pub fn batch(&mut self, submitter: Address, block: u64, batch: &Batch) -> Input {
        self.input(submitter, block, batch.to_ssz())
    }

    /// Signs an op for this factory's domain.
    pub fn sign_op(&self, key: &UserKey, nonce: u32, max_fee: u16, data: Vec<u8>) -> WireUserOp {
        let domain = domain_separator(self.chain_id, self.app);
        let digest = user_op_digest(&domain, nonce, max_fee, &data);
        WireUserOp {
            nonce,
            max_fee,
            data,
            signature: key.sign_digest(&digest).to_vec(),
        }
    }
}

/// The benchmark's workload: funded accounts sending signed transfers to each other.
#[derive(Debug, Clone)]
pub struct TransferWorkload {
    pub inputs: Vec<Input>,
    pub op_count: usize,
}

pub struct TransferWorkloadSpec {
    pub accounts: usize,
    pub ops: usize,
    pub ops_per_batch: usize,
    pub fee_price: u16,
    pub seed: u64,
}

/// Deposits for every account, then batches of valid transfers (every op executes).
pub fn transfer_workload(
    factory: &mut InputFactory,
    portal: Address,
    token: Address,
    submitter: Address,
    spec: &TransferWorkloadSpec,
) -> TransferWorkload {
    let keys: Vec<UserKey> = (0..spec.accounts)
        .map(|i| key_from_label(&format!("bench-account-{i}")))
        .collect();
    let addresses: Vec<Address> = keys.iter().map(UserKey::address).collect();
    let mut nonces = vec![0u32; spec.accounts];
    let mut rng = Rng::new(spec.seed);
    let mut inputs = Vec::new();
    let mut block = 10;
    for address in &addresses {
        inputs.push(factory.deposit(
            portal,
            token,
            *address,
            U256::from(10u64).pow(U256::from(30u64)),
            block,
        ));
    }
    let mut remaining = spec.ops;
    let mut batch_nonce = 0;
    while remaining > 0 {
        block += 1;
        let count = remaining.min(spec.ops_per_batch);
        let user_ops = (0..count)
            .map(|_| {
                let from = rng.below(spec.accounts as u64) as usize;
                let to = addresses[rng.below(spec.accounts as u64) as usize];
                let amount = U256::from(1 + rng.below(1000));
                let op = factory.sign_op(
                    &keys[from],
                    nonces[from],
                    spec.fee_price,
                    transfer_data(amount, to),
                );
                nonces[from] += 1;
                op
            })
            .collect();
        let batch = Batch {
            nonce: batch_nonce,
            frames: vec![Frame {
                user_ops,
                safe_block: block - 1,
                fee_price: spec.fee_price,
            }],
        };
        inputs.push(factory.batch(submitter, block, &batch));
        batch_nonce += 1;
        remaining -= count;
    }
    TransferWorkload {
        inputs,
        op_count: spec.ops,
    }
}
