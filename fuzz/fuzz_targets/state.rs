//! The state decoders and the state diff on arbitrary bytes: never panic; they agree with the
//! derived-SSZ decoders warden used before its in-place ones (`warden_fuzz::reference`), result
//! for result and error for error; canonical bytes re-encode exactly, by every encoder; the diff
//! agrees with the decoder and finds nothing between a state and its canonical re-encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::canonical::diff::{StateDiff, first_difference, state_diff};
use warden::canonical::snapshot::{
    decode_legacy_state_v1, decode_state, encode_state, state_encodes_to, state_sha256,
    wallet_state_sha256,
};
use warden_fuzz::{reference, state_split};

fn assert_no_difference(diff: &StateDiff, what: &str) {
    match diff {
        StateDiff::Decoded {
            config,
            balances,
            balances_total,
            nonces,
            nonces_total,
            counters,
            ..
        } => {
            assert!(config.is_empty(), "{what}: config differs: {config:?}");
            assert!(balances.is_empty() && *balances_total == 0, "{what}: balances differ");
            assert!(nonces.is_empty() && *nonces_total == 0, "{what}: nonces differ");
            assert!(counters.is_empty(), "{what}: counters differ: {counters:?}");
        }
        StateDiff::Undecodable { error } => panic!("{what}: undecodable: {error}"),
    }
}

fn naive_first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or_else(|| (a.len() != b.len()).then(|| a.len().min(b.len())))
}

fuzz_target!(|data: &[u8]| {
    let decoded = decode_state(data);
    assert_eq!(decoded, reference::decode_state(data), "decode_state differs from derived SSZ");
    let legacy = decode_legacy_state_v1(data);
    assert_eq!(
        legacy,
        reference::decode_legacy_state_v1(data),
        "decode_legacy_state_v1 differs from derived SSZ"
    );
    if let Ok(state) = legacy {
        let _ = encode_state(&state.into_wallet());
    }

    let self_diff = state_diff(data, data);
    match &decoded {
        Ok(state) => {
            let canonical = state.is_canonical();
            // `state_diff`'s first argument is warden's own canonical encoding (tick's evidence is
            // its only caller); the merge relies on that order, so x against itself is only
            // required to agree when x is canonical.
            if canonical {
                assert_no_difference(&self_diff, "diff(x, x)");
            }
            let wallet = state.clone().into_wallet();
            let encoded = encode_state(&wallet);
            assert_eq!(state_encodes_to(&wallet, data), encoded == data, "state_encodes_to");
            assert!(state_encodes_to(&wallet, &encoded));
            assert_eq!(first_difference(&encoded, data), naive_first_difference(&encoded, data));
            assert_eq!(wallet_state_sha256(&wallet), state_sha256(&encoded), "wallet_state_sha256");
            if canonical {
                assert_eq!(encoded, data, "canonical state bytes do not re-encode exactly");
            }
            // The canonical re-encoding of what was served: same accounts, maybe reordered.
            let diff = state_diff(&encoded, data);
            assert_no_difference(&diff, "diff(encode(decode(x)), x)");
            if let StateDiff::Decoded { sequencer_canonical_encoding, .. } = diff {
                assert_eq!(sequencer_canonical_encoding, canonical);
            }
            let back = decode_state(&encoded).expect("re-encoded state must decode");
            assert!(back.is_canonical());
            assert_eq!(back.into_wallet(), wallet);
        }
        Err(_) => assert!(
            matches!(self_diff, StateDiff::Undecodable { .. }),
            "diff(x, x) decoded what decode_state refused"
        ),
    }

    let k = state_split(data);
    let (a, b) = data.split_at(k);
    let _ = state_diff(a, b);
    let _ = state_diff(b, a);
    assert_eq!(first_difference(a, b), naive_first_difference(a, b), "first_difference");
});
