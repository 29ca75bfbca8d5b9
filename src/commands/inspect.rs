//! `warden inspect state|batch FILE|-`: decode what the sequencer served or what was posted into
//! JSON for an on-call engineer. Needs no state directory, no network and no lock.

use crate::canonical::batch::{Batch, decode_batch};
use crate::canonical::codec::{decode_machine, looks_like_machine};
use crate::canonical::eip712::domain_separator;
use crate::canonical::fee::{MAX_EXPONENT, fee_to_linear};
use crate::canonical::method::Method;
use crate::canonical::recovery::recover_op_signer;
use crate::canonical::snapshot::{
    DecodedState, decode_legacy_state_v1, decode_state, state_sha256,
};
use crate::cli::{InputEncoding, InspectArgs, InspectWhat};
use crate::outcome::{Done, Outcome, Stop};
use crate::state::checkpoint::MACHINE_CAP;
use alloy::primitives::{Address, U256, keccak256};
use serde_json::{Value, json};
use std::io::Read;

pub fn run(args: &InspectArgs) -> Result<Done, Stop> {
    let report = match &args.what {
        InspectWhat::State { file, encoding } => inspect_state(&read_input(file, *encoding)?)?,
        InspectWhat::Batch {
            file,
            chain_id,
            app,
            encoding,
        } => inspect_batch(&read_input(file, *encoding)?, *chain_id, *app)?,
    };
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Stop::internal(format!("could not render the report: {e}")))?;
    println!("{text}");
    Ok(Done::new(Outcome::Ok, "decoded"))
}

/// The largest input `inspect` reads (hex text of a state at the state cap).
const INSPECT_CAP: u64 = 2 * MACHINE_CAP + 2;

fn read_input(file: &str, encoding: InputEncoding) -> Result<Vec<u8>, Stop> {
    let mut bytes = Vec::new();
    let read = if file == "-" {
        std::io::stdin()
            .lock()
            .take(INSPECT_CAP + 1)
            .read_to_end(&mut bytes)
            .map(|_| ())
    } else {
        std::fs::File::open(file)
            .and_then(|f| f.take(INSPECT_CAP + 1).read_to_end(&mut bytes).map(|_| ()))
    };
    read.map_err(|e| {
        Stop::operator(format!(
            "cannot read {file}: {e}; check the path and its permissions"
        ))
    })?;
    if bytes.len() as u64 > INSPECT_CAP {
        return Err(Stop::operator(format!(
            "{file} is larger than {INSPECT_CAP} bytes, beyond any state or batch"
        )));
    }
    decode_encoding(&bytes, encoding).map_err(|e| Stop::operator(format!("{file}: {e}")))
}

/// Interprets file contents as raw bytes or hex text.
pub fn decode_encoding(bytes: &[u8], encoding: InputEncoding) -> Result<Vec<u8>, String> {
    let as_hex = || -> Option<Vec<u8>> {
        let text = std::str::from_utf8(bytes).ok()?.trim();
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        hex::decode(digits).ok()
    };
    match encoding {
        InputEncoding::Raw => Ok(bytes.to_vec()),
        InputEncoding::Hex => as_hex().ok_or_else(|| {
            "is not hex text (an even number of hex digits, optionally 0x-prefixed); pass \
             --encoding raw for binary files"
                .to_string()
        }),
        InputEncoding::Auto => Ok(match as_hex() {
            Some(decoded) if !bytes.is_empty() => decoded,
            _ => bytes.to_vec(),
        }),
    }
}

fn malformed(what: &str, error: impl std::fmt::Display) -> Stop {
    Stop::operator(format!(
        "malformed {what}: {error}; the bytes are not a valid {what} (check that the right file \
         was given, and --encoding if it is hex text)"
    ))
}

/// JSON for canonical state bytes, a legacy v1 state, or a checkpoint's machine file.
pub fn inspect_state(bytes: &[u8]) -> Result<Value, Stop> {
    if looks_like_machine(bytes) {
        let machine = decode_machine(bytes).map_err(|e| malformed("machine file", e))?;
        let state = machine.state_bytes();
        let decoded = decode_state(&state).map_err(|e| malformed("machine file", e))?;
        let mut report = state_report(&state, &decoded, "current");
        report["format"] = json!("warden_machine");
        report["machine"] = json!({
            "batch_submitter": machine.scheduler.batch_submitter.to_string(),
            "max_wait_blocks": machine.scheduler.max_wait_blocks,
            "next_expected_batch_nonce": machine.next_expected_batch_nonce,
            "inputs_processed": machine.inputs_processed,
            "last_processed_block": machine.last_processed_block,
            "fridge": machine.fridge.iter().map(|e| json!({
                "sender": e.sender.to_string(),
                "inclusion_block": e.inclusion_block,
                "payload": format!("0x{}", hex::encode(&e.payload)),
            })).collect::<Vec<_>>(),
        });
        return Ok(report);
    }
    match decode_state(bytes) {
        Ok(decoded) => Ok(state_report(bytes, &decoded, "current")),
        Err(current_error) => match decode_legacy_state_v1(bytes) {
            Ok(mut legacy) => {
                legacy.non_canonical.insert(
                    0,
                    "legacy v1 schema (76-byte fixed part, no last_executed_safe_block): the \
                     current decoder rejects it"
                        .to_string(),
                );
                Ok(state_report(bytes, &legacy, "legacy_v1"))
            }
            Err(_) => Err(malformed("state", current_error)),
        },
    }
}

