//! L1 inputs: the InputBox's `InputAdded` event and the `EvmAdvance` envelope it carries
//! (canonical-protocol §1), decoded and checked against the log that delivered them.

use alloy::primitives::{Address, B256, U256};
use alloy::sol;
use alloy::sol_types::{SolCall, SolEvent};

sol! {
    /// Emitted by the Cartesi Rollups v2 InputBox for every input.
    event InputAdded(address indexed appContract, uint256 indexed index, bytes input);

    /// The envelope the InputBox wraps around every payload.
    function EvmAdvance(
        uint256 chainId,
        address appContract,
        address msgSender,
        uint256 blockNumber,
        uint256 blockTimestamp,
        uint256 prevRandao,
        uint256 index,
        bytes payload
    );
}

/// One input as the scheduler consumes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Position in the application's input sequence (gap-free from 0).
    pub index: u64,
    pub chain_id: U256,
    pub app: Address,
    /// `msgSender`: the batch submitter, the ERC-20 portal or anyone else.
    pub sender: Address,
    pub block_number: u64,
    pub block_timestamp: u64,
    pub prev_randao: U256,
    pub payload: Vec<u8>,
}

/// What the caller expects of the next input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputExpectation {
    pub chain_id: U256,
    pub app: Address,
    pub next_index: u64,
}

/// A log that cannot be the next input of this application. Any of these means the L1 view is
/// wrong or incomplete (exit 1), never a verdict about the sequencer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("log is not an InputAdded event: {0}")]
    NotInputAdded(String),
    #[error("input is not an EvmAdvance call: {0}")]
    NotEvmAdvance(String),
    #[error("{field} is {value}, beyond u64")]
    OutOfRange { field: &'static str, value: U256 },
    #[error("input's blockNumber {input} differs from its log's block {log}")]
    BlockNumberMismatch { log: u64, input: u64 },
    #[error("input's appContract {found} is not the application {expected}")]
    AppMismatch { expected: Address, found: Address },
    #[error("input's chainId {found} is not the pinned chain {expected}")]
    ChainIdMismatch { expected: U256, found: U256 },
    #[error("input index {found} where {expected} was expected (a gap or a repeat)")]
    IndexMismatch { expected: u64, found: u64 },
    #[error("log's index topic {topic} differs from the input's index {input}")]
    TopicIndexMismatch { topic: U256, input: U256 },
}

fn to_u64(field: &'static str, value: U256) -> Result<u64, InputError> {
    u64::try_from(value).map_err(|_| InputError::OutOfRange { field, value })
}

/// Decodes an `InputAdded` log found at `log_block` and checks it against the expectation.
pub fn decode_input_added(
    topics: &[B256],
    data: &[u8],
    log_block: u64,
    expected: &InputExpectation,
) -> Result<Input, InputError> {
    let event = InputAdded::decode_raw_log_validate(topics.iter().copied(), data)
        .map_err(|e| InputError::NotInputAdded(e.to_string()))?;
    // The InputBox emits canonical ABI; anything that does not re-encode identically was altered.
    if event.encode_data() != data {
        return Err(InputError::NotInputAdded(
            "data is not canonically encoded".into(),
        ));
    }
    if event.appContract != expected.app {
        return Err(InputError::AppMismatch {
            expected: expected.app,
            found: event.appContract,
        });
    }
    let call = EvmAdvanceCall::abi_decode_validate(&event.input)
        .map_err(|e| InputError::NotEvmAdvance(e.to_string()))?;
    if call.abi_encode() != event.input.as_ref() {
        return Err(InputError::NotEvmAdvance("not canonically encoded".into()));
    }
    if call.index != event.index {
        return Err(InputError::TopicIndexMismatch {
            topic: event.index,
            input: call.index,
        });
    }
    let input = Input {
        index: to_u64("index", call.index)?,
        chain_id: call.chainId,
        app: call.appContract,
        sender: call.msgSender,
        block_number: to_u64("blockNumber", call.blockNumber)?,
        block_timestamp: to_u64("blockTimestamp", call.blockTimestamp)?,
        prev_randao: call.prevRandao,
        payload: call.payload.to_vec(),
    };
    if input.block_number != log_block {
        return Err(InputError::BlockNumberMismatch {
            log: log_block,
            input: input.block_number,
        });
    }
    if input.app != expected.app {
        return Err(InputError::AppMismatch {
            expected: expected.app,
            found: input.app,
        });
    }
    if input.chain_id != expected.chain_id {
        return Err(InputError::ChainIdMismatch {
            expected: expected.chain_id,
            found: input.chain_id,
        });
    }
    if input.index != expected.next_index {
        return Err(InputError::IndexMismatch {
            expected: expected.next_index,
            found: input.index,
        });
    }
    Ok(input)
}

