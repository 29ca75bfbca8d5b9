//! The README's demo: a local devnet (anvil + the real Cartesi rollups contracts from npm + a demo
//! sequencer endpoint), then the operator's day in order — `init`, `submit`, `tick` agreeing, an
//! injected divergence paging with exit 2, and `recover` naming the next step. Every step is
//! printed as the command an operator would type, followed by what warden answered.
//!
//! Run it through `scripts/demo.sh` (which builds warden first), or:
//! `cargo run --release --example demo -- --warden target/release/warden`.

use alloy::primitives::{Address, U256};
use serde_json::Value;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use warden::canonical::batch::{Batch, Frame};
use warden::canonical::eip712::UserKey;
use warden::canonical::testkit::{InputFactory, transfer_data};
use warden::devnet::{self, Anvil, sequencer::Behavior, sequencer::SequencerDouble};

const SUBMITTER_KEY: usize = 9;
const ALICE: usize = 1;

struct Demo {
    warden: PathBuf,
    rt: tokio::runtime::Runtime,
    anvil: Anvil,
    deployment: devnet::Deployment,
    sequencer: SequencerDouble,
    work: tempfile::TempDir,
    failures: Vec<String>,
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn run() -> Result<bool, String> {
    let mut args = std::env::args().skip(1);
    let mut warden = PathBuf::from("target/release/warden");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--warden" => warden = args.next().map(PathBuf::from).ok_or("--warden PATH")?,
            other => return Err(format!("unknown argument {other:?} (only --warden PATH)")),
        }
    }
    if !warden.is_file() {
        return Err(format!(
            "{} not found; build it first (`cargo build --release`)",
            warden.display()
        ));
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;

    say("Setting up a local devnet: anvil and the Cartesi Rollups v2 contracts from npm");
    let cache = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".cache/devnet");
    let tools = devnet::install_tools(&cache).map_err(|e| e.to_string())?;
    let anvil = Anvil::start(&tools, 1).map_err(|e| e.to_string())?;
    let deployment = rt
        .block_on(async {
            devnet::wait_ready(&anvil.url, std::time::Duration::from_secs(10)).await?;
            devnet::deploy(&anvil.url, &tools).await
        })
        .map_err(|e| e.to_string())?;
    let sequencer = SequencerDouble::start().map_err(|e| e.to_string())?;
    println!("  L1 (anvil)        {}", anvil.url);
    println!("  InputBox          {}", deployment.input_box);
    println!("  ERC20Portal       {}", deployment.erc20_portal);
    println!("  Application       {}", deployment.application);
    println!("  demo token        {}", deployment.token);
    println!("  demo sequencer    {}", sequencer.url);

    let mut demo = Demo {
        warden,
        rt,
        anvil,
        deployment,
        sequencer,
        work: tempfile::tempdir().map_err(|e| e.to_string())?,
        failures: Vec::new(),
    };
    demo.day()?;
    println!();
    if demo.failures.is_empty() {
        println!("demo complete: agreed → exit 2 (state_mismatch) → recover named the next step");
        Ok(true)
    } else {
        for f in &demo.failures {
            println!("unexpected: {f}");
        }
        Ok(false)
    }
}

fn say(text: &str) {
    println!("\n# {text}");
}

impl Demo {
    fn state_dir(&self) -> PathBuf {
        self.work.path().join("state")
    }

    fn outbox(&self) -> PathBuf {
        self.work.path().join("outbox")
    }

    fn submitter(&self) -> Address {
        devnet::anvil_address(SUBMITTER_KEY)
    }

    fn day(&mut self) -> Result<(), String> {
        let state = self.state_dir().display().to_string();
        let l1 = self.anvil.url.clone();
        let seq = self.sequencer.url.clone();
        let d = self.deployment;
        let common = [
            "--state-dir",
            &state,
            "--l1-rpc-url",
            &l1,
            "--sequencer-url",
            &seq,
        ];

        say("Pin a state directory to this application (once)");
        let (app, submitter, portal, token) = (
            d.application.to_string(),
            self.submitter().to_string(),
            d.erc20_portal.to_string(),
            d.token.to_string(),
        );
        let init: Vec<&str> = [
            "init",
            "--app",
            &app,
            "--batch-submitter",
            &submitter,
            "--erc20-portal",
            &portal,
            "--token",
            &token,
            "--chain-id",
            "31337",
        ]
        .into_iter()
        .chain(common)
        .collect();
        self.warden(&init, 0)?;

        say("Alice deposits 1,000,000 demo tokens through the real ERC20Portal");
        let alice = devnet::anvil_address(ALICE);
        let block = self
            .rt
            .block_on(async {
                devnet::fund_tokens(&l1, &d, alice, U256::from(1_000_000u64)).await?;
                devnet::deposit(&l1, &d, ALICE, U256::from(1_000_000u64)).await
            })
            .map_err(|e| e.to_string())?;
        println!("  deposit included at block {block}");

        say("The sequencer seals batch 0 (Alice pays Bob 250) into its outbox");
        std::fs::create_dir_all(self.outbox()).map_err(|e| e.to_string())?;
        self.seal(0, 0, 250, block)?;
        let key_file = self.key_file()?;
        let outbox = self.outbox().display().to_string();
        let key = key_file.display().to_string();
        let submit: Vec<&str> = [
            "submit",
            "--outbox",
            &outbox,
            "--key-file",
            &key,
            "--confirmations",
            "1",
        ]
        .into_iter()
        .chain(common)
        .collect();
        self.warden(&submit, 0)?;

        say("L1 marks the batch safe; the sequencer finalizes it");
        let batch_block = self.finalize_latest_batch()?;
        println!("  the sequencer now serves its finalized state at block {batch_block}");
        let tick: Vec<&str> = ["tick"].into_iter().chain(common).collect();
        self.warden(&tick, 0)?;

        say("Injected fault: the sequencer serves a state with one byte flipped");
        self.seal(1, 1, 100, batch_block)?;
        self.warden(&submit, 0)?;
        self.finalize_latest_batch()?;
        self.sequencer.behave(Behavior::FlipByte(84 + 20 + 31));
        self.warden(&tick, 2)?;

        say("On call: what now?");
        let recover: Vec<&str> = ["recover"].into_iter().chain(common).collect();
        let report = self.warden(&recover, 2)?;
        if let Some(next) = serde_json::from_str::<Value>(&report)
            .ok()
            .and_then(|v| v["next"].as_str().map(str::to_string))
        {
            println!("  next step: {next}");
        }
        Ok(())
    }

