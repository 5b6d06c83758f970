"""The two ways to run a node, ``carebridge serve`` and
``gunicorn -c deploy/gunicorn.conf.py carebridge.wsgi:application``: the same drain, and the
settings that reach the workers (issue 11, one composition root)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from carebridge.bootstrap import BACKGROUND_NAME
from carebridge_lab.net import free_port, wait_http_ok
from tests.conftest import make_settings
from tests.support.server import carebridge, settings_env

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
WSDL = "/caisi_integrator/ws/FacilityService?wsdl"
SERVICE = "/caisi_integrator/ws/FacilityService"
DRAIN_SECONDS = 3.0
LARGE = b"<x/>" + b" " * 2000  # over a max_request_bytes of 1000


class Started:
    """A node process of the test's own, in its own process group, its output in a file."""

    def __init__(self, argv: list[str], env: dict[str, str], port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_http_ok(self.url("/health"), timeout=60)
        except TimeoutError:
            self.close()
            raise AssertionError("node did not start:\n" + self.log_text()[-4000:]) from None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def children(self) -> set[int]:
        """The master's gunicorn workers (not its background child, if it runs one)."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                name, rest = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
                fields = rest.split()
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            if int(fields[1]) == self.process.pid and name != BACKGROUND_NAME:
                found.add(int(stat.parent.name))
        return found

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def serve_argv(port: int, *extra: str) -> list[str]:
    return [sys.executable, "-m", "carebridge", "serve", "--bind", f"127.0.0.1:{port}", *extra]


def gunicorn_argv(port: int, *extra: str) -> list[str]:
    return [str(GUNICORN), "-c", "deploy/gunicorn.conf.py", "carebridge.wsgi:application",
            "-b", f"127.0.0.1:{port}", *extra]


class Nodes:
    """The tests' environment (settings on a fresh SQLite database migrated by ``carebridge
    db upgrade``) and the nodes started in it, killed at the end whatever happened."""

    def __init__(self, root: Path) -> None:
        self.root = root
        settings = make_settings(root, f"sqlite:///{root}/node.sqlite",
                                 drain_seconds=DRAIN_SECONDS)
        migrated = carebridge("db", "upgrade", settings=settings)
        assert migrated.returncode == 0, migrated.stderr
        self.env = settings_env(settings)
        self.started: list[Started] = []

    def config_file(self, text: str) -> Path:
        """``text`` as the CAREBRIDGE_CONFIG file; max_request_bytes comes from it only."""
        path = self.root / "carebridge.toml"
        path.write_text(text)
        self.env.pop("CAREBRIDGE_MAX_REQUEST_BYTES", None)
        self.env["CAREBRIDGE_CONFIG"] = str(path)
        return path

    def start(self, route: str, *options: str) -> Started:
        port = free_port()
        argv = serve_argv(port, *options) if route == "serve" else gunicorn_argv(port, *options)
        node = Started(argv, self.env, port, self.root / f"{route}-{port}.log")
        self.started.append(node)
        return node


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Nodes]:
    made = Nodes(tmp_path)
    yield made
    for node in made.started:
        node.close()


def get(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "text/xml"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


@pytest.mark.parametrize("route", ["serve", "gunicorn"])
def test_sigterm_drains_then_stops_on_both_routes(route: str, nodes: Nodes) -> None:
    options = ("--workers", "2", "--importer") if route == "serve" else ("-w", "2")
    node = nodes.start(route, *options)
    assert get(node.url("/health")) == (200, b'{"status": "ok"}')

    sent = time.monotonic()
    node.process.send_signal(signal.SIGTERM)
    wait_http_ok(node.url("/health"), timeout=2, status=503)  # out of the balancer at once
    status, body = get(node.url("/health"))
    assert (status, json.loads(body)) == (503, {"status": "draining"})
    status, body = get(node.url(WSDL))
    assert status == 200 and b"definitions" in body  # requests still served...
    assert get(node.url("/health"))[0] == 503  # ... while the node is still draining

    assert node.process.wait(timeout=30) == 0
    assert time.monotonic() - sent >= DRAIN_SECONDS
    log = node.log_text()
    assert f"SIGTERM: draining for {DRAIN_SECONDS:.1f}s" in log
    assert "exited with code" not in log  # no worker died on its way out
    with pytest.raises(ProcessLookupError):  # nothing of the node is left (importer included)
        os.killpg(node.process.pid, 0)


def test_gunicorn_route_workers_use_the_environment_and_config_file(nodes: Nodes) -> None:
    nodes.config_file("[carebridge]\nmax_request_bytes = 1000\n")
    nodes.env["CAREBRIDGE_LOG_LEVEL"] = "DEBUG"
    node = nodes.start("gunicorn", "-w", "1")

    status, body = get(node.url(SERVICE), data=LARGE)
    assert status == 413, body  # the file's limit, in the worker's application
    (worker,) = node.children()  # gunicorn's -w overrides the configured cores + 1
    assert f"DEBUG carebridge.bootstrap: process {worker}: web application built" in (
        node.log_text())


def test_serve_hands_its_settings_object_to_the_workers(nodes: Nodes) -> None:
    """A worker that replaces a dead one still has the settings ``serve`` started with,
    although the config file says otherwise by then: nothing re-reads it."""
    config = nodes.config_file("[carebridge]\nmax_request_bytes = 1000\n")
    node = nodes.start("serve", "--workers", "1", "--no-importer")
    assert get(node.url(SERVICE), data=LARGE)[0] == 413

    config.write_text("[carebridge]\nmax_request_bytes = 10000000\n")
    (first,) = node.children()
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: node.children() - {first}, 30, "a new worker")
    wait_http_ok(node.url("/health"), timeout=30)
    assert get(node.url(SERVICE), data=LARGE)[0] == 413


def test_a_worker_leaving_keeps_the_node_metrics_directory(nodes: Nodes) -> None:
    """A worker is a fork of the master: its exit must not undo what the master set up."""
    node = nodes.start("serve", "--workers", "1", "--no-importer")
    metrics_dir = Path(tempfile.gettempdir()) / f"carebridge-metrics-{node.process.pid}"
    assert metrics_dir.is_dir()

    (first,) = node.children()
    os.kill(first, signal.SIGTERM)  # a graceful exit, as after max_requests or SIGHUP
    wait_until(lambda: first not in node.children() and node.children(), 30,
               "the worker replaced")
    assert metrics_dir.is_dir()
    assert get(node.url("/metrics"))[0] == 200


def test_a_bad_setting_stops_the_gunicorn_route_in_one_line(nodes: Nodes) -> None:
    nodes.env["CAREBRIDGE_SCAN_INTERVAL"] = "soon"
    result = subprocess.run(gunicorn_argv(free_port()), env=nodes.env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "carebridge: setting scan_interval='soon': could not convert string to float: 'soon'")
