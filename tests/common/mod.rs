//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` beside the repository, when it exists (CI has it; a bare clone does not).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    dir.is_dir().then_some(dir)
}

/// Reads an anchor fixture, or prints why the case is skipped and returns `None`.
pub fn anchor_fixture(name: &str) -> Option<String> {
    match shared_dir() {
        Some(dir) => {
            let path = dir.join("fixtures/anchor").join(name);
            match std::fs::read_to_string(&path) {
                Ok(text) => Some(text),
                Err(e) => {
                    eprintln!("SKIP: anchor fixture {} unreadable: {e}", path.display());
                    None
                }
            }
        }
        None => {
            eprintln!("SKIP: ../shared is absent, so anchor fixture {name} cannot be checked");
            None
        }
    }
}

/// Every stderr line of a run must be one JSON object with the envelope fields; returns them.
pub fn parse_events(stderr: &[u8]) -> Vec<serde_json::Value> {
    let text = std::str::from_utf8(stderr).expect("stderr is UTF-8");
    text.lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {line}"));
            for key in ["ts", "level", "cmd", "event"] {
                assert!(value.get(key).is_some(), "missing {key} in {line}");
            }
            value
        })
        .collect()
}

/// The single `exit` event of a run (asserts there is exactly one).
pub fn exit_event(stderr: &[u8]) -> serde_json::Value {
    let exits: Vec<_> = parse_events(stderr)
        .into_iter()
        .filter(|e| e["event"] == "exit")
        .collect();
    assert_eq!(exits.len(), 1, "exactly one exit event expected");
    exits.into_iter().next().unwrap()
}

pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

pub mod state {
    //! Builds initialised state directories through the library, as `init` and `tick` would.
    use alloy::primitives::{Address, B256, U256};
    use warden::canonical::codec::encode_machine;
    use warden::canonical::testkit::InputFactory;
    use warden::canonical::{Machine, SchedulerConfig, WalletConfig};
    use warden::state::StateDir;
    use warden::state::checkpoint::{CheckpointMeta, Head, publish};
    use warden::state::config::{Bootstrap, Config, Confirmation, write_config};
    use warden::state::fs::{Fs, RealFs};

    pub const PORTAL: Address = Address::repeat_byte(0x50);
    pub const TOKEN: Address = Address::repeat_byte(0x70);
    pub const SUBMITTER: Address = Address::repeat_byte(0x5b);
    pub const APP: Address = Address::repeat_byte(0xaa);

    pub fn config() -> Config {
        Config {
            version: 1,
            chain_id: 31337,
            app: APP,
            input_box: Address::repeat_byte(0x1b),
            batch_submitter: SUBMITTER,
            erc20_portal: PORTAL,
            supported_token: TOKEN,
            fee_recipient: SUBMITTER,
            max_wait_blocks: 1200,
            preemptive_margin_blocks: 300,
            l1_confirmation: Confirmation::Safe,
            max_log_range: 2000,
            long_range_error_codes: vec!["-32005".into()],
            sequencer_url: "http://127.0.0.1:1".into(),
            sequencer_url_sha256: None,
            bootstrap: Bootstrap {
                kind: "genesis".into(),
                block: 0,
                input_count: 0,
            },
            created_at: "2026-11-23T00:00:00.000Z".into(),
        }
    }

    /// A machine that folded one deposit per 10 blocks up to `block`.
    pub fn machine_at(block: u64) -> Machine {
        let mut machine = Machine::genesis(
            SchedulerConfig {
                batch_submitter: SUBMITTER,
                max_wait_blocks: 1200,
            },
            WalletConfig {
                erc20_portal: PORTAL,
                supported_token: TOKEN,
                fee_recipient: SUBMITTER,
            },
        );
        let mut factory = InputFactory::new(31337, APP);
        for b in (10..=block).step_by(10) {
            let input = factory.deposit(PORTAL, TOKEN, Address::repeat_byte(1), U256::from(b), b);
            machine.advance(&input).expect("deposits fold");
        }
        machine.advance_to_block(block);
        machine
    }

    pub fn block_hash(block: u64) -> B256 {
        B256::from(U256::from(block) + U256::from(0xabcdef_u64))
    }

    pub fn publish_block(fs: &dyn Fs, state: &StateDir, block: u64, keep: usize) -> Head {
        try_publish_block(fs, state, block, keep).expect("publish")
    }

    pub fn try_publish_block(
        fs: &dyn Fs,
        state: &StateDir,
        block: u64,
        keep: usize,
    ) -> Result<Head, warden::state::StateError> {
        let machine = machine_at(block);
        let bytes = encode_machine(&machine).expect("encode");
        let sha = warden::canonical::Sha256Digest(machine.state_sha256());
        publish(
            fs,
            state,
            CheckpointMeta {
                block,
                block_hash: block_hash(block),
                input_count: machine.inputs_processed,
            },
            &bytes,
            sha,
            keep,
            "2026-11-23T00:00:00.000Z",
        )
        .map(|(head, _)| head)
    }

