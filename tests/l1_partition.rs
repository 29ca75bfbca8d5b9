//! The reference's `eth_getLogs` partition vectors (when ../shared is present).

mod common;

use warden::l1::logs::{LogSource, RangeCodes, RawLog, fetch_bisecting, sort_logs};
use warden::l1::{L1Error, L1ErrorKind};

struct Scripted {
    failures: Vec<(u64, u64, String)>,
    calls: Vec<(u64, u64)>,
}

impl LogSource for Scripted {
    async fn fetch(&mut self, from: u64, to: u64) -> Result<Vec<RawLog>, L1Error> {
        self.calls.push((from, to));
        match self.failures.iter().find(|f| (f.0, f.1) == (from, to)) {
            // The vectors carry the code in the message only, as many providers do.
            Some(f) => Err(L1Error {
                endpoint: "http://127.0.0.1:1".into(),
                method: "eth_getLogs",
                kind: L1ErrorKind::Rpc {
                    code: -32000,
                    message: f.2.clone(),
                },
            }),
            None => Ok(vec![]),
        }
    }
}

#[test]
fn reference_partition_scenarios() {
    let Some(text) = common::anchor_fixture("l1_partition_vector.json") else {
        return;
    };
    let vector: serde_json::Value = serde_json::from_str(&text).unwrap();
    let codes: Vec<String> = vector["long_block_range_error_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let codes = RangeCodes::new(&codes);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let scenarios = vector["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 7);
    for s in scenarios {
        let mut source = Scripted {
            failures: s["fail_ranges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["from"].as_u64().unwrap(),
                        f["to"].as_u64().unwrap(),
                        f["message"].as_str().unwrap().to_string(),
                    )
                })
                .collect(),
            calls: vec![],
        };
        let from = s["start_block"].as_u64().unwrap();
        let to = s["end_block"].as_u64().unwrap();
        let ok = rt
            .block_on(fetch_bisecting(&mut source, from, to, &codes))
            .is_ok();
        let expected: Vec<(u64, u64)> = s["expect_calls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c[0].as_u64().unwrap(), c[1].as_u64().unwrap()))
            .collect();
        assert_eq!(source.calls, expected, "{}", s["name"]);
        assert_eq!(ok, s["expect_ok"].as_bool().unwrap(), "{}", s["name"]);
    }
    let hex = |v: &serde_json::Value| {
        u64::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    let mut logs: Vec<RawLog> = vector["log_sort"]["unsorted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| RawLog {
            address: Default::default(),
            block_number: hex(&l["blockNumber"]),
            block_hash: None,
            transaction_index: hex(&l["transactionIndex"]),
            log_index: hex(&l["logIndex"]),
            removed: false,
            topics: vec![],
            data: Default::default(),
        })
        .collect();
    sort_logs(&mut logs);
    let blocks: Vec<u64> = logs.iter().map(|l| l.block_number).collect();
    let expected_blocks: Vec<u64> = vector["log_sort"]["expect_block_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex)
        .collect();
    assert_eq!(blocks, expected_blocks);
    let indices: Vec<u64> = logs.iter().map(|l| l.log_index).collect();
    let expected_indices: Vec<u64> = vector["log_sort"]["expect_log_index_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(hex)
        .collect();
    assert_eq!(indices, expected_indices);
}
