//! The real Rust `sentry` crate as a client.
// sentry's option and scope types are non-exhaustive: they can only be built by assignment.
#![allow(clippy::field_reassign_with_default)]

use faultline_testkit::TestServer;
use serde_json::Value;

#[derive(Debug)]
struct PaymentDeclined(u32);

impl std::fmt::Display for PaymentDeclined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "payment {} declined", self.0)
    }
}

impl std::error::Error for PaymentDeclined {}

#[test]
fn rust_sentry_crate_reports_errors_messages_and_breadcrumbs() {
    let s = TestServer::start();
    {
        let mut options = sentry::ClientOptions::default();
        options.release = Some("rusty@0.3.0".into());
        options.environment = Some("ci".into());
        let _guard = sentry::init((s.dsn.as_str(), options));
        sentry::configure_scope(|scope| {
            scope.set_tag("component", "billing");
            let mut user = sentry::User::default();
            user.id = Some("u-77".into());
            scope.set_user(Some(user));
        });
        let mut crumb = sentry::Breadcrumb::default();
        crumb.message = Some("charging card".into());
        crumb.category = Some("billing".into());
        sentry::add_breadcrumb(crumb);
        for n in [1001, 2002] {
            sentry::capture_error(&PaymentDeclined(n));
        }
        sentry::capture_message("cache warmed in 35 ms", sentry::Level::Info);
        sentry::capture_message("cache warmed in 120 ms", sentry::Level::Info);
        assert!(sentry::Hub::current()
            .client()
            .unwrap()
            .flush(Some(std::time::Duration::from_secs(10))));
    }
    let issues = s.issues("");
    let titles: Vec<&str> = issues
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(issues.len(), 2, "{titles:?}");
    let err = issues
        .iter()
        .find(|i| i["title"].as_str().unwrap().contains("declined"))
        .unwrap();
    assert_eq!(
        err["count"], "2",
        "same error type from the same place is one issue"
    );
    let msg = issues
        .iter()
        .find(|i| i["title"].as_str().unwrap().starts_with("cache warmed"))
        .unwrap();
    assert_eq!(
        msg["count"], "2",
        "messages differing only in numbers group together"
    );
    assert_eq!(msg["level"], "info");
    let ev = s.api_get(&format!(
        "/api/0/issues/{}/events/latest/",
        err["id"].as_str().unwrap()
    ));
    assert_eq!(ev["release"]["version"], "rusty@0.3.0");
    assert_eq!(ev["environment"], "ci");
    assert_eq!(ev["user"]["id"], "u-77");
    assert_eq!(ev["sdk"]["name"], "sentry.rust");
    let tags = ev["tags"].as_array().unwrap();
    assert!(
        tags.iter()
            .any(|t| t["key"] == "component" && t["value"] == "billing"),
        "{tags:?}"
    );
    let crumbs = ev["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "breadcrumbs")
        .unwrap();
    assert!(crumbs["data"]["values"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["message"] == "charging card"));
    let exc = ev["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "exception")
        .unwrap();
    assert_eq!(
        exc["data"]["values"][0]["value"],
        Value::String("payment 2002 declined".into())
    );
}
