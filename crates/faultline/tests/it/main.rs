//! Integration tests: one binary, each test boots real servers (see `faultline-testkit`).

mod api;
mod bad_input;
mod cli;
mod durability;
mod ingest;
mod migrate;
mod nodes;
mod sdk_rust;
mod web;

use serde_json::{json, Value};

/// A fresh 32-hex event id.
pub fn new_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!(
        "{:016x}{:016x}",
        t,
        n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(std::process::id())
    )
}

/// A Python-shaped exception event raised at `line` of `app/views.py`.
pub fn python_event(ty: &str, value: &str, line: i64) -> Value {
    json!({
        "event_id": new_id(),
        "platform": "python",
        "level": "error",
        "timestamp": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64(),
        "release": "shop@1.0.0",
        "environment": "production",
        "server_name": "web-1",
        "exception": {"values": [{
            "type": ty,
            "value": value,
            "module": null,
            "mechanism": {"type": "generic", "handled": true},
            "stacktrace": {"frames": [
                {"filename": "django/core/handlers/base.py", "abs_path": "/usr/lib/python3/site-packages/django/core/handlers/base.py",
                 "module": "django.core.handlers.base", "function": "_get_response", "lineno": 197,
                 "context_line": "response = wrapped_callback(request, *callback_args, **callback_kwargs)", "in_app": false},
                {"filename": "app/views.py", "abs_path": "/srv/app/app/views.py", "module": "app.views",
                 "function": "checkout", "lineno": line,
                 "pre_context": ["def checkout(request):", "    cart = load_cart(request)"],
                 "context_line": "    total = compute_total(cart)",
                 "post_context": ["    return render(request, total)"],
                 "vars": {"cart": "{'items': 3}", "password": "hunter2"},
                 "in_app": true}
            ]}
        }]},
        "breadcrumbs": {"values": [{"timestamp": 1.7e9, "category": "query", "message": "SELECT 1", "level": "info"}]},
        "tags": {"shop.region": "eu"},
        "user": {"id": 42, "email": "jane@example.com"},
        "sdk": {"name": "sentry.python", "version": "2.40.0"}
    })
}
