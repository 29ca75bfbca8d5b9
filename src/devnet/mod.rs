//! A local devnet for tests and the demo: pinned anvil and Cartesi Rollups v2 contracts from the
//! npm registry, deployed at their canonical CREATE2 addresses through the deterministic-deployment
//! factory anvil ships with, plus an ERC-20 test token and an Application whose data availability
//! is the InputBox. Nothing here is used against a real chain.

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes, U256, address, keccak256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::{SolCall, SolValue};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub mod sequencer;

pub const ANVIL_PACKAGE: &str = "@foundry-rs/anvil-linux-amd64@1.7.1";
pub const ROLLUPS_PACKAGE: &str = "@cartesi/rollups@2.2.0";
pub const TOKEN_PACKAGE: &str = "@openzeppelin/contracts@4.9.6";
pub const CREATE2_FACTORY: Address = address!("4e59b44847b379578588920cA78FbF26c0B4956C");
pub const CANONICAL_INPUT_BOX: Address = address!("1b51e2992A2755Ba4D6F7094032DF91991a0Cfac");
pub const CANONICAL_ERC20_PORTAL: Address = address!("ACA6586A0Cf05bD831f2501E7B4aea550dA6562D");
pub const CHAIN_ID: u64 = 31337;

/// anvil's well-known development keys (public knowledge; devnet only).
pub const ANVIL_KEYS: [&str; 10] = [
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

sol! {
    function deployContracts(address authorityOwner, uint256 epochLength, address appOwner, bytes32 templateHash, bytes dataAvailability, bytes32 salt) returns (address, address);
    function calculateAddresses(address authorityOwner, uint256 epochLength, address appOwner, bytes32 templateHash, bytes dataAvailability, bytes32 salt) returns (address, address);
    function InputBox(address inputBox);
    function addInput(address appContract, bytes payload) returns (bytes32);
    function approve(address spender, uint256 value) returns (bool);
    function depositERC20Tokens(address token, address appContract, uint256 value, bytes execLayerData);
    function balanceOf(address account) returns (uint256);
}

#[derive(Debug, thiserror::Error)]
#[error("devnet: {0}")]
pub struct DevnetError(pub String);

fn err(context: &str, e: impl std::fmt::Display) -> DevnetError {
    DevnetError(format!("{context}: {e}"))
}

/// Paths into the installed npm packages.
#[derive(Debug, Clone)]
pub struct DevnetTools {
    pub anvil: PathBuf,
    pub rollups_out: PathBuf,
    pub openzeppelin_build: PathBuf,
}

/// Installs the pinned packages into `cache_dir` once; concurrent callers wait on a file lock, and
/// a marker file makes later calls instant.
pub fn install_tools(cache_dir: &Path) -> Result<DevnetTools, DevnetError> {
    std::fs::create_dir_all(cache_dir).map_err(|e| err("create cache dir", e))?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(cache_dir.join(".install.lock"))
        .map_err(|e| err("open install lock", e))?;
    lock.lock().map_err(|e| err("take install lock", e))?;
    let modules = cache_dir.join("node_modules");
    let tools = DevnetTools {
        anvil: modules.join("@foundry-rs/anvil-linux-amd64/bin/anvil"),
        rollups_out: modules.join("@cartesi/rollups/out"),
        openzeppelin_build: modules.join("@openzeppelin/contracts/build/contracts"),
    };
    let marker = cache_dir.join(format!(
        ".installed-{}",
        hex::encode(&keccak256(format!("{ANVIL_PACKAGE} {ROLLUPS_PACKAGE} {TOKEN_PACKAGE}"))[..8])
    ));
    if marker.exists() && tools.anvil.exists() {
        return Ok(tools);
    }
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(cache_dir)
        .args([ANVIL_PACKAGE, ROLLUPS_PACKAGE, TOKEN_PACKAGE])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| err("run npm (is npm installed?)", e))?;
    if !status.success() {
        return Err(DevnetError(format!("npm install failed with {status}")));
    }
    if !tools.anvil.exists() {
        return Err(DevnetError(format!(
            "{} missing after npm install",
            tools.anvil.display()
        )));
    }
    File::create(&marker).map_err(|e| err("write install marker", e))?;
    drop(lock);
    Ok(tools)
}

