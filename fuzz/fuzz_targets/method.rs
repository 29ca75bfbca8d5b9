//! `Method::decode` on arbitrary user-op data: never panics; a decoded method re-encodes to the
//! exact bytes (the union is fixed-size, so there is one encoding).
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::canonical::method::Method;

fuzz_target!(|data: &[u8]| {
    if let Some(method) = Method::decode(data) {
        assert_eq!(method.encode(), data, "method bytes are not canonical");
        assert_eq!(Method::decode(&method.encode()), Some(method));
    }
});
