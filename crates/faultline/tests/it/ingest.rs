//! The ingest protocol: auth forms, encodings, answers.

use std::io::Write;

use faultline_testkit::{envelope_with_event, TestServer};
use serde_json::{json, Value};

use crate::{new_id, python_event};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 4, 22);
        w.write_all(data).unwrap();
    }
    out
}

#[test]
fn envelope_answers_exactly_200_with_the_event_id_and_stores_it() {
    let s = TestServer::start();
    let ev = python_event("ValueError", "bad thing", 10);
    let id = ev["event_id"].as_str().unwrap().to_owned();
    let r = s.post_envelope(envelope_with_event(&ev));
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({ "id": id }));
    assert_eq!(
        s.stored_events(),
        1,
        "a 200 means the event is already stored"
    );
    let got = s.api_get(&format!("/api/0/projects/default/default/events/{id}/"));
    assert_eq!(got["eventID"], id);
}

#[test]
fn every_auth_form_is_accepted() {
    let s = TestServer::start();
    let env = |ev: &Value| envelope_with_event(ev);
    // X-Sentry-Auth
    assert_eq!(
        s.post_envelope(env(&python_event("A", "x", 1))).status(),
        200
    );
    // Authorization: Sentry
    let r = s
        .http()
        .post(s.envelope_url())
        .header("Authorization", s.auth_header())
        .body(env(&python_event("A", "x", 1)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // Query string, as browser and Node SDKs send it.
    let url = format!(
        "{}?sentry_key={}&sentry_version=7&sentry_client=sentry.javascript.node%2F10.0.0",
        s.envelope_url(),
        s.key
    );
    let r = s
        .http()
        .post(&url)
        .body(env(&python_event("A", "x", 1)))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    // The dsn in the envelope header, nothing else.
    let ev = python_event("A", "x", 1);
    let payload = serde_json::to_vec(&ev).unwrap();
    let body = format!(
        "{{\"event_id\":\"{}\",\"dsn\":\"{}\"}}\n{{\"type\":\"event\"}}\n{}\n",
        ev["event_id"].as_str().unwrap(),
        s.dsn,
        String::from_utf8(payload).unwrap()
    );
    let r = s.http().post(s.envelope_url()).body(body).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.stored_events(), 4);
}

#[test]
fn every_content_encoding_is_decoded() {
    let s = TestServer::start();
    type Encode = fn(&[u8]) -> Vec<u8>;
    let cases: Vec<(&str, Encode)> = vec![
        ("gzip", gzip),
        ("x-gzip", gzip),
        ("deflate", zlib),
        ("deflate", raw_deflate),
        ("br", brotli),
        ("zstd", |d| zstd::encode_all(d, 3).unwrap()),
        ("", |d| d.to_vec()),
        ("identity", |d| d.to_vec()),
    ];
    for (enc, f) in &cases {
        let body = f(&envelope_with_event(&python_event("EncodingError", enc, 3)));
        let r = s
            .http()
            .post(s.envelope_url())
            .header("X-Sentry-Auth", s.auth_header())
            .header("Content-Encoding", *enc)
            .body(body)
            .send()
            .unwrap();
        assert_eq!(
            r.status(),
            200,
            "encoding {enc:?}: {}",
            r.text().unwrap_or_default()
        );
    }
    assert_eq!(s.stored_events(), cases.len() as u64);
}

#[test]
fn chunked_bodies_are_read() {
    let s = TestServer::start();
    let body = envelope_with_event(&python_event("ChunkError", "x", 3));
    // A reader body has no known length: reqwest sends it with Transfer-Encoding: chunked.
    let stream = reqwest::blocking::Body::new(std::io::Cursor::new(body));
    let r = s.post_envelope(stream);
    assert_eq!(r.status(), 200);
    assert_eq!(s.stored_events(), 1);
}

#[test]
fn store_endpoint_takes_json_base64_and_get_beacons() {
    use base64::Engine;
    let s = TestServer::start();
    let ev = python_event("StoreError", "plain", 5);
    let r = s
        .http()
        .post(s.store_url())
        .header("X-Sentry-Auth", s.auth_header())
        .json(&ev)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["id"], ev["event_id"]);
    let ev2 = python_event("StoreError", "zlib+base64", 5);
    let b64 =
        base64::engine::general_purpose::STANDARD.encode(zlib(&serde_json::to_vec(&ev2).unwrap()));
    let r = s
        .http()
        .post(s.store_url())
        .header("X-Sentry-Auth", s.auth_header())
        .body(b64)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let ev3 = python_event("StoreError", "get", 5);
    let data: String = serde_json::to_string(&ev3).unwrap();
    let r = s
        .http()
        .get(s.store_url())
        .query(&[
            ("sentry_key", s.key.as_str()),
            ("sentry_version", "7"),
            ("sentry_data", data.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/gif");
    // An envelope posted to /store/ with the envelope content type.
    let ev4 = python_event("StoreError", "envelope", 5);
    let r = s
        .http()
        .post(s.store_url())
        .header("X-Sentry-Auth", s.auth_header())
        .header("Content-Type", "application/x-sentry-envelope")
        .body(envelope_with_event(&ev4))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(s.stored_events(), 4);
}

#[test]
fn envelope_without_event_answers_empty_object_and_keeps_sessions() {
    let s = TestServer::start();
    let now = chrono::Utc::now().to_rfc3339();
    let body = format!(
        "{{\"sdk\":{{\"name\":\"sentry.python\",\"version\":\"2.40.0\"}}}}\n{{\"type\":\"session\"}}\n{{\"sid\":\"{}\",\"init\":true,\"started\":\"{now}\",\"timestamp\":\"{now}\",\"status\":\"crashed\",\"errors\":1,\"attrs\":{{\"release\":\"shop@1.0.0\",\"environment\":\"production\"}}}}\n{{\"type\":\"client_report\"}}\n{{\"timestamp\":\"{now}\",\"discarded_events\":[{{\"reason\":\"queue_overflow\",\"category\":\"error\",\"quantity\":3}}]}}\n{{\"type\":\"mystery_future_item\",\"length\":3}}\nabc\n",
        new_id()
    );
    let r = s.post_envelope(body);
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap(), json!({}));
    let sessions = s.api_get("/api/0/projects/default/default/sessions/");
    assert_eq!(sessions[0]["total"], 1);
    assert_eq!(sessions[0]["crashed"], 1);
    assert_eq!(sessions[0]["release"], "shop@1.0.0");
    let agents = s.api_get("/api/0/projects/default/default/agents/");
    assert_eq!(agents[0]["sdk_name"], "sentry.python");
}

#[test]
fn cors_preflight_is_answered_and_rate_limit_headers_exposed() {
    let s = TestServer::start();
    let r = s
        .http()
        .request(reqwest::Method::OPTIONS, s.envelope_url())
        .header("Origin", "https://shop.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, x-sentry-auth",
        )
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let ev = python_event("CorsError", "x", 1);
    let r = s
        .http()
        .post(s.envelope_url())
        .header("Origin", "https://shop.example")
        .header("X-Sentry-Auth", s.auth_header())
        .body(envelope_with_event(&ev))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let exposed = r.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        exposed.contains("x-sentry-rate-limits") && exposed.contains("retry-after"),
        "{exposed}"
    );
}

#[test]
fn duplicate_event_ids_are_stored_once() {
    let s = TestServer::start();
    let ev = python_event("DupError", "x", 1);
    for _ in 0..3 {
        assert_eq!(s.post_envelope(envelope_with_event(&ev)).status(), 200);
    }
    assert_eq!(s.stored_events(), 1);
    let issues = s.issues("DupError");
    assert_eq!(issues[0]["count"], "1");
}

#[test]
fn per_key_rate_limit_answers_429_with_sentry_headers() {
    let s = TestServer::start();
    let r = s.api_put(
        &format!("/api/0/projects/default/default/keys/{}/", s.key),
        &json!({"rateLimit": {"count": 3, "window": 60}}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap()["rateLimit"],
        json!({"count": 3, "window": 60})
    );
    let mut statuses = Vec::new();
    let mut limited = None;
    for i in 0..5 {
        let r = s.post_envelope(envelope_with_event(&python_event("RateError", "x", i)));
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            limited = Some(r);
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 429, 429]);
    let r = limited.unwrap();
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let limits = r.headers()["x-sentry-rate-limits"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        limits.starts_with(&format!("{retry}:")) && limits.ends_with(":key"),
        "{limits}"
    );
    assert!(r.json::<Value>().unwrap()["detail"]
        .as_str()
        .unwrap()
        .contains("rate limit"));
    assert_eq!(s.stored_events(), 3);
}

#[test]
fn saturated_writer_answers_429_with_retry_after_and_loses_nothing_accepted() {
    // A queue of one event: concurrent requests must be refused, not dropped.
    let s = TestServer::start_with(|c| c.queue_capacity = 1);
    let accepted = std::sync::Mutex::new(Vec::new());
    let refused = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        for t in 0..8 {
            let (s, accepted, refused) = (&s, &accepted, &refused);
            scope.spawn(move || {
                for i in 0..25 {
                    let ev = python_event("SaturationError", &format!("{t}-{i}"), 1);
                    let r = s.post_envelope(envelope_with_event(&ev));
                    match r.status().as_u16() {
                        200 => accepted
                            .lock()
                            .unwrap()
                            .push(ev["event_id"].as_str().unwrap().to_owned()),
                        429 => {
                            assert!(r.headers().contains_key("retry-after"));
                            refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        other => panic!("unexpected status {other}"),
                    }
                }
            });
        }
    });
    let accepted = accepted.into_inner().unwrap();
    assert_eq!(
        s.stored_events(),
        accepted.len() as u64,
        "every 200 is stored, nothing else is"
    );
    assert!(accepted.len() + refused.into_inner() as usize == 200);
}