/// The `EvmAdvance` calldata the InputBox builds for an input.
pub fn encode_evm_advance(input: &Input) -> Vec<u8> {
    EvmAdvanceCall {
        chainId: input.chain_id,
        appContract: input.app,
        msgSender: input.sender,
        blockNumber: U256::from(input.block_number),
        blockTimestamp: U256::from(input.block_timestamp),
        prevRandao: input.prev_randao,
        index: U256::from(input.index),
        payload: input.payload.clone().into(),
    }
    .abi_encode()
}

/// The topics and data of the `InputAdded` log that would carry `input`.
pub fn encode_input_added(input: &Input) -> (Vec<B256>, Vec<u8>) {
    let event = InputAdded {
        appContract: input.app,
        index: U256::from(input.index),
        input: encode_evm_advance(input).into(),
    };
    let log = event.encode_log_data();
    (log.topics().to_vec(), log.data.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256};

    fn sample() -> Input {
        Input {
            index: 3,
            chain_id: U256::from(31337u64),
            app: address!("8fC283f6Cb6B935f117CB3EB72B58eEb2ba6Cb69"),
            sender: address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720"),
            block_number: 42,
            block_timestamp: 1_700_000_000,
            prev_randao: U256::from(7u64),
            payload: vec![1, 2, 3],
        }
    }

    fn expectation() -> InputExpectation {
        InputExpectation {
            chain_id: U256::from(31337u64),
            app: sample().app,
            next_index: 3,
        }
    }

    #[test]
    fn selectors_and_topic_match_the_spec() {
        assert_eq!(EvmAdvanceCall::SELECTOR, [0x41, 0x5b, 0xf3, 0x63]);
        assert_eq!(
            InputAdded::SIGNATURE_HASH,
            b256!("c05d337121a6e8605c6ec0b72aa29c4210ffe6e5b9cefdd6a7058188a8f66f98")
        );
    }

    #[test]
    fn round_trip() {
        let (topics, data) = encode_input_added(&sample());
        assert_eq!(
            decode_input_added(&topics, &data, 42, &expectation()),
            Ok(sample())
        );
    }

    #[test]
    fn each_check_rejects() {
        let (topics, data) = encode_input_added(&sample());
        assert!(matches!(
            decode_input_added(&topics, &data, 43, &expectation()),
            Err(InputError::BlockNumberMismatch { .. })
        ));
        let mut other_app = expectation();
        other_app.app = Address::ZERO;
        assert!(matches!(
            decode_input_added(&topics, &data, 42, &other_app),
            Err(InputError::AppMismatch { .. })
        ));
        let mut other_chain = expectation();
        other_chain.chain_id = U256::from(1u64);
        assert!(matches!(
            decode_input_added(&topics, &data, 42, &other_chain),
            Err(InputError::ChainIdMismatch { .. })
        ));
        let mut gap = expectation();
        gap.next_index = 2;
        assert!(matches!(
            decode_input_added(&topics, &data, 42, &gap),
            Err(InputError::IndexMismatch { .. })
        ));
        assert!(matches!(
            decode_input_added(&topics, &data[..data.len() - 1], 42, &expectation()),
            Err(InputError::NotInputAdded(_))
        ));
    }

    #[test]
    fn index_topic_must_match_the_envelope() {
        let (mut topics, data) = encode_input_added(&sample());
        topics[2] = B256::from(U256::from(4u64));
        assert!(matches!(
            decode_input_added(&topics, &data, 42, &expectation()),
            Err(InputError::TopicIndexMismatch { .. })
        ));
    }
}
