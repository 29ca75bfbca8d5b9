//! Every JSON record warden reads from its state directory, parsed from hostile bytes: nothing
//! may panic, and a record that parses must survive a serialize/parse round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use warden::state::checkpoint::{Head, Manifest};
use warden::state::config::Config;
use warden::state::latch::Divergence;
use warden::state::records::RunRecord;
use warden::submitter::records::{Attempts, FrontierCursor, Watermark};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(data: &[u8]) {
    if let Ok(record) = serde_json::from_slice::<T>(data) {
        let text = serde_json::to_vec(&record).expect("a parsed record serializes");
        let back: T = serde_json::from_slice(&text).unwrap_or_else(|e| {
            panic!(
                "{} does not re-parse: {e}: {}",
                std::any::type_name::<T>(),
                String::from_utf8_lossy(&text)
            )
        });
        assert_eq!(back, record, "{} does not round-trip", std::any::type_name::<T>());
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<Head>(data);
    round_trip::<Manifest>(data);
    round_trip::<Config>(data);
    round_trip::<Divergence>(data);
    round_trip::<Watermark>(data);
    round_trip::<FrontierCursor>(data);
    round_trip::<Attempts>(data);
    // `details` is free-form here: parse and serialize only (floats need not round-trip).
    if let Ok(record) = serde_json::from_slice::<RunRecord<serde_json::Value>>(data) {
        let _ = serde_json::to_vec(&record).expect("a parsed run record serializes");
    }
});