    /// Alice's `nonce`-th transfer to Bob, sealed as batch `batch_nonce`.
    fn seal(
        &self,
        batch_nonce: u64,
        nonce: u32,
        amount: u64,
        safe_block: u64,
    ) -> Result<(), String> {
        let bytes: [u8; 32] = hex::decode(devnet::ANVIL_KEYS[ALICE])
            .map_err(|e| e.to_string())?
            .try_into()
            .map_err(|_| "bad key".to_string())?;
        let alice = UserKey::from_bytes(&bytes).map_err(|_| "bad key".to_string())?;
        let factory = InputFactory::new(devnet::CHAIN_ID, self.deployment.application);
        let op = factory.sign_op(
            &alice,
            nonce,
            90,
            transfer_data(U256::from(amount), devnet::anvil_address(2)),
        );
        let batch = Batch {
            nonce: batch_nonce,
            frames: vec![Frame {
                user_ops: vec![op],
                safe_block,
                fee_price: 90,
            }],
        };
        let name = format!("{batch_nonce:020}.ssz");
        let tmp = self.outbox().join(format!("{name}.tmp"));
        std::fs::write(&tmp, batch.to_ssz()).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, self.outbox().join(&name)).map_err(|e| e.to_string())?;
        println!("  wrote {}", self.outbox().join(name).display());
        Ok(())
    }

    fn key_file(&self) -> Result<PathBuf, String> {
        let path = self.work.path().join("submitter.key");
        let mut file = std::fs::File::create(&path).map_err(|e| e.to_string())?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| e.to_string())?;
        file.write_all(devnet::ANVIL_KEYS[SUBMITTER_KEY].as_bytes())
            .map_err(|e| e.to_string())?;
        Ok(path)
    }

    /// Mines past the latest block so it is safe, and has the sequencer serve its honest state
    /// there; returns that block.
    fn finalize_latest_batch(&self) -> Result<u64, String> {
        let url = &self.anvil.url;
        let block = self
            .rt
            .block_on(devnet::block_number(url))
            .map_err(|e| e.to_string())?;
        self.rt
            .block_on(devnet::mine(url, 3))
            .map_err(|e| e.to_string())?;
        let (bytes, count) = self
            .rt
            .block_on(devnet::canonical_state_at(
                url,
                &self.deployment,
                self.submitter(),
                1200,
                block,
            ))
            .map_err(|e| e.to_string())?;
        self.sequencer.set(block, count, bytes);
        Ok(block)
    }

    /// Runs warden as an operator would, prints the command and its answer; returns stdout.
    fn warden(&mut self, args: &[&str], expected: i32) -> Result<String, String> {
        println!("$ warden {}", shell_words(args, self.work.path()));
        let out = Command::new(&self.warden)
            .args(args)
            .env("WARDEN_LOG_FORMAT", "json")
            .env_remove("WARDEN_SUBMITTER_KEY")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.warden.display()))?;
        let exit = String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["event"] == "exit")
            .unwrap_or(Value::Null);
        let code = out.status.code().unwrap_or(-1);
        let label = exit["kind"]
            .as_str()
            .or_else(|| exit["class"].as_str())
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        println!(
            "  → exit {code}: {}{label} — {}",
            exit["outcome"].as_str().unwrap_or("?"),
            exit["message"].as_str().unwrap_or("")
        );
        if code != expected {
            self.failures.push(format!(
                "`warden {}` exited {code}, expected {expected}",
                args.first().unwrap_or(&"")
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).to_string())
    }
}

/// The command line as typed, with the demo's temporary directory shortened to `$DEMO`.
fn shell_words(args: &[&str], work: &Path) -> String {
    let work = work.display().to_string();
    args.iter()
        .map(|a| a.replace(&work, "$DEMO"))
        .collect::<Vec<_>>()
        .join(" ")
}
