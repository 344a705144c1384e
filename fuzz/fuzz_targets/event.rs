//! normalize_event on arbitrary bytes, checking the contract's invariants and that
//! normalizing a normalized event changes nothing.
#![no_main]

use faultline_protocol::event::limits;
use faultline_protocol::event::{MAX_SECS_IN_FUTURE, MAX_SECS_IN_PAST};
use faultline_protocol::{normalize_event, normalize_value, NormalizeOptions};
use libfuzzer_sys::fuzz_target;

const RECEIVED: f64 = 1_700_000_000.0;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the options, the rest is the payload.
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    let mut opts = NormalizeOptions::new(RECEIVED, "0123456789abcdef0123456789abcdef");
    if selector & 1 == 1 {
        opts.sent_at = Some(RECEIVED - 7200.0);
    }
    if selector & 2 == 2 {
        opts.client_ip = Some("192.0.2.1".into());
    }
    if selector & 4 == 4 {
        opts.scrub.enabled = false;
    }
    let Ok(event) = normalize_event(payload, &opts) else {
        return;
    };

    assert_eq!(event.event_id.len(), 32);
    assert!(event
        .event_id
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert!(event.timestamp >= RECEIVED - MAX_SECS_IN_PAST);
    assert!(event.timestamp <= RECEIVED + MAX_SECS_IN_FUTURE);
    assert_eq!(event.tags.first().map(|(k, _)| k.as_str()), Some("level"));
    for (key, value) in &event.tags {
        assert!(
            !key.is_empty() && key.chars().count() <= limits::TAG,
            "{key:?}"
        );
        assert!(
            !value.is_empty() && value.chars().count() <= limits::TAG,
            "{value:?}"
        );
    }
    let data = event.data.as_object().expect("object");
    for key in ["exception", "threads", "breadcrumbs"] {
        if let Some(v) = data.get(key) {
            assert!(v.get("values").is_some_and(|v| v.is_array()), "{key}: {v}");
        }
    }

    // Normalizing again (without drift: it was applied once) must be a fixed point.
    let mut again_opts = opts.clone();
    again_opts.sent_at = None;
    let again =
        normalize_value(event.data.clone(), &again_opts).expect("normalized data is an object");
    assert_eq!(again.tags, event.tags);
    assert_eq!(again.data, event.data);
});
