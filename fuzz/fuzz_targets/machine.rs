//! `decode_machine` on hostile `machine.bin` bytes, then one input folded into what decoded.
//! Layout (see `warden_fuzz::split_machine` / `build_input`):
//! `[machine_len u32 LE][machine.bin][16-byte input control][payload]`.
//! Checked: no panic; a decoded machine re-encodes and decodes back equal; `advance` and the
//! parallel-prepared `apply` agree; a refused input changes nothing; a stop rolls the input back
//! (`before_stop` is the machine before it); a machine after an accepted input checkpoints and
//! reloads equal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden::canonical::codec::{decode_machine, encode_machine};
use warden::canonical::recovery::prepare_window_parallel;
use warden::canonical::AdvanceError;
use warden_fuzz::{build_input, split_machine};

fuzz_target!(|data: &[u8]| {
    let Some((machine_bytes, rest)) = split_machine(data) else {
        return;
    };
    let Ok(machine) = decode_machine(machine_bytes) else {
        return;
    };
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
