//! `faultline-bench`: replays envelopes captured from real Sentry SDKs against a Faultline server
//! and prints what it measured: accepted and stored events per second, accept latency, loss,
//! server memory, CPU and bytes on disk per event. Not a test; see bench/README.md.
//!
//! Flow: load the corpus → pre-build one body per request (fresh event id, SDK-style encoding) →
//! timed phase (one keep-alive HTTP/1.1 connection per worker) → poll `/metrics` until the server
//! has stored what it accepted → read /proc and the data directory → report.

mod corpus;
mod http;
mod load;
mod metrics;
mod pool;
mod procstat;
mod report;
mod target;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Result};
use clap::Parser;
use hyper::header::HeaderValue;

use crate::corpus::Sdk;
use crate::report::{Latency, Report};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Load generator for Faultline (Sentry-compatible ingest)"
)]
struct Cli {
    /// Server base URL (http only), e.g. http://127.0.0.1:8000
    #[arg(long)]
    url: Option<String>,
    /// DSN whose public key and project id the requests use, e.g. http://KEY@127.0.0.1:8000/1
    #[arg(long)]
    dsn: Option<String>,
    /// Directory of captured `<sdk>-*.envelope` files
    #[arg(long, default_value = "bench/corpus")]
    corpus: PathBuf,
    /// Share of requests per SDK
    #[arg(long, default_value = "python=70,node=20,browser=10")]
    mix: String,
    /// Concurrent workers, one keep-alive connection each
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Length of the timed phase: 20s, 500ms, 2m or plain seconds
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    duration: Duration,
    /// Target events/s (open loop, fixed schedule); default is closed loop
    #[arg(long)]
    rate: Option<f64>,
    /// Number of bodies to pre-build (default: rate × duration, or 5000/s × duration closed loop);
    /// the run ends early if they run out
    #[arg(long)]
    pool: Option<usize>,
    /// Server process id: report its RSS (VmRSS sampled every 100 ms, VmHWM) and CPU time
    #[arg(long)]
    server_pid: Option<u32>,
    /// Server data directory: report bytes on disk per stored event
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// How long to wait for the server to finish storing after the load stops
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    store_timeout: Duration,
    /// Print one JSON object instead of the table
    #[arg(long)]
    json: bool,
    /// Also write the JSON object to this file (the table still goes to stdout)
    #[arg(long)]
    json_out: Option<PathBuf>,
    /// Only print the server's current RSS (needs --server-pid) and exit
    #[arg(long)]
    idle_rss: bool,
    /// Length of one slot of the slow-request timeline: 1s by default; 50ms shows what in the
    /// first second of a run is slow
    #[arg(long, default_value = "1s", value_parser = parse_timeline)]
    timeline: Duration,
    /// Give every request a trace id of its own, as SDKs that start a trace per request do (by
    /// default each template keeps the trace id it was captured with)
    #[arg(long)]
    fresh_trace_ids: bool,
}

/// `--idle-rss --json` output.
#[derive(serde::Serialize)]
struct IdleRss {
    pid: u32,
    #[serde(flatten)]
    memory: procstat::Memory,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else {
        (s, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("bad duration {s:?} (try 20s, 500ms, 2m)"))?;
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("duration must be positive: {s:?}"));
    }
    Ok(Duration::from_secs_f64(v * mult))
}

/// `--timeline`: a duration of at least 10 ms (shorter slots would make a vector of millions
/// for a run of seconds, and say nothing a latency histogram does not).
fn parse_timeline(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < Duration::from_millis(10) {
        return Err(format!("--timeline must be at least 10ms: {s:?}"));
    }
    Ok(d)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    if cli.idle_rss {
        let Some(pid) = cli.server_pid else {
            bail!("--idle-rss needs --server-pid")
        };
        let m = procstat::memory(pid)?;
        if cli.json {
            let idle = IdleRss { pid, memory: m };
            println!("{}", serde_json::to_string(&idle)?);
        } else {
            println!(
                "server {pid}: VmRSS {:.1} MiB (VmHWM {:.1} MiB)",
                m.rss_kib as f64 / 1024.0,
                m.hwm_kib as f64 / 1024.0
            );
        }
        return Ok(());
    }
    let (Some(url), Some(dsn)) = (cli.url.clone(), cli.dsn.clone()) else {
        bail!("--url and --dsn are required (or --idle-rss --server-pid PID)");
    };
    let report = run(&cli, &url, &dsn).await?;
    if let Some(path) = &cli.json_out {
        std::fs::write(path, serde_json::to_string(&report)? + "\n")?;
    }
    if cli.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}

