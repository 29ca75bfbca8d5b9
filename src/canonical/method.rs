//! The wallet's method union carried in a user op's `data` (canonical-protocol §6).

use alloy::primitives::{Address, U256};
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};

/// Selector 0x00: 33 bytes in all, the amount little-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct Withdrawal {
    pub amount: U256,
}

/// Selector 0x01: 53 bytes in all, the amount little-endian, then the recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
pub struct Transfer {
    pub amount: U256,
    pub to: Address,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Encode, Decode)]
#[ssz(enum_behaviour = "union")]
pub enum Method {
    Withdrawal(Withdrawal),
    Transfer(Transfer),
}

impl Method {
    /// `None` for any other selector or length: such an op still pays its fee and nonce.
    pub fn decode(data: &[u8]) -> Option<Method> {
        Method::from_ssz_bytes(data).ok()
    }

    pub fn encode(&self) -> Vec<u8> {
        self.as_ssz_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    #[test]
    fn transfer_is_53_bytes_amount_little_endian() {
        let method = Method::Transfer(Transfer {
            amount: U256::from(1000u64),
            to: address!("70997970c51812dc3a010c7d01b50e0d17dc79c8"),
        });
        let bytes = method.encode();
        assert_eq!(bytes.len(), 53);
        assert_eq!(
            hex::encode(&bytes),
            "01e803000000000000000000000000000000000000000000000000000000000000\
             70997970c51812dc3a010c7d01b50e0d17dc79c8"
        );
        assert_eq!(Method::decode(&bytes), Some(method));
    }

    #[test]
    fn withdrawal_is_33_bytes() {
        let method = Method::Withdrawal(Withdrawal {
            amount: U256::from(7u64),
        });
        let bytes = method.encode();
        assert_eq!(bytes.len(), 33);
        assert_eq!(bytes[0], 0);
        assert_eq!(bytes[1], 7);
        assert_eq!(Method::decode(&bytes), Some(method));
    }

    #[test]
    fn wrong_lengths_and_selectors_are_undecodable() {
        let transfer = Method::Transfer(Transfer {
            amount: U256::from(1u64),
            to: Address::ZERO,
        })
        .encode();
        assert_eq!(Method::decode(&transfer[..52]), None);
        let mut longer = transfer.clone();
        longer.push(0);
        assert_eq!(Method::decode(&longer), None);
        let mut other_selector = transfer.clone();
        other_selector[0] = 2;
        assert_eq!(Method::decode(&other_selector), None);
        assert_eq!(Method::decode(&[]), None);
        assert_eq!(Method::decode(&[0u8; 34]), None);
        assert_eq!(Method::decode(&[0u8; 32]), None);
    }
}
