//! Decoding errors that say where the bytes went wrong, for `inspect` and for event messages.

use ssz::DecodeError;
use std::fmt;

/// A decoding failure located by a field path such as `batch.frames[2].user_ops[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SszError {
    pub path: String,
    pub reason: String,
    /// The reason without any value read from the bytes, for messages about files warden does
    /// not trust to be what they claim (an outbox entry may be a link to a secret).
    pub kind: &'static str,
}

impl SszError {
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
            kind: "invalid value",
        }
    }

    pub fn from_decode(path: impl Into<String>, error: &DecodeError) -> Self {
        Self {
            path: path.into(),
            reason: describe(error),
            kind: kind(error),
        }
    }

    /// `path: kind`, with no value read from the bytes.
    pub fn redacted(&self) -> String {
        format!("{}: {}", self.path, self.kind)
    }
}

/// What went wrong, in words that quote nothing from the bytes.
fn kind(error: &DecodeError) -> &'static str {
    match error {
        DecodeError::InvalidByteLength { .. } => "the length does not fit the layout",
        DecodeError::InvalidLengthPrefix { .. } => "an offset is cut short",
        DecodeError::OutOfBoundsByte { .. } => "it reads past the end",
        DecodeError::OffsetIntoFixedPortion(_) => "an offset points into the fixed-size part",
        DecodeError::OffsetSkipsVariableBytes(_) => {
            "the first offset does not start right after the fixed-size part"
        }
        DecodeError::OffsetsAreDecreasing(_) => "an offset is below the previous one",
        DecodeError::OffsetOutOfBounds(_) => "an offset is beyond the end",
        DecodeError::InvalidListFixedBytesLen(_) => {
            "a list's first offset is not a non-zero multiple of 4"
        }
        DecodeError::ZeroLengthItem => "a zero-length item",
        DecodeError::BytesInvalid(_) => "invalid bytes",
        DecodeError::UnionSelectorInvalid(_) => "an unknown union selector",
        DecodeError::NoMatchingVariant => "no variant matches",
    }
}

impl fmt::Display for SszError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

impl std::error::Error for SszError {}

/// Plain-English rendering of `ethereum_ssz`'s error variants (offsets are relative to the start
/// of the container named by the path).
pub fn describe(error: &DecodeError) -> String {
    match error {
        DecodeError::InvalidByteLength { len, expected } => {
            format!("{len} bytes where the layout needs {expected}")
        }
        DecodeError::InvalidLengthPrefix { len, expected } => {
            format!("an offset needs {expected} bytes but only {len} remain")
        }
        DecodeError::OutOfBoundsByte { i } => format!("reads past the end at byte {i}"),
        DecodeError::OffsetIntoFixedPortion(o) => {
            format!("offset {o} points into the fixed-size part")
        }
        DecodeError::OffsetSkipsVariableBytes(o) => {
            format!("first offset {o} does not start right after the fixed-size part")
        }
        DecodeError::OffsetsAreDecreasing(o) => format!("offset {o} is below the previous offset"),
        DecodeError::OffsetOutOfBounds(o) => format!("offset {o} is beyond the end of the bytes"),
        DecodeError::InvalidListFixedBytesLen(o) => {
            format!("list's first offset {o} is not a non-zero multiple of 4")
        }
        DecodeError::ZeroLengthItem => "zero-length item".to_string(),
        DecodeError::BytesInvalid(message) => message.clone(),
        DecodeError::UnionSelectorInvalid(s) => {
            format!("union selector {s} is not a known variant")
        }
        DecodeError::NoMatchingVariant => "no variant matches".to_string(),
    }
}
