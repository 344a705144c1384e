//! Ingest endpoints: cheap checks, processing, one wait for the group commit, the answer.
//!
//! `POST /api/{project}/envelope/`, `POST|GET /api/{project}/store/`. Every request is
//! authenticated from memory ([`keys::KeyCache`]), size-checked before and after
//! decompression, parsed, processed ([`process`]) and handed to the digest service; it is
//! answered `200 {"id": …}` only once its batch is committed.

pub mod auth;
pub mod keys;
pub mod process;

use std::borrow::Cow;
use std::net::SocketAddr;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use faultline_protocol::decode;
use faultline_protocol::envelope::Envelope;
use http_body_util::BodyExt;
use serde::Serialize;

use crate::error::IngestError;
use crate::metrics::Metrics;
use crate::now;
use crate::services::digest::Coming;
use crate::state::AppState;
use process::{Processed, RequestContext};

/// The success body: the event id, or `{}` when the envelope carried no event.
#[derive(Debug, Serialize)]
pub struct Accepted {
    /// The event id, 32 lowercase hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Reads the body, refusing with 413 as soon as it passes `limit` bytes.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, IngestError> {
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(IngestError::TooLarge(
            format!("request body exceeds the limit of {limit} bytes"),
        )),
        Err(e) => Err(IngestError::Invalid(format!(
            "request body could not be read: {e}"
        ))),
    }
}

fn content_encoding(headers: &HeaderMap) -> Result<Option<&str>, IngestError> {
    headers
        .get(header::CONTENT_ENCODING)
        .map(|v| {
            v.to_str()
                .map_err(|_| IngestError::Invalid("Content-Encoding is not text".into()))
        })
        .transpose()
}

fn decode_error(e: decode::DecodeError) -> IngestError {
    match e {
        decode::DecodeError::TooLarge { .. } => IngestError::TooLarge(format!("request body: {e}")),
        other => IngestError::Invalid(format!("request body: {other}")),
    }
}

/// Runs a closure on the blocking pool when the body is large, inline otherwise: small requests
/// should not pay for a thread hop, large ones must not stall the async workers.
async fn cpu<T: Send + 'static>(
    size: usize,
    f: impl FnOnce() -> Result<T, IngestError> + Send + 'static,
) -> Result<T, IngestError> {
    if size < 256 * 1024 {
        f()
    } else {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| IngestError::Unavailable(format!("processing task failed: {e}")))?
    }
}

/// Counts a refusal in the metrics and passes it on.
fn counted(state: &AppState, e: IngestError) -> IngestError {
    let m = &state.metrics;
    let c = match &e {
        IngestError::Invalid(_) => &m.rejected_invalid,
        IngestError::Unauthorized(_) | IngestError::Forbidden(_) => &m.rejected_auth,
        IngestError::TooLarge(_) => &m.rejected_too_large,
        IngestError::RateLimited { .. } => &m.rejected_rate_limited,
        IngestError::Overloaded | IngestError::Unavailable(_) => return e,
    };
    Metrics::add(c, 1);
    e
}

/// `POST /api/{project_id}/envelope/`
pub async fn envelope(
    State(state): State<AppState>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    Metrics::add(&state.metrics.requests, 1);
    match handle_envelope(&state, &project, query.as_deref(), peer, &headers, body).await {
        Ok(r) => r,
        Err(e) => counted(&state, e).into_response(),
    }
}

