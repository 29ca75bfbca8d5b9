//! `decode_batch` on arbitrary bytes: never panics, and whatever decodes re-encodes to a batch
//! that decodes back equal (and, SSZ being canonical for this schema, to the same bytes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::canonical::batch::decode_batch;

fuzz_target!(|data: &[u8]| {
    let Ok(batch) = decode_batch(data) else {
        return;
    };
    let encoded = batch.to_ssz();
    let again = decode_batch(&encoded).expect("a re-encoded batch must decode");
    assert_eq!(again, batch, "decode(encode(x)) != x");
    assert_eq!(encoded, data, "an accepted batch is not in canonical encoding");
    let _ = batch.op_count();
});
