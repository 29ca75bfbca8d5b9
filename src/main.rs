//! warden's entry point. `main` parses, runs one subcommand, and is the only place that turns a
//! typed outcome into an exit code and the run's single `exit` event.

use clap::Parser;
use clap::error::ErrorKind;
use serde_json::json;
use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;
use warden::cli::{Cli, Command, usage_message};
use warden::commands;
use warden::events::{Events, Level, LogFormat};
use warden::exit;
use warden::outcome::{Done, Stop, Summary};

/// The last panic's message and location, recorded by the hook so it can become an event.
static PANIC_MESSAGE: Mutex<Option<String>> = Mutex::new(None);

fn main() -> ExitCode {
    // The default hook prints free text to stderr, which would break the NDJSON contract.
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic payload".to_string());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut slot) = PANIC_MESSAGE.lock() {
            *slot = Some(format!("{payload}{location}"));
        }
    }));
    let code = run();
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// `warden --version --json` (either order): clap has no notion of a format for `--version`.
/// Arguments are read as OS strings: a non-UTF-8 argument is clap's usage error, never a panic.
fn wants_version_json() -> bool {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    args.len() == 2
        && args.iter().any(|a| a == "--version" || a == "-V")
        && args.iter().any(|a| a == "--json")
}

fn default_format() -> LogFormat {
    if std::io::stderr().is_terminal() {
        LogFormat::Text
    } else {
        LogFormat::Json
    }
}

fn run() -> i32 {
    let started = Instant::now();
    if wants_version_json() {
        println!("{}", warden::release::version_json());
        return exit::SUCCESS;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return report_usage_error(error, started),
    };
    let events = Events::new(
        cli.command.name(),
        cli.global.log_format.unwrap_or_else(default_format),
    );
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| try_main(&cli, &events)))
        .unwrap_or_else(|_| {
            let message = PANIC_MESSAGE
                .lock()
                .ok()
                .and_then(|mut slot| slot.take())
                .unwrap_or_else(|| "unknown".to_string());
            events.error("panic", json!({ "message": message }));
            Err(Stop::internal(format!(
                "warden panicked ({message}); this is a bug: nothing was committed after the last \
                 head flip, re-run the command, and report this event"
            )))
        });
    report_exit(&events, result, started)
}

/// Runs one subcommand. Each arm calls the one documented entry of that mode.
fn try_main(cli: &Cli, events: &Events) -> Result<Done, Stop> {
    // Test seam (test builds only): a real panic on demand, to prove the panic path keeps the
    // exit contract.
    #[cfg(feature = "testkit")]
    if std::env::var_os("WARDEN_TEST_INJECT_PANIC").is_some_and(|v| v == "panic") {
        panic!("panic injected by WARDEN_TEST_INJECT_PANIC");
    }
    match &cli.command {
        Command::Init(args) => commands::init::run(&cli.global, args, events),
        Command::Tick(args) => commands::tick::run(&cli.global, args, events),
        Command::Submit(args) => commands::submit::run(&cli.global, args, events),
        Command::Status => commands::status::run(&cli.global),
        Command::Recover(args) => commands::recover::run(&cli.global, args, events),
        Command::Snapshot(args) => commands::snapshot::run(&cli.global, args, events),
        Command::Inspect(args) => commands::inspect::run(args),
    }
}

/// `--help` and `--version` print to stdout and exit 0 without events; every other parse failure
/// is a usage error, exit 1 (clap's own 2 is reserved for verdicts).
fn report_usage_error(error: clap::Error, started: Instant) -> i32 {
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = error.print();
        return exit::SUCCESS;
    }
    let format = std::env::var("WARDEN_LOG_FORMAT")
        .ok()
        .and_then(|v| match v.as_str() {
            "json" => Some(LogFormat::Json),
            "text" => Some(LogFormat::Text),
            _ => None,
        })
        .unwrap_or_else(default_format);
    let events = Events::new("warden", format);
    // Never clap's own text: it quotes argument values, which may be URLs or keys.
    let message = format!("{}; run `warden --help` for usage", usage_message(&error));
    report_exit(&events, Err(Stop::operator(message)), started)
}

fn report_exit(events: &Events, result: Result<Done, Stop>, started: Instant) -> i32 {
    let summary = Summary::of(&result);
    let mut fields = json!({"code": summary.code, "outcome": summary.outcome});
    if let Some(class) = summary.class {
        fields["class"] = json!(class);
    }
    if let Some(kind) = summary.kind {
        fields["kind"] = json!(kind);
    }
    if let Some(progress) = summary.progress {
        fields["resume_block"] = json!(progress.resume_block);
        fields["target_block"] = json!(progress.target_block);
        fields["blocks_remaining"] = json!(progress.blocks_remaining);
    }
    fields["message"] = json!(summary.message);
    fields["duration_ms"] = json!(started.elapsed().as_millis() as u64);
    let level = if summary.code == exit::SUCCESS {
        Level::Info
    } else {
        Level::Error
    };
    events.emit(level, "exit", fields);
    summary.code
}