async fn handle_envelope(
    state: &AppState,
    project: &str,
    query: Option<&str>,
    peer: SocketAddr,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, IngestError> {
    let coming = state.digest.coming();
    let project = auth::project_id(project)?;
    let request_auth = auth::from_request(headers, query)?;
    let raw = read_body(body, state.config.limits.max_body).await?;
    let encoding = content_encoding(headers)?.map(str::to_owned);
    let limit = state.config.limits.max_envelope;
    let raw_len = raw.len();
    let data: Bytes = cpu(raw_len, move || {
        match decode::decode_body(encoding.as_deref(), &raw, limit) {
            Ok(Cow::Owned(decoded)) => Ok(Bytes::from(decoded)),
            // Not encoded: the body itself, without a copy.
            Ok(Cow::Borrowed(_)) => Ok(raw.clone()),
            Err(e) => Err(decode_error(e)),
        }
    })
    .await?;
    // Only the header line is read here (its `dsn` may carry the key); the whole envelope is
    // parsed once, below, after the key is known. A malformed header is reported by that parse.
    let header_dsn = header_dsn(&data);
    let dsn_key = header_dsn
        .as_deref()
        .map(|d| {
            d.parse::<faultline_protocol::dsn::Dsn>()
                .map_err(|e| IngestError::Invalid(format!("envelope header dsn: {e}")))
        })
        .transpose()?;
    let public_key = match (&request_auth, &dsn_key) {
        (Some(a), Some(d)) if a.public_key != d.public_key || d.project_id != project => {
            return Err(IngestError::Unauthorized(
                "the envelope header dsn does not match the request's key and project".into(),
            ));
        }
        (Some(a), _) => a.public_key.clone(),
        (None, Some(d)) => d.public_key.clone(),
        (None, None) => {
            return Err(IngestError::Unauthorized(
                "missing authentication: send X-Sentry-Auth, sentry_key in the query, or a dsn in the envelope header".into(),
            ))
        }
    };
    let key = auth::authorize(state, &public_key, project).await?;
    let client = request_auth.and_then(|a| a.client).or_else(|| {
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let st = state.clone();
    let peer_ip = peer.ip().to_string();
    let processed: Processed = cpu(data.len(), move || {
        let env =
            Envelope::parse(&data).map_err(|e| IngestError::Invalid(format!("envelope: {e}")))?;
        let ctx = RequestContext {
            key: &key,
            received_at: now(),
            client_ip: Some(peer_ip),
            client,
            limits: &st.config.limits,
            codec: st.store.codec(),
        };
        let p = process::process_envelope(&env, &ctx)?;
        key.check_rate(p.event_count)?;
        Ok(p)
    })
    .await?;
    commit(state, processed, coming).await
}

/// The `dsn` of an envelope's header line, if it has one.
fn header_dsn(data: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Header {
        dsn: Option<String>,
    }
    let line = data.split(|b| *b == b'\n').next()?;
    serde_json::from_slice::<Header>(line).ok()?.dsn
}

async fn commit(
    state: &AppState,
    processed: Processed,
    coming: Coming,
) -> Result<Response, IngestError> {
    let n = processed.batch.events.len() as u64;
    if !processed.batch.is_empty() {
        state.digest.submit(processed.batch, coming).await?;
    }
    Metrics::add(&state.metrics.events_accepted, n);
    Ok((
        StatusCode::OK,
        Json(Accepted {
            id: processed.event_id,
        }),
    )
        .into_response())
}

/// `POST /api/{project_id}/store/`: one event as JSON (or base64 / base64+zlib), or an envelope
/// when the content type says so.
pub async fn store(
    State(state): State<AppState>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let is_envelope = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-sentry-envelope"));
    if is_envelope {
        return envelope(
            State(state),
            Path(project),
            RawQuery(query),
            ConnectInfo(peer),
            headers,
            body,
        )
        .await;
    }
    Metrics::add(&state.metrics.requests, 1);
    let result = async {
        let raw = read_body(body, state.config.limits.max_body).await?;
        let data = decode::decode_body(
            content_encoding(&headers)?,
            &raw,
            state.config.limits.max_envelope,
        )
        .map_err(decode_error)?;
        let data = decode::decode_store_body(&data, state.config.limits.max_event)
            .map_err(decode_error)?;
        store_event(&state, &project, query.as_deref(), peer, &headers, &data).await
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => counted(&state, e).into_response(),
    }
}

async fn store_event(
    state: &AppState,
    project: &str,
    query: Option<&str>,
    peer: SocketAddr,
    headers: &HeaderMap,
    payload: &[u8],
) -> Result<Response, IngestError> {
    let coming = state.digest.coming();
    let project = auth::project_id(project)?;
    let request_auth = auth::from_request(headers, query)?.ok_or_else(|| {
        IngestError::Unauthorized(
            "missing authentication: send X-Sentry-Auth or sentry_key in the query".into(),
        )
    })?;
    let key = auth::authorize(state, &request_auth.public_key, project).await?;
    let ctx = RequestContext {
        key: &key,
        received_at: now(),
        client_ip: Some(peer.ip().to_string()),
        client: request_auth.client.clone(),
        limits: &state.config.limits,
        codec: state.store.codec(),
    };
    let (ev, agent) = process::process_event(payload, None, None, None, &ctx)?;
    key.check_rate(1)?;
    let event_id = ev.event_id.clone();
    let mut batch = faultline_store::WriteBatch::default();
    batch.events.push(ev);
    batch.agents.push((agent, ctx.received_at));
    commit(
        state,
        Processed {
            batch,
            event_id: Some(event_id),
            event_count: 1,
        },
        coming,
    )
    .await
}

/// A transparent 1×1 GIF, the answer to `GET /store/` (image beacons).
const PIXEL: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// `GET /api/{project_id}/store/?sentry_key=…&sentry_data=…`
pub async fn store_get(
    State(state): State<AppState>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    Metrics::add(&state.metrics.requests, 1);
    let result = async {
        let q = query.as_deref().unwrap_or_default();
        let data = q
            .split('&')
            .find_map(|kv| kv.strip_prefix("sentry_data="))
            .ok_or_else(|| IngestError::Invalid("missing sentry_data in the query".into()))?;
        let data = percent_encoding::percent_decode_str(&data.replace('+', " "))
            .decode_utf8()
            .map_err(|_| IngestError::Invalid("sentry_data is not UTF-8".into()))?
            .into_owned();
        let data = decode::decode_store_body(data.as_bytes(), state.config.limits.max_event)
            .map_err(decode_error)?;
        store_event(&state, &project, query.as_deref(), peer, &headers, &data).await
    }
    .await;
    match result {
        Ok(_) => ([(header::CONTENT_TYPE, "image/gif")], PIXEL).into_response(),
        Err(e) => counted(&state, e).into_response(),
    }
}
