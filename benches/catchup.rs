//! Cold catch-up: the release binary's first `tick` over a generated history on a real anvil,
//! against the raw `eth_getLogs` download of the same logs and raw signer recovery of the same
//! ops on all cores, each measured in the same run (medians of `WARDEN_BENCH_REPS`, default 3).
//! Prints figures and ratios; asserts none. `WARDEN_BENCH_SCALE` (default `1,10`) lists history
//! sizes in units of 1,000 batches × 10 signed transfers over 10,000 blocks.
//!
//! Run: `cargo bench --bench catchup` (or `WARDEN_BENCH_SCALE=1 cargo bench --bench catchup`);
//! `WARDEN_BENCH_BASELINE=<another warden binary>` measures it side by side (before/after);
//! `WARDEN_BENCH_HOLD=1` keeps the devnet up after each size and prints the command to profile.

mod support;

use std::time::Duration;
use support::{Bench, baseline_bin, copy_dir, median, ms, outcome};

fn main() {
    support::probe_hook();
    let scales: Vec<u64> = std::env::var("WARDEN_BENCH_SCALE")
        .unwrap_or_else(|_| "1,10".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let reps: usize = std::env::var("WARDEN_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    println!(
        "{:>8} {:>7} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>9}",
        "blocks",
        "ops",
        "download",
        "recovery",
        "tick",
        "tick/bound",
        "fold/rec",
        "rss_MiB",
        "state_B"
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    for scale in scales {
        let bench = Bench::new(1000 * scale, 10, 10);
        let template = tempfile::tempdir().expect("temp dir");
        bench.init(template.path());
        let baseline = baseline_bin().map(|bin| {
            let dir = tempfile::tempdir().expect("temp dir");
            bench.init_with(&bin, dir.path());
            (bin, dir)
        });
        let (mut before, mut before_rss) = (vec![], 0u64);
        let (mut download, mut recovery, mut tick, mut rss) = (vec![], vec![], vec![], 0u64);
        let (mut recovery_cpu, mut tick_cpu, mut node_cpu) = (vec![], vec![], vec![]);
        let mut shared_bound = vec![];
        let (mut state_bytes, mut json) = (0u64, (0usize, 1usize));
        for _ in 0..reps {
            let (d, logs, bytes) = bench.raw_download(2000);
            assert!(logs as u64 >= 1000 * scale);
            json = (bytes, logs);
            download.push(d);
            let (wall, cpu) = bench.raw_recovery();
            recovery.push(wall);
            recovery_cpu.push(cpu);
            let dir = tempfile::tempdir().expect("temp dir");
            copy_dir(template.path(), dir.path());
            let node_before = bench.node_cpu();
            let run = bench.warden(dir.path(), &["tick"]);
            let node = bench.node_cpu().saturating_sub(node_before);
            assert_eq!(run.code, 0, "tick: {}", run.stderr);
            assert_eq!(outcome(&run.stderr), "agreed", "{}", run.stderr);
            tick.push(run.wall);
            tick_cpu.push(run.cpu);
            node_cpu.push(node);
            shared_bound.push((run.cpu + node) / cores);
            rss = rss.max(run.max_rss_kib);
            state_bytes = machine_size(dir.path());
            if let Some((bin, template)) = &baseline {
                let dir = tempfile::tempdir().expect("temp dir");
                copy_dir(template.path(), dir.path());
                let run = bench.warden_with(bin, dir.path(), &["tick"]);
                assert_eq!(outcome(&run.stderr), "agreed", "{}", run.stderr);
                before.push(run.wall);
                before_rss = before_rss.max(run.max_rss_kib);
            }
        }
        bench.hold(template.path());
        let (download, recovery, tick) = (median(download), median(recovery), median(tick));
        let (recovery_cpu, tick_cpu) = (median(recovery_cpu), median(tick_cpu));
        let (node_cpu, shared_bound) = (median(node_cpu), median(shared_bound));
        let bound = download.max(recovery);
        println!(
            "{:>8} {:>7} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>10.2} {:>8.2} {:>8.1} {:>9}",
            bench.target - bench.deployment_block,
            bench.signed.len(),
            ms(download),
            ms(recovery),
            ms(tick),
            ratio(tick, bound),
            ratio(recovery, tick),
            rss as f64 / 1024.0,
            state_bytes,
        );
        println!(
            "  eth_getLogs JSON of the range: {:.1} MB for {} inputs ({:.0} B per input)",
            json.0 as f64 / 1e6,
            json.1,
            json.0 as f64 / json.1.max(1) as f64
        );
        println!(
            "  bound = max(download, recovery); RSS bound = 2 × state + 64 MiB = {:.1} MiB",
            (2 * state_bytes) as f64 / (1 << 20) as f64 + 64.0
        );
        println!(
            "  CPU: tick {:.1} ms (raw recovery {:.1} ms: tick CPU / recovery CPU = {:.2}); \
             the L1 node during the tick {:.1} ms",
            ms(tick_cpu),
            ms(recovery_cpu),
            ratio(tick_cpu, recovery_cpu),
            ms(node_cpu),
        );
        if let Some((bin, _)) = &baseline {
            let before = median(before);
            println!(
                "  baseline {}: tick {:.1} ms, tick/bound {:.2}, peak RSS {:.1} MiB; \
                 this build / baseline = {:.2}",
                bin.display(),
                ms(before),
                ratio(before, bound),
                before_rss as f64 / 1024.0,
                ratio(tick, before),
            );
        }
        println!(
            "  on {cores} cores shared with the node, the tick's work needs at least \
             (tick CPU + node CPU) / {cores} = {:.1} ms: tick / that = {:.2}",
            ms(shared_bound),
            ratio(tick, shared_bound),
        );
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

/// The head checkpoint's machine.bin size.
fn machine_size(state: &std::path::Path) -> u64 {
    let head: serde_json::Value =
        serde_json::from_slice(&std::fs::read(state.join("head.json")).expect("head"))
            .expect("json");
    let checkpoint = head["checkpoint"].as_str().expect("checkpoint");
    std::fs::metadata(state.join(checkpoint).join("machine.bin"))
        .map(|m| m.len())
        .unwrap_or(0)
}
