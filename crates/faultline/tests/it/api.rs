//! The REST API over real ingested events: grouping, issue status and regression, search,
//! pagination, the event shape.

use faultline_testkit::{envelope_with_event, TestServer};
use serde_json::{json, Value};

use crate::python_event;

fn send(s: &TestServer, ev: &Value) {
    let r = s.post_envelope(envelope_with_event(ev));
    assert_eq!(r.status(), 200, "{}", r.text().unwrap_or_default());
}

#[test]
fn same_bug_with_different_ids_is_one_issue_and_different_types_are_two() {
    let s = TestServer::start();
    send(
        &s,
        &python_event(
            "ValueError",
            "invalid order id 1234 for user 5f0c8a9e-2b6d-4c1a-9e7f-0a1b2c3d4e5f",
            10,
        ),
    );
    send(
        &s,
        &python_event(
            "ValueError",
            "invalid order id 98765 for user 0d9c8b7a-6f5e-4d3c-2b1a-998877665544",
            10,
        ),
    );
    send(&s, &python_event("KeyError", "'sku'", 10));
    let issues = s.issues("");
    assert_eq!(issues.len(), 2, "{issues:#?}");
    let value_error = issues
        .iter()
        .find(|i| i["title"].as_str().unwrap().starts_with("ValueError"))
        .unwrap();
    assert_eq!(value_error["count"], "2");
    assert_eq!(value_error["culprit"], "app.views in checkout");
    assert_eq!(value_error["userCount"], 1);
    assert_eq!(value_error["kind"], "caught");
    assert_eq!(value_error["firstRelease"]["version"], "shop@1.0.0");
    assert_eq!(value_error["grouping"]["version"], "newstyle:2023-01-11");
    assert!(value_error["grouping"]["components"].is_object());
    let stats = value_error["stats"]["24h"].as_array().unwrap();
    assert_eq!(stats.len(), 24);
    assert_eq!(stats.iter().map(|p| p[1].as_i64().unwrap()).sum::<i64>(), 2);
}

