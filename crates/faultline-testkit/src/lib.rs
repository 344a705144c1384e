//! Test support: boots a real Faultline server on 127.0.0.1 with a fresh database, and a small
//! blocking HTTP client for its API.
//!
//! The backend comes from `FAULTLINE_TEST_BACKEND`: `sqlite` (default: a temporary data
//! directory) or `postgres` (a fresh, uniquely named database on the server at
//! `FAULTLINE_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/postgres`, dropped when
//! the test is done). See [`TestDatabase`].
//!
//! ```no_run
//! let server = faultline_testkit::TestServer::start();
//! let issues = server.api_get("/api/0/projects/default/default/issues/?query=");
//! assert!(issues.is_array());
//! ```

mod database;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use faultline_server::ServerConfig;
use faultline_store::{sqlite::SqliteStore, Store};

pub use database::{backend_is_postgres, TestDatabase};
use serde_json::Value;
use tokio::sync::oneshot;

/// A running server and what a test needs to talk to it.
pub struct TestServer {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// DSN of the default project.
    pub dsn: String,
    /// Public key of the default project's DSN.
    pub key: String,
    /// Id of the default project.
    pub project_id: i64,
    /// An API token with every scope.
    pub token: String,
    /// The data directory (SQLite's database; unused on PostgreSQL).
    pub data_dir: PathBuf,
    /// The store, for direct checks.
    pub store: Arc<dyn Store>,
    /// The runtime the server runs on.
    pub runtime: Arc<tokio::runtime::Runtime>,
    http: reqwest::blocking::Client,
    stop: Option<oneshot::Sender<()>>,
    done: std::sync::Mutex<Option<std::sync::mpsc::Receiver<()>>>,
    /// The test's own database, dropped last (after the server and its connections).
    _db: Option<TestDatabase>,
}

impl TestServer {
    /// Starts a server with default settings.
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    /// Starts a server after letting the test adjust its settings.
    pub fn start_with(adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let db = TestDatabase::fresh();
        let runtime = runtime();
        let store = runtime.block_on(db.open());
        let mut s = Self::start_on(runtime, store, db.path().to_path_buf(), adjust);
        s._db = Some(db);
        s
    }

