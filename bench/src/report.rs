//! The figures of one run, printed as a table or as one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

#[derive(Serialize, Default)]
pub struct Report {
    pub scenario: Scenario,
    pub requests: Requests,
    pub latency_ms: Latency,
    /// Open loop (`--rate`) only: lateness of sends against the schedule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_lag_ms: Option<Latency>,
    /// For each second (each `timeline_ms`) of the load phase: requests answered 200 and how
    /// many of them took longer than [`crate::load::SLOW`].
    pub per_second: Vec<Second>,
    /// Length of one `per_second` slot, milliseconds (1,000 unless `--timeline` says).
    pub timeline_ms: u64,
    pub server: Server,
    pub notes: Vec<String>,
}

#[derive(Serialize, Default, Clone, Copy)]
pub struct Second {
    pub ok: u64,
    pub slow: u64,
}

#[derive(Serialize, Default)]
pub struct Scenario {
    pub url: String,
    pub mix: String,
    pub concurrency: usize,
    pub duration_s: f64,
    pub rate_target: Option<f64>,
    pub pool_bodies: usize,
    pub pool_mib: f64,
    pub corpus_events: BTreeMap<String, usize>,
    pub corpus_mean_bytes: BTreeMap<String, usize>,
    /// Session / client-report envelopes in the corpus, not replayed.
    pub corpus_skipped_non_event: usize,
}

#[derive(Serialize, Default)]
pub struct Requests {
    pub sent: u64,
    pub accepted: u64,
    /// Non-200 responses by status code.
    pub rejected: BTreeMap<u16, u64>,
    pub transport_errors: u64,
    pub reconnects: u64,
    pub backoffs: u64,
    pub backoff_s: f64,
    pub load_s: f64,
    pub sent_per_s: f64,
    pub accepted_per_s: f64,
    pub pool_exhausted: bool,
    pub bench_cpu_s: Option<f64>,
}

#[derive(Serialize, Default, Clone, Copy)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

#[derive(Serialize, Default)]
pub struct Server {
    pub metrics_available: bool,
    pub accepted_delta: Option<f64>,
    pub stored_delta: Option<f64>,
    pub duplicate_delta: Option<f64>,
    /// First request → moment storing finished.
    pub end_to_end_s: Option<f64>,
    pub stored_per_s: Option<f64>,
    /// Accepted (200s counted by the bench) − stored delta; must be 0.
    pub loss: Option<f64>,
    pub drain_timed_out: bool,
    pub pid: Option<u32>,
    pub rss_before_kib: Option<u64>,
    pub rss_peak_sampled_kib: Option<u64>,
    pub rss_after_kib: Option<u64>,
    pub vm_hwm_kib: Option<u64>,
    pub cpu_s: Option<f64>,
    pub data_dir: Option<String>,
    pub disk_bytes_before: Option<u64>,
    pub disk_bytes: Option<u64>,
    pub disk_bytes_allocated: Option<u64>,
    pub disk_bytes_per_event: Option<f64>,
}

