//! Ingest authentication: the `X-Sentry-Auth` / `Authorization` headers and the `sentry_key`
//! query string (PROTOCOL.md §1.3). Only the public key matters; the secret key is dead.

use base64::Engine as _;
use percent_encoding::percent_decode_str;

/// Longest public key we accept.
pub const MAX_PUBLIC_KEY_LEN: usize = 64;

/// Credentials an SDK sent with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    /// The DSN's public key (`sentry_key`).
    pub public_key: String,
    /// Protocol version (`sentry_version`), `7` for all current SDKs.
    pub version: Option<u16>,
    /// Client identifier (`sentry_client`), e.g. `sentry.python/2.75.0`.
    pub client: Option<String>,
}

/// Why credentials could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The header did not use the `Sentry` scheme.
    #[error("auth header does not use the 'Sentry' scheme")]
    NotSentryScheme,
    /// No `sentry_key`, or an empty one.
    #[error("missing sentry_key")]
    MissingKey,
    /// The key has characters other than `[A-Za-z0-9_-]` or is too long.
    #[error("invalid sentry_key '{0}': expected 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'")]
    InvalidKey(String),
    /// `sentry_version` is not a small integer.
    #[error("invalid sentry_version '{0}'")]
    InvalidVersion(String),
    /// `Authorization: Basic` credentials that are not base64 of `key:secret`.
    #[error("invalid Basic credentials: {0}")]
    InvalidBasic(String),
}

/// Parses an `X-Sentry-Auth` value (`Sentry sentry_key=…, sentry_version=7, …`); the `Sentry `
/// prefix is case-insensitive and optional spaces may follow the commas.
///
/// ```
/// let auth = faultline_protocol::auth::parse_auth_header(
///     "Sentry sentry_version=7,sentry_client=sentry.java/8.0.0,sentry_key=0123abcd",
/// ).unwrap();
/// assert_eq!(auth.public_key, "0123abcd");
/// assert_eq!(auth.version, Some(7));
/// ```
pub fn parse_auth_header(value: &str) -> Result<Auth, AuthError> {
    let value = value.trim_start();
    let (scheme, rest) = split_scheme(value);
    if !scheme.eq_ignore_ascii_case("sentry") {
        return Err(AuthError::NotSentryScheme);
    }
    let pairs = rest.split(',').filter_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        Some((k.trim().to_string(), unquote(v.trim()).to_string()))
    });
    from_pairs(pairs)?.ok_or(AuthError::MissingKey)
}

/// Parses an `Authorization` value: `Sentry …` as in [`parse_auth_header`], or
/// `Basic base64(public_key:secret)`. Other schemes (`Bearer` …) give `Ok(None)`.
pub fn parse_authorization_header(value: &str) -> Result<Option<Auth>, AuthError> {
    let value = value.trim_start();
    let (scheme, rest) = split_scheme(value);
    if scheme.eq_ignore_ascii_case("sentry") {
        return parse_auth_header(value).map(Some);
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let decoded = engine
        .decode(rest.trim())
        .map_err(|e| AuthError::InvalidBasic(e.to_string()))?;
    let decoded =
        String::from_utf8(decoded).map_err(|_| AuthError::InvalidBasic("not UTF-8".into()))?;
    let key = decoded.split_once(':').map_or(decoded.as_str(), |(k, _)| k);
    Ok(Some(Auth {
        public_key: validate_key(key)?,
        version: None,
        client: None,
    }))
}

/// Reads `sentry_key`, `sentry_version` and `sentry_client` from a URL query string (with or
/// without the leading `?`), percent-decoded. `Ok(None)` when there is no `sentry_key`.
pub fn auth_from_query(query: &str) -> Result<Option<Auth>, AuthError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let pairs = query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (form_decode(k), form_decode(v))
    });
    from_pairs(pairs)
}

/// Checks a public key: 1 to 64 characters of `[A-Za-z0-9_-]`.
pub fn validate_key(key: &str) -> Result<String, AuthError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(AuthError::MissingKey);
    }
    let valid = key.len() <= MAX_PUBLIC_KEY_LEN
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(key.to_string())
    } else {
        // Echo a bounded, printable prefix only.
        let shown: String = key.chars().take(MAX_PUBLIC_KEY_LEN).collect();
        Err(AuthError::InvalidKey(shown.escape_default().to_string()))
    }
}

fn from_pairs(pairs: impl Iterator<Item = (String, String)>) -> Result<Option<Auth>, AuthError> {
    let mut key = None;
    let mut version = None;
    let mut client = None;
    for (k, v) in pairs {
        match k.as_str() {
            "sentry_key" if key.is_none() => key = Some(v),
            "sentry_version" if version.is_none() => version = Some(parse_version(&v)?),
            "sentry_client" if client.is_none() && !v.is_empty() => client = Some(v),
            _ => {} // sentry_secret, sentry_timestamp and unknown pairs are ignored
        }
    }
    let Some(key) = key else { return Ok(None) };
    Ok(Some(Auth {
        public_key: validate_key(&key)?,
        version,
        client,
    }))
}

