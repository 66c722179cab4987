//! Logging with levels, a prefix, the official line format (§14) and custom transports.
//! The SDK key is never written: it is masked in every message.

use std::io::Write;
use std::sync::Arc;

use super::callbacks::LogSink;
use crate::core::LogLevel;

/// A transport: where messages at or above its level go.
#[derive(Clone)]
pub enum Transport {
    /// Standard output, formatted `[LEVEL] prefix timestamp message`.
    Console {
        /// Minimum level.
        level: LogLevel,
    },
    /// A custom sink that receives the level and the raw message.
    Custom {
        /// Minimum level.
        level: LogLevel,
        /// The sink.
        sink: Arc<dyn LogSink>,
    },
}

impl Transport {
    fn level(&self) -> LogLevel {
        match self {
            Transport::Console { level } | Transport::Custom { level, .. } => *level,
        }
    }
}

/// The client's logger.
#[derive(Clone)]
pub struct Logger {
    prefix: String,
    transports: Vec<Transport>,
    min: LogLevel,
    ansi: bool,
    secret: Option<String>,
}

impl Logger {
    /// A logger; `secret` (the SDK key) is masked in every message.
    pub fn new(prefix: &str, transports: Vec<Transport>, ansi: bool, secret: Option<&str>) -> Logger {
        let min = transports.iter().map(Transport::level).min().unwrap_or(LogLevel::Error);
        Logger {
            prefix: prefix.to_string(),
            transports,
            min,
            ansi,
            secret: secret.filter(|s| s.len() >= 4).map(str::to_string),
        }
    }

    /// A logger that writes nothing.
    pub fn silent() -> Logger {
        Logger {
            prefix: String::new(),
            transports: Vec::new(),
            min: LogLevel::Error,
            ansi: false,
            secret: None,
        }
    }

    /// Whether any transport wants messages at `level`.
    pub fn enabled(&self, level: LogLevel) -> bool {
        !self.transports.is_empty() && level >= self.min
    }

    /// Logs `message` at `level`.
    pub fn log(&self, level: LogLevel, message: &str) {
        if !self.enabled(level) {
            return;
        }
        let masked;
        let message = match &self.secret {
            Some(s) if message.contains(s.as_str()) => {
                masked = message.replace(s.as_str(), "***");
                masked.as_str()
            }
            _ => message,
        };
        for t in &self.transports {
            if level < t.level() {
                continue;
            }
            match t {
                Transport::Console { .. } => {
                    let line = self.format(level, message);
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                }
                Transport::Custom { sink, .. } => {
                    // A panicking sink must not take the caller (or a worker) down with it.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink.log(level, message)));
                }
            }
        }
    }

    /// Logs at ERROR.
    pub fn error(&self, message: &str) {
        self.log(LogLevel::Error, message)
    }

    /// Logs at WARN.
    pub fn warn(&self, message: &str) {
        self.log(LogLevel::Warn, message)
    }

    /// Logs at INFO (formats lazily).
    pub fn info(&self, f: impl FnOnce() -> String) {
        if self.enabled(LogLevel::Info) {
            self.log(LogLevel::Info, &f())
        }
    }

    /// Logs at DEBUG (formats lazily).
    pub fn debug(&self, f: impl FnOnce() -> String) {
        if self.enabled(LogLevel::Debug) {
            self.log(LogLevel::Debug, &f())
        }
    }

    /// `[LEVEL] prefix timestamp message`, with ANSI colours when enabled.
    pub fn format(&self, level: LogLevel, message: &str) -> String {
        let ts = iso_timestamp_now();
        if self.ansi {
            let colour = match level {
                LogLevel::Trace => "\x1b[37m",
                LogLevel::Debug => "\x1b[36m",
                LogLevel::Info => "\x1b[32m",
                LogLevel::Warn => "\x1b[33m",
                LogLevel::Error => "\x1b[31m",
            };
            format!("{colour}[{}] {}\x1b[0m {ts} {message}", level.as_str(), self.prefix)
        } else {
            format!("[{}] {} {ts} {message}", level.as_str(), self.prefix)
        }
    }
}

/// UTC time as Python's `datetime.utcnow().isoformat()`: `2026-11-26T00:43:43.293278`.
pub fn iso_timestamp_now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    iso_timestamp(d.as_secs() as i64, d.subsec_micros())
}

/// Formats unix seconds and microseconds as an ISO-8601 UTC timestamp without a zone.
pub fn iso_timestamp(secs: i64, micros: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (proleptic Gregorian), valid for any day count.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = if month <= 2 { y + 1 } else { y };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Collect(Mutex<Vec<(LogLevel, String)>>);
    impl LogSink for Collect {
        fn log(&self, level: LogLevel, message: &str) {
            self.0.lock().unwrap().push((level, message.to_string()));
        }
    }

    #[test]
    fn timestamps_match_python_isoformat() {
        assert_eq!(iso_timestamp(0, 0), "1970-01-01T00:00:00.000000");
        assert_eq!(iso_timestamp(1_795_654_623, 293_278), "2026-11-26T00:57:03.293278");
        assert_eq!(iso_timestamp(951_782_400, 1), "2000-02-29T00:00:00.000001");
    }

    #[test]
    fn levels_filter_per_transport_and_the_sdk_key_is_masked() {
        let sink = Arc::new(Collect(Mutex::new(Vec::new())));
        let log = Logger::new(
            "VWO-SDK",
            vec![Transport::Custom {
                level: LogLevel::Info,
                sink: sink.clone(),
            }],
            false,
            Some("secretkey123"),
        );
        log.log(LogLevel::Debug, "hidden");
        log.log(LogLevel::Info, "settings for secretkey123 fetched");
        log.error("boom");
        let got = sink.0.lock().unwrap().clone();
        assert_eq!(
            got,
            vec![
                (LogLevel::Info, "settings for *** fetched".to_string()),
                (LogLevel::Error, "boom".to_string())
            ]
        );
        assert!(!log.enabled(LogLevel::Debug));
    }

    #[test]
    fn console_format() {
        let log = Logger::new("VWO-SDK", vec![], false, None);
        let line = log.format(LogLevel::Info, "Settings fetched successfully");
        assert!(line.starts_with("[INFO] VWO-SDK 20"), "{line}");
        assert!(line.ends_with(" Settings fetched successfully"));
    }
}
