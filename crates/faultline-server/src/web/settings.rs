//! Settings: DSN keys (create, name, rate limit, revoke), API tokens (create with scopes,
//! revoke), users and roles, teams and members, per-project PII scrubbing. Everyone can look;
//! only admins change anything.

use axum::extract::{Path, State};
use axum::response::Response;
use faultline_store::{KeyId, TeamId, TokenId, UserId, ALL_SCOPES};

use super::auth::{check_new_password, hash_password};
use super::html::datetime;
use super::{render, see_other, FormData, Nav, Posted, Viewer, WebError};
use crate::state::AppState;

/// A key row.
pub struct KeyRow {
    /// Id.
    pub id: i64,
    /// Label.
    pub label: String,
    /// DSN.
    pub dsn: String,
    /// Events per window, or empty.
    pub rate_count: String,
    /// Window in seconds, or empty.
    pub rate_window: String,
    /// Still accepted?
    pub active: bool,
}

/// A project with its keys and scrubbing settings.
pub struct ProjectSettings {
    /// Slug.
    pub slug: String,
    /// Keys.
    pub keys: Vec<KeyRow>,
    /// Scrubbing on?
    pub scrub: bool,
    /// Extra keys, comma-separated.
    pub extra: String,
}

/// A token row.
pub struct TokenRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Scopes, space-separated.
    pub scopes: String,
    /// Created.
    pub created: String,
}

/// A team row.
pub struct TeamRow {
    /// Id.
    pub id: i64,
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Members: (user id, email).
    pub members: Vec<(i64, String)>,
}

#[derive(askama::Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Nav,
    projects: Vec<ProjectSettings>,
    tokens: Vec<TokenRow>,
    scopes: Vec<&'static str>,
    users: Vec<(i64, String, String)>,
    teams: Vec<TeamRow>,
    new_token: Option<String>,
}

async fn settings_page(
    state: &AppState,
    viewer: &Viewer,
    new_token: Option<String>,
) -> Result<Response, WebError> {
    let base = &state.config.public_url;
    let mut projects = Vec::new();
    for p in state.store.list_projects().await? {
        let keys = state
            .store
            .list_keys(p.id)
            .await?
            .into_iter()
            .map(|k| KeyRow {
                id: k.id.0,
                dsn: k.dsn(base),
                label: k.label,
                rate_count: k
                    .rate_limit_count
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                rate_window: k
                    .rate_limit_window
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                active: k.active,
            })
            .collect();
        projects.push(ProjectSettings {
            slug: p.slug,
            keys,
            scrub: p.scrub_enabled,
            extra: p.scrub_extra_keys.join(", "),
        });
    }
    let (tokens, users, teams) = if viewer.is_admin() {
        let tokens = state
            .store
            .list_tokens()
            .await?
            .into_iter()
            .map(|t| TokenRow {
                id: t.id.0,
                name: t.name,
                scopes: t.scopes.join(" "),
                created: datetime(t.created_at),
            })
            .collect();
        let users = state
            .store
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.id.0, u.email, u.role))
            .collect();
        let teams = state
            .store
            .list_teams()
            .await?
            .into_iter()
            .map(|t| TeamRow {
                id: t.team.id.0,
                slug: t.team.slug,
                name: t.team.name,
                members: t.members.into_iter().map(|u| (u.id.0, u.email)).collect(),
            })
            .collect();
        (tokens, users, teams)
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    render(&SettingsPage {
        nav: Nav::new(viewer, "settings"),
        projects,
        tokens,
        scopes: ALL_SCOPES.to_vec(),
        users,
        teams,
        new_token,
    })
}

/// `GET /settings`.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    settings_page(&state, &viewer, None).await
}

fn id_of(raw: &str, what: &str) -> Result<i64, WebError> {
    raw.parse()
        .map_err(|_| WebError::BadRequest(format!("bad {what} id '{raw}'")))
}

/// An optional positive number field.
fn opt_number(form: &FormData, name: &str) -> Result<Option<u32>, WebError> {
    match form.get(name) {
        None => Ok(None),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| WebError::BadRequest(format!("'{name}' must be a positive number"))),
    }
}

/// The project (service) with this slug, or a 404.
pub async fn named_project(
    state: &AppState,
    slug: &str,
) -> Result<faultline_store::Project, WebError> {
    state
        .store
        .project_by_slug("default", slug)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("service '{slug}' not found")))
}