#[test]
fn attachments_are_stored_with_their_event() {
    let s = TestServer::start();
    let ev = python_event("AttachError", "x", 1);
    let id = ev["event_id"].as_str().unwrap().to_owned();
    let payload = serde_json::to_vec(&ev).unwrap();
    let log = b"line one\nline two\r\n";
    let mut body = format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n",
        payload.len()
    )
    .into_bytes();
    body.extend_from_slice(&payload);
    body.extend_from_slice(format!("\n{{\"type\":\"attachment\",\"length\":{},\"filename\":\"app.log\",\"content_type\":\"text/plain\"}}\n", log.len()).as_bytes());
    body.extend_from_slice(log);
    body.push(b'\n');
    assert_eq!(s.post_envelope(body).status(), 200);
    let list = s.api_get(&format!(
        "/api/0/projects/default/default/events/{id}/attachments/"
    ));
    assert_eq!(
        list,
        json!([{"id": list[0]["id"], "name": "app.log", "type": "event.attachment", "size": log.len(), "mimetype": "text/plain"}])
    );
}

#[test]
fn scrubbing_can_be_turned_off_and_extended_per_project() {
    let s = TestServer::start();
    let mut ev = python_event("ScrubError", "x", 1);
    ev["extra"] = json!({"internal_ref": "ref-123", "password": "pw-1"});
    let r = s.api_put(
        "/api/0/projects/default/default/",
        &json!({"sensitiveFields": ["internal_ref"]}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().unwrap()["sensitiveFields"],
        json!(["internal_ref"])
    );
    assert_eq!(s.post_envelope(envelope_with_event(&ev)).status(), 200);
    let got = s.api_get(&format!(
        "/api/0/projects/default/default/events/{}/",
        ev["event_id"].as_str().unwrap()
    ));
    assert_eq!(got["context"]["internal_ref"], "[Filtered]");
    assert_eq!(got["context"]["password"], "[Filtered]");
    let r = s.api_put(
        "/api/0/projects/default/default/",
        &json!({"dataScrubber": false}),
    );
    assert_eq!(r.json::<Value>().unwrap()["dataScrubber"], false);
    let mut ev2 = ev.clone();
    ev2["event_id"] = json!(crate::new_id());
    assert_eq!(s.post_envelope(envelope_with_event(&ev2)).status(), 200);
    let got = s.api_get(&format!(
        "/api/0/projects/default/default/events/{}/",
        ev2["event_id"].as_str().unwrap()
    ));
    assert_eq!(
        got["context"]["password"], "pw-1",
        "scrubbing off keeps values as sent"
    );
    assert_eq!(
        s.api_put(
            "/api/0/projects/default/default/",
            &json!({"dataScrubber": "yes"})
        )
        .status(),
        400
    );
}
