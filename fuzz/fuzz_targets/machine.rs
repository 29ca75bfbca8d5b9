//! `decode_machine` on hostile `machine.bin` bytes, then one input folded into what decoded.
//! Layout (see `warden_fuzz::split_machine` / `build_input`):
//! `[machine_len u32 LE][machine.bin][16-byte input control][payload]`.
//! Checked: no panic; a decoded machine re-encodes and decodes back equal; `advance` and the
//! parallel-prepared `apply` agree; a refused input changes nothing; a stop rolls the input back
//! (`before_stop` is the machine before it); a machine after an accepted input checkpoints and
//! reloads equal; whatever `decode_machine` accepts, the derived-SSZ body decoder
//! (`warden_fuzz::reference`) reads the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::canonical::Machine;
use warden::canonical::codec::{decode_machine, decode_machine_and_state_sha256, encode_machine};
use warden::canonical::snapshot::encode_state;
use warden_fuzz::reference;
use warden::canonical::recovery::prepare_window_parallel;
use warden::canonical::AdvanceError;
use warden_fuzz::{build_input, split_machine};

fuzz_target!(|data: &[u8]| {
    let Some((machine_bytes, rest)) = split_machine(data) else {
        return;
    };
    let decoded = decode_machine(machine_bytes);
    let with_digest = decode_machine_and_state_sha256(machine_bytes);
    match (&decoded, &with_digest) {
        (Ok(m), Ok((m2, digest))) => {
            assert_eq!(m, m2);
            assert_eq!(*digest, m.state_sha256(), "decode_machine_and_state_sha256 digest");
        }
        (Err(e), Err(e2)) => assert_eq!(e, e2),
        _ => panic!("decode_machine and decode_machine_and_state_sha256 disagree"),
    }
    let reference = reference::decode_machine_body(machine_bytes);
    let Ok(machine) = decoded else {
        return;
    };
    match reference {
        Some(Ok(body)) => check_reference(&machine, body),
        Some(Err(e)) => panic!("decode_machine accepted a body derived SSZ refuses: {e:?}"),
        None => panic!("decode_machine accepted a header the reference does not know"),
    }
    let encoded = encode_machine(&machine).expect("a decoded machine must encode");
    let again = decode_machine(&encoded).expect("a re-encoded machine must decode");
    assert_eq!(again, machine, "decode(encode(m)) != m");

    let input = build_input(&machine, rest);
    let mut advanced = machine.clone();
    let result = advanced.advance(&input);

    let mut applied = machine.clone();
    let prepared = prepare_window_parallel(machine.scheduler.batch_submitter, std::slice::from_ref(&input))
        .pop()
        .expect("one prepared input");
    let applied_result = applied.apply(&input, prepared);
    assert_eq!(result, applied_result, "advance and apply(prepared) disagree");
    assert_eq!(advanced, applied, "advance and apply(prepared) leave different machines");

    match &result {
        Err(AdvanceError::OutOfSequence { .. } | AdvanceError::BlockRegressed { .. }) => {
            assert_eq!(advanced, machine, "a refused input changed the machine");
        }
        Err(AdvanceError::Stopped(stop)) => {
            assert_eq!(advanced.stopped(), Some(stop));
            assert_eq!(
                advanced.before_stop(),
                machine,
                "a stop did not roll the input back ({stop:?})"
            );
            assert!(encode_machine(&advanced).is_err());
            assert!(matches!(advanced.advance(&input), Err(AdvanceError::Stopped(_))));
        }
        Ok(_) => {
            assert_eq!(advanced.inputs_processed, machine.inputs_processed + 1);
            assert_eq!(advanced.last_processed_block, input.block_number);
            let bytes = encode_machine(&advanced).expect("an advanced machine must encode");
            let reloaded = decode_machine(&bytes)
                .unwrap_or_else(|e| panic!("checkpoint of an advanced machine does not reload: {e}"));
            assert_eq!(reloaded, advanced, "advanced machine does not reload equal");
        }
    }
});

fn check_reference(machine: &Machine, body: reference::Body) {
    let (submitter, wait, nonce, inputs, block, state, fridge) = match &body {
        reference::Body::V1(b) => (
            b.batch_submitter,
            b.max_wait_blocks,
            b.next_expected_batch_nonce,
            b.inputs_processed,
            b.last_processed_block,
            &b.state,
            &b.fridge,
        ),
        reference::Body::V2(b) => (
            b.batch_submitter,
            b.max_wait_blocks,
            b.next_expected_batch_nonce,
            b.inputs_processed,
            b.last_processed_block,
            &b.state,
            &b.fridge,
        ),
    };
    assert_eq!(machine.scheduler.batch_submitter, submitter);
    assert_eq!(machine.scheduler.max_wait_blocks, wait);
    assert_eq!(machine.next_expected_batch_nonce, nonce);
    assert_eq!(machine.inputs_processed, inputs);
    assert_eq!(machine.last_processed_block, block);
    assert_eq!(&encode_state(&machine.wallet), state, "embedded state bytes");
    assert_eq!(machine.fridge.len(), fridge.len());
    for (a, b) in machine.fridge.iter().zip(fridge) {
        assert_eq!((a.sender, a.inclusion_block, &a.payload), (b.sender, b.inclusion_block, &b.payload));
    }
    if let reference::Body::V2(b) = &body {
        let l = &machine.liveness;
        assert_eq!(l.since_block, b.liveness_since_block);
        assert_eq!(l.last_accepted_batch_block.map_or(0, |x| x + 1), b.last_accepted_batch_block_plus_one);
        assert_eq!(&l.batches[..], &b.batches[..]);
        assert_eq!(&l.ops[..], &b.ops[..]);
    }
}
