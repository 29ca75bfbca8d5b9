//! The state decoders and the state diff on arbitrary bytes: never panic; canonical bytes
//! re-encode exactly; the diff agrees with the decoder and finds nothing between equal states.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::canonical::diff::{StateDiff, state_diff};
use warden::canonical::snapshot::{decode_legacy_state_v1, decode_state, encode_state};
use warden_fuzz::state_split;

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

fuzz_target!(|data: &[u8]| {
    let decoded = decode_state(data);
    let _ = decode_legacy_state_v1(data);

    let self_diff = state_diff(data, data);
    match &decoded {
        Ok(state) => {
            assert_no_difference(&self_diff, "diff(x, x)");
            let canonical = state.is_canonical();
            let wallet = state.clone().into_wallet();
            let encoded = encode_state(&wallet);
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
});
