"""The real Python sentry-sdk (default options: local variables, source context, brotli) against a
real Faultline server. Every scenario runs apps/python/compat_app.py in a subprocess and reads the
result back through the REST API."""

from __future__ import annotations

import json
import socket
import uuid
from importlib.metadata import version

import pytest

from harness import entry, main_exception, tags_of

SDK_VERSION = version("sentry-sdk")


def secrets() -> dict:
    return {"COMPAT_PASSWORD": "pw-" + uuid.uuid4().hex, "COMPAT_API_TOKEN": "tok-" + uuid.uuid4().hex}


def frames_of(event: dict) -> list:
    return main_exception(event)["stacktrace"]["frames"]


def frame(frames: list, function: str) -> dict:
    found = [f for f in frames if f["function"] == function]
    assert found, f"no frame of {function}() in {[f['function'] for f in frames]}"
    return found[-1]


def context_line(f: dict) -> str:
    """The source line the frame stopped at, from the numbered context."""
    lines = dict((n, text) for n, text in f["context"])
    assert f["lineNo"] in lines, f"context of {f['function']} lacks line {f['lineNo']}: {f['context']}"
    return lines[f["lineNo"]]


# -- (1) a deep exception: frames, variables, source context, scrubbing --------------------------


def test_deep_exception_has_frames_vars_context_and_no_secrets(server):
    s = secrets()
    run = server.run_python("caught", COMPAT_ORDER_ID="4711", **s)
    assert run.result["brotli"] is True, "brotli must be importable so the SDK compresses with br"
    assert run.result["compression"] == "br", run.result
    (event_id,) = run.result["event_ids"]

    raw = server.wait_event(event_id)
    (issue,) = server.wait_issues(1)
    assert issue["title"] == "CardDeclined: card declined for order 4711"
    assert issue["culprit"] == "shop.payments in authorize"
    assert issue["kind"] == "caught"
    assert issue["level"] == "error"
    assert issue["count"] == "1"
    assert issue["status"] == "unresolved"
    assert issue["firstRelease"]["version"] == "shop@1.0.0"
    assert issue["grouping"]["hash"] and issue["grouping"]["components"]

    event = server.latest_event(issue["id"])
    assert event["eventID"] == event_id == raw["eventID"]
    exc = main_exception(event)
    assert exc["type"] == "CardDeclined"
    assert exc["value"] == "card declined for order 4711"
    assert exc["module"] == "shop.payments"
    assert exc["mechanism"]["handled"] is True

    frames = frames_of(event)
    # Oldest first: caught() -> process_order -> charge_card -> authorize (raised).
    assert [f["function"] for f in frames] == ["caught", "process_order", "charge_card", "authorize"]
    for f in frames:
        assert f["inApp"] is True, f"app frame {f['function']} not in-app"
        assert f["context"], f"no source context for {f['function']}"
    top = frames[-1]
    assert top["filename"] == "shop/payments.py"
    assert top["module"] == "shop.payments"
    assert top["absPath"].endswith("shop/payments.py")
    assert "raise CardDeclined(" in context_line(top)
    assert "return charge_card(" in context_line(frame(frames, "process_order"))
    # Real local values (the SDK sends reprs).
    v = top["vars"]
    assert v["order_id"] in (4711, "4711")
    assert v["currency"] == "'EUR'"
    assert v["provider"] == "'acme-pay'"
    assert v["cents"] in (12999.0, "12999.0")
    assert frame(frames, "process_order")["vars"]["amount"] in (129.99, "129.99")
    # Scrubbed: the locals themselves and the token inside a nested header map.
    assert v["password"] == "[Filtered]"
    assert v["api_token"] == "[Filtered]"
    assert v["gateway"]["headers"]["Authorization"] == "[Filtered]"
    assert v["gateway"]["url"] == "'https://pay.example/authorize'"

    for body in (json.dumps(raw), json.dumps(event), json.dumps(server.issues()), json.dumps(server.issue(issue["id"]))):
        for secret in s.values():
            assert secret not in body, f"secret {secret!r} leaked into the API output"


# -- (2) grouping ---------------------------------------------------------------------------------


