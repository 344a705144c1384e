//! Services (projects): what each received in the last 24 hours, creating one, and its DSN
//! with setup snippets.

use axum::extract::{Path, State};
use axum::response::Response;

use super::html::count;
use super::{now, render, see_other, Nav, Posted, Viewer, WebError};
use crate::state::AppState;

/// One service in the list.
pub struct ServiceRow {
    /// Slug.
    pub slug: String,
    /// Platform.
    pub platform: String,
    /// Environments seen.
    pub environments: Vec<String>,
    /// Events in 24 h.
    pub events: String,
    /// New issues in 24 h.
    pub new_issues: i64,
    /// Unresolved issues.
    pub unresolved: i64,
}

#[derive(askama::Template)]
#[template(path = "services.html")]
struct ServicesPage {
    nav: Nav,
    rows: Vec<ServiceRow>,
}

/// `GET /services`.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    let rows = state
        .store
        .project_summaries(now() - 86400.0)
        .await?
        .into_iter()
        .map(|s| ServiceRow {
            slug: s.project.slug,
            platform: s.project.platform.unwrap_or_default(),
            environments: s.environments,
            events: count(s.events),
            new_issues: s.new_issues,
            unresolved: s.unresolved,
        })
        .collect();
    render(&ServicesPage {
        nav: Nav::new(&viewer, "services"),
        rows,
    })
}

/// `POST /services`: an admin creates a project; on to its setup page.
pub async fn create(
    State(state): State<AppState>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let name = form.require("name")?;
    let platform = form.get("platform");
    let team = form.get("team").unwrap_or("default");
    let (project, _key) = state
        .store
        .create_project("default", team, name, platform)
        .await?;
    state.keys.invalidate();
    Ok(see_other(&format!("/services/{}", project.slug)))
}

/// A setup snippet for one SDK.
pub struct Snippet {
    /// SDK name.
    pub sdk: &'static str,
    /// Install command.
    pub install: &'static str,
    /// Code.
    pub code: String,
}

/// Snippets for Python, Node, browser JS, Java and Go with `dsn` filled in.
pub fn snippets(dsn: &str) -> Vec<Snippet> {
    vec![
        Snippet {
            sdk: "Python",
            install: "pip install sentry-sdk",
            code: format!(
                "import sentry_sdk\n\nsentry_sdk.init(\n    dsn=\"{dsn}\",\n    release=\"myapp@1.0.0\",\n    environment=\"production\",\n)"
            ),
        },
        Snippet {
            sdk: "Node.js",
            install: "npm install @sentry/node",
            code: format!(
                "const Sentry = require(\"@sentry/node\");\n\nSentry.init({{\n  dsn: \"{dsn}\",\n  release: \"myapp@1.0.0\",\n  environment: \"production\",\n}});"
            ),
        },
        Snippet {
            sdk: "Browser JavaScript",
            install: "npm install @sentry/browser",
            code: format!(
                "import * as Sentry from \"@sentry/browser\";\n\nSentry.init({{\n  dsn: \"{dsn}\",\n  release: \"myapp@1.0.0\",\n}});"
            ),
        },
        Snippet {
            sdk: "Java",
            install: "implementation 'io.sentry:sentry:8.+'",
            code: format!(
                "import io.sentry.Sentry;\n\nSentry.init(options -> {{\n  options.setDsn(\"{dsn}\");\n  options.setRelease(\"myapp@1.0.0\");\n}});"
            ),
        },
        Snippet {
            sdk: "Go",
            install: "go get github.com/getsentry/sentry-go",
            code: format!(
                "err := sentry.Init(sentry.ClientOptions{{\n\tDsn:     \"{dsn}\",\n\tRelease: \"myapp@1.0.0\",\n}})\nif err != nil {{\n\tlog.Fatalf(\"sentry.Init: %s\", err)\n}}\ndefer sentry.Flush(2 * time.Second)"
            ),
        },
    ]
}

#[derive(askama::Template)]
#[template(path = "service.html")]
struct ServicePage {
    nav: Nav,
    slug: String,
    platform: String,
    dsns: Vec<(String, String, bool)>,
    snippets: Vec<Snippet>,
}

/// `GET /services/{slug}`.
pub async fn detail(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let project = super::settings::named_project(&state, &slug).await?;
    let base = &state.config.public_url;
    let keys = state.store.list_keys(project.id).await?;
    let dsns: Vec<(String, String, bool)> = keys
        .iter()
        .map(|k| (k.label.clone(), k.dsn(base), k.active))
        .collect();
    let first = dsns
        .iter()
        .find(|d| d.2)
        .map(|d| d.1.clone())
        .unwrap_or_default();
    render(&ServicePage {
        nav: Nav::new(&viewer, "services"),
        slug: project.slug,
        platform: project.platform.unwrap_or_default(),
        dsns,
        snippets: snippets(&first),
    })
}