    /// A state directory with config.json and checkpoints at the given blocks (the last is head).
    pub fn init_state(root: &std::path::Path, blocks: &[u64]) -> StateDir {
        std::fs::create_dir_all(root).unwrap();
        let state = StateDir::new(root);
        for block in blocks {
            publish_block(&RealFs, &state, *block, 2);
        }
        write_config(&RealFs, &state, &config()).unwrap();
        state
    }
}

/// Reads a child's stdout until a line equal to `marker` (the test harness prints its own lines
/// first); panics if the stream ends before it.
pub fn wait_for_line(
    stdout: std::process::ChildStdout,
    marker: &str,
) -> std::io::BufReader<std::process::ChildStdout> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        let read = reader.read_line(&mut line).expect("child stdout");
        assert!(read > 0, "child exited before printing {marker:?}");
        if line.trim_end().ends_with(marker) {
            return reader;
        }
    }
}

pub mod devnet {
    //! One anvil per test, with the rollups contracts deployed; tools installed once per cache.
    use std::path::PathBuf;
    pub use warden::devnet::*;

    pub fn cache_dir() -> PathBuf {
        std::env::var_os("WARDEN_DEVNET_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".cache/devnet"))
    }

    pub struct TestDevnet {
        pub anvil: Anvil,
        pub deployment: Deployment,
        pub tools: DevnetTools,
    }

    pub fn runtime() -> tokio::runtime::Runtime {
        let _ = rustls::crypto::ring::default_provider().install_default();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Starts anvil (safe lags latest by one block) and deploys everything.
    pub fn start(rt: &tokio::runtime::Runtime) -> TestDevnet {
        start_with(rt, &[])
    }

    /// As `start`, with more anvil arguments.
    pub fn start_with(rt: &tokio::runtime::Runtime, extra: &[&str]) -> TestDevnet {
        let tools = install_tools(&cache_dir()).expect("install devnet tools");
        let anvil = Anvil::start_with(&tools, 1, CHAIN_ID, extra).expect("start anvil");
        let deployment = rt
            .block_on(async {
                wait_ready(&anvil.url, std::time::Duration::from_secs(10)).await?;
                deploy(&anvil.url, &tools).await
            })
            .expect("deploy");
        TestDevnet {
            anvil,
            deployment,
            tools,
        }
    }
}

pub mod proxy;
pub mod sequencer;

pub mod world {
    //! An end-to-end world: a devnet, a sequencer double, a state directory, and helpers that
    //! run the real `warden` binary against them.
    use super::devnet::{self, TestDevnet};
    use super::sequencer::SequencerDouble;
    use alloy::primitives::{Address, U256};
    use serde_json::Value;
    use warden::canonical::batch::{Batch, Frame, WireUserOp};
    use warden::canonical::eip712::UserKey;
    use warden::canonical::testkit::InputFactory;

    pub const SUBMITTER_KEY: usize = 9;

    pub struct Run {
        pub code: Option<i32>,
        pub stdout: String,
        pub exit: Value,
        pub events: Vec<Value>,
    }

    impl Run {
        /// A finished warden process: exit code, stdout, its NDJSON events and the exit event.
        pub fn of(out: &std::process::Output) -> Self {
            Run {
                code: out.status.code(),
                stdout: String::from_utf8_lossy(&out.stdout).to_string(),
                exit: super::exit_event(&out.stderr),
                events: super::parse_events(&out.stderr),
            }
        }
    }

    pub struct World {
        pub rt: tokio::runtime::Runtime,
        pub devnet: TestDevnet,
        pub sequencer: SequencerDouble,
        pub state_dir: tempfile::TempDir,
        pub batch_nonce: u64,
        pub user_nonces: std::collections::HashMap<usize, u32>,
        /// The scheduler's max_wait_blocks the honest sequencer folds with (init's).
        pub max_wait_blocks: u64,
    }

    impl World {
        pub fn new() -> Self {
            Self::with_anvil(&[])
        }

        /// A world whose anvil takes more arguments (e.g. `--prune-history`).
        pub fn with_anvil(extra: &[&str]) -> Self {
            let rt = devnet::runtime();
            let devnet = devnet::start_with(&rt, extra);
            Self {
                rt,
                devnet,
                sequencer: SequencerDouble::start().unwrap(),
                state_dir: tempfile::tempdir().unwrap(),
                batch_nonce: 0,
                user_nonces: Default::default(),
                max_wait_blocks: 1200,
            }
        }

        pub fn submitter(&self) -> Address {
            devnet::anvil_address(SUBMITTER_KEY)
        }

        pub fn warden(&self, args: &[&str]) -> Run {
            self.warden_via(&self.devnet.anvil.url, args)
        }

        /// Runs warden with its L1 endpoint at `l1_url` (a fault proxy, say).
        pub fn warden_via(&self, l1_url: &str, args: &[&str]) -> Run {
            let out = assert_cmd::Command::cargo_bin("warden")
                .unwrap()
                .env("WARDEN_LOG_FORMAT", "json")
                .env("WARDEN_STATE_DIR", self.state_dir.path())
                .env("WARDEN_L1_RPC_URL", l1_url)
                .env("WARDEN_SEQUENCER_URL", &self.sequencer.url)
                .args(args)
                .timeout(std::time::Duration::from_secs(120))
                .output()
                .unwrap();
            Run::of(&out)
        }

        pub fn init_args(&self) -> Vec<String> {
            let d = &self.devnet.deployment;
            vec![
                "init".into(),
                "--app".into(),
                d.application.to_string(),
                "--batch-submitter".into(),
                self.submitter().to_string(),
                "--erc20-portal".into(),
                d.erc20_portal.to_string(),
                "--token".into(),
                d.token.to_string(),
                "--chain-id".into(),
                "31337".into(),
            ]
        }

        pub fn init(&self) -> Run {
            let args = self.init_args();
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            self.warden(&refs)
        }

        pub fn mine(&self, blocks: u64) {
            self.rt
                .block_on(devnet::mine(&self.devnet.anvil.url, blocks))
                .unwrap();
        }

        pub fn block(&self) -> u64 {
            self.rt
                .block_on(devnet::block_number(&self.devnet.anvil.url))
                .unwrap()
        }

        /// Deposits through the real portal from anvil key `key`; returns the block.
        pub fn deposit(&self, key: usize, amount: u64) -> u64 {
            let url = &self.devnet.anvil.url;
            let d = &self.devnet.deployment;
            self.rt
                .block_on(async {
                    if key != 0 {
                        devnet::fund_tokens(url, d, devnet::anvil_address(key), U256::from(amount))
                            .await?;
                    }
                    devnet::deposit(url, d, key, U256::from(amount)).await
                })
                .unwrap()
        }

        pub fn user_key(&self, key: usize) -> UserKey {
            let bytes: [u8; 32] = hex::decode(devnet::ANVIL_KEYS[key])
                .unwrap()
                .try_into()
                .unwrap();
            UserKey::from_bytes(&bytes).unwrap()
        }

        /// A signed op from anvil key `key` with its next nonce.
        pub fn op(&mut self, key: usize, fee: u16, data: Vec<u8>) -> WireUserOp {
            let user = self.user_key(key);
            let factory = InputFactory::new(31337, self.devnet.deployment.application);
            let nonce = self.user_nonces.entry(key).or_insert(0);
            let op = factory.sign_op(&user, *nonce, fee, data);
            *nonce += 1;
            op
        }

        /// Posts a batch with the next nonce from the batch submitter; returns its block.
        pub fn post(&mut self, ops: Vec<WireUserOp>, safe_block: u64, fee_price: u16) -> u64 {
            let batch = Batch {
                nonce: self.batch_nonce,
                frames: vec![Frame {
                    user_ops: ops,
                    safe_block,
                    fee_price,
                }],
            };
            self.batch_nonce += 1;
            self.post_raw(batch.to_ssz())
        }

        pub fn post_raw(&self, payload: Vec<u8>) -> u64 {
            self.rt
                .block_on(devnet::add_input(
                    &self.devnet.anvil.url,
                    &self.devnet.deployment,
                    SUBMITTER_KEY,
                    payload,
                ))
                .unwrap()
        }

        /// Replays L1 up to `block` with the canonical core: (state bytes, executed count).
        pub fn canonical_at(&self, block: u64) -> (Vec<u8>, u64) {
            self.rt
                .block_on(devnet::canonical_state_at(
                    &self.devnet.anvil.url,
                    &self.devnet.deployment,
                    self.submitter(),
                    self.max_wait_blocks,
                    block,
                ))
                .unwrap()
        }

        /// Makes the double serve the honest state at `block`.
        pub fn sequencer_at(&self, block: u64) {
            let (bytes, count) = self.canonical_at(block);
            self.sequencer.set(block, count, bytes);
        }

        /// init, one deposit and one batch, mined and agreed; returns the head block.
        pub fn agreed() -> (Self, u64) {
            let mut w = Self::new();
            assert_eq!(w.init().code, Some(0));
            let block = w.advance_and_agree();
            (w, block)
        }

        /// Posts a deposit and a batch spending from it, mines, serves it honestly and ticks
        /// to agreement; returns the new head block.
        pub fn advance_and_agree(&mut self) -> u64 {
            let block = self.advance();
            let run = self.warden(&["tick"]);
            assert_eq!(run.code, Some(0), "{}", run.exit);
            assert_eq!(run.exit["outcome"], "agreed");
            block
        }

        /// A deposit and a batch, mined to safety and served honestly; returns the batch block.
        pub fn advance(&mut self) -> u64 {
            let deposit_block = self.deposit(0, 100_000);
            let op = self.op(
                0,
                90,
                warden::canonical::testkit::transfer_data(
                    U256::from(7u64),
                    devnet::anvil_address(3),
                ),
            );
            let block = self.post(vec![op], deposit_block, 90);
            self.mine(3);
            self.sequencer_at(block);
            block
        }

        pub fn head_block(&self) -> u64 {
            warden::state::checkpoint::load_head(&warden::state::StateDir::new(
                self.state_dir.path(),
            ))
            .unwrap()
            .head
            .block
        }

        pub fn status(&self) -> Value {
            let run = self.warden(&["status"]);
            serde_json::from_str(&run.stdout).unwrap()
        }
    }
}
