//! Against an L1 node that refuses a bare 32-byte hash as a block parameter (-32602, as another
//! node implementation does and as the default range codes would misread), every command still
//! works: by-hash parameters go out in EIP-1898 object form with `requireCanonical: true`.

mod common;

use alloy::primitives::U256;
use common::devnet;
use common::proxy::{Fault, RpcProxy};
use common::world::{Run, SUBMITTER_KEY, World};
use warden::canonical::batch::{Batch, Frame};
use warden::canonical::testkit::transfer_data;

fn submit_via(w: &World, l1_url: &str, outbox: &std::path::Path) -> Run {
    let out = assert_cmd::Command::cargo_bin("warden")
        .unwrap()
        .env("WARDEN_LOG_FORMAT", "json")
        .env("WARDEN_STATE_DIR", w.state_dir.path())
        .env("WARDEN_L1_RPC_URL", l1_url)
        .env("WARDEN_SEQUENCER_URL", &w.sequencer.url)
        .env("WARDEN_SUBMITTER_KEY", devnet::ANVIL_KEYS[SUBMITTER_KEY])
        .env_remove("WARDEN_SUBMITTER_KEY_FILE")
        .args(["submit", "--outbox", outbox.to_str().unwrap()])
        .args(["--confirmations", "1"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    Run::of(&out)
}

#[test]
fn every_command_works_against_a_node_that_wants_eip_1898_objects() {
    let mut w = World::new();
    let proxy = RpcProxy::start(&w.devnet.anvil.url);
    proxy.set(Fault::RejectBareHashParams);
    let url = proxy.url.clone();
    let ok = |run: &Run, what: &str| assert_eq!(run.code, Some(0), "{what}: {}", run.exit);

    let args = w.init_args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&w.warden_via(&url, &refs), "init");

    let first = w.advance();
    let tick = w.warden_via(&url, &["tick"]);
    ok(&tick, "tick");
    assert_eq!(tick.exit["outcome"], "agreed");

    // submit posts a sealed batch from the outbox.
    let outbox = tempfile::tempdir().unwrap();
    let deposit_block = w.deposit(0, 10_000);
    let op = w.op(
        0,
        90,
        transfer_data(U256::from(3u64), devnet::anvil_address(4)),
    );
    let batch = Batch {
        nonce: w.batch_nonce,
        frames: vec![Frame {
            user_ops: vec![op],
            safe_block: deposit_block,
            fee_price: 90,
        }],
    };
    std::fs::write(
        outbox.path().join(format!("{:020}.ssz", batch.nonce)),
        batch.to_ssz(),
    )
    .unwrap();
    let submit = submit_via(&w, &url, outbox.path());
    ok(&submit, "submit");
    assert_eq!(submit.exit["outcome"], "submitted", "{}", submit.exit);
    w.mine(3);
    let second = w.block() - 2;
    w.sequencer_at(second);
    let tick = w.warden_via(&url, &["tick"]);
    ok(&tick, "tick after submit");
    assert_eq!(tick.exit["outcome"], "agreed");

    ok(&w.warden_via(&url, &["recover"]), "recover (diagnosis)");
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    ok(
        &w.warden_via(&url, &["snapshot", "--out", bundle.to_str().unwrap()]),
        "snapshot",
    );
    let replay_dir = dir.path().join("replay");
    ok(
        &w.warden_via(
            &url,
            &[
                "recover",
                "replay",
                "--from-block",
                &first.to_string(),
                "--to-block",
                &second.to_string(),
                "--out",
                replay_dir.to_str().unwrap(),
            ],
        ),
        "recover replay",
    );
    ok(
        &w.warden_via(
            &url,
            &[
                "recover",
                "restore",
                "--from",
                bundle.to_str().unwrap(),
                "--yes",
            ],
        ),
        "recover restore",
    );

    // The proxy really did refuse bare hashes: a by-hash call in the old form is rejected.
    let rejected = w.rt.block_on(devnet::rpc(
        &url,
        "eth_getBalance",
        serde_json::json!([
            format!("{:#x}", w.submitter()),
            format!("0x{}", "11".repeat(32))
        ]),
    ));
    assert!(rejected.is_err(), "the proxy accepted a bare hash");
}
