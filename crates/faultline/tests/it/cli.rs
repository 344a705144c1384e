//! The command line, run as the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use faultline_testkit::{envelope_with_event, TestDatabase};

use crate::python_event;

pub const BIN: &str = env!("CARGO_BIN_EXE_faultline");

/// Runs the binary on the test's database (SQLite or PostgreSQL, see `TestDatabase`).
pub fn run(db: &TestDatabase, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .envs(db.env())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or_default().trim()
}

/// A `faultline serve` child process on a free port; killed on drop.
pub struct ServeProcess {
    pub child: Child,
    pub url: String,
    pub dsn: String,
    pub stdout: Vec<String>,
}

impl ServeProcess {
    pub fn start(db: &TestDatabase, extra_env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .envs(db.env())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut stdout = Vec::new();
        let (mut url, mut dsn) = (String::new(), String::new());
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("Faultline ") {
                url = rest
                    .split(" listening on ")
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
            }
            if let Some(d) = line.strip_prefix("DSN: ") {
                dsn = d.to_owned();
            }
            stdout.push(line);
            if !dsn.is_empty() {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        assert!(
            !url.is_empty() && !dsn.is_empty(),
            "serve printed {stdout:?}"
        );
        ServeProcess {
            child,
            url,
            dsn,
            stdout,
        }
    }

    /// (project id, public key) from the DSN.
    pub fn key(&self) -> (String, String) {
        dsn_parts(&self.dsn)
    }
}

pub fn dsn_parts(dsn: &str) -> (String, String) {
    let key = dsn
        .split("://")
        .nth(1)
        .unwrap()
        .split('@')
        .next()
        .unwrap()
        .to_owned();
    let project = dsn.rsplit('/').next().unwrap().to_owned();
    (project, key)
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn version_help_and_bad_usage() {
    let db = TestDatabase::fresh();
    let (code, out, _) = run(&db, &["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("faultline "), "{out}");
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["project", "create", "--help"],
        &["token", "create", "--help"],
        &["key", "list", "--help"],
    ] {
        let (code, out, _) = run(&db, args);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage"), "{args:?}: {out}");
    }
    let (code, _, err) = run(
        &db,
        &[
            "project",
            "list",
            "--database-url",
            "mysql://root@localhost/x",
        ],
    );
    assert_eq!(code, 1);
    assert!(err.contains("unsupported database URL"), "{err}");
    let (code, _, err) = run(
        &db,
        &[
            "project",
            "list",
            "--database-url",
            "postgres://nobody:pw@127.0.0.1:1/none",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot open the database postgres://nobody:***@127.0.0.1:1/none"),
        "{err}"
    );
    let (code, _, err) = run(&db, &["frobnicate"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&db, &["project", "create"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&db, &["serve", "--listen", "not-an-address"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&db, &["project", "create", "bad name!"]);
    assert_eq!(code, 1);
    assert!(err.contains("bad name!"), "{err}");
    let (code, _, err) = run(
        &db,
        &["token", "create", "--name", "t", "--scopes", "nope:read"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("nope:read"), "{err}");
}

#[test]
fn projects_keys_and_tokens_from_the_command_line() {
    let db = TestDatabase::fresh();
    let (code, out, err) = run(
        &db,
        &["project", "create", "checkout", "--platform", "python"],
    );
    assert_eq!(code, 0, "{err}");
    let dsn = last_line(&out).to_owned();
    assert!(dsn.starts_with("http://") && dsn.ends_with("/2"), "{dsn}");
    let (code, _, err) = run(&db, &["project", "create", "checkout"]);
    assert_eq!(code, 1, "duplicate name");
    assert!(err.contains("already exists"), "{err}");
    let (_, out, _) = run(&db, &["project", "list"]);
    assert!(
        out.contains("default") && out.contains("checkout") && out.contains("python"),
        "{out}"
    );
    let (code, out, _) = run(&db, &["key", "list", "--project", "checkout"]);
    assert_eq!(code, 0);
    assert!(out.contains(&dsn), "{out}");
    let (code, _, err) = run(&db, &["key", "list", "--project", "missing"]);
    assert_eq!(code, 1);
    assert!(err.contains("missing"), "{err}");
    let (code, out, err) = run(
        &db,
        &[
            "project",
            "update",
            "checkout",
            "--scrubbing",
            "off",
            "--scrub-keys",
            "ssn,iban",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        last_line(&out),
        "Project checkout: scrubbing off, extra keys: ssn,iban"
    );
    let (code, _, _) = run(
        &db,
        &["project", "update", "checkout", "--scrubbing", "maybe"],
    );
    assert_eq!(code, 2);
    let (code, out, _) = run(
        &db,
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--scopes",
            "event:read,project:read",
        ],
    );
    assert_eq!(code, 0);
    assert!(last_line(&out).starts_with("flt_"), "{out}");
}

#[test]
fn cli_works_while_the_server_runs_and_new_keys_ingest_at_once() {
    let db = TestDatabase::fresh();
    let server = ServeProcess::start(&db, &[("FAULTLINE_ADMIN_PASSWORD", "s3cret-pass")]);
    assert!(
        server
            .stdout
            .iter()
            .any(|l| l.contains("Admin user: admin@localhost")),
        "{:?}",
        server.stdout
    );
    assert!(
        !server.stdout.iter().any(|l| l.contains("s3cret-pass")),
        "a chosen password is never printed"
    );
    let (code, out, err) = run(
        &db,
        &["project", "create", "payments", "--public-url", &server.url],
    );
    assert_eq!(code, 0, "{err}");
    let dsn = last_line(&out);
    let (project, key) = dsn_parts(dsn);
    let (code, out, _) = run(&db, &["token", "create", "--name", "live"]);
    assert_eq!(code, 0);
    let token = last_line(&out).to_owned();
    let http = reqwest::blocking::Client::new();
    let ev = python_event("LiveError", "x", 1);
    let r = http
        .post(format!("{}/api/{project}/envelope/", server.url))
        .header(
            "X-Sentry-Auth",
            format!("Sentry sentry_key={key}, sentry_version=7"),
        )
        .body(envelope_with_event(&ev))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
    let issues: serde_json::Value = http
        .get(format!(
            "{}/api/0/projects/default/payments/issues/",
            server.url
        ))
        .bearer_auth(&token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(issues[0]["title"], "LiveError: x");
}

#[test]
fn first_start_generates_and_prints_an_admin_password_once() {
    let db = TestDatabase::fresh();
    let first = ServeProcess::start(&db, &[]);
    assert!(
        first
            .stdout
            .iter()
            .any(|l| l.contains("Admin user: admin@localhost  password: ")),
        "{:?}",
        first.stdout
    );
    drop(first);
    let second = ServeProcess::start(&db, &[]);
    assert!(
        !second.stdout.iter().any(|l| l.contains("password")),
        "{:?}",
        second.stdout
    );
    assert!(
        second
            .stdout
            .iter()
            .any(|l| l.starts_with("UI: http://127.0.0.1:")),
        "{:?}",
        second.stdout
    );
}
