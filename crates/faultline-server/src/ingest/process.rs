//! Turning an envelope into a [`WriteBatch`]: normalize and scrub each event, group it, and
//! compress its payload. All CPU work happens here, in the request's task, so it spreads over
//! every core; the writer only writes.

use faultline_grouping::{group_and_describe, GroupingConfig};
use faultline_protocol::envelope::{Envelope, Item};
use faultline_protocol::event::{normalize_event, NormalizeOptions, NormalizedEvent};
use faultline_protocol::session;
use faultline_store::batch::{AgentSeen, DiscardUpdate, NewAttachment, SessionUpdate};
use faultline_store::codec::Codec;
use faultline_store::{LazyText, NewEvent, WriteBatch};

use super::keys::KeyInfo;
use crate::config::Limits;
use crate::error::IngestError;

/// What is known about the request carrying the envelope.
pub struct RequestContext<'a> {
    /// The authenticated key.
    pub key: &'a KeyInfo,
    /// Receive time, Unix seconds.
    pub received_at: f64,
    /// The client's address (for `{{auto}}` user IPs).
    pub client_ip: Option<String>,
    /// The SDK from the auth header (`sentry.python/2.1.0`), a fallback for the agents registry.
    pub client: Option<String>,
    /// Limits.
    pub limits: &'a Limits,
    /// Payload compression.
    pub codec: &'a Codec,
}

/// The result: what to write, and the event id to answer with.
pub struct Processed {
    /// The writes.
    pub batch: WriteBatch,
    /// The id of the (first) event, if the envelope had one.
    pub event_id: Option<String>,
    /// Number of error events (for rate limits).
    pub event_count: u32,
}

fn new_event_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Processes every item of an envelope.
pub fn process_envelope(
    env: &Envelope<'_>,
    ctx: &RequestContext<'_>,
) -> Result<Processed, IngestError> {
    let mut batch = WriteBatch::default();
    let mut event_id = None;
    let mut attachments = Vec::new();
    let mut event_count = 0;
    let header_sdk = sdk_of(env.headers.sdk.as_ref()).or_else(|| client_sdk(ctx.client.as_deref()));
    for (index, item) in env.items.iter().enumerate() {
        let at = |msg: String| format!("item {} ({}): {msg}", index + 1, item.ty);
        match item.ty.as_str() {
            "event" => {
                let id = env.headers.event_id.clone();
                let (ev, agent) = process_event(
                    item.payload,
                    id,
                    env.headers.sent_at,
                    header_sdk.clone(),
                    ctx,
                )
                .map_err(|e| relabel(e, &at))?;
                event_id.get_or_insert_with(|| ev.event_id.clone());
                batch.agents.push((agent, ctx.received_at));
                batch.events.push(ev);
                event_count += 1;
            }
            "attachment" => {
                if item.payload.len() > ctx.limits.max_attachment {
                    return Err(IngestError::TooLarge(at(format!(
                        "attachment of {} bytes exceeds the limit of {} bytes",
                        item.payload.len(),
                        ctx.limits.max_attachment
                    ))));
                }
                attachments.push(attachment(item));
            }
            "session" | "sessions" => {
                check_small(item, ctx, &at)?;
                let counts = session::parse_session_item(item.payload)
                    .map_err(|e| IngestError::Invalid(at(e.to_string())))?;
                for s in counts {
                    if let Some(sdk) = &header_sdk {
                        batch.agents.push((
                            agent_seen(
                                ctx,
                                Some(&s.environment),
                                None,
                                Some(&s.release),
                                Some(sdk),
                            ),
                            ctx.received_at,
                        ));
                    }
                    batch.sessions.push(SessionUpdate {
                        project_id: ctx.key.project_id(),
                        release: s.release,
                        environment: s.environment,
                        started: if s.started > 0.0 {
                            s.started
                        } else {
                            ctx.received_at
                        },
                        total: s.total,
                        errored: s.errored,
                        crashed: s.crashed,
                        abnormal: s.abnormal,
                        exited: s.exited,
                    });
                }
            }
            "client_report" => {
                check_small(item, ctx, &at)?;
                let report = session::parse_client_report(item.payload)
                    .map_err(|e| IngestError::Invalid(at(e.to_string())))?;
                for d in report {
                    batch.discards.push(DiscardUpdate {
                        project_id: ctx.key.project_id(),
                        timestamp: ctx.received_at,
                        reason: d.reason,
                        category: d.category,
                        quantity: d.quantity,
                    });
                }
            }
            // Accepted and not kept (yet): tracing, logs, profiles, replays, check-ins, feedback,
            // and every type this server does not know.
            _ => {}
        }
    }
    if !attachments.is_empty() {
        match batch.events.first_mut() {
            Some(ev) => ev.attachments = attachments,
            None => tracing::debug!("attachments without an event in the envelope were not kept"),
        }
    }
    Ok(Processed {
        batch,
        event_id,
        event_count,
    })
}

