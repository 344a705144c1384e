//! Envelopes: the framing every current SDK sends to `/api/{project}/envelope/`
//! (PROTOCOL.md §2).
//!
//! ```text
//! Envelope = Headers { "\n" Item } [ "\n" ]
//! Item     = Headers "\n" Payload
//! ```
//!
//! Item payloads are borrowed from the request body; nothing is copied or decoded here.

use std::io::{self, Write};

use serde_json::{Map, Value};

use crate::id::normalize_event_id;
use crate::time::{format_rfc3339, parse_timestamp};

/// A parsed envelope, borrowing its payloads from the input.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Envelope<'a> {
    /// The first line.
    pub headers: EnvelopeHeaders,
    /// Items in the order sent, unknown types included.
    pub items: Vec<Item<'a>>,
}

/// The envelope header line (PROTOCOL.md §2.2).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnvelopeHeaders {
    /// Event id as 32 lowercase hex; an id that is not a UUID is dropped.
    pub event_id: Option<String>,
    /// DSN, an alternative source of the public key.
    pub dsn: Option<String>,
    /// When the SDK sent the envelope, Unix seconds (from RFC 3339); used for clock drift.
    pub sent_at: Option<f64>,
    /// SDK description, as sent.
    pub sdk: Option<Value>,
    /// Dynamic sampling context, as sent.
    pub trace: Option<Value>,
    /// Every other header, as sent.
    pub other: Map<String, Value>,
}

/// One item: its headers and its payload bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Item<'a> {
    /// The `type` header: `event`, `attachment`, `session`, `client_report`, …
    pub ty: String,
    /// All headers as sent, `type` and `length` included.
    pub headers: Map<String, Value>,
    /// The payload, exactly as framed.
    pub payload: &'a [u8],
}

/// Why bytes are not an envelope. Messages say what is wrong and at which byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Nothing but whitespace.
    #[error("envelope is empty")]
    Empty,
    /// The first line is not JSON.
    #[error("envelope header is not valid JSON: {reason}")]
    HeaderJson {
        /// The JSON parser's message.
        reason: String,
    },
    /// The first line is JSON but not an object.
    #[error("envelope header is not a JSON object")]
    HeaderNotObject,
    /// Something other than a newline follows the envelope header.
    #[error("expected newline after envelope header at byte {at}")]
    HeaderNotTerminated {
        /// Offset of the offending byte.
        at: usize,
    },
    /// An item header is not JSON.
    #[error("item {index}: header at byte {at} is not valid JSON: {reason}")]
    ItemHeaderJson {
        /// 1-based item number.
        index: usize,
        /// Offset where the header starts.
        at: usize,
        /// The JSON parser's message.
        reason: String,
    },
    /// An item header is JSON but not an object.
    #[error("item {index}: header at byte {at} is not a JSON object")]
    ItemHeaderNotObject {
        /// 1-based item number.
        index: usize,
        /// Offset where the header starts.
        at: usize,
    },
    /// An item header without a string `type`.
    #[error("item {index}: header at byte {at} has no string \"type\"")]
    MissingType {
        /// 1-based item number.
        index: usize,
        /// Offset where the header starts.
        at: usize,
    },
    /// `length` is not a non-negative integer.
    #[error("item {index}: header at byte {at} has invalid length {value}, expected a non-negative integer")]
    InvalidLength {
        /// 1-based item number.
        index: usize,
        /// Offset where the header starts.
        at: usize,
        /// The value found, as JSON.
        value: String,
    },
    /// Something other than a newline follows an item header.
    #[error("item {index}: expected newline after header at byte {at}")]
    ItemHeaderNotTerminated {
        /// 1-based item number.
        index: usize,
        /// Offset of the offending byte.
        at: usize,
    },
    /// `length` runs past the end of the body.
    #[error("item {index}: payload length {length} exceeds the {remaining} bytes remaining")]
    PayloadTooLong {
        /// 1-based item number.
        index: usize,
        /// The declared length.
        length: u64,
        /// Bytes left after the header line.
        remaining: usize,
    },
    /// Something other than a newline follows a length-delimited payload.
    #[error("item {index}: expected newline after payload at byte {at}")]
    MissingNewline {
        /// 1-based item number.
        index: usize,
        /// Offset of the offending byte.
        at: usize,
    },
}