def test_same_bug_with_different_ids_is_one_issue(server):
    first = server.run_python("caught", COMPAT_ORDER_ID="1001", **secrets()).result["event_ids"][0]
    second = server.run_python("caught", COMPAT_ORDER_ID="2002", **secrets()).result["event_ids"][0]
    a, b = server.wait_event(first), server.wait_event(second)
    assert a["groupID"] == b["groupID"]
    (issue,) = server.wait_issues(1)
    assert issue["id"] == a["groupID"]
    assert issue["count"] == "2"
    values = {main_exception(e)["value"] for e in (a, b)}
    assert values == {"card declined for order 1001", "card declined for order 2002"}


def test_key_error_and_type_error_from_the_same_line_are_two_issues(server):
    run = server.run_python("key_and_type_errors")
    ids = run.result["event_ids"]
    assert len(ids) == 2 and all(ids)
    events = [server.wait_event(i) for i in ids]
    assert events[0]["groupID"] != events[1]["groupID"]
    issues = server.wait_issues(2)
    types = sorted(i["metadata"]["type"] for i in issues)
    assert types == ["KeyError", "TypeError"]
    for i in issues:
        assert i["count"] == "1"
        assert i["culprit"] == "shop.payments in unit_price"
    # Both were raised by the same source line.
    lines = {(frames_of(e)[-1]["lineNo"], context_line(frames_of(e)[-1]).strip()) for e in events}
    assert len(lines) == 1 and next(iter(lines))[1] == "return catalog[sku] * quantity"


# -- (3) breadcrumbs, tags, user, release, environment -------------------------------------------


def test_breadcrumbs_tags_user_release_and_environment(server):
    run = server.run_python("breadcrumbs", release="shop@2.3.4", environment="staging", **secrets())
    (event_id,) = run.result["event_ids"]
    event = server.wait_event(event_id)

    crumbs = entry(event, "breadcrumbs")
    assert crumbs, "no breadcrumbs entry"
    by_message = {c["message"]: c for c in crumbs["values"]}
    assert "cart loaded with 3 items" in by_message, list(by_message)
    assert "coupon SPRING25 applied" in by_message
    assert by_message["cart loaded with 3 items"]["category"] == "shop.checkout"
    assert by_message["cart loaded with 3 items"]["level"] == "info"
    manual = by_message["authorizing card"]
    assert manual["category"] == "payment"
    assert manual["data"] == {"provider": "acme-pay"}
    order = [c["message"] for c in crumbs["values"]]
    assert order.index("cart loaded with 3 items") < order.index("coupon SPRING25 applied") < order.index("authorizing card")
    assert all(c["timestamp"] for c in crumbs["values"])

    tags = tags_of(event)
    assert tags["checkout.step"] == "payment"
    assert tags["tenant"] == "acme-eu"
    assert tags["environment"] == "staging"
    assert tags["release"] == "shop@2.3.4"
    assert event["user"]["id"] == "42"
    assert event["user"]["email"] == "ada@example.com"
    assert event["release"]["version"] == "shop@2.3.4"
    assert event["environment"] == "staging"
    assert event["sdk"] == {"name": "sentry.python", "version": SDK_VERSION}
    assert event["contexts"]["runtime"]["name"] == "CPython"

    (issue,) = server.wait_issues(1)
    assert issue["userCount"] == 1
    # The tags are searchable.
    assert [i["id"] for i in server.issues("tenant:acme-eu")] == [issue["id"]]
    assert server.issues("tenant:nobody") == []
    assert [i["id"] for i in server.issues("environment:staging")] == [issue["id"]]


# -- (4) kinds: uncaught, caught, logged, message ------------------------------------------------


def test_uncaught_exception_is_kind_uncaught(server):
    run = server.run_python("uncaught", expect_rc=1, COMPAT_ORDER_ID="99", **secrets())
    assert "CardDeclined" in run.stderr  # the interpreter still printed the traceback
    (issue,) = server.wait_issues(1)
    assert issue["kind"] == "uncaught"
    assert issue["isUnhandled"] is True
    assert issue["title"] == "CardDeclined: card declined for order 99"
    assert issue["culprit"] == "shop.payments in authorize"
    event = server.latest_event(issue["id"])
    mech = main_exception(event)["mechanism"]
    assert mech["type"] == "excepthook" and mech["handled"] is False
    assert tags_of(event)["handled"] == "no"
    assert server.issues("type:uncaught")[0]["id"] == issue["id"]
    assert server.issues("type:caught") == []


