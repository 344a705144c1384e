//! Formatting for pages: HTML escaping for the fragments built in Rust, times, counts, charts.

use std::fmt::Write;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    esc_into(&mut out, s);
    out
}

/// Appends `s` escaped to `out`.
pub fn esc_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
}

/// A URL from an event that may become a link: only absolute http(s) URLs.
pub fn safe_url(raw: &str) -> Option<&str> {
    let t = raw.trim();
    let lower = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
        && !t.chars().any(|c| c.is_control() || c.is_whitespace());
    ok.then_some(t)
}

/// `3s ago`, `5m ago`, `2h ago`, `4d ago`, or a date for older times.
pub fn ago(ts: f64, now: f64) -> String {
    let d = (now - ts).max(0.0);
    if d < 60.0 {
        format!("{}s ago", d as i64)
    } else if d < 3600.0 {
        format!("{}m ago", (d / 60.0) as i64)
    } else if d < 86400.0 {
        format!("{}h ago", (d / 3600.0) as i64)
    } else if d < 60.0 * 86400.0 {
        format!("{}d ago", (d / 86400.0) as i64)
    } else {
        date(ts)
    }
}

/// `2026-11-21 08:12:53 UTC`.
pub fn datetime(ts: f64) -> String {
    chrono::DateTime::from_timestamp(ts.floor() as i64, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// `08:12:53.120` for breadcrumbs.
pub fn clock(ts: f64) -> String {
    chrono::DateTime::from_timestamp_millis((ts * 1000.0).round() as i64)
        .map(|d| d.format("%H:%M:%S%.3f").to_string())
        .unwrap_or_default()
}

/// `2026-11-21`.
pub fn date(ts: f64) -> String {
    chrono::DateTime::from_timestamp(ts.floor() as i64, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `987`, `1.2k`, `34k`, `1.5M`.
pub fn count(n: i64) -> String {
    let f = n as f64;
    if n < 1000 {
        n.to_string()
    } else if n < 10_000 {
        format!("{:.1}k", f / 1000.0)
    } else if n < 1_000_000 {
        format!("{}k", n / 1000)
    } else {
        format!("{:.1}M", f / 1e6)
    }
}

/// A small bar chart (inline SVG, attributes only: the CSP forbids inline styles).
pub fn sparkline(buckets: &[i64], width: u32, height: u32) -> String {
    bars(buckets, width, height, None)
}

/// A larger bar chart with a label under it: each bar titled with its count and time.
pub fn chart(buckets: &[(f64, i64)], width: u32, height: u32, daily: bool) -> String {
    let counts: Vec<i64> = buckets.iter().map(|(_, c)| *c).collect();
    let titles: Vec<String> = buckets
        .iter()
        .map(|(t, c)| {
            let when = if daily { date(*t) } else { datetime(*t) };
            format!("{c} events, {when}")
        })
        .collect();
    bars(&counts, width, height, Some(&titles))
}

fn bars(buckets: &[i64], width: u32, height: u32, titles: Option<&[String]>) -> String {
    let max = buckets.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = buckets.len().max(1) as f64;
    let w = width as f64 / n;
    let mut s = format!(
        "<svg class=\"bars\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"events over time\">"
    );
    for (i, c) in buckets.iter().enumerate() {
        let h = if *c == 0 {
            1.0
        } else {
            ((*c as f64 / max) * (height as f64 - 1.0)).max(2.0)
        };
        let class = if *c == 0 { "bar zero" } else { "bar" };
        let _ = write!(
            s,
            "<rect class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\">",
            i as f64 * w + 0.5,
            height as f64 - h,
            (w - 1.0).max(1.0)
        );
        if let Some(t) = titles.and_then(|t| t.get(i)) {
            s.push_str("<title>");
            esc_into(&mut s, t);
            s.push_str("</title>");
        }
        s.push_str("</rect>");
    }
    s.push_str("</svg>");
    s
}

/// Buckets hourly `(hour start, count)` rows into `n` buckets of `size` seconds ending now.
pub fn bucket(rows: &[(i64, i64)], now: f64, n: usize, size: f64) -> Vec<(f64, i64)> {
    let end = (now / size).floor() * size + size;
    let start = end - n as f64 * size;
    let mut out: Vec<(f64, i64)> = (0..n).map(|i| (start + i as f64 * size, 0)).collect();
    for (hour, c) in rows {
        let h = *hour as f64;
        if h >= start && h < end {
            let i = ((h - start) / size) as usize;
            if let Some(b) = out.get_mut(i) {
                b.1 += c;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x")</script>&'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;"
        );
    }

    #[test]
    fn only_http_urls_are_linked() {
        assert_eq!(
            safe_url("https://shop.example/a?b=1"),
            Some("https://shop.example/a?b=1")
        );
        assert_eq!(safe_url(" HTTP://x.test/ "), Some("HTTP://x.test/"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<b>",
            "//evil.test/x",
            "/relative",
            "http://x.test/\nfoo",
            "vbscript:x",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_counts_and_ages() {
        assert_eq!(count(999), "999");
        assert_eq!(count(1234), "1.2k");
        assert_eq!(count(34_567), "34k");
        assert_eq!(count(1_500_000), "1.5M");
        assert_eq!(ago(100.0, 130.0), "30s ago");
        assert_eq!(ago(0.0, 7200.0), "2h ago");
        assert_eq!(datetime(0.0), "1970-01-01 00:00:00 UTC");
    }

    #[test]
    fn buckets_and_bars() {
        let now = 10.0 * 3600.0 + 5.0;
        let b = bucket(&[(9 * 3600, 3), (10 * 3600, 2), (3600, 7)], now, 3, 3600.0);
        assert_eq!(b.iter().map(|x| x.1).collect::<Vec<_>>(), vec![0, 3, 2]);
        let svg = sparkline(&[0, 3, 2], 60, 20);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(!svg.contains("style"));
        let titled = chart(&[(0.0, 1)], 10, 10, true);
        assert!(titled.contains("<title>1 events, 1970-01-01</title>"));
    }
}
