//! Where requests go and how each SDK dresses them (PROTOCOL.md §1.3 "What SDKs send").

use std::net::SocketAddr;

use anyhow::{bail, Context, Result};
use hyper::header::{
    HeaderName, HeaderValue, CONTENT_ENCODING, CONTENT_TYPE, ORIGIN, REFERER, USER_AGENT,
};
use hyper::Uri;

/// SDK versions the corpus was captured with (see bench/corpus/README.md).
const PYTHON_CLIENT: &str = "sentry.python/2.75.0";
const NODE_CLIENT: &str = "sentry.javascript.node/10.78.0";
const BROWSER_CLIENT: &str = "sentry.javascript.browser/10.78.0";
const BROWSER_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                          HeadlessChrome/156.0.0.0 Safari/537.36";

/// `http://host:port[/prefix]` split into what a raw HTTP/1.1 connection needs.
#[derive(Clone, Debug)]
pub struct Server {
    pub host_port: String,
    pub path_prefix: String,
}

impl Server {
    pub fn parse(url: &str) -> Result<Server> {
        let Some(rest) = url.strip_prefix("http://") else {
            bail!("only http:// URLs are supported, got {url:?}");
        };
        let (host_port, path) = rest.split_once('/').unwrap_or((rest, ""));
        if host_port.is_empty() {
            bail!("no host in {url:?}");
        }
        let host_port = if host_port.contains(':') {
            host_port.to_string()
        } else {
            format!("{host_port}:80")
        };
        let path = path.trim_end_matches('/');
        let path_prefix = if path.is_empty() {
            String::new()
        } else {
            format!("/{path}")
        };
        Ok(Server {
            host_port,
            path_prefix,
        })
    }

    pub async fn resolve(&self) -> Result<SocketAddr> {
        tokio::net::lookup_host(&self.host_port)
            .await
            .with_context(|| format!("resolving {}", self.host_port))?
            .next()
            .with_context(|| format!("{} resolves to nothing", self.host_port))
    }
}

/// Public key and project id from `http://KEY@host:port/PROJECT`.
#[derive(Clone, Debug)]
pub struct Dsn {
    pub key: String,
    pub project: String,
}

impl Dsn {
    pub fn parse(dsn: &str) -> Result<Dsn> {
        let rest = dsn.split_once("://").map_or(dsn, |(_, r)| r);
        let Some((userinfo, hostpath)) = rest.split_once('@') else {
            bail!("DSN {dsn:?} has no public key");
        };
        let key = userinfo.split(':').next().unwrap_or_default().to_string();
        let project = hostpath
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        if key.is_empty() || project.is_empty() || !project.bytes().all(|b| b.is_ascii_digit()) {
            bail!("DSN {dsn:?} must look like http://KEY@host:port/PROJECT_ID");
        }
        Ok(Dsn { key, project })
    }
}

/// Request line and headers for one SDK.
#[derive(Clone)]
pub struct Profile {
    pub uri: Uri,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl Profile {
    /// The head of a `POST` of this profile to `host`, up to (not including) its
    /// `content-length` line.
    pub fn head_prefix(&self, host: &HeaderValue) -> Vec<u8> {
        let mut head = Vec::with_capacity(512);
        head.extend_from_slice(b"POST ");
        head.extend_from_slice(self.uri.to_string().as_bytes());
        head.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        head.extend_from_slice(host.as_bytes());
        head.extend_from_slice(b"\r\n");
        for (k, v) in &self.headers {
            head.extend_from_slice(k.as_str().as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(v.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        head
    }
}

pub fn profiles(server: &Server, dsn: &Dsn) -> Result<[Profile; 3]> {
    let base = format!("{}/api/{}/envelope/", server.path_prefix, dsn.project);
    let query = |client: &str| {
        format!(
            "{base}?sentry_version=7&sentry_key={}&sentry_client={}",
            dsn.key,
            client.replace('/', "%2F")
        )
    };
    let hv = |s: &str| HeaderValue::from_str(s).with_context(|| format!("bad header value {s:?}"));
    let python = Profile {
        uri: base.parse()?,
        headers: vec![
            (USER_AGENT, hv(PYTHON_CLIENT)?),
            (CONTENT_TYPE, hv("application/x-sentry-envelope")?),
            (CONTENT_ENCODING, hv("br")?),
            (
                HeaderName::from_static("x-sentry-auth"),
                hv(&format!(
                    "Sentry sentry_key={}, sentry_version=7, sentry_client={PYTHON_CLIENT}",
                    dsn.key
                ))?,
            ),
        ],
    };
    let node = Profile {
        uri: query(NODE_CLIENT).parse()?,
        headers: vec![],
    };
    let browser = Profile {
        uri: query(BROWSER_CLIENT).parse()?,
        headers: vec![
            (USER_AGENT, hv(BROWSER_UA)?),
            (CONTENT_TYPE, hv("text/plain;charset=UTF-8")?),
            (ORIGIN, hv("https://shop.example.com")?),
            (REFERER, hv("https://shop.example.com/")?),
        ],
    };
    // Indexed by `Sdk::index()`.
    Ok([python, node, browser])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Sdk;

    #[test]
    fn parses_url_and_dsn() {
        let s = Server::parse("http://127.0.0.1:8000/sentry/").unwrap();
        assert_eq!(
            (s.host_port.as_str(), s.path_prefix.as_str()),
            ("127.0.0.1:8000", "/sentry")
        );
        let d = Dsn::parse("http://0123456789abcdef0123456789abcdef@127.0.0.1:8000/1").unwrap();
        assert_eq!((d.key.len(), d.project.as_str()), (32, "1"));
        let p = profiles(&s, &d).unwrap();
        assert_eq!(p[Sdk::Python.index()].uri.path(), "/sentry/api/1/envelope/");
        assert!(p[Sdk::Browser.index()]
            .uri
            .query()
            .unwrap()
            .contains("sentry_key="));
        let host = HeaderValue::from_static("127.0.0.1:8000");
        assert_eq!(
            String::from_utf8(p[Sdk::Python.index()].head_prefix(&host)).unwrap(),
            format!(
                "POST /sentry/api/1/envelope/ HTTP/1.1\r\nhost: 127.0.0.1:8000\r\n\
                 user-agent: {PYTHON_CLIENT}\r\ncontent-type: application/x-sentry-envelope\r\n\
                 content-encoding: br\r\nx-sentry-auth: Sentry sentry_key={}, sentry_version=7, \
                 sentry_client={PYTHON_CLIENT}\r\n",
                d.key
            )
        );
        let node = String::from_utf8(p[Sdk::Node.index()].head_prefix(&host)).unwrap();
        assert!(node.starts_with("POST /sentry/api/1/envelope/?sentry_version=7&sentry_key="));
        assert!(node.ends_with(" HTTP/1.1\r\nhost: 127.0.0.1:8000\r\n"));
    }
}
