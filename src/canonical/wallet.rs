//! The wallet application (canonical-protocol §6): balances, nonces and the two counters that the
//! canonical state bytes carry.

use super::method::{Method, Transfer, Withdrawal};
use alloy::primitives::{Address, U256};
use std::collections::BTreeMap;

/// Length of a packed ERC-20 portal deposit header: token(20) ‖ sender(20) ‖ value(32).
pub const DEPOSIT_HEADER_LEN: usize = 72;

/// The wallet's fixed configuration, part of the canonical state bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalletConfig {
    pub erc20_portal: Address,
    pub supported_token: Address,
    /// Credited with every fee; may be the zero address, which is then an ordinary account.
    pub fee_recipient: Address,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wallet {
    pub config: WalletConfig,
    /// Every account ever credited or debited, zero balances included; ordered by address bytes.
    pub balances: BTreeMap<Address, U256>,
    pub nonces: BTreeMap<Address, u32>,
    pub executed_input_count: u64,
    pub last_executed_safe_block: u64,
}

/// `executed_input_count` is at `u64::MAX`: no canonical successor exists (the reference stops).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountOverflow;

/// What executing a direct input did, for events and evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectEffect {
    Deposit { depositor: Address, value: U256 },
    NoOp,
}

/// What executing a validated user op did beyond paying its fee and consuming its nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpEffect {
    Transferred,
    Withdrew,
    /// The method was valid but the balance could not cover the amount.
    Unaffordable,
    /// `data` is not a method: fee and nonce are consumed all the same.
    Undecodable,
}

impl Wallet {
    pub fn new(config: WalletConfig) -> Self {
        Self {
            config,
            balances: BTreeMap::new(),
            nonces: BTreeMap::new(),
            executed_input_count: 0,
            last_executed_safe_block: 0,
        }
    }

    pub fn balance(&self, account: &Address) -> U256 {
        self.balances.get(account).copied().unwrap_or(U256::ZERO)
    }

    pub fn nonce(&self, account: &Address) -> u32 {
        self.nonces.get(account).copied().unwrap_or(0)
    }

    /// Adds `amount` modulo 2^256 and always inserts the entry (even for a zero amount).
    pub fn credit(&mut self, account: Address, amount: U256) {
        let entry = self.balances.entry(account).or_insert(U256::ZERO);
        *entry = entry.wrapping_add(amount);
    }

    /// Debits when the balance covers `amount`; an entry that reaches zero stays.
    pub fn debit_if_possible(&mut self, account: Address, amount: U256) -> bool {
        let balance = self.balance(&account);
        if balance < amount {
            return false;
        }
        self.balances.insert(account, balance - amount);
        true
    }

    /// Executes a direct input (from the fridge): only a deposit of the supported token through
    /// the ERC-20 portal credits anything, but every direct input is counted and moves the clock.
    pub fn execute_direct(
        &mut self,
        sender: Address,
        payload: &[u8],
        inclusion_block: u64,
    ) -> Result<DirectEffect, CountOverflow> {
        self.can_count()?;
        let effect = match parse_deposit(&self.config, sender, payload) {
            Some((depositor, value)) => {
                self.credit(depositor, value);
                DirectEffect::Deposit { depositor, value }
            }
            None => DirectEffect::NoOp,
        };
        self.count_executed(inclusion_block);
        Ok(effect)
    }

    /// Executes a user op that passed validation steps (1)–(6); `fee` is the frame's linear fee,
    /// which the caller has checked the sender can pay.
    pub fn execute_op(
        &mut self,
        sender: Address,
        data: &[u8],
        fee: U256,
        frame_safe_block: u64,
    ) -> Result<OpEffect, CountOverflow> {
        self.can_count()?;
        // Validation rejected u32::MAX, so the increment cannot overflow.
        let nonce = self.nonce(&sender);
        self.nonces.insert(sender, nonce.wrapping_add(1));
        let paid = self.debit_if_possible(sender, fee);
        debug_assert!(paid, "validation step (6) guarantees the fee is affordable");
        self.credit(self.config.fee_recipient, fee);
        let effect = match Method::decode(data) {
            Some(Method::Transfer(Transfer { amount, to })) => {
                if self.debit_if_possible(sender, amount) {
                    self.credit(to, amount);
                    OpEffect::Transferred
                } else {
                    OpEffect::Unaffordable
                }
            }
            Some(Method::Withdrawal(Withdrawal { amount })) => {
                if self.debit_if_possible(sender, amount) {
                    OpEffect::Withdrew
                } else {
                    OpEffect::Unaffordable
                }
            }
            None => OpEffect::Undecodable,
        };
        self.count_executed(frame_safe_block);
        Ok(effect)
    }

    /// Checked before anything is executed, so an overflow changes nothing.
    fn can_count(&self) -> Result<(), CountOverflow> {
        match self.executed_input_count.checked_add(1) {
            Some(_) => Ok(()),
            None => Err(CountOverflow),
        }
    }

    fn count_executed(&mut self, block: u64) {
        self.executed_input_count = self.executed_input_count.saturating_add(1);
        self.last_executed_safe_block = self.last_executed_safe_block.max(block);
    }
}

/// `token(20) ‖ depositor(20) ‖ value(32, big-endian) ‖ ignored` from the portal, for the
/// supported token only.
fn parse_deposit(
    config: &WalletConfig,
    sender: Address,
    payload: &[u8],
) -> Option<(Address, U256)> {
    if sender != config.erc20_portal || payload.len() < DEPOSIT_HEADER_LEN {
        return None;
    }
    let token = Address::from_slice(&payload[0..20]);
    if token != config.supported_token {
        return None;
    }
    let depositor = Address::from_slice(&payload[20..40]);
    let value = U256::from_be_slice(&payload[40..72]);
    Some((depositor, value))
}

/// Builds a portal deposit payload (used by tests, the demo and the benchmark).
pub fn encode_deposit(
    token: Address,
    depositor: Address,
    value: U256,
    exec_data: &[u8],
) -> Vec<u8> {
    let mut payload = Vec::with_capacity(DEPOSIT_HEADER_LEN + exec_data.len());
    payload.extend_from_slice(token.as_slice());
    payload.extend_from_slice(depositor.as_slice());
    payload.extend_from_slice(&value.to_be_bytes::<32>());
    payload.extend_from_slice(exec_data);
    payload
}