fn relabel(e: IngestError, at: &dyn Fn(String) -> String) -> IngestError {
    match e {
        IngestError::Invalid(m) => IngestError::Invalid(at(m)),
        IngestError::TooLarge(m) => IngestError::TooLarge(at(m)),
        other => other,
    }
}

fn check_small(
    item: &Item<'_>,
    ctx: &RequestContext<'_>,
    at: &dyn Fn(String) -> String,
) -> Result<(), IngestError> {
    if item.payload.len() > ctx.limits.max_small_item {
        return Err(IngestError::TooLarge(at(format!(
            "{} bytes exceeds the limit of {} bytes",
            item.payload.len(),
            ctx.limits.max_small_item
        ))));
    }
    Ok(())
}

fn attachment(item: &Item<'_>) -> NewAttachment {
    NewAttachment {
        filename: item
            .filename()
            .unwrap_or("attachment")
            .chars()
            .take(256)
            .collect(),
        content_type: item.content_type().map(str::to_owned),
        attachment_type: item
            .attachment_type()
            .unwrap_or("event.attachment")
            .to_owned(),
        data: item.payload.to_vec(),
    }
}

/// Processes one event payload (from an envelope item or the legacy store endpoint).
pub fn process_event(
    payload: &[u8],
    envelope_event_id: Option<String>,
    sent_at: Option<f64>,
    fallback_sdk: Option<(String, String)>,
    ctx: &RequestContext<'_>,
) -> Result<(NewEvent, AgentSeen), IngestError> {
    if payload.len() > ctx.limits.max_event {
        return Err(IngestError::TooLarge(format!(
            "event of {} bytes exceeds the limit of {} bytes",
            payload.len(),
            ctx.limits.max_event
        )));
    }
    let opts = NormalizeOptions {
        received_at: ctx.received_at,
        sent_at,
        event_id: envelope_event_id,
        fallback_event_id: new_event_id(),
        client_ip: ctx.client_ip.clone(),
        scrub: ctx.key.scrub.clone(),
    };
    let ev: NormalizedEvent =
        normalize_event(payload, &opts).map_err(|e| IngestError::Invalid(format!("event: {e}")))?;
    let (grouping, meta) = group_and_describe(&ev.data, &GroupingConfig::default());
    // Packed, normalized events are about as long as what was sent.
    let raw = faultline_store::packed::pack(&ev.data, payload.len());
    let compressed = ctx
        .codec
        .compress(ctx.key.project_id(), &raw)
        .map_err(|e| IngestError::Unavailable(e.to_string()))?;
    let sdk = match (&ev.sdk_name, &ev.sdk_version) {
        (Some(n), v) => Some((n.clone(), v.clone().unwrap_or_default())),
        _ => fallback_sdk,
    };
    let agent = agent_seen(
        ctx,
        ev.environment.as_deref(),
        ev.server_name.as_deref(),
        ev.release.as_deref(),
        sdk.as_ref(),
    );
    let metadata = issue_metadata_json(&meta);
    let new = NewEvent {
        project_id: ctx.key.project_id(),
        event_id: ev.event_id,
        hashes: grouping.hashes,
        grouping_version: grouping.version.to_owned(),
        grouping_variant: grouping.variant,
        grouping_components: {
            let components = grouping.components;
            // Strings, numbers and lists: writing them out cannot fail.
            LazyText::new(move || serde_json::to_string(&components).unwrap_or_default())
        },
        title: meta.title,
        culprit: meta.culprit,
        kind: meta.kind.as_str().to_owned(),
        level: ev.level.as_str().to_owned(),
        platform: ev.platform,
        metadata,
        timestamp: ev.timestamp,
        received: ctx.received_at,
        release: ev.release,
        environment: ev.environment,
        user_key: ev.user_key,
        trace_id: ev.trace_id,
        tags: ev.tags,
        payload: compressed.data,
        payload_dict: compressed.dict_id,
        attachments: Vec::new(),
    };
    Ok((new, agent))
}

