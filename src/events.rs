//! NDJSON events on stderr (operator-contract §3): one JSON object per line with `ts`, `level`,
//! `cmd` and `event`, or a human-readable line with `--log-format text`.

use crate::timefmt::rfc3339_millis;
use serde_json::{Map, Value};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Json,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// The event sink of one run.
#[derive(Debug, Clone)]
pub struct Events {
    cmd: String,
    format: LogFormat,
    /// A progress bar is on the terminal's last line and must be cleared before the next line.
    bar_drawn: Arc<AtomicBool>,
}

impl Events {
    pub fn new(cmd: impl Into<String>, format: LogFormat) -> Self {
        Self {
            cmd: cmd.into(),
            format,
            bar_drawn: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Draws bars instead of progress events: text format on an interactive stderr only, so
    /// journald and log shippers never receive carriage returns.
    fn draws_bars(&self) -> bool {
        self.format == LogFormat::Text && std::io::stderr().is_terminal()
    }

    pub fn cmd(&self) -> &str {
        &self.cmd
    }

    /// Emits one event; `fields` must be a JSON object (anything else is wrapped as `value`).
    pub fn emit(&self, level: Level, event: &str, fields: Value) {
        let line = self.render(level, event, fields, SystemTime::now());
        // A closed or full stderr must not turn a finished run into a failure.
        let mut stderr = std::io::stderr().lock();
        if self.bar_drawn.swap(false, Ordering::Relaxed) {
            let _ = stderr.write_all(b"\r\x1b[K");
        }
        let _ = stderr.write_all(line.as_bytes());
        let _ = stderr.flush();
    }

    pub fn info(&self, event: &str, fields: Value) {
        self.emit(Level::Info, event, fields);
    }

    pub fn warn(&self, event: &str, fields: Value) {
        self.emit(Level::Warn, event, fields);
    }

    pub fn error(&self, event: &str, fields: Value) {
        self.emit(Level::Error, event, fields);
    }

    pub(crate) fn render(
        &self,
        level: Level,
        event: &str,
        fields: Value,
        now: SystemTime,
    ) -> String {
        let fields = match fields {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => Map::from_iter([("value".to_string(), other)]),
        };
        let ts = rfc3339_millis(now);
        match self.format {
            LogFormat::Json => {
                let mut object = Map::new();
                object.insert("ts".into(), Value::String(ts));
                object.insert("level".into(), Value::String(level.as_str().into()));
                object.insert("cmd".into(), Value::String(self.cmd.clone()));
                object.insert("event".into(), Value::String(event.into()));
                for (key, value) in fields {
                    // The envelope's keys are reserved; a colliding field keeps its value under
                    // a prefixed name instead of silently replacing the envelope.
                    let key = if matches!(key.as_str(), "ts" | "level" | "cmd" | "event") {
                        format!("field_{key}")
                    } else {
                        key
                    };
                    object.insert(key, value);
                }
                let mut line = Value::Object(object).to_string();
                line.push('\n');
                line
            }
            LogFormat::Text => {
                let mut line = format!("{ts} {:<5} {} {event}", level.as_str(), self.cmd);
                for (key, value) in fields {
                    match value {
                        Value::String(s) => line.push_str(&format!(" {key}={s:?}")),
                        other => line.push_str(&format!(" {key}={other}")),
                    }
                }
                line.push('\n');
                line
            }
        }
    }
}

/// Progress of long work (operator-contract §3): `progress` events at most every 5 s, or a bar
/// redrawn in place on a terminal.
pub struct Progress<'a> {
    events: &'a Events,
    total: u64,
    started: Instant,
    last: Option<Instant>,
    bar: bool,
}

const PROGRESS_EVENT_EVERY: Duration = Duration::from_secs(5);
const PROGRESS_BAR_EVERY: Duration = Duration::from_millis(100);
const BAR_WIDTH: u64 = 30;

impl<'a> Progress<'a> {
    pub fn new(events: &'a Events, total: u64) -> Self {
        Self {
            events,
            total,
            started: Instant::now(),
            last: None,
            bar: events.draws_bars(),
        }
    }

    /// Reports `done` of `total` blocks; `extra` fields ride along (e.g. inputs replayed).
    /// The first report of unfinished work is shown at once so a long run is visible early.
    pub fn update(&mut self, done: u64, inputs: u64) {
        let every = if self.bar {
            PROGRESS_BAR_EVERY
        } else {
            PROGRESS_EVENT_EVERY
        };
        let due = match self.last {
            None => done < self.total,
            Some(at) => at.elapsed() >= every,
        };
        if !due {
            return;
        }
        self.last = Some(Instant::now());
        let elapsed = self.started.elapsed().as_secs_f64();
        let rate = if elapsed > 0.0 {
            (done as f64 / elapsed).round()
        } else {
            0.0
        };
        if self.bar {
            let line = bar_line(done, self.total, inputs, rate);
            let mut stderr = std::io::stderr().lock();
            let _ = stderr.write_all(line.as_bytes());
            let _ = stderr.flush();
            self.events.bar_drawn.store(true, Ordering::Relaxed);
        } else {
            self.events.info(
                "progress",
                serde_json::json!({
                    "blocks_done": done,
                    "blocks_total": self.total,
                    "inputs_replayed": inputs,
                    "blocks_per_second": rate,
                }),
            );
        }
    }
}

/// `\r`, clear-line, then `[#####     ] done/total blocks, N inputs, R blocks/s`.
fn bar_line(done: u64, total: u64, inputs: u64, rate: f64) -> String {
    let filled = (done.min(total) * BAR_WIDTH)
        .checked_div(total)
        .unwrap_or(BAR_WIDTH);
    format!(
        "\r\x1b[K[{}{}] {done}/{total} blocks, {inputs} inputs, {rate} blocks/s",
        "#".repeat(filled as usize),
        " ".repeat((BAR_WIDTH - filled) as usize),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_lines_carry_the_envelope() {
        let events = Events::new("inspect", LogFormat::Json);
        let line = events.render(
            Level::Info,
            "exit",
            json!({"code": 0, "cmd": "spoof"}),
            std::time::UNIX_EPOCH,
        );
        assert!(line.ends_with('\n'));
        let value: Value = serde_json::from_str(line.trim_end()).unwrap();
        assert_eq!(value["ts"], "1970-01-01T00:00:00.000Z");
        assert_eq!(value["level"], "info");
        assert_eq!(value["cmd"], "inspect");
        assert_eq!(value["event"], "exit");
        assert_eq!(value["code"], 0);
        assert_eq!(value["field_cmd"], "spoof");
    }

    #[test]
    fn progress_bars_fill_in_proportion() {
        let half = bar_line(1000, 2000, 12, 500.0);
        assert!(half.starts_with("\r\x1b[K["), "{half:?}");
        assert_eq!(half.matches('#').count(), (BAR_WIDTH / 2) as usize);
        assert!(half.ends_with("] 1000/2000 blocks, 12 inputs, 500 blocks/s"));
        assert_eq!(
            bar_line(5, 0, 0, 0.0).matches('#').count(),
            BAR_WIDTH as usize
        );
        assert_eq!(
            bar_line(9, 3, 0, 0.0).matches('#').count(),
            BAR_WIDTH as usize
        );
    }
}
