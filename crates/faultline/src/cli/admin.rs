//! `faultline project|key|token …`

use anyhow::Context;
use clap::Subcommand;
use faultline_store::ALL_SCOPES;

use super::{open_store, DataArgs};

/// The URL DSNs are printed with when no server address is known.
fn public_url(explicit: Option<String>) -> String {
    explicit.unwrap_or_else(|| "http://127.0.0.1:8000".to_owned())
}

/// `faultline project …`
#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project; prints its DSN as the last line.
    Create {
        /// Project name (also its slug): letters, digits, '-' and '_'.
        name: String,
        /// Organization slug.
        #[arg(long, default_value = "default")]
        org: String,
        /// Team slug.
        #[arg(long, default_value = "default")]
        team: String,
        /// Platform (python, node, javascript, java, go, …).
        #[arg(long)]
        platform: Option<String>,
        /// Base URL the server is reached at, for the DSN.
        #[arg(long, env = "FAULTLINE_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Change a project's settings.
    Update {
        /// Project name.
        name: String,
        /// Organization slug.
        #[arg(long, default_value = "default")]
        org: String,
        /// Server-side PII scrubbing.
        #[arg(long, value_parser = ["on", "off"])]
        scrubbing: Option<String>,
        /// Extra key names to scrub, comma-separated (replaces the list; "" clears it).
        #[arg(long)]
        scrub_keys: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List projects.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `faultline key …`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// List a project's keys with their DSNs.
    List {
        /// Project name.
        #[arg(long)]
        project: String,
        /// Organization slug.
        #[arg(long, default_value = "default")]
        org: String,
        /// Base URL the server is reached at, for the DSN.
        #[arg(long, env = "FAULTLINE_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Add a key to a project; prints its DSN as the last line.
    Create {
        /// Project name.
        #[arg(long)]
        project: String,
        /// Organization slug.
        #[arg(long, default_value = "default")]
        org: String,
        /// A label for the key.
        #[arg(long, default_value = "Default")]
        label: String,
        /// Rate limit: at most COUNT events per WINDOW seconds, written COUNT/WINDOW (e.g. 100/60).
        #[arg(long)]
        rate_limit: Option<String>,
        /// Base URL the server is reached at, for the DSN.
        #[arg(long, env = "FAULTLINE_PUBLIC_URL")]
        public_url: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `faultline token …`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; prints it as the last line.
    Create {
        /// A name for the token.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes (default: read and write on everything).
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Opens the store and finds a project by organization and name.
async fn open_project(
    data: &DataArgs,
    org: &str,
    name: &str,
) -> anyhow::Result<(
    std::sync::Arc<dyn faultline_store::Store>,
    faultline_store::Project,
)> {
    let store = open_store(data).await?;
    store.bootstrap().await?;
    let p = store
        .project_by_slug(org, name)
        .await?
        .with_context(|| format!("no project '{name}' in organization '{org}'"))?;
    Ok((store, p))
}

pub async fn project(cmd: ProjectCommand) -> anyhow::Result<()> {
    match cmd {
        ProjectCommand::Create {
            name,
            org,
            team,
            platform,
            public_url: url,
            data,
        } => {
            let store = open_store(&data).await?;
            store.bootstrap().await?;
            let (project, key) = store
                .create_project(&org, &team, &name, platform.as_deref())
                .await
                .with_context(|| format!("cannot create project '{name}'"))?;
            println!(
                "Created project {} (id {}) in organization {}",
                project.slug, project.id, project.org_slug
            );
            println!("{}", key.dsn(&public_url(url)));
        }
        ProjectCommand::Update {
            name,
            org,
            scrubbing,
            scrub_keys,
            data,
        } => {
            let (store, p) = open_project(&data, &org, &name).await?;
            let enabled = scrubbing.map(|s| s == "on").unwrap_or(p.scrub_enabled);
            let keys: Vec<String> = match scrub_keys {
                Some(k) => k
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
                None => p.scrub_extra_keys,
            };
            store.set_project_scrubbing(p.id, enabled, &keys).await?;
            println!(
                "Project {}: scrubbing {}, extra keys: {}",
                p.slug,
                if enabled { "on" } else { "off" },
                if keys.is_empty() {
                    "none".to_owned()
                } else {
                    keys.join(",")
                }
            );
        }
        ProjectCommand::List { data } => {
            let store = open_store(&data).await?;
            store.bootstrap().await?;
            println!("{:<6} {:<12} {:<24} PLATFORM", "ID", "ORG", "PROJECT");
            for p in store.list_projects().await? {
                println!(
                    "{:<6} {:<12} {:<24} {}",
                    p.id,
                    p.org_slug,
                    p.slug,
                    p.platform.as_deref().unwrap_or("-")
                );
            }
        }
    }
    Ok(())
}

fn parse_rate_limit(raw: &str) -> anyhow::Result<(u32, u32)> {
    let (count, window) = raw
        .split_once('/')
        .context("rate limit must look like COUNT/WINDOW_SECONDS, e.g. 100/60")?;
    let count: u32 = count
        .trim()
        .parse()
        .context("rate limit COUNT must be a whole number")?;
    let window: u32 = window
        .trim()
        .parse()
        .context("rate limit WINDOW must be a whole number of seconds")?;
    anyhow::ensure!(window > 0, "rate limit WINDOW must be at least 1 second");
    Ok((count, window))
}

pub async fn key(cmd: KeyCommand) -> anyhow::Result<()> {
    match cmd {
        KeyCommand::List {
            project,
            org,
            public_url: url,
            data,
        } => {
            let (store, p) = open_project(&data, &org, &project).await?;
            for k in store.list_keys(p.id).await? {
                let limit = match (k.rate_limit_count, k.rate_limit_window) {
                    (Some(c), Some(w)) => format!("{c}/{w}s"),
                    _ => "unlimited".into(),
                };
                let state = if k.active { "active" } else { "revoked" };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    k.public_key,
                    k.label,
                    state,
                    limit,
                    k.dsn(&public_url(url.clone()))
                );
            }
        }
        KeyCommand::Create {
            project,
            org,
            label,
            rate_limit,
            public_url: url,
            data,
        } => {
            let limit = rate_limit.as_deref().map(parse_rate_limit).transpose()?;
            let (store, p) = open_project(&data, &org, &project).await?;
            let k = store.create_key(p.id, &label).await?;
            if limit.is_some() {
                store.set_key_rate_limit(k.id, limit).await?;
            }
            println!("{}", k.dsn(&public_url(url)));
        }
    }
    Ok(())
}

pub async fn token(cmd: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create { name, scopes, data } = cmd;
    let scopes: Vec<String> = if scopes.is_empty() {
        ALL_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        scopes
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let store = open_store(&data).await?;
    store.bootstrap().await?;
    let (token, secret) = store.create_token(&name, &scopes).await?;
    println!(
        "Created token '{}' with scopes: {}",
        token.name,
        token.scopes.join(" ")
    );
    println!("{secret}");
    Ok(())
}