/// `{"filename", "function", "handled", "type", "value"}` (nulls included), the JSON the
/// issue keeps: the text `serde_json::json!` gives, written without building a map first.
fn issue_metadata_json(meta: &faultline_grouping::IssueMetadata) -> String {
    /// Fields in the order a `serde_json::Map` keeps them (sorted).
    #[derive(serde::Serialize)]
    struct Metadata<'a> {
        filename: &'a Option<String>,
        function: &'a Option<String>,
        handled: Option<bool>,
        #[serde(rename = "type")]
        exception_type: &'a Option<String>,
        #[serde(rename = "value")]
        exception_value: &'a Option<String>,
    }
    serde_json::to_string(&Metadata {
        filename: &meta.filename,
        function: &meta.function,
        handled: meta.handled,
        exception_type: &meta.exception_type,
        exception_value: &meta.exception_value,
    })
    // Strings and booleans: writing them cannot fail.
    .unwrap_or_default()
}

fn agent_seen(
    ctx: &RequestContext<'_>,
    environment: Option<&str>,
    server_name: Option<&str>,
    release: Option<&str>,
    sdk: Option<&(String, String)>,
) -> AgentSeen {
    AgentSeen {
        project_id: ctx.key.project_id(),
        environment: environment.unwrap_or_default().to_owned(),
        server_name: server_name.unwrap_or_default().to_owned(),
        sdk_name: sdk.map(|s| s.0.clone()).unwrap_or_default(),
        sdk_version: sdk.map(|s| s.1.clone()).unwrap_or_default(),
        release: release.unwrap_or_default().to_owned(),
    }
}

fn sdk_of(v: Option<&serde_json::Value>) -> Option<(String, String)> {
    let v = v?;
    let name = v.get("name")?.as_str()?.to_owned();
    let version = v
        .get("version")
        .and_then(|x| x.as_str())
        .unwrap_or_default()
        .to_owned();
    Some((name, version))
}

/// `sentry.python/2.1.0` → (`sentry.python`, `2.1.0`).
fn client_sdk(client: Option<&str>) -> Option<(String, String)> {
    let (name, version) = client?.split_once('/')?;
    Some((name.to_owned(), version.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_grouping::{issue_metadata, IssueMetadata};

    #[test]
    fn metadata_json_is_the_map_text() {
        let events = [
            serde_json::json!({"exception": {"values": [{"type": "E", "value": "say \"hi\"\n",
                "mechanism": {"handled": false},
                "stacktrace": {"frames": [{"function": "f", "filename": "a.py", "in_app": true}]}}]}}),
            serde_json::json!({"message": "plain"}),
            serde_json::json!({}),
        ];
        for event in events {
            let meta: IssueMetadata = issue_metadata(&event);
            let expected = serde_json::json!({
                "type": meta.exception_type,
                "value": meta.exception_value,
                "function": meta.function,
                "filename": meta.filename,
                "handled": meta.handled,
            });
            assert_eq!(issue_metadata_json(&meta), expected.to_string());
        }
    }
}