impl<'a> Envelope<'a> {
    /// Parses an envelope byte-exactly per PROTOCOL.md §2.1.
    ///
    /// Items with `length` take exactly that many bytes, which must be followed by `\n` or the
    /// end; items without it run to the next `\n` or the end. `\r` is payload. Empty items,
    /// zero items and a missing trailing newline are all valid. Unknown item types are kept.
    pub fn parse(bytes: &'a [u8]) -> Result<Envelope<'a>, EnvelopeError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(EnvelopeError::Empty);
        }
        let (header, end) =
            read_json(bytes, 0).map_err(|(_, reason)| EnvelopeError::HeaderJson { reason })?;
        let Value::Object(header) = header else {
            return Err(EnvelopeError::HeaderNotObject);
        };
        let mut pos =
            after_line(bytes, end).ok_or(EnvelopeError::HeaderNotTerminated { at: end })?;
        let mut items = Vec::new();
        while !rest(bytes, pos).iter().all(u8::is_ascii_whitespace) {
            let (item, next) = parse_item(bytes, pos, items.len() + 1)?;
            items.push(item);
            pos = next;
        }
        Ok(Envelope {
            headers: EnvelopeHeaders::from_map(header),
            items,
        })
    }

    /// The first `event` item, if any.
    pub fn event_item(&self) -> Option<&Item<'a>> {
        self.items.iter().find(|item| item.ty == "event")
    }

    /// Writes the envelope; every item gets an explicit `length`.
    pub fn serialize<W: Write>(&self, mut out: W) -> io::Result<()> {
        serde_json::to_writer(&mut out, &self.headers.to_map())?;
        out.write_all(b"\n")?;
        for item in &self.items {
            let mut headers = item.headers.clone();
            headers.insert("type".into(), Value::String(item.ty.clone()));
            headers.insert("length".into(), Value::from(item.payload.len()));
            serde_json::to_writer(&mut out, &headers)?;
            out.write_all(b"\n")?;
            out.write_all(item.payload)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// The serialized envelope as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail, and a Map always serializes.
        let _ = self.serialize(&mut out);
        out
    }
}

impl EnvelopeHeaders {
    /// Splits a header object into the known fields and `other`.
    pub fn from_map(mut map: Map<String, Value>) -> Self {
        let event_id = map.remove("event_id");
        let dsn = map.remove("dsn");
        let sent_at = map.remove("sent_at");
        let sdk = map.remove("sdk");
        let trace = map.remove("trace");
        EnvelopeHeaders {
            event_id: event_id
                .as_ref()
                .and_then(Value::as_str)
                .and_then(normalize_event_id),
            dsn: dsn.and_then(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            }),
            sent_at: sent_at.as_ref().and_then(parse_timestamp),
            sdk: sdk.filter(|v| !v.is_null()),
            trace: trace.filter(|v| !v.is_null()),
            other: map,
        }
    }

    /// The header object as it would be sent (`sent_at` as RFC 3339).
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = self.other.clone();
        if let Some(id) = &self.event_id {
            map.insert("event_id".into(), Value::String(id.clone()));
        }
        if let Some(dsn) = &self.dsn {
            map.insert("dsn".into(), Value::String(dsn.clone()));
        }
        if let Some(sent_at) = self.sent_at {
            let value = format_rfc3339(sent_at).map_or_else(|| Value::from(sent_at), Value::String);
            map.insert("sent_at".into(), value);
        }
        if let Some(sdk) = &self.sdk {
            map.insert("sdk".into(), sdk.clone());
        }
        if let Some(trace) = &self.trace {
            map.insert("trace".into(), trace.clone());
        }
        map
    }
}

