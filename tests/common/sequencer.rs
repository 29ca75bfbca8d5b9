//! The sequencer double lives in the library (`warden::devnet::sequencer`) so the demo uses the
//! same one.
#![allow(unused_imports)]

pub use warden::devnet::sequencer::*;
