# warden's everyday commands (https://github.com/casey/just). The README's two set-up commands
# are `./scripts/demo.sh` and `cargo test --locked`; these recipes wrap the same things.

default:
    @just --list

# Debug build of the binary.
build:
    cargo build --locked

# The whole test suite (unit, property, contract and e2e on anvil): what CI runs.
test:
    cargo test --locked

# Only the end-to-end drills on a real anvil with the real rollups contracts.
e2e:
    cargo test --locked --test e2e_tick --test e2e_faults --test e2e_submit --test e2e_recover --test devnet

# The demo on an embedded devnet: init, submit, tick agreeing, a divergence, recover.
demo:
    ./scripts/demo.sh

# Benchmarks (each prints figures and ratios measured side by side; none asserts a speed):
# fold (100,000 signed transfers), catchup (cold tick over a devnet history, 1× and 10×),
# idle (idle tick vs one GET of the digest route), state (1M-account state). `just bench fold`
# runs one.
bench *NAMES="fold catchup idle state":
    for name in {{NAMES}}; do cargo bench --locked --bench "$name"; done

# Formatting and lints exactly as CI expects them.
lint:
    cargo fmt --check
    cargo clippy --locked --all-targets -- -D warnings

# Regenerate the committed completions and man pages from clap.
docs:
    WARDEN_BLESS=1 cargo test --locked --test ship completions_and_man_pages_are_current

# Optimised binary plus its release metadata.
release:
    cargo build --release --locked
    ./target/release/warden --version --json
    @echo "binary: target/release/warden; RELEASE.json must match the line above"

# Fuzz one target for `time` seconds (needs nightly and `cargo install cargo-fuzz`; the targets
# are listed in fuzz/README.md). New inputs go to fuzz/corpus/<target>/ (the committed seeds in
# fuzz/seeds/<target>/ are only read); crashes land in fuzz/artifacts/<target>/.
fuzz target="batch" time="600":
    mkdir -p fuzz/corpus/{{target}}
    cargo +nightly fuzz run {{target}} fuzz/corpus/{{target}} fuzz/seeds/{{target}} -- -max_total_time={{time}} -rss_limit_mb=2048

# Container image localhost/warden:<version> from the Containerfile (FROM scratch, nothing pulled;
# needs buildah or podman). `just image --binary PATH` packages an existing binary instead.
image *ARGS:
    ./scripts/build-image.sh {{ARGS}}