impl<'a> Item<'a> {
    /// An item with only a `type` header.
    pub fn new(ty: impl Into<String>, payload: &'a [u8]) -> Self {
        let ty = ty.into();
        let mut headers = Map::new();
        headers.insert("type".into(), Value::String(ty.clone()));
        Item {
            ty,
            headers,
            payload,
        }
    }

    /// A string header.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(Value::as_str)
    }

    /// `content_type`, e.g. `application/json`.
    pub fn content_type(&self) -> Option<&str> {
        self.header_str("content_type")
    }

    /// `filename` of an attachment.
    pub fn filename(&self) -> Option<&str> {
        self.header_str("filename")
    }

    /// `attachment_type`, e.g. `event.minidump`; attachments default to `event.attachment`.
    pub fn attachment_type(&self) -> Option<&str> {
        self.header_str("attachment_type")
            .or_else(|| (self.ty == "attachment").then_some("event.attachment"))
    }
}

/// Reads `event_id` from an event payload without normalizing it (cheap checks at ingest).
pub fn event_id_from_payload(payload: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Peek {
        event_id: Option<Value>,
    }
    let peek: Peek = serde_json::from_slice(payload).ok()?;
    peek.event_id
        .as_ref()
        .and_then(Value::as_str)
        .and_then(normalize_event_id)
}

fn parse_item(bytes: &[u8], pos: usize, index: usize) -> Result<(Item<'_>, usize), EnvelopeError> {
    let at = pos
        + rest(bytes, pos)
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    let (header, header_end) = read_json(bytes, pos)
        .map_err(|(at, reason)| EnvelopeError::ItemHeaderJson { index, at, reason })?;
    let Value::Object(headers) = header else {
        return Err(EnvelopeError::ItemHeaderNotObject { index, at });
    };
    let Some(ty) = headers
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Err(EnvelopeError::MissingType { index, at });
    };
    let length = match headers.get("length") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| EnvelopeError::InvalidLength {
            index,
            at,
            value: v.to_string().chars().take(64).collect(),
        })?),
    };
    let start = after_line(bytes, header_end).ok_or(EnvelopeError::ItemHeaderNotTerminated {
        index,
        at: header_end,
    })?;
    let remaining = rest(bytes, start);
    let (payload, next) = match length {
        Some(length) => {
            let payload = usize::try_from(length)
                .ok()
                .and_then(|n| remaining.get(..n))
                .ok_or(EnvelopeError::PayloadTooLong {
                    index,
                    length,
                    remaining: remaining.len(),
                })?;
            let end = start + payload.len();
            let next =
                after_line(bytes, end).ok_or(EnvelopeError::MissingNewline { index, at: end })?;
            (payload, next)
        }
        None => match remaining.iter().position(|&b| b == b'\n') {
            Some(n) => (remaining.get(..n).unwrap_or_default(), start + n + 1),
            None => (remaining, bytes.len()),
        },
    };
    Ok((
        Item {
            ty,
            headers,
            payload,
        },
        next,
    ))
}

/// Parses one JSON value starting at `pos` (leading whitespace allowed). Returns the value and
/// the offset just after it, or the offset where the value starts and the parser's message.
fn read_json(bytes: &[u8], pos: usize) -> Result<(Value, usize), (usize, String)> {
    let slice = rest(bytes, pos);
    let start = pos + slice.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let mut stream = serde_json::Deserializer::from_slice(slice).into_iter::<Value>();
    match stream.next() {
        Some(Ok(value)) => Ok((value, pos + stream.byte_offset())),
        Some(Err(e)) => Err((start, e.to_string())),
        None => Err((start, "unexpected end of input".into())),
    }
}

/// The offset after the line ending at `end`: `end` itself at EOF, `end + 1` after a `\n`.
fn after_line(bytes: &[u8], end: usize) -> Option<usize> {
    match bytes.get(end) {
        None => Some(end),
        Some(b'\n') => Some(end + 1),
        Some(_) => None,
    }
}