/// `POST /settings/keys`: a new key for a project.
pub async fn create_key(
    State(state): State<AppState>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let project = named_project(&state, form.require("project")?).await?;
    state
        .store
        .create_key(project.id, form.get("label").unwrap_or("Key"))
        .await?;
    state.keys.invalidate();
    Ok(see_other("/settings#keys"))
}

/// `POST /settings/keys/{id}`: rename, set the rate limit, or revoke.
pub async fn update_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let key = KeyId(id_of(&id, "key")?);
    match form.get("action").unwrap_or("save") {
        "revoke" => state.store.revoke_key(key).await?,
        "save" => {
            if let Some(label) = form.get("label") {
                state.store.rename_key(key, label).await?;
            }
            let limit = match (
                opt_number(&form, "rate_count")?,
                opt_number(&form, "rate_window")?,
            ) {
                (Some(c), w) => Some((c, w.unwrap_or(60))),
                (None, _) => None,
            };
            state.store.set_key_rate_limit(key, limit).await?;
        }
        other => return Err(WebError::BadRequest(format!("unknown action '{other}'"))),
    }
    state.keys.invalidate();
    Ok(see_other("/settings#keys"))
}

/// `POST /settings/scrubbing`: a project's scrubbing switch and extra keys.
pub async fn scrubbing(
    State(state): State<AppState>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let project = named_project(&state, form.require("project")?).await?;
    let extra: Vec<String> = form
        .get("extra")
        .unwrap_or_default()
        .split([',', '\n', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    state
        .store
        .set_project_scrubbing(project.id, form.get("enabled").is_some(), &extra)
        .await?;
    state.keys.invalidate();
    Ok(see_other("/settings#scrubbing"))
}

/// `POST /settings/tokens`: creates a token and shows its secret once.
pub async fn create_token(
    State(state): State<AppState>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let name = form.require("name")?;
    let scopes: Vec<String> = form.all("scope").into_iter().map(str::to_owned).collect();
    if let Some(bad) = scopes.iter().find(|s| !ALL_SCOPES.contains(&s.as_str())) {
        return Err(WebError::BadRequest(format!("unknown scope '{bad}'")));
    }
    if scopes.is_empty() {
        return Err(WebError::BadRequest("choose at least one scope".into()));
    }
    let (_, secret) = state.store.create_token(name, &scopes).await?;
    settings_page(&state, &viewer, Some(secret)).await
}

/// `POST /settings/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer, .. }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    state
        .store
        .revoke_token(TokenId(id_of(&id, "token")?))
        .await?;
    Ok(see_other("/settings#tokens"))
}

fn role_of(form: &FormData) -> Result<&str, WebError> {
    match form.get("role").unwrap_or("member") {
        r @ ("admin" | "member") => Ok(r),
        other => Err(WebError::BadRequest(format!("unknown role '{other}'"))),
    }
}

/// `POST /settings/users`: an admin creates a user.
pub async fn create_user(
    State(state): State<AppState>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let email = form.require("email")?;
    if !email.contains('@') || email.len() > 254 {
        return Err(WebError::BadRequest(format!("'{email}' is not an email")));
    }
    let password = form.require("password")?;
    check_new_password(password)?;
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(WebError::Internal)?;
    state
        .store
        .create_user(email, &hash, role_of(&form)?)
        .await?;
    Ok(see_other("/settings#users"))
}

/// `POST /settings/users/{id}/role`.
pub async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let user = UserId(id_of(&id, "user")?);
    let role = role_of(&form)?;
    if user == viewer.user.id && role != "admin" {
        return Err(WebError::BadRequest(
            "you cannot take away your own admin role".into(),
        ));
    }
    state.store.set_user_role(user, role).await?;
    Ok(see_other("/settings#users"))
}

/// `POST /settings/teams`.
pub async fn create_team(
    State(state): State<AppState>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let slug = form.require("slug")?;
    let name = form.get("name").unwrap_or(slug);
    state.store.create_team("default", slug, name).await?;
    Ok(see_other("/settings#teams"))
}

/// `POST /settings/teams/{id}/members`: `action=add|remove`, `user`.
pub async fn team_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { viewer, form }: Posted,
) -> Result<Response, WebError> {
    viewer.require_admin()?;
    let team = TeamId(id_of(&id, "team")?);
    let user = UserId(id_of(form.require("user")?, "user")?);
    match form.get("action").unwrap_or("add") {
        "add" => state.store.add_team_member(team, user).await?,
        "remove" => state.store.remove_team_member(team, user).await?,
        other => return Err(WebError::BadRequest(format!("unknown action '{other}'"))),
    }
    Ok(see_other("/settings#teams"))
}
