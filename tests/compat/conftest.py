"""Fixtures of the compatibility suite: a fresh real Faultline server for every test."""

from pathlib import Path

import pytest

from harness import Server


@pytest.fixture
def server(tmp_path: Path):
    """A fresh server on its own data directory for each test; stopped with SIGTERM to its pid
    afterwards."""
    data = tmp_path / "data"
    data.mkdir()
    srv = Server(data)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attaches the server's output to the report of a failed test."""
    outcome = yield
    rep = outcome.get_result()
    srv = getattr(item, "funcargs", {}).get("server")
    if rep.when == "call" and rep.failed and isinstance(srv, Server):
        rep.sections.append(("faultline server output", srv.output()))
