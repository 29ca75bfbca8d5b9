//! Batches as the sequencer posts them (canonical-protocol §2), decoded exactly as the reference's
//! `ethereum_ssz` derive does; a second, layered pass runs only on failure to name the bad field.

use super::ssz_error::SszError;
use ssz::{Decode, DecodeError, Encode};
use ssz_derive::{Decode, Encode};

/// `Batch { nonce: u64, frames: List[Frame] }`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Batch {
    pub nonce: u64,
    pub frames: Vec<Frame>,
}

/// `Frame { user_ops: List[WireUserOp], safe_block: u64, fee_price: u16 }`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Frame {
    pub user_ops: Vec<WireUserOp>,
    pub safe_block: u64,
    pub fee_price: u16,
}

/// `WireUserOp { nonce: u32, max_fee: u16, data: List[u8], signature: List[u8] }`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct WireUserOp {
    pub nonce: u32,
    pub max_fee: u16,
    pub data: Vec<u8>,
    pub signature: Vec<u8>,
}

impl Batch {
    pub fn to_ssz(&self) -> Vec<u8> {
        self.as_ssz_bytes()
    }

    pub fn op_count(&self) -> usize {
        self.frames.iter().map(|f| f.user_ops.len()).sum()
    }
}

/// Decodes a batch; the error names the first field that does not decode.
pub fn decode_batch(bytes: &[u8]) -> Result<Batch, SszError> {
    Batch::from_ssz_bytes(bytes).map_err(|error| locate_batch_error(bytes, &error))
}

/// Bytes of one variable-size element, kept undecoded so the layered pass can walk the structure
/// one level at a time.
struct Raw(Vec<u8>);

impl Decode for Raw {
    fn is_ssz_fixed_len() -> bool {
        false
    }

    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        Ok(Raw(bytes.to_vec()))
    }
}

#[derive(Decode)]
struct BatchShell {
    _nonce: u64,
    frames: Vec<Raw>,
}

#[derive(Decode)]
struct FrameShell {
    user_ops: Vec<Raw>,
    _safe_block: u64,
    _fee_price: u16,
}

/// Walks the batch level by level with the same decoder rules to find the failing field.
fn locate_batch_error(bytes: &[u8], original: &DecodeError) -> SszError {
    let shell = match BatchShell::from_ssz_bytes(bytes) {
        Ok(shell) => shell,
        Err(e) => return SszError::from_decode("batch", &e),
    };
    for (i, frame) in shell.frames.iter().enumerate() {
        let frame_shell = match FrameShell::from_ssz_bytes(&frame.0) {
            Ok(s) => s,
            Err(e) => return SszError::from_decode(format!("batch.frames[{i}]"), &e),
        };
        for (j, op) in frame_shell.user_ops.iter().enumerate() {
            if let Err(e) = WireUserOp::from_ssz_bytes(&op.0) {
                return SszError::from_decode(format!("batch.frames[{i}].user_ops[{j}]"), &e);
            }
        }
    }
    SszError::from_decode("batch", original)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_batch_nonce_0_vector() {
        let batch = Batch {
            nonce: 0,
            frames: vec![],
        };
        assert_eq!(hex::encode(batch.to_ssz()), "00000000000000000c000000");
        assert_eq!(decode_batch(&batch.to_ssz()).unwrap(), batch);
    }

    #[test]
    fn batch_nonce_3_one_empty_frame_vector() {
        let batch = Batch {
            nonce: 3,
            frames: vec![Frame {
                user_ops: vec![],
                safe_block: 100,
                fee_price: 0,
            }],
        };
        let hex = "03000000000000000c000000040000000e00000064000000000000000000";
        assert_eq!(hex::encode(batch.to_ssz()), hex);
        assert_eq!(decode_batch(&hex::decode(hex).unwrap()).unwrap(), batch);
    }

    #[test]
    fn frames_offset_must_be_twelve() {
        let mut bytes = hex::decode("00000000000000000c000000").unwrap();
        bytes[8] = 16;
        let err = decode_batch(&bytes).unwrap_err();
        assert_eq!(err.path, "batch");
        assert!(err.reason.contains("offset 16"), "{err}");
    }

    #[test]
    fn error_names_the_failing_frame() {
        let mut bytes =
            hex::decode("03000000000000000c000000040000000e00000064000000000000000000").unwrap();
        // The frame's user_ops offset (at batch byte 16) must be 14.
        bytes[16] = 13;
        let err = decode_batch(&bytes).unwrap_err();
        assert_eq!(err.path, "batch.frames[0]", "{err}");
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        for len in 0..12 {
            assert!(decode_batch(&[0u8; 12][..len]).is_err());
        }
    }
}