def test_logged_error_is_kind_logged(server):
    server.run_python("logged")
    (issue,) = server.wait_issues(1)
    assert issue["kind"] == "logged"
    assert issue["title"] == "payment gateway eu-1 unreachable after 3 retries"
    assert issue["level"] == "error"
    event = server.latest_event(issue["id"])
    assert event["logger"] == "shop.gateway"
    msg = entry(event, "message")
    assert msg and msg["formatted"] == "payment gateway eu-1 unreachable after 3 retries"
    assert entry(event, "exception") is None


def test_capture_message_level_and_title(server):
    run = server.run_python("message")
    (event_id,) = run.result["event_ids"]
    event = server.wait_event(event_id)
    (issue,) = server.wait_issues(1)
    assert issue["kind"] == "message"
    assert issue["title"] == "inventory sync finished with warnings"
    assert issue["level"] == "warning"
    assert event["level"] == "warning"
    assert entry(event, "message")["formatted"] == "inventory sync finished with warnings"
    assert server.issues("level:warning")[0]["id"] == issue["id"]
    assert server.issues("level:error") == []


def test_kinds_side_by_side(server):
    """Caught, logged and message events of one project are three issues of three kinds."""
    server.run_python("caught", **secrets())
    server.run_python("logged")
    server.run_python("message")
    issues = server.wait_issues(3)
    assert sorted(i["kind"] for i in issues) == ["caught", "logged", "message"]
    assert [i["kind"] for i in server.issues("type:caught")] == ["caught"]
    assert [i["kind"] for i in server.issues("type:message")] == ["message"]


# -- (5) regression ------------------------------------------------------------------------------


def test_resolved_issue_regresses_on_a_new_event(server):
    s = secrets()
    first = server.run_python("caught", **s).result["event_ids"][0]
    issue_id = server.wait_event(first)["groupID"]
    assert server.issue(issue_id)["substatus"] == "new"

    resolved = server.resolve(issue_id)
    assert resolved["status"] == "resolved"
    assert server.issues("is:unresolved") == []
    assert [i["id"] for i in server.issues("is:resolved")] == [issue_id]

    again = server.run_python("caught", **s).result["event_ids"][0]
    assert server.wait_event(again)["groupID"] == issue_id
    issue = server.wait_issue(issue_id, lambda i: i["count"] == "2", "the second event to be counted")
    assert issue["status"] == "unresolved"
    assert issue["substatus"] == "regressed"
    assert [i["id"] for i in server.issues("is:regressed")] == [issue_id]


def test_resolved_in_next_release_regresses_only_in_a_newer_release(server):
    s = secrets()
    first = server.run_python("caught", release="shop@1.0.0", **s).result["event_ids"][0]
    issue_id = server.wait_event(first)["groupID"]

    resolved = server.resolve(issue_id, inNextRelease=True)
    assert resolved["status"] == "resolved"
    assert resolved["statusDetails"] == {"inNextRelease": True}

    # The same release: the fix is not deployed yet, the issue stays resolved.
    same = server.run_python("caught", release="shop@1.0.0", **s).result["event_ids"][0]
    assert server.wait_event(same)["groupID"] == issue_id
    issue = server.issue(issue_id)
    assert issue["status"] == "resolved", issue
    assert issue["statusDetails"] == {"inNextRelease": True}

    # A newer release still has the bug: regression.
    newer = server.run_python("caught", release="shop@1.1.0", **s).result["event_ids"][0]
    assert server.wait_event(newer)["groupID"] == issue_id
    issue = server.issue(issue_id)
    assert issue["status"] == "unresolved"
    assert issue["substatus"] == "regressed"
    assert issue["lastRelease"]["version"] == "shop@1.1.0"
    assert issue["firstRelease"]["version"] == "shop@1.0.0"


def test_ignored_issue_stays_ignored_until_unresolved(server):
    s = secrets()
    first = server.run_python("caught", **s).result["event_ids"][0]
    issue_id = server.wait_event(first)["groupID"]
    assert server.set_status(issue_id, "ignored")["status"] == "ignored"
    assert server.issues("is:unresolved") == []

    again = server.run_python("caught", **s).result["event_ids"][0]
    assert server.wait_event(again)["groupID"] == issue_id
    issue = server.wait_issue(issue_id, lambda i: i["count"] == "2", "the second event to be counted")
    assert issue["status"] == "ignored"

    assert server.set_status(issue_id, "unresolved")["status"] == "unresolved"
    assert [i["id"] for i in server.issues("is:unresolved")] == [issue_id]


