//! Idle tick: the release binary's `tick` when nothing is new (the sequencer still at the head's
//! block), paired with one plain HTTP GET of the sequencer's digest route by `curl` (a process,
//! as the tick is) and in-process; `WARDEN_BENCH_REPS` pairs (default 30), interleaved so both
//! see the same machine. Prints medians and ratios; asserts none.
//!
//! Run: `cargo bench --bench idle`; `WARDEN_BENCH_BASELINE=<another warden binary>` measures it
//! side by side (before/after); `WARDEN_BENCH_HOLD=1` keeps the devnet up afterwards and
//! prints the command to profile.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};
use support::{Bench, baseline_bin, median, ms, outcome, run_child};

fn main() {
    support::probe_hook();
    let reps: usize = std::env::var("WARDEN_BENCH_REPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let bench = Bench::new(100, 10, 10);
    let state = tempfile::tempdir().expect("temp dir");
    bench.init(state.path());
    let first = bench.warden(state.path(), &["tick"]);
    assert_eq!(outcome(&first.stderr), "agreed", "{}", first.stderr);
    let url = format!("{}/finalized_state/digest", bench.sequencer.url);
    let curl = which("curl");
    let baseline = baseline_bin().map(|bin| {
        let dir = tempfile::tempdir().expect("temp dir");
        bench.init_with(&bin, dir.path());
        let first = bench.warden_with(&bin, dir.path(), &["tick"]);
        assert_eq!(outcome(&first.stderr), "agreed", "{}", first.stderr);
        (bin, dir)
    });
    let mut before = vec![];
    let (mut ticks, mut curls, mut gets) = (vec![], vec![], vec![]);
    let mut rss = 0;
    warden::l1::install_crypto_provider();
    let client = reqwest::Client::new();
    for _ in 0..reps {
        if let Some(curl) = &curl {
            let run = run_child(Command::new(curl).args(["-sf", "-o", "/dev/null", &url]));
            assert_eq!(run.code, 0, "curl");
            curls.push(run.wall);
        }
        let run = bench.warden(state.path(), &["tick"]);
        assert_eq!(outcome(&run.stderr), "idle", "{}", run.stderr);
        ticks.push(run.wall);
        rss = rss.max(run.max_rss_kib);
        gets.push(bench.rt.block_on(get(&client, &url)));
        if let Some((bin, dir)) = &baseline {
            let run = bench.warden_with(bin, dir.path(), &["tick"]);
            assert_eq!(outcome(&run.stderr), "idle", "{}", run.stderr);
            before.push(run.wall);
        }
    }
    bench.hold(state.path());
    let tick = median(ticks);
    let get = median(gets);
    println!(
        "idle tick (median of {reps}): {:.2} ms, peak RSS {:.1} MiB",
        ms(tick),
        rss as f64 / 1024.0
    );
    println!("in-process GET of the digest route: {:.3} ms", ms(get));
    if !curls.is_empty() {
        let curl = median(curls.clone());
        println!(
            "curl GET of the digest route: {:.2} ms; idle tick / curl GET = {:.2}",
            ms(curl),
            tick.as_secs_f64() / curl.as_secs_f64()
        );
    } else {
        println!("curl is not installed: no process-to-process ratio");
    }
    if let Some((bin, _)) = &baseline {
        let before = median(before);
        println!(
            "baseline {}: idle tick {:.2} ms; this build / baseline = {:.2}{}",
            bin.display(),
            ms(before),
            tick.as_secs_f64() / before.as_secs_f64(),
            if curls.is_empty() {
                String::new()
            } else {
                format!(
                    "; baseline / curl GET = {:.2}",
                    before.as_secs_f64() / median(curls.clone()).as_secs_f64()
                )
            }
        );
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Duration {
    let started = Instant::now();
    let body = client
        .get(url)
        .send()
        .await
        .expect("GET")
        .bytes()
        .await
        .expect("body");
    assert!(!body.is_empty());
    started.elapsed()
}

fn which(tool: &str) -> Option<String> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| format!("{d}/{tool}"))
        .find(|p| std::path::Path::new(p).is_file())
}
