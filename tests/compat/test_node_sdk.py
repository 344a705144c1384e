"""The real @sentry/node SDK (only dsn, release and environment set) against a real Faultline
server. Every scenario runs node/app.js in a subprocess."""

from __future__ import annotations

import json
import socket

from harness import NODE_DIR, entry, main_exception, tags_of


def installed_sdk_version() -> str:
    return json.loads((NODE_DIR / "node_modules" / "@sentry" / "node" / "package.json").read_text())["version"]


def pinned_sdk_version() -> str:
    return json.loads((NODE_DIR / "package.json").read_text())["dependencies"]["@sentry/node"]


def app_frames(event: dict) -> list:
    return [f for f in main_exception(event)["stacktrace"]["frames"] if f["inApp"]]


def line_at(f: dict) -> str:
    lines = dict((n, text) for n, text in f["context"])
    assert f["lineNo"] in lines, f"context of {f['function']} lacks line {f['lineNo']}: {f['context']}"
    return lines[f["lineNo"]]


def test_caught_exception_with_breadcrumbs_tags_user_and_source_context(server):
    run = server.run_node("caught", release="shop-node@2.0.0", environment="staging", COMPAT_ORDER_ID="7")
    assert run.result["sdk_version"] == installed_sdk_version() == pinned_sdk_version()
    (event_id,) = run.result["event_ids"]
    event = server.wait_event(event_id)

    (issue,) = server.wait_issues(1)
    assert issue["title"] == "Error: card declined for order 7 (12999 cents)"
    assert issue["culprit"] == "authorize(shop)"
    assert issue["kind"] == "caught"
    assert issue["level"] == "error"
    assert issue["platform"] == "node"
    assert issue["userCount"] == 1

    exc = main_exception(event)
    assert exc["type"] == "Error"
    assert exc["mechanism"]["handled"] is True
    frames = app_frames(event)
    # Oldest first; V8 names a function called through an object `Object.name`.
    names = [f["function"].rsplit(".", 1)[-1] for f in frames]
    assert names[-4:] == ["caught", "processOrder", "chargeCard", "authorize"], names
    top = frames[-1]
    assert top["filename"].endswith("shop.js")
    assert top["module"] == "shop"
    assert top["lineNo"] > 0 and top["colNo"] > 0
    assert "throw new Error(`card declined for order" in line_at(top)
    assert len(top["context"]) > 5, "the Node SDK sends several lines around the failing one"
    assert "return authorize(orderId, cents);" in line_at(frames[-2])
    # Node's own frames are not in-app.
    assert any(not f["inApp"] and f["filename"].startswith("node:") for f in main_exception(event)["stacktrace"]["frames"])

    crumbs = entry(event, "breadcrumbs")
    assert crumbs, "no breadcrumbs entry"
    by_message = {c["message"]: c for c in crumbs["values"]}
    assert by_message["loading cart for order 7"]["category"] == "console"
    assert by_message["authorizing card"]["category"] == "payment"
    assert by_message["authorizing card"]["data"] == {"provider": "acme-pay"}

    tags = tags_of(event)
    assert tags["checkout.step"] == "payment"
    assert tags["tenant"] == "acme-eu"
    assert event["user"] == {"id": "42", "email": "ada@example.com"} or (
        event["user"]["id"] == "42" and event["user"]["email"] == "ada@example.com"
    )
    assert event["release"]["version"] == "shop-node@2.0.0"
    assert event["environment"] == "staging"
    assert event["sdk"] == {"name": "sentry.javascript.node", "version": installed_sdk_version()}


def test_uncaught_exception_crashes_the_process_and_is_reported(server):
    run = server.run_node("uncaught", expect_rc=1, COMPAT_ORDER_ID="13")
    assert "card declined for order 13" in run.stderr
    (issue,) = server.wait_issues(1)
    assert issue["kind"] == "uncaught"
    assert issue["isUnhandled"] is True
    assert issue["level"] == "fatal"
    assert issue["title"] == "Error: card declined for order 13 (12999 cents)"
    assert issue["culprit"] == "authorize(shop)"
    event = server.latest_event(issue["id"])
    mech = main_exception(event)["mechanism"]
    assert mech["handled"] is False
    assert mech["type"] == "auto.node.onuncaughtexception"
    assert "throw new Error(`card declined for order" in line_at(app_frames(event)[-1])


def test_same_bug_with_different_numbers_is_one_issue(server):
    run = server.run_node("same_bug")
    ids = run.result["event_ids"]
    assert len(ids) == 2 and all(ids)
    events = [server.wait_event(i) for i in ids]
    assert events[0]["groupID"] == events[1]["groupID"]
    (issue,) = server.wait_issues(1)
    assert issue["count"] == "2"
    # Sentry's JS culprit is `function(module)` with the raw function name (V8: `Object.loadOrder`).
    assert issue["culprit"] in ("loadOrder(shop)", "Object.loadOrder(shop)")
    assert {main_exception(e)["value"] for e in events} == {"order 17 not found", "order 4242 not found"}


def test_type_error_and_range_error_from_the_same_line_are_two_issues(server):
    run = server.run_node("type_and_range")
    ids = run.result["event_ids"]
    assert len(ids) == 2 and all(ids)
    events = [server.wait_event(i) for i in ids]
    assert events[0]["groupID"] != events[1]["groupID"]
    issues = server.wait_issues(2)
    assert sorted(i["title"] for i in issues) == ["RangeError: invalid quantity -1", "TypeError: invalid quantity -1"]
    assert all(i["count"] == "1" for i in issues)
    tops = [app_frames(e)[-1] for e in events]
    assert tops[0]["lineNo"] == tops[1]["lineNo"]
    assert "TypeError : RangeError" in line_at(tops[0])


def test_release_health_sessions_and_agent(server):
    """@sentry/node tracks one session per process: an exited session with an error counts as
    errored, a crash as crashed."""
    server.run_node("caught", release="shop-node@3.0.0", environment="production")
    server.run_node("uncaught", release="shop-node@3.0.1", environment="production", expect_rc=1)

    def rows():
        by_release = {r["release"]: r for r in server.sessions()}
        done = by_release.get("shop-node@3.0.0", {}).get("errored") and by_release.get("shop-node@3.0.1", {}).get("crashed")
        return by_release if done else None

    by_release = server.wait_until("errored and crashed sessions", rows)
    ok = by_release["shop-node@3.0.0"]
    assert (ok["environment"], ok["total"], ok["errored"], ok["crashed"]) == ("production", 1, 1, 0)
    crashed = by_release["shop-node@3.0.1"]
    assert (crashed["environment"], crashed["total"], crashed["errored"], crashed["crashed"]) == ("production", 1, 0, 1)

    agents = [a for a in server.agents() if a["sdk_name"] == "sentry.javascript.node" and a["server_name"]]
    assert {(a["release"], a["environment"], a["sdk_version"], a["server_name"]) for a in agents} == {
        ("shop-node@3.0.0", "production", installed_sdk_version(), socket.gethostname()),
        ("shop-node@3.0.1", "production", installed_sdk_version(), socket.gethostname()),
    }
