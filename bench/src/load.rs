//! The timed phase: `concurrency` workers, each with one keep-alive HTTP/1.1 connection, sending
//! pre-built bodies until the deadline (closed loop), or on a fixed schedule (`--rate`, open loop).

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use hyper::header::HeaderValue;

use crate::http::Connection;
use crate::pool::Pool;
use crate::target::Profile;

/// Back-off applied after a 429/503 without a usable `Retry-After` (SDKs would wait 60 s; a
/// benchmark run is too short for that).
const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);

pub struct Plan {
    pub addr: SocketAddr,
    pub host: HeaderValue,
    pub profiles: [Profile; 3],
    pub pool: Pool,
    pub concurrency: usize,
    pub duration: Duration,
    pub rate: Option<f64>,
    /// Length of one slot of the slow-request timeline ([`Stats::per_second`]).
    pub slot: Duration,
}

/// What one worker saw; merged into the run's totals.
pub struct Stats {
    pub sent: u64,
    /// Responses by status code (index = status; 0 unused).
    pub statuses: Vec<u64>,
    pub transport_errors: u64,
    pub reconnects: u64,
    pub backoffs: u64,
    pub backoff_time: Duration,
    /// Send → end of response body of the 200 responses, microseconds.
    pub latency_us: Histogram<u64>,
    /// Open loop only: how late each send was against its schedule, microseconds.
    pub lag_us: Histogram<u64>,
    pub first_send: Option<Instant>,
    pub last_done: Option<Instant>,
    /// Per second (or per [`Plan::slot`]) of the load phase, by send time: 200 responses, and
    /// those slower than [`SLOW`] — where in the run the tail of the latency is.
    pub per_second: Vec<(u64, u64)>,
}

/// The slow-request threshold of the per-second timeline (the p99 target at 5,000 events/s).
pub const SLOW: Duration = Duration::from_millis(25);

impl Stats {
    /// Counts a 200 response to a request sent `sent` after the start, answered in `latency`:
    /// in the latency histogram and in its `slot`-long slot of the slow-request timeline.
    fn record_ok(&mut self, sent: Duration, latency: Duration, slot: Duration) {
        let _ = self.latency_us.record(latency.as_micros().max(1) as u64);
        let at = (sent.as_micros() / slot.as_micros().max(1)) as usize;
        if self.per_second.len() <= at {
            self.per_second.resize(at + 1, (0, 0));
        }
        self.per_second[at].0 += 1;
        self.per_second[at].1 += u64::from(latency > SLOW);
    }

    fn new() -> Stats {
        let hist =
            || Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds");
        Stats {
            sent: 0,
            statuses: vec![0; 600],
            transport_errors: 0,
            reconnects: 0,
            backoffs: 0,
            backoff_time: Duration::ZERO,
            latency_us: hist(),
            lag_us: hist(),
            first_send: None,
            last_done: None,
            per_second: Vec::new(),
        }
    }

    fn merge(&mut self, o: Stats) {
        self.sent += o.sent;
        for (a, b) in self.statuses.iter_mut().zip(&o.statuses) {
            *a += b;
        }
        self.transport_errors += o.transport_errors;
        self.reconnects += o.reconnects;
        self.backoffs += o.backoffs;
        self.backoff_time += o.backoff_time;
        let _ = self.latency_us.add(&o.latency_us);
        let _ = self.lag_us.add(&o.lag_us);
        self.first_send = min_opt(self.first_send, o.first_send);
        self.last_done = self.last_done.max(o.last_done);
        if self.per_second.len() < o.per_second.len() {
            self.per_second.resize(o.per_second.len(), (0, 0));
        }
        for (a, b) in self.per_second.iter_mut().zip(&o.per_second) {
            a.0 += b.0;
            a.1 += b.1;
        }
    }

    pub fn status(&self, code: u16) -> u64 {
        self.statuses.get(usize::from(code)).copied().unwrap_or(0)
    }
}

