//! `faultline migrate`: a whole SQLite installation moves to PostgreSQL, verified by counts, and
//! a server on PostgreSQL carries on where the SQLite one stopped.

use std::process::Command;
use std::time::{Duration, Instant};

use faultline_store::ProjectId;
use faultline_testkit::{envelope_with_event, TestDatabase, TestServer};
use serde_json::{json, Value};

use crate::cli::{ServeProcess, BIN};
use crate::{new_id, python_event};

fn migrate(from: &std::path::Path, to: &str) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(["migrate", "--from", &from.display().to_string(), "--to", to])
        .env_remove("FAULTLINE_DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn migrate_moves_everything_to_postgres_and_refuses_a_non_empty_target() {
    // An SQLite installation with a bit of everything: events (some compressed with a trained
    // dictionary), attachments, users, tags, a resolved issue, sessions, client reports, agents.
    let dir = tempfile::tempdir().unwrap();
    let s = TestServer::start_in(dir.path().to_path_buf(), |_| {});
    let mut ids = Vec::new();
    for i in 0..(faultline_store::codec::TRAIN_SAMPLES + 20) {
        let ev = python_event("MigrateError", &format!("event {i}"), (i % 3) as i64);
        ids.push(ev["event_id"].as_str().unwrap().to_owned());
        assert_eq!(s.post_envelope(envelope_with_event(&ev)).status(), 200);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while !s.store.codec().has_current(ProjectId(s.project_id)) {
        assert!(Instant::now() < deadline, "no dictionary was trained");
        std::thread::sleep(Duration::from_millis(100));
    }
    let late = python_event("LateError", "compressed with the dictionary", 1);
    let late_id = late["event_id"].as_str().unwrap().to_owned();
    assert_eq!(s.post_envelope(envelope_with_event(&late)).status(), 200);
    let with_file = python_event("AttachedError", "with a file", 1);
    let payload = serde_json::to_vec(&with_file).unwrap();
    let mut body = format!(
        "{{\"event_id\":\"{}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n",
        with_file["event_id"].as_str().unwrap(),
        payload.len()
    )
    .into_bytes();
    body.extend_from_slice(&payload);
    body.extend_from_slice(
        b"\n{\"type\":\"attachment\",\"length\":5,\"filename\":\"a.log\"}\nhello\n",
    );
    assert_eq!(s.post_envelope(body).status(), 200);
    let now = chrono::Utc::now().to_rfc3339();
    let side = format!(
        "{{}}\n{{\"type\":\"session\"}}\n{{\"sid\":\"{}\",\"init\":true,\"started\":\"{now}\",\"status\":\"exited\",\"attrs\":{{\"release\":\"shop@1.0.0\"}}}}\n{{\"type\":\"client_report\"}}\n{{\"timestamp\":\"{now}\",\"discarded_events\":[{{\"reason\":\"queue_overflow\",\"category\":\"error\",\"quantity\":3}}]}}\n",
        new_id()
    );
    assert_eq!(s.post_envelope(side).status(), 200);
    let issues = s.issues("");
    let late_issue = issues
        .iter()
        .find(|i| i["title"] == "LateError: compressed with the dictionary")
        .unwrap();
    let r = s.api_put(
        &format!("/api/0/issues/{}/", late_issue["id"].as_str().unwrap()),
        &json!({"status": "resolved"}),
    );
    assert_eq!(r.status(), 200);
    let before: Vec<(Value, Value)> = s
        .issues("")
        .iter()
        .map(|i| (i["title"].clone(), i["count"].clone()))
        .collect();
    let token = s.token.clone();
    let store = s.store.clone();
    let rt = s.runtime.clone();
    rt.block_on(store.create_user("admin@localhost", "hash", "admin"))
        .unwrap();
    drop(store);
    drop(s);

    let pg = TestDatabase::postgres();
    let url = pg.url().unwrap().to_owned();
    let (code, out, err) = migrate(dir.path(), &url);
    assert_eq!(code, 0, "{out}\n{err}");
    for table in [
        "events",
        "issues",
        "payload_dicts",
        "attachments",
        "session_hours",
        "api_tokens",
        "users",
    ] {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table))
            .unwrap_or_else(|| panic!("no count for {table}: {out}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[1], cols[2], "{line}");
        assert_ne!(cols[1], "0", "{table} was copied: {line}");
    }
    assert!(out.contains("Verified"), "{out}");

    // Twice is refused: the target is no longer empty.
    let (code, _, err) = migrate(dir.path(), &url);
    assert_eq!(code, 1);
    assert!(err.contains("not empty"), "{err}");
    let (code, _, err) = migrate(&dir.path().join("nowhere"), &url);
    assert_eq!(code, 1);
    assert!(err.contains("not found"), "{err}");

    // A server on PostgreSQL serves the same data, with the same token, and takes new events.
    let server = ServeProcess::start(&pg, &[]);
    assert!(
        !server.stdout.iter().any(|l| l.contains("password")),
        "the migrated admin user is kept: {:?}",
        server.stdout
    );
    let http = reqwest::blocking::Client::new();
    let get = |path: &str| -> Value {
        let r = http
            .get(format!("{}{path}", server.url))
            .bearer_auth(&token)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().unwrap()
    };
    let after: Vec<(Value, Value)> = get("/api/0/projects/default/default/issues/?query=")
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["title"].clone(), i["count"].clone()))
        .collect();
    assert_eq!(after, before);
    for id in [&ids[0], &ids[ids.len() - 1], &late_id] {
        let ev = get(&format!("/api/0/projects/default/default/events/{id}/"));
        assert_eq!(
            ev["eventID"].as_str().or(ev["id"].as_str()),
            Some(id.as_str())
        );
    }
    let sessions = get("/api/0/projects/default/default/sessions/");
    assert_eq!(sessions[0]["total"], 1);
    let (project, key) = server.key();
    let ev = python_event("AfterMigrateError", "new issue, new ids", 1);
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
    let issues = get("/api/0/projects/default/default/issues/?query=");
    assert!(issues
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["title"] == "AfterMigrateError: new issue, new ids"));
}