impl Latency {
    pub fn from_us(h: &hdrhistogram::Histogram<u64>) -> Latency {
        if h.is_empty() {
            return Latency::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Latency {
            p50: ms(h.value_at_quantile(0.50)),
            p90: ms(h.value_at_quantile(0.90)),
            p99: ms(h.value_at_quantile(0.99)),
            max: ms(h.max()),
            mean: h.mean() / 1000.0,
        }
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| v.to_string())
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(
        || "n/a".to_string(),
        |k| format!("{:.1} MiB", k as f64 / 1024.0),
    )
}

impl Report {
    pub fn table(&self) -> String {
        let mut o = String::new();
        let s = &self.scenario;
        let r = &self.requests;
        let v = &self.server;
        let mut row = |k: &str, v: String| {
            let _ = writeln!(o, "  {k:<34} {v}");
        };
        row("target", s.url.clone());
        row("mix", s.mix.clone());
        row(
            "concurrency / duration",
            format!("{} / {:.1} s", s.concurrency, s.duration_s),
        );
        row(
            "target rate",
            s.rate_target.map_or("closed loop".into(), |r| {
                format!("{r:.0} events/s (open loop)")
            }),
        );
        row(
            "corpus events (per SDK)",
            format!(
                "{:?} (+{} non-event, not sent)",
                s.corpus_events, s.corpus_skipped_non_event
            ),
        );
        row(
            "pre-built bodies",
            format!("{} ({:.1} MiB)", s.pool_bodies, s.pool_mib),
        );
        row("events sent", r.sent.to_string());
        row("accepted (200)", r.accepted.to_string());
        let rejected = if r.rejected.is_empty() {
            "none".to_string()
        } else {
            format!("{:?}", r.rejected)
        };
        row("rejected by status", rejected);
        row(
            "transport errors / reconnects",
            format!("{} / {}", r.transport_errors, r.reconnects),
        );
        row(
            "back-offs (429/503)",
            format!("{} ({:.1} s)", r.backoffs, r.backoff_s),
        );
        row("load phase", format!("{:.2} s", r.load_s));
        row("accepted events/s", format!("{:.0}", r.accepted_per_s));
        let l = &self.latency_ms;
        row(
            "accept latency p50/p90/p99/max",
            format!(
                "{:.2} / {:.2} / {:.2} / {:.2} ms",
                l.p50, l.p90, l.p99, l.max
            ),
        );
        if let Some(g) = &self.schedule_lag_ms {
            row(
                "schedule lag p50/p99/max",
                format!("{:.2} / {:.2} / {:.2} ms", g.p50, g.p99, g.max),
            );
        }
        if self.per_second.iter().any(|s| s.slow > 0) {
            let slow: Vec<String> = self.per_second.iter().map(|s| s.slow.to_string()).collect();
            let each = match self.timeline_ms {
                1000 => "second".to_owned(),
                ms => format!("{ms} ms"),
            };
            let label = format!(
                "requests > {} ms, each {each}",
                crate::load::SLOW.as_millis()
            );
            row(&label, slow.join(" "));
        }
        row("server accepted delta (/metrics)", opt(v.accepted_delta));
        row("server stored delta (/metrics)", opt(v.stored_delta));
        if v.duplicate_delta.is_some_and(|d| d != 0.0) {
            row("server duplicates delta", opt(v.duplicate_delta));
        }
        row(
            "end to end (first req → stored)",
            v.end_to_end_s.map_or("n/a".into(), |t| format!("{t:.2} s")),
        );
        row(
            "stored events/s (end to end)",
            v.stored_per_s.map_or("n/a".into(), |x| format!("{x:.0}")),
        );
        row("loss (accepted − stored)", opt(v.loss));
        row(
            "server RSS before / peak / after",
            format!(
                "{} / {} / {}",
                mib(v.rss_before_kib),
                mib(v.rss_peak_sampled_kib),
                mib(v.rss_after_kib)
            ),
        );
        row("server VmHWM", mib(v.vm_hwm_kib));
        row(
            "server CPU during run",
            v.cpu_s.map_or("n/a".into(), |c| format!("{c:.2} s")),
        );
        row(
            "bench CPU during run",
            r.bench_cpu_s.map_or("n/a".into(), |c| format!("{c:.2} s")),
        );
        row(
            "disk total (apparent / allocated)",
            match (v.disk_bytes, v.disk_bytes_allocated) {
                (Some(a), Some(b)) => format!(
                    "{:.2} MiB / {:.2} MiB",
                    a as f64 / 1048576.0,
                    b as f64 / 1048576.0
                ),
                _ => "n/a".into(),
            },
        );
        row(
            "disk bytes per stored event",
            v.disk_bytes_per_event
                .map_or("n/a".into(), |b| format!("{b:.0}")),
        );
        for n in &self.notes {
            let _ = writeln!(o, "  note: {n}");
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_timeline(ms: u64) -> Report {
        Report {
            per_second: vec![Second { ok: 10, slow: 0 }, Second { ok: 9, slow: 4 }],
            timeline_ms: ms,
            ..Report::default()
        }
    }

    #[test]
    fn the_slow_request_timeline_names_its_slot_length() {
        let table = with_timeline(1000).table();
        assert!(table.contains("requests > 25 ms, each second"), "{table}");
        assert!(table.contains(" 0 4\n"), "{table}");
        let table = with_timeline(50).table();
        assert!(table.contains("requests > 25 ms, each 50 ms"), "{table}");
        assert!(!with_timeline(50).table().contains("each second"));
    }
}
