//! Every route, with its body limit.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderName, Method};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use tower_http::cors::{Any, CorsLayer};

use crate::state::AppState;
use crate::{api, ingest};

/// CORS as Relay does it for the ingest routes: any origin, the Sentry headers allowed, the
/// rate-limit headers exposed so browser SDKs can honour them.
fn ingest_cors() -> CorsLayer {
    let allow = [
        "x-sentry-auth",
        "x-requested-with",
        "x-forwarded-for",
        "origin",
        "referer",
        "accept",
        "content-type",
        "authentication",
        "authorization",
        "content-encoding",
        "transfer-encoding",
        "sentry-trace",
        "baggage",
    ];
    let expose = ["x-sentry-error", "x-sentry-rate-limits", "retry-after"];
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(allow.map(HeaderName::from_static))
        .expose_headers(expose.map(HeaderName::from_static))
        .max_age(std::time::Duration::from_secs(3600))
}

/// The whole router. Paths are matched after trailing slashes are trimmed (see `lib.rs`).
pub fn router(state: AppState) -> Router {
    // Ingest reads its bodies itself, with its own limits and 413 answers.
    let ingest = Router::new()
        .route("/api/{project}/envelope", post(ingest::envelope))
        .route(
            "/api/{project}/store",
            post(ingest::store).get(ingest::store_get),
        )
        .layer(DefaultBodyLimit::disable())
        .layer(ingest_cors());

    let api = Router::new()
        .route("/api/0/projects", get(api::projects::list))
        .route(
            "/api/0/projects/{org}/{project}",
            get(api::projects::detail).put(api::projects::update),
        )
        .route(
            "/api/0/projects/{org}/{project}/keys",
            get(api::projects::keys),
        )
        .route(
            "/api/0/projects/{org}/{project}/keys/{key}",
            axum::routing::put(api::projects::update_key),
        )
        .route(
            "/api/0/projects/{org}/{project}/events/{event_id}/attachments",
            get(api::projects::attachments),
        )
        .route(
            "/api/0/projects/{org}/{project}/issues",
            get(api::issues::list),
        )
        .route(
            "/api/0/projects/{org}/{project}/events/{event_id}",
            get(api::events::by_id),
        )
        .route(
            "/api/0/issues/{id}",
            get(api::issues::detail).put(api::issues::update),
        )
        .route(
            "/api/0/organizations/{org}/issues/{id}",
            get(api::issues::detail_in_org).put(api::issues::update_in_org),
        )
        .route("/api/0/issues/{id}/events", get(api::events::list))
        .route(
            "/api/0/organizations/{org}/issues/{id}/events",
            get(api::events::list_in_org),
        )
        .route("/api/0/issues/{id}/events/{which}", get(api::events::one))
        .route(
            "/api/0/organizations/{org}/issues/{id}/events/{which}",
            get(api::events::one_in_org),
        )
        .route("/api/0/issues/{id}/tags", get(api::issues::tags))
        .route(
            "/api/0/projects/{org}/{project}/agents",
            get(api::projects::agents),
        )
        .route(
            "/api/0/projects/{org}/{project}/sessions",
            get(api::projects::sessions),
        )
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(1024 * 1024));

    Router::new()
        .route("/metrics", get(metrics))
        .route("/health", get(|| async { "ok" }))
        .merge(crate::web::router())
        .merge(ingest)
        .merge(api)
        .with_state(state)
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