#[test]
fn event_has_sentrys_shape_with_frames_vars_context_breadcrumbs_and_scrubbed_secrets() {
    let s = TestServer::start();
    let mut ev = python_event("TypeError", "unsupported operand", 12);
    ev["request"] = json!({"url": "https://shop.example/checkout?coupon=X&password=hunter2", "method": "POST",
        "headers": {"Authorization": "Bearer abc", "User-Agent": "curl/8"}, "data": {"card": "4111 1111 1111 1111"}});
    send(&s, &ev);
    let issue = &s.issues("TypeError")[0];
    let id = issue["id"].as_str().unwrap();
    let latest = s.api_get(&format!("/api/0/issues/{id}/events/latest/"));
    assert_eq!(latest["eventID"], ev["event_id"]);
    assert_eq!(latest["groupID"], id);
    assert_eq!(latest["release"]["version"], "shop@1.0.0");
    assert_eq!(latest["environment"], "production");
    assert_eq!(
        latest["user"]["id"], "42",
        "numeric user ids become strings"
    );
    assert_eq!(latest["sdk"]["name"], "sentry.python");
    let tags: Vec<(String, String)> = latest["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["key"].as_str().unwrap().to_owned(),
                t["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        tags.contains(&("shop.region".into(), "eu".into())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("environment".into(), "production".into())),
        "{tags:?}"
    );
    let entries = latest["entries"].as_array().unwrap();
    let exc = entries.iter().find(|e| e["type"] == "exception").unwrap();
    let frames = exc["data"]["values"][0]["stacktrace"]["frames"]
        .as_array()
        .unwrap();
    let app = &frames[1];
    assert_eq!(app["inApp"], true);
    assert_eq!(app["lineNo"], 12);
    assert_eq!(app["function"], "checkout");
    assert_eq!(
        app["context"],
        json!([
            [10, "def checkout(request):"],
            [11, "    cart = load_cart(request)"],
            [12, "    total = compute_total(cart)"],
            [13, "    return render(request, total)"]
        ])
    );
    assert_eq!(app["vars"]["cart"], "{'items': 3}");
    assert_eq!(app["vars"]["password"], "[Filtered]");
    let crumbs = entries.iter().find(|e| e["type"] == "breadcrumbs").unwrap();
    assert_eq!(crumbs["data"]["values"][0]["message"], "SELECT 1");
    let req = entries.iter().find(|e| e["type"] == "request").unwrap();
    assert_eq!(req["data"]["method"], "POST");
    let raw = serde_json::to_string(&latest).unwrap();
    assert!(!raw.contains("hunter2"), "password leaked: {raw}");
    assert!(!raw.contains("Bearer abc"), "authorization header leaked");
    assert!(!raw.contains("4111 1111 1111 1111"), "card number leaked");
    // The same event by id, and in the issue's event list.
    let by_id = s.api_get(&format!(
        "/api/0/projects/default/default/events/{}/",
        ev["event_id"].as_str().unwrap()
    ));
    assert_eq!(by_id["entries"], latest["entries"]);
    let list = s.api_get(&format!("/api/0/issues/{id}/events/"));
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn resolve_then_new_event_regresses_and_next_release_waits_for_a_newer_release() {
    let s = TestServer::start();
    send(&s, &python_event("RuntimeError", "boom", 20));
    let id = s.issues("RuntimeError")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = s.api_put(
        &format!("/api/0/issues/{id}/"),
        &json!({"status": "resolved"}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        s.api_get(&format!("/api/0/issues/{id}/"))["status"],
        "resolved"
    );
    assert!(
        s.issues("is:unresolved RuntimeError").is_empty(),
        "resolved issues leave the unresolved list"
    );
    send(&s, &python_event("RuntimeError", "boom", 20));
    let issue = s.api_get(&format!("/api/0/issues/{id}/"));
    assert_eq!(issue["status"], "unresolved");
    assert_eq!(issue["substatus"], "regressed");
    assert_eq!(issue["count"], "2");

    // Resolved in next release: more events of shop@1.0.0 keep it resolved; shop@1.1.0 reopens it.
    let r = s.api_put(
        &format!("/api/0/organizations/default/issues/{id}/"),
        &json!({"status": "resolved", "statusDetails": {"inNextRelease": true}}),
    );
    assert_eq!(r.status(), 200);
    let issue: Value = r.json().unwrap();
    assert_eq!(issue["statusDetails"], json!({"inNextRelease": true}));
    send(&s, &python_event("RuntimeError", "boom", 20));
    assert_eq!(
        s.api_get(&format!("/api/0/issues/{id}/"))["status"],
        "resolved"
    );
    let mut newer = python_event("RuntimeError", "boom", 20);
    newer["release"] = json!("shop@1.1.0");
    send(&s, &newer);
    let issue = s.api_get(&format!("/api/0/issues/{id}/"));
    assert_eq!(issue["status"], "unresolved");
    assert_eq!(issue["substatus"], "regressed");
    let mut releases: Vec<&str> = issue["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    releases.sort();
    assert_eq!(releases, vec!["shop@1.0.0", "shop@1.1.0"]);
    assert_eq!(issue["environments"], json!(["production"]));
    assert_eq!(issue["lastRelease"]["version"], "shop@1.1.0");

    // Ignored issues stay ignored.
    assert_eq!(
        s.api_put(
            &format!("/api/0/issues/{id}/"),
            &json!({"status": "ignored"})
        )
        .status(),
        200
    );
    send(&s, &python_event("RuntimeError", "boom", 20));
    assert_eq!(
        s.api_get(&format!("/api/0/issues/{id}/"))["status"],
        "ignored"
    );
    assert_eq!(s.issues("is:ignored").len(), 1);
    let bad = s.api_put(
        &format!("/api/0/issues/{id}/"),
        &json!({"status": "sleeping"}),
    );
    assert_eq!(bad.status(), 400);
    assert!(bad.json::<Value>().unwrap()["detail"]
        .as_str()
        .unwrap()
        .contains("sleeping"));
}

#[test]
fn search_filters_by_status_level_release_environment_and_text() {
    let s = TestServer::start();
    let mut a = python_event("ConnectionError", "db down", 1);
    a["environment"] = json!("staging");
    a["level"] = json!("fatal");
    send(&s, &a);
    let mut b = python_event("TimeoutError", "slow upstream", 2);
    b["release"] = json!("shop@2.0.0");
    send(&s, &b);
    let titles = |q: &str| -> Vec<String> {
        s.issues(q)
            .iter()
            .map(|i| {
                i["title"]
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(titles("environment:staging"), vec!["ConnectionError"]);
    assert_eq!(titles("level:fatal"), vec!["ConnectionError"]);
    assert_eq!(titles("release:shop@2.0.0"), vec!["TimeoutError"]);
    assert_eq!(titles("is:unresolved upstream"), vec!["TimeoutError"]);
    assert_eq!(titles("\"db down\""), vec!["ConnectionError"]);
    assert_eq!(titles("!environment:staging"), vec!["TimeoutError"]);
    assert_eq!(titles("is:resolved"), Vec::<String>::new());
    let r = s.api_get_raw("/api/0/projects/default/default/issues/?query=is:bogus");
    assert_eq!(r.status(), 400);
}

#[test]
fn issue_list_pages_with_link_headers() {
    let s = TestServer::start();
    for i in 0..5 {
        send(&s, &python_event(&format!("PageError{i}"), "x", 1));
    }
    let r = s.api_get_raw("/api/0/projects/default/default/issues/?query=&limit=2");
    let link = r.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("rel=\"next\"; results=\"true\""), "{link}");
    assert!(
        link.contains("rel=\"previous\"; results=\"false\""),
        "{link}"
    );
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = s.api_get_raw(&format!(
            "/api/0/projects/default/default/issues/?query=&limit=2&cursor={cursor}"
        ));
        let link = r.headers()["link"].to_str().unwrap().to_owned();
        let page: Vec<Value> = r.json().unwrap();
        seen.extend(page.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        let next = link
            .split(", ")
            .find(|p| p.contains("rel=\"next\""))
            .unwrap();
        if next.contains("results=\"false\"") {
            break;
        }
        cursor = next
            .split("cursor=\"")
            .nth(1)
            .unwrap()
            .trim_end_matches('"')
            .to_owned();
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);
}

#[test]
fn api_requires_a_valid_token_with_the_right_scope() {
    let s = TestServer::start();
    let r = s
        .http()
        .get(format!("{}/api/0/projects/", s.url))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.json::<Value>().unwrap()["detail"].is_string());
    let r = s
        .http()
        .get(format!("{}/api/0/projects/", s.url))
        .bearer_auth("flt_wrong")
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    let store = s.store.clone();
    let (_, read_only) = s.runtime.block_on(async move {
        store
            .create_token("ro", &["project:read".into(), "event:read".into()])
            .await
            .unwrap()
    });
    let r = s
        .http()
        .put(format!("{}/api/0/issues/1/", s.url))
        .bearer_auth(&read_only)
        .json(&json!({"status": "resolved"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let projects = s.api_get("/api/0/projects/");
    assert_eq!(projects[0]["slug"], "default");
    let keys = s.api_get("/api/0/projects/default/default/keys/");
    assert_eq!(keys[0]["dsn"]["public"], s.dsn);
    assert_eq!(s.api_get_raw("/api/0/issues/999999/").status(), 404);
    assert_eq!(
        s.api_get_raw("/api/0/projects/default/nope/issues/")
            .status(),
        404
    );
}
