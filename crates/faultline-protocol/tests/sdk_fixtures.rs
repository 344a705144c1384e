//! Envelopes captured from the real sentry-python SDK (2.75.0), parsed and normalized end to
//! end. The fixtures were written by a file transport; machine paths were rewritten to `/app`
//! and item lengths recomputed. The SDK's own scrubber was turned off so that ours is tested.

use faultline_protocol::{
    decode_body, normalize_event, parse_session_item, Envelope, Level, NormalizeOptions,
    NormalizedEvent,
};
use serde_json::{json, Value};

const FALLBACK_ID: &str = "ffffffffffffffffffffffffffffffff";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Parses an envelope and normalizes its event as the server would, received 0.5 s after it
/// was sent.
fn ingest(bytes: &[u8]) -> NormalizedEvent {
    let envelope = Envelope::parse(bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(envelope.items.len(), 1);
    let item = envelope.event_item().expect("event item");
    assert_eq!(item.content_type(), Some("application/json"));
    let sent_at = envelope.headers.sent_at.expect("sent_at");
    let mut opts = NormalizeOptions::new(sent_at + 0.5, FALLBACK_ID);
    opts.sent_at = Some(sent_at);
    opts.event_id = envelope.headers.event_id.clone();
    opts.client_ip = Some("192.0.2.10".into());
    let event = normalize_event(item.payload, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(Some(&event.event_id), envelope.headers.event_id.as_ref());
    assert!(
        event.timestamp < sent_at && event.timestamp > sent_at - 1.0,
        "SDK time kept"
    );
    event
}

fn frames(exception: &Value) -> &Vec<Value> {
    exception["stacktrace"]["frames"]
        .as_array()
        .expect("frames")
}

#[test]
fn exception_with_local_variables() {
    let event = ingest(&fixture("python-exception-locals.envelope"));
    assert_eq!(event.level, Level::Error);
    assert_eq!(event.platform, "python");
    assert_eq!(event.release.as_deref(), Some("shop@1.4.2"));
    assert_eq!(event.environment.as_deref(), Some("production"));
    assert_eq!(event.server_name.as_deref(), Some("web-1"));
    assert_eq!(event.sdk_name.as_deref(), Some("sentry.python"));
    assert_eq!(event.sdk_version.as_deref(), Some("2.75.0"));
    assert_eq!(event.user_key.as_deref(), Some("id:42"));
    assert!(event.trace_id.as_deref().is_some_and(|t| t.len() == 32));
    for (key, value) in [
        ("level", "error"),
        ("shop.region", "eu"),
        ("environment", "production"),
        ("release", "shop@1.4.2"),
        ("server_name", "web-1"),
        ("runtime", "CPython 3.11.7"),
        ("user", "id:42"),
        ("handled", "yes"),
        ("mechanism", "generic"),
    ] {
        assert_eq!(event.tag(key), Some(value), "tag {key}");
    }

    let data = &event.data;
    assert_eq!(data["type"], json!("error"));
    assert_eq!(
        data["user"]["id"],
        json!("42"),
        "numeric user id becomes a string"
    );
    let values = data["exception"]["values"].as_array().expect("values");
    assert_eq!(values.len(), 1);
    assert_eq!(values[0]["type"], json!("ValueError"));
    assert_eq!(values[0]["value"], json!("amount too large: 500"));

    let frames = frames(&values[0]);
    assert_eq!(frames.len(), 2);
    let charge = &frames[1];
    assert_eq!(charge["function"], json!("charge"));
    assert_eq!(charge["abs_path"], json!("/app/capture.py"));
    assert_eq!(charge["lineno"], json!(34));
    assert_eq!(charge["in_app"], json!(true));
    assert_eq!(
        charge["context_line"],
        json!("        raise ValueError(\"amount too large: %d\" % amount)")
    );
    assert_eq!(charge["pre_context"].as_array().map(Vec::len), Some(5));
    assert_eq!(charge["post_context"].as_array().map(Vec::len), Some(5));

    let vars = &charge["vars"];
    assert_eq!(vars["password"], json!("[Filtered]"));
    assert_eq!(vars["api_token"], json!("[Filtered]"));
    assert_eq!(
        vars["card"],
        json!("'[Filtered]'"),
        "the card number inside the repr is replaced"
    );
    assert_eq!(vars["amount"], json!("500"));
    assert_eq!(vars["items"], json!(["1", "2", "3"]));
    // The secrets still appear in the source lines (`password = "hunter2"`), which are code,
    // not data; no variable of any frame holds them.
    for frame in frames {
        let vars = frame["vars"].to_string();
        assert!(
            !vars.contains("hunter2") && !vars.contains("tok_live_abc"),
            "{vars}"
        );
    }

    let crumbs = data["breadcrumbs"]["values"]
        .as_array()
        .expect("breadcrumbs");
    assert_eq!(crumbs.len(), 1);
    assert_eq!(crumbs[0]["message"], json!("user logged in"));
    assert!(crumbs[0]["timestamp"].is_f64());
    assert!(data["modules"]["sentry-sdk"].is_string());
    assert_eq!(data["extra"]["sys.argv"], json!(["app/capture.py"]));
}

#[test]
fn brotli_body_decodes_to_the_same_envelope() {
    let plain = fixture("python-exception-locals.envelope");
    let compressed = fixture("python-exception-locals.envelope.br");
    let decoded = decode_body(Some("br"), &compressed, 1 << 20).expect("brotli");
    assert_eq!(&*decoded, &plain[..]);
    assert_eq!(ingest(&decoded).data, ingest(&plain).data);
}

#[test]
fn message_event() {
    let event = ingest(&fixture("python-message.envelope"));
    assert_eq!(event.level, Level::Warning);
    assert_eq!(event.data["type"], json!("default"));
    assert_eq!(
        event.data["logentry"],
        json!({"formatted": "Payment provider slow: 1200 ms"})
    );
    assert!(event.data.get("message").is_none());
    assert!(event.data.get("exception").is_none());
    assert_eq!(event.tag("level"), Some("warning"));
    assert_eq!(event.tag("handled"), None);
}

#[test]
fn chained_exception_oldest_first() {
    let event = ingest(&fixture("python-chained-exception.envelope"));
    let values = event.data["exception"]["values"]
        .as_array()
        .expect("values");
    let types: Vec<&str> = values.iter().filter_map(|v| v["type"].as_str()).collect();
    assert_eq!(
        types,
        ["ValueError", "RuntimeError"],
        "cause first, raised exception last"
    );
    assert_eq!(values[1]["value"], json!("checkout failed"));
    let cause_frames = frames(&values[0]);
    assert_eq!(
        cause_frames.last().map(|f| &f["function"]),
        Some(&json!("charge"))
    );
    let vars = &cause_frames[1]["vars"];
    assert_eq!(vars["password"], json!("[Filtered]"));
    assert_eq!(vars["card"], json!("'[Filtered]'"), "spaced card number");
    let main_frames = frames(&values[1]);
    assert_eq!(
        main_frames.last().map(|f| &f["function"]),
        Some(&json!("checkout"))
    );
    assert!(main_frames.iter().all(|f| f["context_line"].is_string()));
}

#[test]
fn session_update() {
    let bytes = fixture("python-session.envelope");
    let envelope = Envelope::parse(&bytes).expect("envelope");
    assert!(envelope.headers.event_id.is_none());
    let item = &envelope.items[0];
    assert_eq!(item.ty, "session");
    let rows = parse_session_item(item.payload).expect("session");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (row.release.as_str(), row.environment.as_str()),
        ("shop@1.4.2", "production")
    );
    // init + exited with errors = one errored session
    assert_eq!(
        (
            row.total,
            row.errored,
            row.exited,
            row.crashed,
            row.abnormal
        ),
        (1, 1, 0, 0, 0)
    );
    assert!(row.started > 1_795_000_000.0);
}

#[test]
fn fixtures_round_trip_through_serialize() {
    for name in [
        "python-exception-locals.envelope",
        "python-message.envelope",
        "python-chained-exception.envelope",
        "python-session.envelope",
    ] {
        let bytes = fixture(name);
        let envelope = Envelope::parse(&bytes).expect("parse");
        let again = envelope.to_bytes();
        let reparsed = Envelope::parse(&again).expect("reparse");
        assert_eq!(reparsed.items, envelope.items, "{name}");
        assert_eq!(reparsed.headers.event_id, envelope.headers.event_id);
        assert_eq!(reparsed.headers.trace, envelope.headers.trace);
    }
}
