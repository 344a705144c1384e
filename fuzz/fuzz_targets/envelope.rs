//! Envelope::parse on arbitrary bytes; every item is then handed to its parser, the way the
//! ingest worker does. Checks that serialization round-trips what was parsed.
#![no_main]

use faultline_protocol::{
    normalize_event, parse_client_report, parse_session_item, Envelope, NormalizeOptions,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::parse(data) else {
        return;
    };

    let bytes = envelope.to_bytes();
    let again = Envelope::parse(&bytes).expect("a serialized envelope parses");
    assert_eq!(again.items.len(), envelope.items.len());
    for (a, b) in again.items.iter().zip(&envelope.items) {
        assert_eq!(a.ty, b.ty);
        assert_eq!(a.payload, b.payload);
    }
    assert_eq!(again.headers.event_id, envelope.headers.event_id);

    for item in &envelope.items {
        match item.ty.as_str() {
            "event" | "transaction" => {
                let mut opts =
                    NormalizeOptions::new(1_700_000_000.0, "0123456789abcdef0123456789abcdef");
                opts.sent_at = envelope.headers.sent_at;
                opts.event_id = envelope.headers.event_id.clone();
                opts.client_ip = Some("192.0.2.1".into());
                if let Ok(event) = normalize_event(item.payload, &opts) {
                    assert_eq!(event.event_id.len(), 32);
                    assert!(event.data.is_object());
                }
            }
            "session" | "sessions" => {
                let _ = parse_session_item(item.payload);
            }
            "client_report" => {
                let _ = parse_client_report(item.payload);
            }
            _ => {}
        }
    }
});