fn rest(bytes: &[u8], pos: usize) -> &[u8] {
    bytes.get(pos..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(bytes: &[u8]) -> Envelope<'_> {
        Envelope::parse(bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    fn err(bytes: &[u8]) -> String {
        match Envelope::parse(bytes) {
            Ok(env) => panic!("expected an error, got {env:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn docs_example_attachment_with_crlf_and_event() {
        // sentry-docs envelopes.mdx "Full Examples": two items, the attachment contains \r\n.
        let body = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42\"}\n\
{\"type\":\"attachment\",\"length\":10,\"content_type\":\"text/plain\",\"filename\":\"hello.txt\"}\n\
\xef\xbb\xbfHello\r\n\n\
{\"type\":\"event\",\"length\":41,\"content_type\":\"application/json\",\"filename\":\"application.log\"}\n\
{\"message\":\"hello world\",\"level\":\"error\"}\n";
        let env = parse(body);
        assert_eq!(
            env.headers.event_id.as_deref(),
            Some("9ec79c33ec9942ab8353589fcb2e04dc")
        );
        assert_eq!(
            env.headers.dsn.as_deref(),
            Some("https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42")
        );
        assert_eq!(env.items.len(), 2);
        let attachment = &env.items[0];
        assert_eq!(attachment.ty, "attachment");
        assert_eq!(attachment.payload, b"\xef\xbb\xbfHello\r\n");
        assert_eq!(attachment.filename(), Some("hello.txt"));
        assert_eq!(attachment.content_type(), Some("text/plain"));
        assert_eq!(attachment.attachment_type(), Some("event.attachment"));
        let event = env.event_item().unwrap();
        assert_eq!(
            event.payload,
            br#"{"message":"hello world","level":"error"}"#
        );
        assert_eq!(event.attachment_type(), None);
    }

    #[test]
    fn length_prefixed_and_newline_terminated_items_mix() {
        let body = b"{}\n{\"type\":\"event\"}\n{\"message\":\"js\"}\n{\"type\":\"attachment\",\"length\":6}\na\nb\r\nc\n{\"type\":\"session\"}\n{\"sid\":\"x\"}";
        let env = parse(body);
        let got: Vec<(&str, &[u8])> = env
            .items
            .iter()
            .map(|i| (i.ty.as_str(), i.payload))
            .collect();
        assert_eq!(
            got,
            vec![
                ("event", &b"{\"message\":\"js\"}"[..]),
                ("attachment", &b"a\nb\r\nc"[..]),
                ("session", &b"{\"sid\":\"x\"}"[..]),
            ]
        );
    }

    #[test]
    fn empty_items_with_length_zero() {
        let env = parse(b"{}\n{\"type\":\"attachment\",\"length\":0}\n\n{\"type\":\"attachment\",\"length\":0}\n\n");
        assert_eq!(env.items.len(), 2);
        assert!(env.items.iter().all(|i| i.payload.is_empty()));
        // Without a trailing newline after the last empty item.
        let env = parse(b"{}\n{\"type\":\"attachment\",\"length\":0}\n\n{\"type\":\"attachment\",\"length\":0}\n");
        assert_eq!(env.items.len(), 2);
        let env = parse(b"{}\n{\"type\":\"attachment\",\"length\":0}");
        assert_eq!(env.items.len(), 1);
    }

    #[test]
    fn empty_items_without_length() {
        let env = parse(b"{}\n{\"type\":\"attachment\"}\n\n{\"type\":\"session\"}\n\n");
        let types: Vec<&str> = env.items.iter().map(|i| i.ty.as_str()).collect();
        assert_eq!(types, ["attachment", "session"]);
        assert!(env.items.iter().all(|i| i.payload.is_empty()));
        // Header at the very end with neither newline nor payload.
        let env = parse(b"{}\n{\"type\":\"event\"}");
        assert_eq!(env.items.len(), 1);
        assert_eq!(env.items[0].payload, b"");
    }

    #[test]
    fn implicit_length_with_and_without_trailing_newline() {
        for body in [
            &b"{}\n{\"type\":\"attachment\"}\nhelloworld\n"[..],
            b"{}\n{\"type\":\"attachment\"}\nhelloworld",
        ] {
            let env = parse(body);
            assert_eq!(env.items.len(), 1);
            assert_eq!(env.items[0].payload, b"helloworld");
        }
        let env = parse(b"{}\n{\"type\":\"attachment\"}\nhello\r\n");
        assert_eq!(
            env.items[0].payload, b"hello\r",
            "\\r belongs to the payload"
        );
    }

    #[test]
    fn length_prefixed_payload_at_eof_without_newline() {
        let env = parse(b"{}\n{\"type\":\"attachment\",\"length\":3}\nabc");
        assert_eq!(env.items[0].payload, b"abc");
    }

    #[test]
    fn zero_items() {
        for body in [
            &b"{}"[..],
            b"{}\n",
            b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n\n",
            b"{}\n  \n",
        ] {
            let env = parse(body);
            assert!(env.items.is_empty());
        }
        assert_eq!(err(b""), "envelope is empty");
        assert_eq!(err(b" \n "), "envelope is empty");
    }

    #[test]
    fn truncated_payload() {
        let header = b"{}\n{\"type\":\"attachment\",\"length\":500}\n";
        let mut body = header.to_vec();
        body.extend_from_slice(&[b'x'; 120]);
        assert_eq!(
            err(&body),
            "item 1: payload length 500 exceeds the 120 bytes remaining"
        );
        assert_eq!(
            err(b"{}\n{\"type\":\"attachment\",\"length\":5}"),
            "item 1: payload length 5 exceeds the 0 bytes remaining"
        );
        let huge = b"{}\n{\"type\":\"attachment\",\"length\":18446744073709551615}\nabc";
        assert_eq!(
            err(huge),
            "item 1: payload length 18446744073709551615 exceeds the 3 bytes remaining"
        );
    }

    #[test]
    fn wrong_length_is_detected_by_the_missing_newline() {
        // Declared 3 but the payload is 5 bytes: byte 3 of the payload is not a newline.
        let body = b"{}\n{\"type\":\"event\",\"length\":3}\n{\"a\"}\n";
        let payload_start = body.iter().rposition(|&b| b == b'{').unwrap_or(0);
        assert_eq!(
            err(body),
            format!(
                "item 1: expected newline after payload at byte {}",
                payload_start + 3
            )
        );
    }

    #[test]
    fn bad_header_json() {
        assert!(err(b"{\"event_id\":}\n").starts_with("envelope header is not valid JSON: "));
        assert_eq!(err(b"[1,2]\n"), "envelope header is not a JSON object");
        assert_eq!(
            err(b"{} x\n"),
            "expected newline after envelope header at byte 2"
        );
        let body = b"{}\n{\"type\":\"event\"}\n{}\n{\"type\":oops}\n";
        let e = err(body);
        assert!(
            e.starts_with("item 2: header at byte 23 is not valid JSON: expected value"),
            "{e}"
        );
        assert_eq!(
            err(b"{}\n{\"type\":\"a\",\"length\":1}\nx\n7\n"),
            "item 2: header at byte 29 is not a JSON object"
        );
        assert_eq!(
            err(b"{}\n{\"type\":\"event\"} trailing\n"),
            "item 1: expected newline after header at byte 19"
        );
        assert!(err(b"{}\n{\"type\":\"event\"")
            .starts_with("item 1: header at byte 3 is not valid JSON: EOF"));
    }

    #[test]
    fn missing_or_invalid_type_and_length() {
        assert_eq!(
            err(b"{}\n{\"length\":0}\n\n"),
            "item 1: header at byte 3 has no string \"type\""
        );
        assert_eq!(
            err(b"{}\n{\"type\":7}\n\n"),
            "item 1: header at byte 3 has no string \"type\""
        );
        assert_eq!(
            err(b"{}\n{\"type\":\"a\",\"length\":-1}\n\n"),
            "item 1: header at byte 3 has invalid length -1, expected a non-negative integer"
        );
        assert_eq!(
            err(b"{}\n{\"type\":\"a\",\"length\":\"2\"}\nab\n"),
            "item 1: header at byte 3 has invalid length \"2\", expected a non-negative integer"
        );
        // A null length means no length.
        let env = parse(b"{}\n{\"type\":\"a\",\"length\":null}\nab\n");
        assert_eq!(env.items[0].payload, b"ab");
    }

    #[test]
    fn unknown_item_types_are_kept_and_skipped_over() {
        let env = parse(b"{}\n{\"type\":\"replay_video\",\"length\":4}\n\x00\n\r\xff\n{\"type\":\"event\"}\n{}\n");
        assert_eq!(env.items[0].ty, "replay_video");
        assert_eq!(env.items[0].payload, b"\x00\n\r\xff");
        assert_eq!(env.items[1].ty, "event");
    }

    #[test]
    fn header_fields() {
        let env = parse(
            br#"{"event_id":"9EC79C33-EC99-42AB-8353-589FCB2E04DC","sent_at":"2026-11-21T04:47:08.421761Z","sent_at":"2026-11-21T04:47:09Z","sdk":{"name":"sentry.go","version":"0.30.0"},"trace":{"trace_id":"538f"},"retention":90}"#,
        );
        let h = &env.headers;
        assert_eq!(
            h.event_id.as_deref(),
            Some("9ec79c33ec9942ab8353589fcb2e04dc")
        );
        // Duplicate keys: the JSON parser keeps the last one; no error.
        assert_eq!(h.sent_at, Some(1_795_236_429.0));
        assert_eq!(h.sdk, Some(json!({"name":"sentry.go","version":"0.30.0"})));
        assert_eq!(h.trace, Some(json!({"trace_id":"538f"})));
        assert_eq!(h.other.get("retention"), Some(&json!(90)));
        assert!(!h.other.contains_key("event_id"));

        let env = parse(br#"{"event_id":"nope","sent_at":"garbage","dsn":7,"sdk":null}"#);
        assert_eq!(env.headers, EnvelopeHeaders::default());
    }

    #[test]
    fn serialize_round_trips() {
        let attachment = b"line1\nline2\r\n\x00";
        let mut headers = EnvelopeHeaders {
            event_id: Some("9ec79c33ec9942ab8353589fcb2e04dc".into()),
            sent_at: Some(1_700_000_000.5),
            sdk: Some(json!({"name":"faultline.bench"})),
            ..Default::default()
        };
        headers.other.insert("custom".into(), json!(true));
        let mut event = Item::new("event", br#"{"message":"hi"}"#);
        event
            .headers
            .insert("content_type".into(), json!("application/json"));
        let env = Envelope {
            headers,
            items: vec![
                event,
                Item::new("attachment", attachment),
                Item::new("attachment", b""),
            ],
        };
        let bytes = env.to_bytes();
        let parsed = parse(&bytes);
        assert_eq!(parsed.headers, env.headers);
        assert_eq!(parsed.items.len(), 3);
        for (a, b) in parsed.items.iter().zip(&env.items) {
            assert_eq!(a.ty, b.ty);
            assert_eq!(a.payload, b.payload);
            assert_eq!(a.headers.get("length"), Some(&json!(b.payload.len())));
        }
        assert_eq!(parsed.items[0].content_type(), Some("application/json"));
        assert_eq!(parsed.to_bytes(), bytes, "serialization is stable");
        assert!(bytes.starts_with(b"{"));
        assert!(
            String::from_utf8_lossy(&bytes).contains("\"sent_at\":\"2023-11-14T22:13:20.500000Z\"")
        );
    }

    #[test]
    fn peeks_event_id() {
        assert_eq!(
            event_id_from_payload(br#"{"event_id":"9EC79C33EC9942AB8353589FCB2E04DC","x":[1,2]}"#)
                .as_deref(),
            Some("9ec79c33ec9942ab8353589fcb2e04dc")
        );
        assert_eq!(event_id_from_payload(br#"{"x":1}"#), None);
        assert_eq!(event_id_from_payload(b"not json"), None);
        assert_eq!(event_id_from_payload(b"[]"), None);
    }
}
