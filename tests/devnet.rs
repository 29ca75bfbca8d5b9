//! The shared devnet deploys the real rollups contracts at their canonical addresses.

mod common;

use alloy::providers::Provider;
use common::devnet::{CANONICAL_ERC20_PORTAL, CANONICAL_INPUT_BOX, runtime, start};

#[test]
fn contracts_deploy_at_canonical_addresses() {
    let rt = runtime();
    let devnet = start(&rt);
    assert_eq!(devnet.deployment.input_box, CANONICAL_INPUT_BOX);
    assert_eq!(devnet.deployment.erc20_portal, CANONICAL_ERC20_PORTAL);
    rt.block_on(async {
        let provider = warden::devnet::signer_provider(&devnet.anvil.url, 0).unwrap();
        for address in [
            devnet.deployment.input_box,
            devnet.deployment.erc20_portal,
            devnet.deployment.application,
            devnet.deployment.token,
        ] {
            let code = provider.get_code_at(address).await.unwrap();
            assert!(!code.is_empty(), "no code at {address}");
        }
    });
}