/// `7`, and leniently `7.0` (old clients), as a major version.
fn parse_version(raw: &str) -> Result<u16, AuthError> {
    let major = raw.strip_suffix(".0").unwrap_or(raw);
    major.parse::<u16>().map_err(|_| {
        let shown: String = raw.chars().take(32).collect();
        AuthError::InvalidVersion(shown.escape_default().to_string())
    })
}

fn split_scheme(value: &str) -> (&str, &str) {
    value
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((value, ""))
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
}

fn form_decode(s: &str) -> String {
    let plus_as_space = s.replace('+', " ");
    percent_decode_str(&plus_as_space)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn python_style_header() {
        let auth = parse_auth_header(&format!(
            "Sentry sentry_key={KEY}, sentry_version=7, sentry_client=sentry.python/2.75.0"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            auth,
            Auth {
                public_key: KEY.into(),
                version: Some(7),
                client: Some("sentry.python/2.75.0".into()),
            }
        );
    }

    #[test]
    fn java_style_header_without_spaces_and_odd_case() {
        let auth = parse_auth_header(&format!(
            "sENTRY sentry_version=7,sentry_client=sentry.java/8.0.0,sentry_key={KEY},sentry_secret=x,sentry_timestamp=1"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(auth.public_key, KEY);
        assert_eq!(auth.client.as_deref(), Some("sentry.java/8.0.0"));
    }

    #[test]
    fn header_errors_are_specific() {
        assert_eq!(
            parse_auth_header("Bearer abc"),
            Err(AuthError::NotSentryScheme)
        );
        assert_eq!(
            parse_auth_header("Sentry sentry_version=7"),
            Err(AuthError::MissingKey)
        );
        assert_eq!(
            parse_auth_header("Sentry sentry_key="),
            Err(AuthError::MissingKey)
        );
        assert_eq!(
            parse_auth_header("Sentry sentry_key=abc, sentry_version=x").map_err(|e| e.to_string()),
            Err("invalid sentry_version 'x'".to_string())
        );
        let long = "a".repeat(65);
        assert!(matches!(
            parse_auth_header(&format!("Sentry sentry_key={long}")),
            Err(AuthError::InvalidKey(_))
        ));
        let err = parse_auth_header("Sentry sentry_key=a/b").map_err(|e| e.to_string());
        assert_eq!(
            err,
            Err("invalid sentry_key 'a/b': expected 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'"
                .to_string())
        );
    }

    #[test]
    fn quoted_values_and_legacy_version() {
        let auth = parse_auth_header("Sentry sentry_key=\"abc\", sentry_version=\"7.0\"")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(auth.public_key, "abc");
        assert_eq!(auth.version, Some(7));
    }

    #[test]
    fn authorization_header_schemes() {
        let sentry = parse_authorization_header(&format!("Sentry sentry_key={KEY}"));
        assert_eq!(
            sentry.ok().flatten().map(|a| a.public_key),
            Some(KEY.to_string())
        );

        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:secret"));
        let auth = parse_authorization_header(&format!("Basic {basic}"));
        assert_eq!(
            auth.ok().flatten().map(|a| a.public_key),
            Some(KEY.to_string())
        );

        let bare = base64::engine::general_purpose::STANDARD_NO_PAD.encode("abc");
        let auth = parse_authorization_header(&format!("basic {bare}"));
        assert_eq!(
            auth.ok().flatten().map(|a| a.public_key),
            Some("abc".to_string())
        );

        assert_eq!(parse_authorization_header("Bearer sometoken"), Ok(None));
        assert!(matches!(
            parse_authorization_header("Basic !!!"),
            Err(AuthError::InvalidBasic(_))
        ));
    }

    #[test]
    fn query_string_auth() {
        let auth = auth_from_query(&format!(
            "?sentry_version=7&sentry_key={KEY}&sentry_client=sentry.javascript.browser%2F8.1.0"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let auth = auth.unwrap_or_else(|| panic!("no auth"));
        assert_eq!(auth.public_key, KEY);
        assert_eq!(
            auth.client.as_deref(),
            Some("sentry.javascript.browser/8.1.0")
        );
        assert_eq!(auth.version, Some(7));

        assert_eq!(auth_from_query("foo=bar&sentry_version=7"), Ok(None));
        assert_eq!(auth_from_query(""), Ok(None));
        assert_eq!(auth_from_query("sentry_key="), Err(AuthError::MissingKey));
        assert!(matches!(
            auth_from_query("sentry_key=a%20b"),
            Err(AuthError::InvalidKey(_))
        ));
    }
}