/// A running anvil, killed when dropped (with its own state cache directory).
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    pub port: u16,
    pub url: String,
    cache: PathBuf,
}

impl Anvil {
    /// Starts anvil on a free loopback port; `slots_in_an_epoch` sets how far `safe` lags.
    pub fn start(tools: &DevnetTools, slots_in_an_epoch: u64) -> Result<Anvil, DevnetError> {
        Self::start_with(tools, slots_in_an_epoch, CHAIN_ID, &[])
    }

    /// As `start`, serving another chain id (for wrong-network drills).
    pub fn start_on_chain(
        tools: &DevnetTools,
        slots_in_an_epoch: u64,
        chain_id: u64,
    ) -> Result<Anvil, DevnetError> {
        Self::start_with(tools, slots_in_an_epoch, chain_id, &[])
    }

    /// As `start`, with more anvil arguments (e.g. `--prune-history`). Every anvil keeps its
    /// persisted states in a directory of its own, removed when it stops (anvil's default,
    /// `~/.foundry/anvil/tmp`, is never cleaned).
    pub fn start_with(
        tools: &DevnetTools,
        slots_in_an_epoch: u64,
        chain_id: u64,
        extra: &[&str],
    ) -> Result<Anvil, DevnetError> {
        for attempt in 0..5 {
            static STARTED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let cache = std::env::temp_dir()
                .join(format!("warden-anvil-{}-{n}-{attempt}", std::process::id()));
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| err("pick a port", e))?
                .port();
            let mut child = Command::new(&tools.anvil)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--chain-id", &chain_id.to_string()])
                .args(["--slots-in-an-epoch", &slots_in_an_epoch.to_string()])
                .arg("--cache-path")
                .arg(&cache)
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| err("start anvil", e))?;
            let stdout = child
                .stdout
                .take()
                .ok_or_else(|| DevnetError("no stdout".into()))?;
            // anvil prints "Listening on 127.0.0.1:PORT" once it serves.
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut sent = false;
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if !sent && line.contains("Listening on") {
                        let _ = tx.send(());
                        sent = true;
                    }
                }
            });
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(()) => {
                    return Ok(Anvil {
                        child,
                        port,
                        url: format!("http://127.0.0.1:{port}"),
                        cache,
                    });
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = std::fs::remove_dir_all(&cache);
                }
            }
        }
        Err(DevnetError("anvil did not start after 5 attempts".into()))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.cache);
    }
}

/// Addresses of a deployed devnet application.
#[derive(Debug, Clone, Copy)]
pub struct Deployment {
    pub input_box: Address,
    pub erc20_portal: Address,
    pub application: Address,
    pub token: Address,
    pub app_deployment_block: u64,
}

fn read_artifact(path: &Path) -> Result<Vec<u8>, DevnetError> {
    let text = std::fs::read_to_string(path).map_err(|e| err(&path.display().to_string(), e))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| err("artifact", e))?;
    let code = json["bytecode"]["object"]
        .as_str()
        .or_else(|| json["bytecode"].as_str())
        .ok_or_else(|| DevnetError(format!("{} has no bytecode", path.display())))?;
    hex::decode(code.trim_start_matches("0x")).map_err(|e| err("bytecode hex", e))
}

pub fn create2_address(salt: B256, init_code: &[u8]) -> Address {
    CREATE2_FACTORY.create2(salt, keccak256(init_code))
}

/// A provider that signs with one of anvil's keys.
pub fn signer_provider(url: &str, key_index: usize) -> Result<impl Provider + Clone, DevnetError> {
    let signer: PrivateKeySigner = ANVIL_KEYS[key_index].parse().map_err(|e| err("key", e))?;
    let url = url.parse().map_err(|e| err("url", e))?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url))
}

pub fn anvil_address(key_index: usize) -> Address {
    ANVIL_KEYS[key_index]
        .parse::<PrivateKeySigner>()
        .map(|s| s.address())
        .unwrap_or_default()
}

