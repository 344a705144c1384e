//! Bad input: each gets a clear 4xx with a JSON `detail`, and nothing else is harmed — the
//! events sent around them are all stored.

use std::io::Write;

use faultline_testkit::{envelope_with_event, TestServer};
use serde_json::Value;

use crate::python_event;

/// Sends `body` with extra headers; returns status and detail.
fn post(s: &TestServer, body: Vec<u8>, headers: &[(&str, &str)]) -> (u16, String) {
    let mut req = s
        .http()
        .post(s.envelope_url())
        .header("X-Sentry-Auth", s.auth_header());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.body(body).send().unwrap();
    let status = r.status().as_u16();
    let text = r.text().unwrap_or_default();
    let detail = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("status {status}: body is not a JSON detail: {text}"));
    (status, detail)
}

fn good(s: &TestServer) {
    let r = s.post_envelope(envelope_with_event(&python_event(
        "GoodError",
        "still fine",
        1,
    )));
    assert_eq!(r.status(), 200);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn malformed_envelopes_get_400_saying_what_and_where() {
    let s = TestServer::start();
    let ev = serde_json::to_vec(&python_event("X", "y", 1)).unwrap();
    let with = |header: &str, item_header: &str, payload: &[u8]| {
        let mut b = format!("{header}\n{item_header}\n").into_bytes();
        b.extend_from_slice(payload);
        b
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("header not JSON", b"{not json\n".to_vec(), "header"),
        ("header not an object", b"[1,2]\n".to_vec(), "header"),
        (
            "item header not JSON",
            with("{}", "{\"type\":", &ev),
            "item 1",
        ),
        (
            "item header without type",
            with("{}", "{\"length\":3}", b"abc"),
            "item 1",
        ),
        (
            "length beyond the body",
            with("{}", "{\"type\":\"event\",\"length\":99999}", &ev),
            "item 1",
        ),
        (
            "no newline after payload",
            with("{}", "{\"type\":\"attachment\",\"length\":2}", b"abcdef"),
            "item 1",
        ),
        (
            "truncated event JSON",
            with("{}", "{\"type\":\"event\"}", &ev[..ev.len() / 2]),
            "item 1",
        ),
        (
            "event is not an object",
            with("{}", "{\"type\":\"event\"}", b"[1,2,3]"),
            "item 1",
        ),
        (
            "event is not JSON",
            with("{}", "{\"type\":\"event\"}", b"\xff\xfe garbage"),
            "item 1",
        ),
        (
            "negative length",
            with("{}", "{\"type\":\"event\",\"length\":-5}", &ev),
            "item 1",
        ),
    ];
    for (name, body, needle) in cases {
        let (status, detail) = post(&s, body, &[]);
        assert_eq!(status, 400, "{name}: {detail}");
        assert!(
            detail.contains(needle),
            "{name}: detail {detail:?} should mention {needle:?}"
        );
        good(&s);
    }
    assert_eq!(s.stored_events(), 10);
}

#[test]
fn bad_compression_is_400_and_bombs_are_413() {
    let s = TestServer::start();
    let (status, detail) = post(
        &s,
        b"definitely not gzip".to_vec(),
        &[("Content-Encoding", "gzip")],
    );
    assert_eq!(status, 400, "{detail}");
    let (status, _) = post(
        &s,
        b"\x1f\x8b\x08\x00\x00\x00".to_vec(),
        &[("Content-Encoding", "gzip")],
    );
    assert_eq!(status, 400);
    let (status, _) = post(&s, b"nope".to_vec(), &[("Content-Encoding", "br")]);
    assert_eq!(status, 400);
    let (status, _) = post(&s, b"nope".to_vec(), &[("Content-Encoding", "zstd")]);
    assert_eq!(status, 400);
    let (status, detail) = post(&s, b"x".to_vec(), &[("Content-Encoding", "lzma")]);
    assert_eq!(status, 400, "{detail}");
    good(&s);
    // 1 GiB of zeros compresses to about 1 MiB of gzip: refused once it passes the cap.
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        e.write_all(&zeros).unwrap();
    }
    let bomb = e.finish().unwrap();
    assert!(bomb.len() < 2 << 20);
    let started = std::time::Instant::now();
    let (status, detail) = post(&s, bomb, &[("Content-Encoding", "gzip")]);
    assert_eq!(status, 413, "{detail}");
    assert!(detail.contains("limit"), "{detail}");
    eprintln!("bomb refused after {:?}", started.elapsed());
    good(&s);
    assert_eq!(s.stored_events(), 2);
}