fn min_opt(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub struct Outcome {
    pub stats: Stats,
    pub pool_exhausted: bool,
    pub started: Instant,
    pub ended: Instant,
}

struct Shared {
    plan: Plan,
    /// Each profile's request head up to its `content-length` line.
    heads: [Vec<u8>; 3],
    next: AtomicUsize,
    exhausted: AtomicBool,
    start: Instant,
    deadline: Instant,
}

pub async fn run(plan: Plan) -> Outcome {
    let workers = plan.concurrency;
    // Every worker's connection is opened before the clock starts: SDKs keep theirs open, and
    // a storm of connects would otherwise be measured as the first requests' latency (and in
    // open loop, the requests due meanwhile would all go out at once when it ends).
    let mut conns = Vec::with_capacity(workers);
    for _ in 0..workers {
        conns.push(connect(plan.addr).await);
    }
    // The workers' histograms too (some 300 KB each, to be allocated and zeroed): made inside
    // the clock, 256 of them held the first sends back by some 40 ms.
    let stats: Vec<Stats> = (0..workers).map(|_| Stats::new()).collect();
    let start = Instant::now();
    let deadline = start + plan.duration;
    let heads = plan.profiles.each_ref().map(|p| p.head_prefix(&plan.host));
    let shared = Arc::new(Shared {
        heads,
        plan,
        next: AtomicUsize::new(0),
        exhausted: AtomicBool::new(false),
        start,
        deadline,
    });
    let handles: Vec<_> = conns
        .into_iter()
        .zip(stats)
        .map(|(conn, stats)| tokio::spawn(worker(shared.clone(), conn, stats)))
        .collect();
    let mut stats = Stats::new();
    for h in handles {
        if let Ok(s) = h.await {
            stats.merge(s);
        }
    }
    Outcome {
        stats,
        pool_exhausted: shared.exhausted.load(Ordering::Relaxed),
        started: start,
        ended: Instant::now(),
    }
}

async fn connect(addr: SocketAddr) -> Option<Connection> {
    Connection::open(addr).await.ok()
}

async fn worker(shared: Arc<Shared>, mut conn: Option<Connection>, mut stats: Stats) -> Stats {
    let plan = &shared.plan;
    let mut head = Vec::with_capacity(1024);
    // Whether this worker has had a connection (the next one it opens is a reconnect).
    let mut connected = conn.is_some();
    loop {
        if Instant::now() >= shared.deadline {
            break;
        }
        let i = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(body) = plan.pool.bodies.get(i) else {
            shared.exhausted.store(true, Ordering::Relaxed);
            break;
        };
        if let Some(rate) = plan.rate {
            let due = shared.start + Duration::from_secs_f64(i as f64 / rate);
            if due >= shared.deadline {
                break;
            }
            tokio::time::sleep_until(due.into()).await;
            let lag = Instant::now().saturating_duration_since(due);
            let _ = stats.lag_us.record(lag.as_micros().max(1) as u64);
        }

        // (Re)connect when the last connection failed or was closed by the server.
        let mut connection = match conn.take() {
            Some(c) => c,
            None => {
                if connected {
                    stats.reconnects += 1;
                }
                match connect(plan.addr).await {
                    Some(c) => c,
                    None => {
                        stats.transport_errors += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                }
            }
        };
        connected = true;

        head.clear();
        head.extend_from_slice(&shared.heads[body.sdk.index()]);
        let _ = write!(head, "content-length: {}\r\n\r\n", body.bytes.len());

        let t0 = Instant::now();
        stats.first_send.get_or_insert(t0);
        stats.sent += 1;
        let response = connection.send(&head, &body.bytes).await;
        let done = Instant::now();
        stats.last_done = Some(done);
        let Ok(response) = response else {
            stats.transport_errors += 1;
            continue; // connection dropped; reconnect on the next turn
        };
        let status = response.status;
        let retry_after = response.retry_after;
        if let Some(slot) = stats.statuses.get_mut(usize::from(status)) {
            *slot += 1;
        }
        if status == 200 {
            stats.record_ok(
                t0.saturating_duration_since(shared.start),
                done - t0,
                shared.plan.slot,
            );
        }
        if !response.close {
            conn = Some(connection);
        }

        if status == 429 || status == 503 {
            let wait = retry_after.unwrap_or(DEFAULT_BACKOFF);
            let until = (done + wait).min(shared.deadline);
            stats.backoffs += 1;
            stats.backoff_time += until.saturating_duration_since(done);
            tokio::time::sleep_until(until.into()).await;
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_land_in_the_slot_of_their_send_time() {
        let ms = Duration::from_millis;
        let mut seconds = Stats::new();
        let mut slots = Stats::new();
        for (sent, latency) in [(10, 5), (60, 30), (1_020, 26), (1_990, 1)] {
            seconds.record_ok(ms(sent), ms(latency), ms(1_000));
            slots.record_ok(ms(sent), ms(latency), ms(50));
        }
        assert_eq!(seconds.per_second, vec![(2, 1), (2, 1)]);
        assert_eq!(slots.per_second.len(), 40);
        assert_eq!(slots.per_second[0], (1, 0));
        assert_eq!(slots.per_second[1], (1, 1));
        assert_eq!(slots.per_second[20], (1, 1));
        assert_eq!(slots.per_second[39], (1, 0));
        assert_eq!(slots.per_second.iter().map(|s| s.0).sum::<u64>(), 4);
        assert_eq!(seconds.latency_us.len(), 4);
    }
}
