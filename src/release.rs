//! What this build is: the fields of `RELEASE.json`, printed by `warden --version --json` (plus
//! the git commit the build embedded). A test keeps `RELEASE.json` equal to these.

use serde_json::{Value, json};

/// The git commit the build embedded (`build.rs`), when it could see one.
pub const GIT_COMMIT: Option<&str> = option_env!("WARDEN_GIT_COMMIT");

/// The canonical protocol warden re-executes: the `cartesi/sequencer` scheduler and wallet
/// (newest semantics). Bump when the state transition or its wire formats change.
pub const CANONICAL_PROTOCOL_VERSION: u32 = 1;
/// The Cartesi Rollups contracts release warden is tested against.
pub const ROLLUPS_CONTRACTS_VERSION: &str = "2.2.0";

/// RELEASE.json's fields.
pub fn release_fields() -> Value {
    json!({
        "component": "warden",
        "version": env!("CARGO_PKG_VERSION"),
        "state_format_version": crate::state::config::CONFIG_VERSION,
        "head_format_version": crate::state::checkpoint::HEAD_VERSION,
        "checkpoint_format_version": crate::canonical::codec::MACHINE_FORMAT_VERSION,
        "manifest_format_version": crate::state::checkpoint::MANIFEST_VERSION,
        "snapshot_bundle_format_version": crate::state::bundle::BUNDLE_FORMAT_VERSION,
        "submitter_record_version": crate::submitter::records::SUBMITTER_RECORD_VERSION,
        "canonical_protocol_version": CANONICAL_PROTOCOL_VERSION,
        "rollups_contracts_version": ROLLUPS_CONTRACTS_VERSION,
    })
}

/// `warden --version --json`: the release fields and the embedded git commit (null when the
/// build had no git).
pub fn version_json() -> Value {
    let mut fields = release_fields();
    fields["git_commit"] = json!(GIT_COMMIT);
    fields
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    #[test]
    fn the_devnet_pins_the_supported_contracts() {
        assert!(crate::devnet::ROLLUPS_PACKAGE.ends_with(super::ROLLUPS_CONTRACTS_VERSION));
    }
}
