//! Event and breadcrumb levels.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// Severity of an event, most severe first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A crash or unrecoverable error.
    Fatal,
    /// An error (the default for events).
    Error,
    /// A warning.
    Warning,
    /// Information (the default for transactions and breadcrumbs).
    Info,
    /// Debug output.
    Debug,
}

/// A level name that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown level '{0}'")]
pub struct UnknownLevel(pub String);

impl Level {
    /// The canonical name: `fatal`, `error`, `warning`, `info` or `debug`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Fatal => "fatal",
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// Lenient parsing: canonical names in any case, plus `critical` (fatal), `err`, `warn`,
    /// `log`/`notice` (info), `trace` (debug), and Python's numeric levels 10–50.
    pub fn parse_lenient(raw: &str) -> Option<Level> {
        let raw = raw.trim();
        if let Ok(n) = raw.parse::<f64>() {
            return Self::from_number(n);
        }
        // Matched without regard to ASCII case.
        const NAMES: [(&str, Level); 14] = [
            ("fatal", Level::Fatal),
            ("critical", Level::Fatal),
            ("emergency", Level::Fatal),
            ("alert", Level::Fatal),
            ("error", Level::Error),
            ("err", Level::Error),
            ("warning", Level::Warning),
            ("warn", Level::Warning),
            ("info", Level::Info),
            ("log", Level::Info),
            ("notice", Level::Info),
            ("information", Level::Info),
            ("debug", Level::Debug),
            ("trace", Level::Debug),
        ];
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(raw))
            .map(|&(_, level)| level)
    }

    /// Reads a level from JSON: a string as in [`Level::parse_lenient`] or a Python numeric level.
    pub fn from_json(value: &Value) -> Option<Level> {
        match value {
            Value::String(s) => Self::parse_lenient(s),
            Value::Number(n) => n.as_f64().and_then(Self::from_number),
            _ => None,
        }
    }

    /// Python `logging` levels: DEBUG 10, INFO 20, WARNING 30, ERROR 40, CRITICAL 50; values in
    /// between round down to the level below (25 is info).
    fn from_number(n: f64) -> Option<Level> {
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        Some(match n {
            n if n < 20.0 => Level::Debug,
            n if n < 30.0 => Level::Info,
            n if n < 40.0 => Level::Warning,
            n if n < 50.0 => Level::Error,
            _ => Level::Fatal,
        })
    }
}

impl FromStr for Level {
    type Err = UnknownLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_lenient(s).ok_or_else(|| UnknownLevel(s.chars().take(64).collect()))
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_and_lenient_names() {
        for (raw, level) in [
            ("fatal", Level::Fatal),
            ("CRITICAL", Level::Fatal),
            ("error", Level::Error),
            ("Warning", Level::Warning),
            ("warn", Level::Warning),
            ("info", Level::Info),
            ("log", Level::Info),
            ("debug", Level::Debug),
            (" trace ", Level::Debug),
            ("40", Level::Error),
        ] {
            assert_eq!(raw.parse::<Level>(), Ok(level), "{raw}");
        }
        assert_eq!("loud".parse::<Level>(), Err(UnknownLevel("loud".into())));
        assert_eq!(Level::Warning.to_string(), "warning");
    }

    #[test]
    fn python_numeric_levels() {
        assert_eq!(Level::from_json(&json!(10)), Some(Level::Debug));
        assert_eq!(Level::from_json(&json!(20)), Some(Level::Info));
        assert_eq!(Level::from_json(&json!(25)), Some(Level::Info));
        assert_eq!(Level::from_json(&json!(30)), Some(Level::Warning));
        assert_eq!(Level::from_json(&json!(40)), Some(Level::Error));
        assert_eq!(Level::from_json(&json!(50)), Some(Level::Fatal));
        assert_eq!(Level::from_json(&json!(-1)), None);
        assert_eq!(Level::from_json(&json!(null)), None);
        assert_eq!(Level::from_json(&json!(true)), None);
    }

    #[test]
    fn serde_uses_lowercase_names() {
        assert_eq!(
            serde_json::to_value(Level::Fatal).ok(),
            Some(json!("fatal"))
        );
    }
}