#[test]
fn oversize_bodies_events_and_attachments_are_413() {
    let s = TestServer::start_with(|c| {
        c.limits.max_body = 256 * 1024;
        c.limits.max_attachment = 1024;
    });
    let (status, detail) = post(&s, vec![b'x'; 300 * 1024], &[]);
    assert_eq!(status, 413, "{detail}");
    // A 1.5 MiB event, gzipped below the body limit, is over the 1 MiB event limit.
    let mut ev = python_event("Big", "y", 1);
    ev["extra"] = serde_json::json!({ "blob": "a".repeat(1536 * 1024) });
    let (status, detail) = post(
        &s,
        gzip(&envelope_with_event(&ev)),
        &[("Content-Encoding", "gzip")],
    );
    assert_eq!(status, 413, "{detail}");
    assert!(detail.contains("item 1"), "{detail}");
    let att = format!(
        "{{}}\n{{\"type\":\"attachment\",\"length\":2048,\"filename\":\"a.bin\"}}\n{}\n",
        "z".repeat(2048)
    );
    let (status, detail) = post(&s, att.into_bytes(), &[]);
    assert_eq!(status, 413, "{detail}");
    good(&s);
    assert_eq!(s.stored_events(), 1);
}

#[test]
fn wrong_keys_and_projects_are_401_or_403() {
    let s = TestServer::start();
    let body = || envelope_with_event(&python_event("AuthError", "x", 1));
    let send = |url: String, auth: Option<String>| {
        let mut req = s.http().post(url);
        if let Some(a) = auth {
            req = req.header("X-Sentry-Auth", a);
        }
        let r = req.body(body()).send().unwrap();
        let status = r.status().as_u16();
        let v: Value = r.json().unwrap();
        assert!(v["detail"].is_string());
        status
    };
    assert_eq!(send(s.envelope_url(), None), 401, "no auth at all");
    assert_eq!(
        send(
            s.envelope_url(),
            Some("Sentry sentry_key=00000000000000000000000000000000, sentry_version=7".into())
        ),
        401
    );
    assert_eq!(
        send(s.envelope_url(), Some("Sentry sentry_version=7".into())),
        401,
        "no key"
    );
    assert_eq!(send(s.envelope_url(), Some("Bogus".into())), 401);
    assert_eq!(
        send(
            format!("{}/api/999/envelope/", s.url),
            Some(s.auth_header())
        ),
        403,
        "key of another project"
    );
    assert_eq!(
        send(
            format!("{}/api/abc/envelope/", s.url),
            Some(s.auth_header())
        ),
        400,
        "non-numeric project"
    );
    assert_eq!(
        send(
            s.envelope_url(),
            Some(format!("Sentry sentry_key={}, sentry_version=99", s.key))
        ),
        400
    );
    // Two different keys in two places.
    let url = format!(
        "{}?sentry_key=11111111111111111111111111111111",
        s.envelope_url()
    );
    assert_eq!(send(url, Some(s.auth_header())), 401);
    // A revoked key.
    let store = s.store.clone();
    let key = s.key.clone();
    let dsn = s.runtime.block_on(async move {
        let k = store.key_by_public(&key).await.unwrap().unwrap();
        let k2 = store.create_key(k.project_id, "second").await.unwrap();
        store.revoke_key(k2.id).await.unwrap();
        k2.public_key
    });
    assert_eq!(
        send(
            s.envelope_url(),
            Some(format!("Sentry sentry_key={dsn}, sentry_version=7"))
        ),
        403
    );
    good(&s);
    assert_eq!(s.stored_events(), 1);
}

#[test]
fn odd_but_valid_event_shapes_are_accepted() {
    let s = TestServer::start();
    let now = chrono::Utc::now();
    let shapes = [
        serde_json::json!({"message": "plain string message", "timestamp": now.to_rfc3339()}),
        serde_json::json!({"message": {"message": "Processed %s items", "params": [5]}, "tags": [["a", "b"], ["c", 1]]}),
        serde_json::json!({"exception": [{"type": "BareList", "value": "x"}], "breadcrumbs": [{"message": "crumb"}], "user": {"id": 7}}),
        serde_json::json!({"exception": {"values": [{"type": "NullFrames", "stacktrace": {"frames": null}}]}, "fingerprint": ["a", 3, null, true]}),
        serde_json::json!({"logentry": {"formatted": "x"}, "timestamp": "2001-01-01T00:00:00", "level": "warn", "platform": "made-up"}),
        serde_json::json!({"request": {"headers": [["A", "b"]], "query_string": {"q": "1"}, "cookies": "a=b; c=d"}, "message": "req"}),
        serde_json::json!({"exception": {"values": [{"type": "Deep", "value": "x"}]}, "extra": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": 1}}}}}}}}}}),
        serde_json::json!({}),
    ];
    for (i, body) in shapes.iter().enumerate() {
        let r = s
            .http()
            .post(s.store_url())
            .header("X-Sentry-Auth", s.auth_header())
            .json(body)
            .send()
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "shape {i}: {}",
            r.text().unwrap_or_default()
        );
    }
    assert_eq!(s.stored_events(), shapes.len() as u64);
}