fn state_report(bytes: &[u8], decoded: &DecodedState, schema: &str) -> Value {
    json!({
        "format": "wallet_state",
        "schema": schema,
        "size": bytes.len(),
        "sha256": hex::encode(state_sha256(bytes)),
        "canonical": decoded.is_canonical(),
        "non_canonical_reasons": decoded.non_canonical,
        "erc20_portal": decoded.config.erc20_portal.to_string(),
        "supported_token": decoded.config.supported_token.to_string(),
        "fee_recipient": decoded.config.fee_recipient.to_string(),
        "balances": decoded.balances.iter().map(|(address, balance)| json!({
            "address": address.to_string(),
            "balance": balance.to_string(),
        })).collect::<Vec<_>>(),
        "nonces": decoded.nonces.iter().map(|(address, nonce)| json!({
            "address": address.to_string(),
            "nonce": nonce,
        })).collect::<Vec<_>>(),
        "executed_input_count": decoded.executed_input_count,
        "last_executed_safe_block": decoded.last_executed_safe_block,
    })
}

/// JSON for a batch: every op's recovered signer (or why none), its decoded method, and which
/// state-independent checks of canonical-protocol §5 f it fails.
pub fn inspect_batch(bytes: &[u8], chain_id: u64, app: Address) -> Result<Value, Stop> {
    let batch = decode_batch(bytes).map_err(|e| malformed("batch", e))?;
    Ok(batch_report(bytes, &batch, chain_id, app))
}

fn batch_report(bytes: &[u8], batch: &Batch, chain_id: u64, app: Address) -> Value {
    let domain = domain_separator(U256::from(chain_id), app);
    let mut structure = Vec::new();
    for (i, pair) in batch.frames.windows(2).enumerate() {
        if pair[1].safe_block < pair[0].safe_block {
            structure.push(format!(
                "frame {} safe_block {} is below frame {i}'s {} (gate d rejects the batch)",
                i + 1,
                pair[1].safe_block,
                pair[0].safe_block
            ));
        }
    }
    let frames: Vec<Value> = batch
        .frames
        .iter()
        .map(|frame| {
            let fee = fee_to_linear(frame.fee_price).ok();
            let ops: Vec<Value> = frame
                .user_ops
                .iter()
                .map(|op| {
                    let signer = recover_op_signer(&domain, op);
                    let mut failed = Vec::new();
                    if signer.is_err() {
                        failed.push("signature");
                    }
                    if op.max_fee < frame.fee_price {
                        failed.push("max_fee_below_fee_price");
                    }
                    if op.nonce == u32::MAX {
                        failed.push("nonce_u32_max");
                    }
                    if frame.fee_price > MAX_EXPONENT && failed.is_empty() {
                        failed.push("fee_price_above_max_exponent");
                    }
                    json!({
                        "nonce": op.nonce,
                        "max_fee": op.max_fee,
                        "data": format!("0x{}", hex::encode(&op.data)),
                        "signature": format!("0x{}", hex::encode(&op.signature)),
                        "signer": signer.as_ref().ok().map(|a| a.to_string()),
                        "signer_error": signer.as_ref().err().map(|e| e.to_string()),
                        "method": method_json(&op.data),
                        "failed_checks": failed,
                    })
                })
                .collect();
            json!({
                "safe_block": frame.safe_block,
                "fee_price": frame.fee_price,
                "fee": fee.map(|f| f.to_string()),
                "fee_price_above_max_exponent": frame.fee_price > MAX_EXPONENT,
                "user_ops": ops,
            })
        })
        .collect();
    json!({
        "format": "batch",
        "size": bytes.len(),
        "keccak256": keccak256(bytes).to_string(),
        "nonce": batch.nonce,
        "chain_id": chain_id,
        "app": app.to_string(),
        "op_count": batch.op_count(),
        "structure_problems": structure,
        "frames": frames,
    })
}

fn method_json(data: &[u8]) -> Value {
    match Method::decode(data) {
        Some(Method::Transfer(t)) => json!({
            "type": "transfer",
            "amount": t.amount.to_string(),
            "to": t.to.to_string(),
        }),
        Some(Method::Withdrawal(w)) => json!({
            "type": "withdrawal",
            "amount": w.amount.to_string(),
        }),
        None => json!({
            "type": "undecodable",
            "reason": format!(
                "{} bytes with selector {}: a method is 0x00 + 32 bytes or 0x01 + 52 bytes \
                 (the op still pays its fee and consumes its nonce)",
                data.len(),
                data.first().map(|b| format!("0x{b:02x}")).unwrap_or_else(|| "none".into())
            ),
        }),
    }
}