async fn send(
    provider: &impl Provider,
    tx: TransactionRequest,
    what: &str,
) -> Result<u64, DevnetError> {
    let receipt = receipt_of(provider, tx, what).await?;
    if !receipt.status() {
        return Err(DevnetError(format!("{what}: transaction reverted")));
    }
    receipt
        .block_number
        .ok_or_else(|| DevnetError(format!("{what}: receipt without block")))
}

/// Sends and waits for the receipt, polling briefly (anvil mines on send; alloy's default
/// watcher polls far more slowly than a devnet needs).
async fn receipt_of(
    provider: &impl Provider,
    tx: TransactionRequest,
    what: &str,
) -> Result<alloy::rpc::types::TransactionReceipt, DevnetError> {
    let hash = *provider
        .send_transaction(tx)
        .await
        .map_err(|e| err(what, e))?
        .tx_hash();
    let started = Instant::now();
    loop {
        if let Some(receipt) = provider
            .get_transaction_receipt(hash)
            .await
            .map_err(|e| err(what, e))?
        {
            return Ok(receipt);
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(DevnetError(format!(
                "{what}: no receipt after 30 s (is mining paused?)"
            )));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn deploy_create2(
    provider: &impl Provider,
    init_code: Vec<u8>,
    what: &str,
) -> Result<Address, DevnetError> {
    let salt = B256::ZERO;
    let target = create2_address(salt, &init_code);
    let code = provider
        .get_code_at(target)
        .await
        .map_err(|e| err(what, e))?;
    if code.is_empty() {
        let mut data = salt.to_vec();
        data.extend_from_slice(&init_code);
        send(
            provider,
            TransactionRequest::default()
                .with_to(CREATE2_FACTORY)
                .with_input(Bytes::from(data)),
            what,
        )
        .await?;
    }
    Ok(target)
}

/// Deploys the rollups suite, the token and one application (owner: anvil key #0).
pub async fn deploy(url: &str, tools: &DevnetTools) -> Result<Deployment, DevnetError> {
    let provider = signer_provider(url, 0)?;
    let owner = anvil_address(0);
    let out = &tools.rollups_out;
    let input_box = deploy_create2(
        &provider,
        read_artifact(&out.join("InputBox.sol/InputBox.json"))?,
        "InputBox",
    )
    .await?;
    let mut portal_code = read_artifact(&out.join("ERC20Portal.sol/ERC20Portal.json"))?;
    portal_code.extend_from_slice(&input_box.abi_encode());
    let erc20_portal = deploy_create2(&provider, portal_code, "ERC20Portal").await?;
    let authority_factory = deploy_create2(
        &provider,
        read_artifact(&out.join("AuthorityFactory.sol/AuthorityFactory.json"))?,
        "AuthorityFactory",
    )
    .await?;
    let application_factory = deploy_create2(
        &provider,
        read_artifact(&out.join("ApplicationFactory.sol/ApplicationFactory.json"))?,
        "ApplicationFactory",
    )
    .await?;
    let mut self_hosted = read_artifact(
        &out.join("SelfHostedApplicationFactory.sol/SelfHostedApplicationFactory.json"),
    )?;
    self_hosted.extend_from_slice(&(authority_factory, application_factory).abi_encode_params());
    let self_hosted =
        deploy_create2(&provider, self_hosted, "SelfHostedApplicationFactory").await?;

    let data_availability: Bytes = InputBoxCall {
        inputBox: input_box,
    }
    .abi_encode()
    .into();
    let args = (
        owner,
        U256::from(10u64),
        owner,
        B256::repeat_byte(0x42),
        data_availability.clone(),
        B256::ZERO,
    );
    let calc = calculateAddressesCall {
        authorityOwner: args.0,
        epochLength: args.1,
        appOwner: args.2,
        templateHash: args.3,
        dataAvailability: args.4.clone(),
        salt: args.5,
    };
    let answer = provider
        .call(
            TransactionRequest::default()
                .with_to(self_hosted)
                .with_input(calc.abi_encode()),
        )
        .await
        .map_err(|e| err("calculateAddresses", e))?;
    let (application, _authority) = calculateAddressesCall::abi_decode_returns(&answer)
        .map(|r| (r._0, r._1))
        .map_err(|e| err("calculateAddresses", e))?;
    let deploy_call = deployContractsCall {
        authorityOwner: args.0,
        epochLength: args.1,
        appOwner: args.2,
        templateHash: args.3,
        dataAvailability: args.4,
        salt: args.5,
    };
    let app_deployment_block = send(
        &provider,
        TransactionRequest::default()
            .with_to(self_hosted)
            .with_input(deploy_call.abi_encode()),
        "deployContracts",
    )
    .await?;

    let mut token_code =
        read_artifact(&tools.openzeppelin_build.join("ERC20PresetFixedSupply.json"))?;
    token_code.extend_from_slice(
        &(
            "WardenTestToken".to_string(),
            "WTT".to_string(),
            U256::from(10u64).pow(U256::from(30u64)),
            owner,
        )
            .abi_encode_params(),
    );
    let token_tx = TransactionRequest::default().with_deploy_code(Bytes::from(token_code));
    let receipt = receipt_of(&provider, token_tx, "token").await?;
    let token = receipt
        .contract_address
        .ok_or_else(|| DevnetError("token deployment returned no address".into()))?;
    Ok(Deployment {
        input_box,
        erc20_portal,
        application,
        token,
        app_deployment_block,
    })
}

/// Waits until `url` answers `eth_chainId` (or the deadline passes).
pub async fn wait_ready(url: &str, deadline: Duration) -> Result<(), DevnetError> {
    let provider = ProviderBuilder::new().connect_http(url.parse().map_err(|e| err("url", e))?);
    let started = Instant::now();
    loop {
        if provider.get_chain_id().await.is_ok() {
            return Ok(());
        }
        if started.elapsed() > deadline {
            return Err(DevnetError(format!("{url} not ready after {deadline:?}")));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Mines `blocks` empty blocks.
pub async fn mine(url: &str, blocks: u64) -> Result<(), DevnetError> {
    let provider = ProviderBuilder::new().connect_http(url.parse().map_err(|e| err("url", e))?);
    let _: serde_json::Value = provider
        .raw_request("anvil_mine".into(), (format!("{blocks:#x}"),))
        .await
        .map_err(|e| err("anvil_mine", e))?;
    Ok(())
}

/// Deposits `amount` of the devnet token through the real ERC20Portal, from anvil key
/// `from_key` (key #0 owns the supply) on behalf of… the sender itself; returns the block.
pub async fn deposit(
    url: &str,
    deployment: &Deployment,
    from_key: usize,
    amount: U256,
) -> Result<u64, DevnetError> {
    let provider = signer_provider(url, from_key)?;
    send(
        &provider,
        TransactionRequest::default()
            .with_to(deployment.token)
            .with_input(
                approveCall {
                    spender: deployment.erc20_portal,
                    value: amount,
                }
                .abi_encode(),
            ),
        "approve",
    )
    .await?;
    send(
        &provider,
        TransactionRequest::default()
            .with_to(deployment.erc20_portal)
            .with_input(
                depositERC20TokensCall {
                    token: deployment.token,
                    appContract: deployment.application,
                    value: amount,
                    execLayerData: Bytes::new(),
                }
                .abi_encode(),
            ),
        "depositERC20Tokens",
    )
    .await
}

/// Transfers devnet tokens from key #0 to `to` (so other keys can deposit).
pub async fn fund_tokens(
    url: &str,
    deployment: &Deployment,
    to: Address,
    amount: U256,
) -> Result<(), DevnetError> {
    sol! { function transfer(address to, uint256 value) returns (bool); }
    let provider = signer_provider(url, 0)?;
    send(
        &provider,
        TransactionRequest::default()
            .with_to(deployment.token)
            .with_input(transferCall { to, value: amount }.abi_encode()),
        "transfer",
    )
    .await?;
    Ok(())
}

/// `InputBox.addInput(app, payload)` from anvil key `from_key`; returns the block.
pub async fn add_input(
    url: &str,
    deployment: &Deployment,
    from_key: usize,
    payload: Vec<u8>,
) -> Result<u64, DevnetError> {
    let provider = signer_provider(url, from_key)?;
    send(
        &provider,
        TransactionRequest::default()
            .with_to(deployment.input_box)
            .with_input(
                addInputCall {
                    appContract: deployment.application,
                    payload: payload.into(),
                }
                .abi_encode(),
            ),
        "addInput",
    )
    .await
}

/// Any JSON-RPC call (anvil's test methods: `evm_setAutomine`, `anvil_setBalance`, …).
pub async fn rpc(
    url: &str,
    method: &'static str,
    params: serde_json::Value,
) -> Result<serde_json::Value, DevnetError> {
    let provider = ProviderBuilder::new().connect_http(url.parse().map_err(|e| err("url", e))?);
    provider
        .raw_request(method.into(), params)
        .await
        .map_err(|e| err(method, e))
}

pub async fn block_number(url: &str) -> Result<u64, DevnetError> {
    let provider = ProviderBuilder::new().connect_http(url.parse().map_err(|e| err("url", e))?);
    provider
        .get_block_number()
        .await
        .map_err(|e| err("eth_blockNumber", e))
}

/// The application's inputs up to `block`, read through warden's own verified input stream.
pub async fn inputs_up_to(
    url: &str,
    deployment: &Deployment,
    block: u64,
) -> Result<Vec<crate::canonical::Input>, DevnetError> {
    use crate::l1::inputs::{self, Base, Flow, InputSpec, Part, Span};
    use crate::l1::logs::RangeCodes;
    use crate::l1::{BlockRef, L1Client, L1Settings};
    let endpoint =
        crate::secret::SecretUrl::parse("devnet", url, false).map_err(|e| err("url", e))?;
    let l1 = L1Client::connect(&[endpoint], Some(CHAIN_ID), L1Settings::default())
        .map_err(|e| err("l1", e))?;
    let hash = l1
        .block_hash(block)
        .await
        .map_err(|e| err("block", e))?
        .ok_or_else(|| DevnetError(format!("no block {block}")))?;
    let target = BlockRef {
        number: block,
        hash,
    };
    let spec = InputSpec {
        input_box: deployment.input_box,
        app: deployment.application,
        chain_id: CHAIN_ID,
        max_log_range: 2000,
        codes: RangeCodes::default_codes(),
    };
    let mut all = Vec::new();
    inputs::stream(
        &l1,
        &spec,
        Base {
            block: deployment.app_deployment_block.saturating_sub(1),
            hash: None,
            input_count: 0,
        },
        Span {
            target,
            witness: target,
        },
        |part| {
            if let Part::Upto { mut inputs, .. } = part {
                all.append(&mut inputs);
            }
            Ok::<_, crate::outcome::Stop>(Flow::Continue)
        },
    )
    .await
    .map_err(|e| err("inputs", e))?;
    Ok(all)
}

/// Replays the application's inputs up to `block` with the canonical core, as an honest
/// sequencer would: (state bytes, executed input count). The wallet's fee recipient is the
/// batch submitter (init's default). When an input stops the machine, the state is the one
/// before it (what a sequencer that hit the same input would still serve).
pub async fn canonical_state_at(
    url: &str,
    deployment: &Deployment,
    batch_submitter: Address,
    max_wait_blocks: u64,
    block: u64,
) -> Result<(Vec<u8>, u64), DevnetError> {
    use crate::canonical::{Machine, SchedulerConfig, WalletConfig};
    let mut machine = Machine::genesis(
        SchedulerConfig {
            batch_submitter,
            max_wait_blocks,
        },
        WalletConfig {
            erc20_portal: deployment.erc20_portal,
            supported_token: deployment.token,
            fee_recipient: batch_submitter,
        },
    );
    for input in inputs_up_to(url, deployment, block).await? {
        match machine.advance(&input) {
            Ok(_) => {}
            Err(crate::canonical::AdvanceError::Stopped(_)) => break,
            Err(e) => return Err(err("replay", e)),
        }
    }
    Ok((machine.state_bytes(), machine.wallet.executed_input_count))
}