    /// Starts a server on an existing SQLite data directory (kept when the server stops).
    pub fn start_in(data_dir: PathBuf, adjust: impl FnOnce(&mut ServerConfig)) -> Self {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&data_dir).expect("open store"));
        Self::start_on(runtime(), store, data_dir, adjust)
    }

    fn start_on(
        runtime: Arc<tokio::runtime::Runtime>,
        store: Arc<dyn Store>,
        data_dir: PathBuf,
        adjust: impl FnOnce(&mut ServerConfig),
    ) -> Self {
        let (boot, token) = runtime.block_on(async {
            let boot = store.bootstrap().await.expect("bootstrap");
            let scopes: Vec<String> = faultline_store::ALL_SCOPES
                .iter()
                .map(|s| s.to_string())
                .collect();
            let (_, token) = store.create_token("tests", &scopes).await.expect("token");
            (boot, token)
        });
        let listener = runtime
            .block_on(faultline_server::bind(SocketAddr::from((
                [127, 0, 0, 1],
                0,
            ))))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = ServerConfig::new(addr);
        adjust(&mut config);
        let url = format!("http://{addr}");
        let (stop, stopped) = oneshot::channel::<()>();
        let (done_tx, done) = std::sync::mpsc::channel();
        let st = store.clone();
        runtime.spawn(async move {
            let _ = faultline_server::serve(listener, st, config, async {
                let _ = stopped.await;
            })
            .await;
            let _ = done_tx.send(());
        });
        TestServer {
            dsn: boot.key.dsn(&url),
            key: boot.key.public_key.clone(),
            project_id: boot.project.id.0,
            url,
            token,
            data_dir,
            store,
            runtime,
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            stop: Some(stop),
            done: std::sync::Mutex::new(Some(done)),
            _db: None,
        }
    }

    /// The envelope endpoint of the default project.
    pub fn envelope_url(&self) -> String {
        format!("{}/api/{}/envelope/", self.url, self.project_id)
    }

    /// The store endpoint of the default project.
    pub fn store_url(&self) -> String {
        format!("{}/api/{}/store/", self.url, self.project_id)
    }

    /// The `X-Sentry-Auth` header value for the default key.
    pub fn auth_header(&self) -> String {
        format!(
            "Sentry sentry_version=7, sentry_client=faultline-tests/1.0, sentry_key={}",
            self.key
        )
    }

    /// A blocking HTTP client.
    pub fn http(&self) -> &reqwest::blocking::Client {
        &self.http
    }

    /// GET an API path with the token; panics unless 200; returns the JSON.
    pub fn api_get(&self, path: &str) -> Value {
        let r = self.api_get_raw(path);
        let status = r.status();
        let body = r.text().unwrap_or_default();
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
    }

    /// GET an API path with the token.
    pub fn api_get_raw(&self, path: &str) -> reqwest::blocking::Response {
        self.http
            .get(format!("{}{}", self.url, path))
            .bearer_auth(&self.token)
            .send()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// PUT JSON to an API path with the token.
    pub fn api_put(&self, path: &str, body: &Value) -> reqwest::blocking::Response {
        self.http
            .put(format!("{}{}", self.url, path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"))
    }

    /// Posts raw envelope bytes with the default key's auth header.
    pub fn post_envelope(
        &self,
        body: impl Into<reqwest::blocking::Body>,
    ) -> reqwest::blocking::Response {
        self.http
            .post(self.envelope_url())
            .header("X-Sentry-Auth", self.auth_header())
            .body(body)
            .send()
            .expect("post envelope")
    }

    /// Issues of the default project matching `query`.
    pub fn issues(&self, query: &str) -> Vec<Value> {
        let q: String = query
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        match self.api_get(&format!(
            "/api/0/projects/default/default/issues/?query={q}"
        )) {
            Value::Array(a) => a,
            other => panic!("issue list is not an array: {other}"),
        }
    }

    /// Creates a web UI user (`role` is `admin` or `member`) signing in with `password`, as
    /// `faultline serve` creates the first admin from `FAULTLINE_ADMIN_*`; returns its id.
    pub fn create_user(&self, email: &str, password: &str, role: &str) -> i64 {
        let hash = faultline_server::web::auth::hash_password(password).expect("hash password");
        let store = self.store.clone();
        let (email, role) = (email.to_owned(), role.to_owned());
        self.runtime.block_on(async move {
            store
                .create_user(&email, &hash, &role)
                .await
                .expect("create user")
                .id
                .0
        })
    }

    /// Number of stored events.
    pub fn stored_events(&self) -> u64 {
        let store = self.store.clone();
        self.runtime
            .block_on(async move { store.count_events().await.expect("count") })
    }

    /// Stops the server and waits until the writer has drained.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.lock().ok().and_then(|mut d| d.take()) {
            let _ = done.recv_timeout(Duration::from_secs(30));
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn runtime() -> Arc<tokio::runtime::Runtime> {
    Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime"),
    )
}

/// A minimal envelope with one event, for tests that do not care about the payload's shape.
pub fn envelope_with_event(event: &Value) -> Vec<u8> {
    let id = event.get("event_id").and_then(Value::as_str).unwrap_or("");
    let payload = serde_json::to_vec(event).expect("json");
    let mut out = Vec::new();
    out.extend_from_slice(format!("{{\"event_id\":\"{id}\"}}\n").as_bytes());
    out.extend_from_slice(
        format!("{{\"type\":\"event\",\"length\":{}}}\n", payload.len()).as_bytes(),
    );
    out.extend_from_slice(&payload);
    out.push(b'\n');
    out
}
