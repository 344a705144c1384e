"""The harness of the compatibility suite: a real Faultline server on a fresh data directory, the
real SDK clients run in subprocesses against it, and helpers to read the results back through the
REST API. conftest.py turns it into a per-test fixture.

Environment:
  FAULTLINE_BIN           the server binary (default: target/debug/faultline under the repository root)
  COMPAT_TIMEOUT          seconds any wait for the server may take (default 10)
  FAULTLINE_TEST_BACKEND  `sqlite` (default) or `postgres`: every server then gets a fresh, uniquely
                          named PostgreSQL database (created and dropped with psql)
  FAULTLINE_TEST_POSTGRES the PostgreSQL server for that (default
                          postgres://postgres@127.0.0.1:5432/postgres)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
import requests

COMPAT_DIR = Path(__file__).resolve().parent
REPO_ROOT = COMPAT_DIR.parent.parent
PY_APP_DIR = COMPAT_DIR / "apps" / "python"
NODE_DIR = COMPAT_DIR / "node"

# Every wait for the server is bounded by this many seconds.
WAIT_TIMEOUT = float(os.environ.get("COMPAT_TIMEOUT", "10"))
# A client subprocess (SDK start-up, capture, flush) must finish within this.
CLIENT_TIMEOUT = 60.0
PROJECT = "default"
RESULT_PREFIX = "COMPAT-RESULT "
PG_SERVER = os.environ.get("FAULTLINE_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


def backend_is_postgres() -> bool:
    backend = os.environ.get("FAULTLINE_TEST_BACKEND", "sqlite")
    if backend not in ("sqlite", "postgres", ""):
        pytest.fail(f"FAULTLINE_TEST_BACKEND must be sqlite or postgres, not {backend!r}")
    return backend == "postgres"


def psql(sql: str) -> None:
    """Runs one statement on the test PostgreSQL server's maintenance database."""
    if shutil.which("psql") is None:
        pytest.fail("psql is not on PATH (FAULTLINE_TEST_BACKEND=postgres needs it)")
    out = subprocess.run(["psql", PG_SERVER, "-v", "ON_ERROR_STOP=1", "-qc", sql],
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        pytest.fail(f"psql {sql!r} failed (is PostgreSQL running at {PG_SERVER}?): {out.stderr}")


def faultline_bin() -> Path:
    raw = os.environ.get("FAULTLINE_BIN", "target/debug/faultline")
    path = Path(raw)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def client_env(**extra: str) -> dict:
    """The environment of a client subprocess: ours, minus anything that would configure an SDK
    behind the test's back (SENTRY_*), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


class ClientRun:
    """The outcome of one client subprocess."""

    def __init__(self, proc: subprocess.CompletedProcess):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.result: dict = {}
        for line in proc.stdout.splitlines():
            if line.startswith(RESULT_PREFIX):
                self.result = json.loads(line[len(RESULT_PREFIX):])

    def __repr__(self) -> str:
        return f"<ClientRun rc={self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}>"


class Server:
    """A running `faultline serve` on a fresh data directory."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.url = ""
        self.dsn = ""
        self.token = ""
        self.proc: Optional[subprocess.Popen] = None
        self.log_path = data_dir.parent / "server.log"
        self._stdout_lines: list[str] = []
        self._ready = threading.Event()
        # On PostgreSQL: this server's own database, created in start() and dropped in stop().
        self.database = ""
        self.database_url = ""

    def _store_args(self) -> list[str]:
        args = ["--data-dir", str(self.data_dir)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        return args

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        binary = faultline_bin()
        if not binary.is_file():
            pytest.fail(f"faultline binary not found at {binary} (build it or set FAULTLINE_BIN)")
        if backend_is_postgres():
            self.database = f"faultline_compat_{os.getpid()}_{uuid.uuid4().hex[:12]}"
            psql(f"CREATE DATABASE {self.database}")
            self.database_url = PG_SERVER.rsplit("/", 1)[0] + "/" + self.database
        self._log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAULTLINE_")}
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--listen", "127.0.0.1:0", *self._store_args()],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        if not self._ready.wait(WAIT_TIMEOUT) or not self.dsn:
            self.stop()
            pytest.fail(f"server did not print its URL and DSN within {WAIT_TIMEOUT}s:\n{self.output()}")
        self.token = self._create_token()

    def _read_stdout(self) -> None:
        assert self.proc and self.proc.stdout
        for line in self.proc.stdout:
            self._stdout_lines.append(line)
            m = re.match(r"Faultline \S+ listening on (\S+)", line)
            if m:
                self.url = m.group(1).rstrip("/")
            m = re.match(r"DSN: (\S+)", line)
            if m:
                self.dsn = m.group(1)
            if self.url and self.dsn:
                self._ready.set()
        self._ready.set()

    def _create_token(self) -> str:
        out = subprocess.run(
            [str(faultline_bin()), "token", "create", "--name", "compat", *self._store_args()],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 0, f"token create failed: {out.stderr}"
        return out.stdout.strip().splitlines()[-1].strip()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()
        if self.database:
            psql(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
            self.database = ""

    def output(self) -> str:
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "".join(self._stdout_lines) + "\n--- server log\n" + log[-4000:]

    # -- REST API -------------------------------------------------------------------------------

    def _headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def get_raw(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.url + path, headers=self._headers(), params=params or None, timeout=10)

    def get(self, path: str, **params: Any) -> Any:
        r = self.get_raw(path, **params)
        assert r.status_code == 200, f"GET {path} {params} -> {r.status_code}: {r.text}"
        return r.json()

    def put(self, path: str, body: dict) -> Any:
        r = requests.put(self.url + path, headers=self._headers(), json=body, timeout=10)
        assert r.status_code == 200, f"PUT {path} {body} -> {r.status_code}: {r.text}"
        return r.json()

    def issues(self, query: str = "") -> list:
        """Every issue of the project, whatever its status (`query=` is empty by default)."""
        return self.get(f"/api/0/projects/default/{PROJECT}/issues/", query=query)

    def issue(self, issue_id: str) -> dict:
        return self.get(f"/api/0/issues/{issue_id}/")

    def resolve(self, issue_id: str, **details: Any) -> dict:
        body: dict = {"status": "resolved"}
        if details:
            body["statusDetails"] = details
        return self.put(f"/api/0/issues/{issue_id}/", body)

    def set_status(self, issue_id: str, status: str) -> dict:
        return self.put(f"/api/0/issues/{issue_id}/", {"status": status})

    def latest_event(self, issue_id: str) -> dict:
        return self.get(f"/api/0/issues/{issue_id}/events/latest/")

    def event_raw(self, event_id: str) -> requests.Response:
        return self.get_raw(f"/api/0/projects/default/{PROJECT}/events/{event_id}/")

    def agents(self) -> list:
        return self.get(f"/api/0/projects/default/{PROJECT}/agents/")

    def sessions(self) -> list:
        return self.get(f"/api/0/projects/default/{PROJECT}/sessions/")

    # -- bounded waits --------------------------------------------------------------------------

    def wait_until(self, what: str, probe: Callable[[], Any], timeout: float = WAIT_TIMEOUT) -> Any:
        """Calls `probe` until it returns something truthy; fails after `timeout` seconds with the
        last value it returned."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            last = probe()
            if last:
                return last
            if time.monotonic() >= deadline:
                pytest.fail(f"timed out after {timeout}s waiting for {what}; last saw: {last!r}")
            time.sleep(0.2)

    def wait_issues(self, count: int, query: str = "", what: str = "") -> list:
        """Waits until the project has exactly `count` issues matching `query` (it fails at once if
        there are more)."""

        def probe():
            found = self.issues(query)
            assert len(found) <= count, f"expected {count} issue(s), got {len(found)}: " + json.dumps(
                [(i["title"], i["count"]) for i in found]
            )
            return found if len(found) == count else None

        return self.wait_until(what or f"{count} issue(s) matching {query!r}", probe)

    def wait_event(self, event_id: str) -> dict:
        """Waits until the event is stored; returns it (Sentry event shape)."""

        def probe():
            r = self.event_raw(event_id)
            if r.status_code == 404:
                return None
            assert r.status_code == 200, f"event {event_id}: {r.status_code} {r.text}"
            return r.json()

        return self.wait_until(f"event {event_id}", probe)

    def wait_issue(self, issue_id: str, pred: Callable[[dict], bool], what: str) -> dict:
        return self.wait_until(what, lambda: (lambda i: i if pred(i) else None)(self.issue(issue_id)))

    # -- real clients ---------------------------------------------------------------------------

    def run_python(self, scenario: str, release: str = "shop@1.0.0", environment: str = "compat",
                   expect_rc: int = 0, **env: str) -> ClientRun:
        """Runs apps/python/compat_app.py SCENARIO with the real sentry-sdk pointed at this server."""
        proc = subprocess.run(
            [sys.executable, "compat_app.py", scenario],
            cwd=PY_APP_DIR,
            env=client_env(COMPAT_DSN=self.dsn, COMPAT_RELEASE=release, COMPAT_ENVIRONMENT=environment, **env),
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
        )
        run = ClientRun(proc)
        assert run.returncode == expect_rc, f"python {scenario}: exit {run.returncode}, expected {expect_rc}\n{run!r}"
        return run

    def run_node(self, scenario: str, release: str = "shop-node@1.0.0", environment: str = "compat",
                 expect_rc: int = 0, **env: str) -> ClientRun:
        """Runs node/app.js SCENARIO with the real @sentry/node pointed at this server."""
        node = shutil.which("node")
        if node is None:
            pytest.fail("node is not on PATH (the Node compatibility tests need it)")
        if not (NODE_DIR / "node_modules" / "@sentry" / "node").is_dir():
            pytest.fail("@sentry/node is not installed: run `npm install` in tests/compat/node")
        proc = subprocess.run(
            [node, "app.js", scenario],
            cwd=NODE_DIR,
            env=client_env(COMPAT_DSN=self.dsn, COMPAT_RELEASE=release, COMPAT_ENVIRONMENT=environment, **env),
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
        )
        run = ClientRun(proc)
        assert run.returncode == expect_rc, f"node {scenario}: exit {run.returncode}, expected {expect_rc}\n{run!r}"
        return run


# -- assertion helpers shared by the test modules ---------------------------------------------


def entry(event: dict, kind: str) -> Optional[dict]:
    """The data of the event's entry of this type, or None."""
    for e in event.get("entries", []):
        if e.get("type") == kind:
            return e["data"]
    return None


def main_exception(event: dict) -> dict:
    data = entry(event, "exception")
    assert data and data["values"], f"event has no exception entry: {json.dumps(event)[:2000]}"
    return data["values"][-1]


def tags_of(event: dict) -> dict:
    return {t["key"]: t["value"] for t in event.get("tags", [])}
