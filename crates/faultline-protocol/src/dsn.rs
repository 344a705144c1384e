//! DSNs: `{scheme}://{public_key}[:{secret}]@{host}[:{port}][/{path}]/{project_id}`
//! (PROTOCOL.md §1.1).

use std::fmt;
use std::str::FromStr;

use crate::auth::validate_key;

/// A parsed DSN. The secret part, when present, is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    /// `http` or `https`.
    pub scheme: String,
    /// The public key (the URL's user name).
    pub public_key: String,
    /// Host name with the port when one was given (`localhost:8000`).
    pub host: String,
    /// Path before the project id without a trailing slash: `""` or e.g. `/sentry`.
    pub path_prefix: String,
    /// Numeric project id (the last path segment).
    pub project_id: u64,
}

/// Why a string is not a DSN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    /// No `://`, or a scheme other than `http`/`https`.
    #[error("invalid DSN scheme: expected http:// or https://")]
    InvalidScheme,
    /// No `key@` before the host.
    #[error("DSN has no public key (expected scheme://KEY@host/PROJECT_ID)")]
    MissingKey,
    /// The public key has invalid characters.
    #[error("DSN public key is invalid: {0}")]
    InvalidKey(crate::auth::AuthError),
    /// Empty host.
    #[error("DSN has no host")]
    MissingHost,
    /// The last path segment is not a number.
    #[error("DSN project id '{0}' is not a number")]
    InvalidProjectId(String),
}

impl Dsn {
    /// `{scheme}://{host}{path_prefix}/api/{project_id}/envelope/`.
    pub fn envelope_url(&self) -> String {
        format!("{}/api/{}/envelope/", self.base_url(), self.project_id)
    }

    /// `{scheme}://{host}{path_prefix}/api/{project_id}/store/`.
    pub fn store_url(&self) -> String {
        format!("{}/api/{}/store/", self.base_url(), self.project_id)
    }

    fn base_url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.path_prefix)
    }
}

impl FromStr for Dsn {
    type Err = DsnError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (scheme, rest) = s.split_once("://").ok_or(DsnError::InvalidScheme)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(DsnError::InvalidScheme);
        }
        // Query strings and fragments carry nothing we use.
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (userinfo, host) = authority.rsplit_once('@').ok_or(DsnError::MissingKey)?;
        let key = userinfo.split_once(':').map_or(userinfo, |(k, _)| k);
        if key.is_empty() {
            return Err(DsnError::MissingKey);
        }
        let public_key = validate_key(key).map_err(DsnError::InvalidKey)?;
        if host.is_empty() {
            return Err(DsnError::MissingHost);
        }
        let path = path.strip_suffix('/').unwrap_or(path);
        let (prefix, project) = path.rsplit_once('/').unwrap_or(("", path));
        let project_id = project
            .parse::<u64>()
            .map_err(|_| DsnError::InvalidProjectId(project.chars().take(64).collect()))?;
        Ok(Dsn {
            scheme,
            public_key,
            host: host.to_string(),
            path_prefix: prefix.to_string(),
            project_id,
        })
    }
}

impl fmt::Display for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}@{}{}/{}",
            self.scheme, self.public_key, self.host, self.path_prefix, self.project_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_dsn() {
        let dsn: Dsn = "https://0123abcd@faultline.example/42".parse().unwrap();
        assert_eq!(dsn.scheme, "https");
        assert_eq!(dsn.public_key, "0123abcd");
        assert_eq!(dsn.host, "faultline.example");
        assert_eq!(dsn.path_prefix, "");
        assert_eq!(dsn.project_id, 42);
        assert_eq!(
            dsn.envelope_url(),
            "https://faultline.example/api/42/envelope/"
        );
        assert_eq!(dsn.to_string(), "https://0123abcd@faultline.example/42");
    }

    #[test]
    fn keeps_port_and_path_prefix_and_drops_secret() {
        let dsn: Dsn = "http://key:secret@localhost:8000/sentry/7/"
            .parse()
            .unwrap();
        assert_eq!(dsn.host, "localhost:8000");
        assert_eq!(dsn.path_prefix, "/sentry");
        assert_eq!(dsn.project_id, 7);
        assert_eq!(
            dsn.envelope_url(),
            "http://localhost:8000/sentry/api/7/envelope/"
        );
        assert_eq!(dsn.store_url(), "http://localhost:8000/sentry/api/7/store/");
        assert_eq!(dsn.to_string(), "http://key@localhost:8000/sentry/7");
        let again: Dsn = dsn.to_string().parse().unwrap();
        assert_eq!(again, dsn);
    }

    #[test]
    fn rejects_bad_dsns() {
        assert_eq!("ftp://k@h/1".parse::<Dsn>(), Err(DsnError::InvalidScheme));
        assert_eq!("k@h/1".parse::<Dsn>(), Err(DsnError::InvalidScheme));
        assert_eq!("https://h/1".parse::<Dsn>(), Err(DsnError::MissingKey));
        assert_eq!("https://:s@h/1".parse::<Dsn>(), Err(DsnError::MissingKey));
        assert_eq!("https://k@/1".parse::<Dsn>(), Err(DsnError::MissingHost));
        assert_eq!(
            "https://k@h/abc".parse::<Dsn>(),
            Err(DsnError::InvalidProjectId("abc".into()))
        );
        assert_eq!(
            "https://k@h".parse::<Dsn>(),
            Err(DsnError::InvalidProjectId(String::new()))
        );
        assert!(matches!(
            "https://k!@h/1".parse::<Dsn>(),
            Err(DsnError::InvalidKey(_))
        ));
    }
}