async fn run(cli: &Cli, url: &str, dsn: &str) -> Result<Report> {
    let server = target::Server::parse(url)?;
    let dsn = target::Dsn::parse(dsn)?;
    let mix = pool::Mix::parse(&cli.mix)?;
    if cli.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let corpus = corpus::load(&cli.corpus, &dsn.key, SystemTime::now())?;
    if corpus.templates.is_empty() {
        bail!("no event envelopes in {}", cli.corpus.display());
    }
    let secs = cli.duration.as_secs_f64();
    let n = cli.pool.unwrap_or_else(|| match cli.rate {
        Some(r) => (r * secs).ceil() as usize + cli.concurrency,
        None => ((5000.0 * secs) as usize).max(10_000),
    });
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let nonce = pool::splitmix64(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)?
            .as_nanos() as u64,
    );
    let t = Instant::now();
    eprintln!(
        "pre-building {n} request bodies from {} templates…",
        corpus.templates.len()
    );
    let pool = pool::build(&corpus, &mix, n, threads, nonce, cli.fresh_trace_ids)?;
    eprintln!(
        "  done in {:.1} s ({:.1} MiB)",
        t.elapsed().as_secs_f64(),
        pool.bytes_total as f64 / 1048576.0
    );

    let addr = server.resolve().await?;
    let host = HeaderValue::from_str(&server.host_port)?;
    let scraper = metrics::Scraper {
        addr,
        host: host.clone(),
        path: format!("{}/metrics", server.path_prefix),
    };
    let mut report = Report::default();
    report.scenario = report::Scenario {
        url: url.to_string(),
        mix: cli.mix.clone(),
        concurrency: cli.concurrency,
        duration_s: secs,
        rate_target: cli.rate,
        pool_bodies: pool.bodies.len(),
        pool_mib: pool.bytes_total as f64 / 1048576.0,
        corpus_events: Sdk::ALL
            .iter()
            .map(|s| (s.name().to_string(), corpus.count(*s)))
            .collect(),
        corpus_mean_bytes: Sdk::ALL
            .iter()
            .map(|s| (s.name().to_string(), corpus.mean_size(*s)))
            .collect(),
        corpus_skipped_non_event: corpus.skipped_non_event,
    };

    // Baselines.
    let before = match scraper.scrape().await {
        Ok(s) => Some(s),
        Err(e) => {
            report.notes.push(format!(
                "/metrics unavailable before the run ({e:#}); no stored/loss figures"
            ));
            None
        }
    };
    let pid = cli.server_pid;
    let mem_before = pid.map(procstat::memory).transpose()?;
    let pid_s = pid.map(|p| p.to_string());
    let cpu_before = pid_s.as_deref().and_then(procstat::cpu_seconds);
    let self_cpu_before = procstat::cpu_seconds("self");
    let disk_before = cli
        .data_dir
        .as_deref()
        .map(procstat::disk_usage)
        .transpose()?;
    let sampler = pid.map(procstat::RssSampler::start);

    eprintln!(
        "running {} for {secs:.1} s against {url} ({} workers)…",
        cli.rate
            .map_or("closed loop".into(), |r| format!("{r:.0} events/s")),
        cli.concurrency
    );
    let profiles = target::profiles(&server, &dsn)?;
    let outcome = load::run(load::Plan {
        addr,
        host,
        profiles,
        pool,
        concurrency: cli.concurrency,
        duration: cli.duration,
        rate: cli.rate,
        slot: cli.timeline,
    })
    .await;
    let st = &outcome.stats;
    let accepted = st.status(200);
    let first = st.first_send.unwrap_or(outcome.started);
    let last = st.last_done.unwrap_or(outcome.ended);
    let load_s = (last - first).as_secs_f64().max(1e-9);

    // Wait for storing to finish.
    if let Some(b) = before {
        eprintln!("waiting for the server to store what it accepted…");
        let d = metrics::wait_until_stored(
            &scraper,
            b.stored.unwrap_or(0.0),
            accepted,
            last,
            cli.store_timeout,
        )
        .await;
        let v = &mut report.server;
        v.metrics_available = true;
        v.drain_timed_out = d.timed_out;
        if let Some(a) = d.last {
            v.accepted_delta = a.accepted.zip(b.accepted).map(|(x, y)| x - y);
            v.stored_delta = a.stored.zip(b.stored).map(|(x, y)| x - y);
            v.duplicate_delta = a.duplicate.zip(b.duplicate).map(|(x, y)| x - y);
            if a.stored.is_none() {
                report
                    .notes
                    .push("/metrics has no faultline_events_stored_total".into());
            }
        }
        if d.last.is_some() {
            let e2e = (d.finished - first).as_secs_f64().max(1e-9);
            v.end_to_end_s = Some(e2e);
            v.stored_per_s = v.stored_delta.map(|s| s / e2e);
        } else {
            report
                .notes
                .push("/metrics did not answer after the run".into());
        }
        v.loss = v.stored_delta.map(|s| accepted as f64 - s);
        if d.timed_out {
            report.notes.push(format!(
                "storing did not finish within {:?}",
                cli.store_timeout
            ));
        }
    }

    // Server-side resources.
    let v = &mut report.server;
    v.pid = pid;
    if let (Some(pid), Some(sampler)) = (pid, sampler) {
        let (peak, _) = sampler.finish();
        let m = procstat::memory(pid)?;
        v.rss_before_kib = mem_before.map(|m| m.rss_kib);
        v.rss_peak_sampled_kib = Some(peak.max(m.rss_kib));
        v.rss_after_kib = Some(m.rss_kib);
        v.vm_hwm_kib = Some(m.hwm_kib);
        v.cpu_s = pid_s
            .as_deref()
            .and_then(procstat::cpu_seconds)
            .zip(cpu_before)
            .map(|(a, b)| a - b);
    }
    if let Some(dir) = &cli.data_dir {
        let (apparent, allocated) = procstat::disk_usage(dir)?;
        v.data_dir = Some(dir.display().to_string());
        v.disk_bytes_before = disk_before.map(|d| d.0);
        v.disk_bytes = Some(apparent);
        v.disk_bytes_allocated = Some(allocated);
        let per = v.stored_delta.unwrap_or(accepted as f64);
        v.disk_bytes_per_event = (per > 0.0).then(|| apparent as f64 / per);
        if v.stored_delta.is_none() {
            report
                .notes
                .push("bytes per event divided by accepted (no stored figure)".into());
        }
    }

    let r = &mut report.requests;
    r.sent = st.sent;
    r.accepted = accepted;
    r.rejected = st
        .statuses
        .iter()
        .enumerate()
        .filter(|&(code, &n)| n > 0 && code != 200)
        .map(|(code, &n)| (code as u16, n))
        .collect();
    r.transport_errors = st.transport_errors;
    r.reconnects = st.reconnects;
    r.backoffs = st.backoffs;
    r.backoff_s = st.backoff_time.as_secs_f64();
    r.load_s = load_s;
    r.sent_per_s = st.sent as f64 / load_s;
    r.accepted_per_s = accepted as f64 / load_s;
    r.pool_exhausted = outcome.pool_exhausted;
    r.bench_cpu_s = procstat::cpu_seconds("self")
        .zip(self_cpu_before)
        .map(|(a, b)| a - b);
    report.latency_ms = Latency::from_us(&st.latency_us);
    report.per_second = st
        .per_second
        .iter()
        .map(|&(ok, slow)| report::Second { ok, slow })
        .collect();
    report.timeline_ms = cli.timeline.as_millis() as u64;
    if cli.rate.is_some() {
        report.schedule_lag_ms = Some(Latency::from_us(&st.lag_us));
    }
    if outcome.pool_exhausted {
        report.notes.push(format!(
            "ran out of pre-built bodies after {:.1} s; raise --pool for a full-length run",
            (outcome.ended - outcome.started).as_secs_f64()
        ));
    }
    if let Some(rate) = cli.rate {
        if r.sent_per_s < rate * 0.95 {
            report.notes.push(format!(
                "sent {:.0}/s, below the {rate:.0}/s target (server or generator saturated)",
                r.sent_per_s
            ));
        }
    }
    if report.server.loss.is_some_and(|l| l != 0.0) {
        report
            .notes
            .push("LOSS: the server answered 200 for events it did not store".into());
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20s").unwrap(), Duration::from_secs(20));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn timeline_slots_are_at_least_10ms() {
        assert_eq!(parse_timeline("50ms").unwrap(), Duration::from_millis(50));
        assert_eq!(parse_timeline("1s").unwrap(), Duration::from_secs(1));
        assert!(parse_timeline("5ms").is_err());
        assert!(parse_timeline("0.0001ms").is_err());
    }
}