# -- (6) sessions and the agent registry ----------------------------------------------------------


def test_request_sessions_are_aggregated_per_release(server):
    """The WSGI middleware tracks one session per request (auto session tracking is on by
    default) and the SDK sends the aggregates when it flushes: 3 clean requests, 1 that crashed
    (the middleware reports its exception as unhandled)."""
    server.run_python(
        "wsgi",
        release="shop@3.0.0",
        environment="production",
        COMPAT_OK_REQUESTS="3",
        COMPAT_QUERY="page=2",
        COMPAT_AUTHORIZATION="Bearer " + uuid.uuid4().hex,
    )
    rows = server.wait_until(
        "session aggregates of shop@3.0.0",
        lambda: [r for r in server.sessions() if r["release"] == "shop@3.0.0"],
    )
    assert len(rows) == 1, rows
    (row,) = rows
    assert row["environment"] == "production"
    assert row["total"] == 4
    assert row["exited"] == 3
    assert row["crashed"] == 1
    assert row["errored"] == 0
    assert row["abnormal"] == 0
    assert row["hour"] % 3600 == 0


def test_agent_registry_records_the_python_sdk(server):
    run = server.run_python("caught", release="shop@4.5.6", environment="production", **secrets())
    server.wait_event(run.result["event_ids"][0])
    agents = server.wait_until("an agent", lambda: server.agents())
    assert len(agents) == 1, agents
    (agent,) = agents
    assert agent["sdk_name"] == "sentry.python"
    assert agent["sdk_version"] == SDK_VERSION == run.result["sdk_version"]
    assert agent["environment"] == "production"
    assert agent["release"] == "shop@4.5.6"
    assert agent["server_name"] == socket.gethostname() == run.result["server_name"]
    assert agent["last_seen"] >= agent["first_seen"] > 0


def test_one_agent_row_for_one_sdk_instance_that_also_sends_sessions(server):
    """A WSGI app sends an event and session aggregates from the same SDK instance: the agent
    registry must show that instance once, with its host name."""
    server.run_python(
        "wsgi",
        COMPAT_QUERY="page=1",
        COMPAT_AUTHORIZATION="Bearer " + uuid.uuid4().hex,
    )
    server.wait_issues(1)
    server.wait_until("session aggregates", lambda: server.sessions())
    agents = [a for a in server.agents() if a["sdk_name"] == "sentry.python"]
    assert [a["server_name"] for a in agents] == [socket.gethostname()], agents


# -- (7) request context through the WSGI middleware ----------------------------------------------


def test_wsgi_request_entry_without_credentials(server):
    bearer = "xyz" + uuid.uuid4().hex
    password = "hunter2"
    server.run_python(
        "wsgi",
        COMPAT_OK_REQUESTS="0",
        COMPAT_QUERY=f"password={password}&page=2",
        COMPAT_AUTHORIZATION=f"Bearer {bearer}",
    )
    (issue,) = server.wait_issues(1)
    assert issue["title"] == "CheckoutFailed: checkout failed on page 2"
    assert issue["kind"] == "uncaught"  # the middleware re-raises: mechanism wsgi, handled false
    assert issue["culprit"] == "shop.web in checkout"
    event = server.latest_event(issue["id"])
    assert main_exception(event)["mechanism"]["type"] == "wsgi"

    req = entry(event, "request")
    assert req, "no request entry"
    assert req["method"] == "GET"
    assert req["url"] == "http://127.0.0.1/checkout"
    query = dict(req["query"])
    assert query["page"] == "2"
    assert query["password"] == "[Filtered]"
    headers = dict(req["headers"])
    assert headers["User-Agent"] == "compat-suite/1.0"
    assert headers["X-Request-Id"] == "req-5150"
    assert headers.get("Authorization", "") in ("", "[Filtered]")

    body = json.dumps(event)
    assert bearer not in body, "the bearer token leaked into the stored event"
    assert password not in body, "the password from the query string leaked into the stored event"
    assert password not in json.dumps(server.issues())
