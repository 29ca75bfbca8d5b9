#!/usr/bin/env bash
# The README's first command: builds warden and runs the demo on an embedded local devnet
# (anvil + the real Cartesi rollups contracts from npm + a demo sequencer endpoint).
# Needs only the Rust toolchain, npm and python3 (the devnet tools install into .cache/devnet).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin warden --example demo
exec target/release/examples/demo --warden target/release/warden
