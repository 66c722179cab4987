//! The decision core: pure and synchronous, no I/O, no threads, no globals.
//!
//! `settings` turns a settings JSON into an immutable compiled [`settings::Snapshot`];
//! `decide` evaluates a flag for a user against a snapshot and returns the decision together
//! with its effects (impressions, storage writes, integration payload) as data.

pub mod decide;
pub mod python;
pub mod segmentation;
pub mod settings;

/// Log levels, numbered as the official SDKs number them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum LogLevel {
    /// Most verbose.
    Trace = 0,
    /// Debugging detail.
    Debug = 1,
    /// Normal operation.
    Info = 2,
    /// Something unexpected that the SDK recovered from.
    Warn = 3,
    /// A failed operation.
    Error = 4,
}

impl LogLevel {
    /// Upper-case name (`"INFO"`), as the Python SDK passes it to custom transports.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        }
    }

    /// Parses a level name case-insensitively (`warning` is accepted for `warn`).
    pub fn parse(s: &str) -> Option<LogLevel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trace" => Some(LogLevel::Trace),
            "debug" => Some(LogLevel::Debug),
            "info" => Some(LogLevel::Info),
            "warn" | "warning" => Some(LogLevel::Warn),
            "error" => Some(LogLevel::Error),
            _ => None,
        }
    }
}
