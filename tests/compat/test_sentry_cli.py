"""The real sentry-cli (from the `sentry-cli` PyPI wheel, which bundles the binary) against a real
Faultline server."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from harness import CLIENT_TIMEOUT, client_env, entry, tags_of


def sentry_cli() -> str:
    # Next to this interpreter first (the venv's bin/), then PATH.
    local = Path(sys.executable).parent / "sentry-cli"
    found = str(local) if local.is_file() else shutil.which("sentry-cli")
    if found is None:
        pytest.skip("sentry-cli is not installed (pip install sentry-cli; see tests/compat/requirements.txt)")
    return found


def test_send_event_message_becomes_a_message_issue(server, tmp_path):
    cli = sentry_cli()
    secret = "tok-" + uuid.uuid4().hex
    env = client_env(
        SENTRY_DSN=server.dsn,
        SENTRY_DISABLE_UPDATE_CHECK="1",
        HOME=str(tmp_path),  # no user ~/.sentryclirc
        # sentry-cli attaches the process environment to the event: the server must scrub this.
        DEPLOY_API_TOKEN=secret,
    )
    out = subprocess.run(
        [cli, "send-event", "-m", "hello from cli", "-r", "cli@1.0.0", "-E", "compat", "-l", "warning",
         "-t", "component:deploy", "-u", "id:7"],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
    )
    assert out.returncode == 0, f"sentry-cli failed: {out.stdout}\n{out.stderr}"
    m = re.search(r"Event id: ([0-9a-fA-F-]{32,36})", out.stdout + out.stderr)
    assert m, f"sentry-cli printed no event id: {out.stdout}{out.stderr}"
    event_id = m.group(1).replace("-", "").lower()

    event = server.wait_event(event_id)
    (issue,) = server.wait_issues(1)
    assert issue["kind"] == "message"
    assert issue["title"] == "hello from cli"
    assert issue["level"] == "warning"
    assert issue["firstRelease"]["version"] == "cli@1.0.0"
    assert event["groupID"] == issue["id"]
    assert entry(event, "message")["formatted"] == "hello from cli"
    assert event["environment"] == "compat"
    assert tags_of(event)["component"] == "deploy"
    assert event["user"]["id"] == "7"
    assert event["sdk"]["name"] == "sentry-cli"
    assert secret not in json.dumps(event), "an environment variable named *TOKEN leaked into the event"
