//! Reading the server's Prometheus text endpoint `GET {url}/metrics` and waiting for storing to
//! finish after the load stops.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{HeaderValue, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The three series the bench relies on; `None` when the server does not expose one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub accepted: Option<f64>,
    pub stored: Option<f64>,
    pub queue_depth: Option<f64>,
    /// Optional: events the server skipped as duplicates of a stored event id.
    pub duplicate: Option<f64>,
}

/// Sum of all samples of `name` (any labels) in Prometheus text format.
pub fn parse(text: &str) -> Snapshot {
    let mut snap = Snapshot::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name_end = line.find(['{', ' ', '\t']).unwrap_or(line.len());
        let name = &line[..name_end];
        let slot = match name {
            "faultline_events_accepted_total" => &mut snap.accepted,
            "faultline_events_stored_total" => &mut snap.stored,
            "faultline_queue_depth" => &mut snap.queue_depth,
            "faultline_events_duplicate_total" => &mut snap.duplicate,
            _ => continue,
        };
        let rest = match line[name_end..].rfind('}') {
            Some(p) if line[name_end..].starts_with('{') => &line[name_end + p + 1..],
            _ => &line[name_end..],
        };
        if let Some(v) = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        {
            *slot = Some(slot.unwrap_or(0.0) + v);
        }
    }
    snap
}

pub struct Scraper {
    pub addr: SocketAddr,
    pub host: HeaderValue,
    pub path: String,
}

impl Scraper {
    pub async fn scrape(&self) -> Result<Snapshot> {
        let stream = TcpStream::connect(self.addr).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        let mut req = Request::new(Empty::<Bytes>::new());
        *req.uri_mut() = self.path.parse()?;
        req.headers_mut().insert(HOST, self.host.clone());
        let resp = tokio::time::timeout(Duration::from_secs(5), sender.send_request(req))
            .await
            .context("GET /metrics timed out")??;
        let status = resp.status();
        let body = resp.into_body().collect().await?.to_bytes();
        if !status.is_success() {
            bail!("GET {} answered {status}", self.path);
        }
        Ok(parse(&String::from_utf8_lossy(&body)))
    }
}

pub struct Drain {
    pub last: Option<Snapshot>,
    /// When the stored counter reached its final value (or `load_end` if it already had).
    pub finished: Instant,
    pub timed_out: bool,
}

/// Poll every 100 ms until the queue is empty and `stored` has not moved for `quiet`, or until it
/// already covers `expected` accepted events; give up after `timeout`.
pub async fn wait_until_stored(
    scraper: &Scraper,
    baseline_stored: f64,
    expected: u64,
    load_end: Instant,
    timeout: Duration,
) -> Drain {
    let quiet = Duration::from_secs(1);
    let started = Instant::now();
    let mut last: Option<Snapshot> = None;
    let mut finished = load_end;
    let mut last_change = Instant::now();
    loop {
        let now = Instant::now();
        if let Ok(snap) = scraper.scrape().await {
            let moved = last.is_some_and(|l| l.stored != snap.stored);
            if moved {
                finished = now;
                last_change = now;
            }
            let empty = snap.queue_depth.is_none_or(|q| q <= 0.0);
            let delta = snap.stored.unwrap_or(0.0) - baseline_stored;
            last = Some(snap);
            if empty && delta >= expected as f64 {
                return Drain {
                    last,
                    finished,
                    timed_out: false,
                };
            }
            if empty && now - last_change >= quiet {
                return Drain {
                    last,
                    finished,
                    timed_out: false,
                };
            }
        }
        if now - started >= timeout {
            return Drain {
                last,
                finished,
                timed_out: true,
            };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_text() {
        let text = "# HELP x\n# TYPE faultline_events_stored_total counter\n\
                    faultline_events_accepted_total 12\n\
                    faultline_events_stored_total{project=\"1\"} 7\n\
                    faultline_events_stored_total{project=\"2\"} 3\n\
                    faultline_queue_depth 0\nfaultline_other 5\n";
        let s = parse(text);
        assert_eq!(
            (s.accepted, s.stored, s.queue_depth),
            (Some(12.0), Some(10.0), Some(0.0))
        );
        assert_eq!(s.duplicate, None);
    }
}
