"""/metrics counts for the whole node, whichever gunicorn worker answers the scrape."""

from __future__ import annotations

import os
import signal
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from carebridge.store.migrate import upgrade
from carebridge_lab.node import gunicorn_workers
from tests.conftest import make_settings
from tests.support.server import Node

WSDL = "/caisi_integrator/ws/FacilityService?wsdl"


def requests_total(node: Node) -> float:
    with urllib.request.urlopen(node.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("carebridge_requests_total{"))


def workers_of(node: Node) -> set[int]:
    assert node.process is not None
    return gunicorn_workers(node.process.pid)


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        return response.status


def test_every_scrape_reports_the_node_total(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/metrics.sqlite")
    upgrade(settings.database_url)
    node = Node(settings, workers=3).start()
    try:
        # Concurrent requests, so that all three workers serve some of them.
        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(get, [node.url + WSDL] * 30))
        assert statuses == [200] * 30
        assert [requests_total(node) for _ in range(12)] == [30] * 12

        # A worker that dies (and is replaced) takes none of the counts with it.
        before = workers_of(node)
        assert len(before) == 3
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = workers_of(node)
            if len(now) == 3 and victim not in now:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"gunicorn did not replace worker {victim}")
        assert [requests_total(node) for _ in range(12)] == [30] * 12
    finally:
        node.stop()


def test_each_node_start_counts_from_zero(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/metrics.sqlite")
    upgrade(settings.database_url)
    killed = Node(settings, workers=2).start()
    assert get(killed.url + WSDL) == 200
    assert requests_total(killed) == 1
    assert killed.process is not None
    left_behind = Path(tempfile.gettempdir()) / f"carebridge-metrics-{killed.process.pid}"
    assert left_behind.is_dir()
    killed.kill()  # SIGKILL: no clean-up of its own
    assert left_behind.is_dir()

    node = Node(settings, workers=2).start()
    try:
        assert not left_behind.exists()  # the next start removes what a dead node left
        assert requests_total(node) == 0
        assert get(node.url + WSDL) == 200
        assert requests_total(node) == 1
        assert node.process is not None
        mine = Path(tempfile.gettempdir()) / f"carebridge-metrics-{node.process.pid}"
    finally:
        node.stop()
    assert not mine.exists()  # a clean stop removes its own
