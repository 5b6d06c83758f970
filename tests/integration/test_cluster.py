"""A real cluster on loopback: PostgreSQL, two nodes, HAProxy; a node dies, nothing is lost."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from carebridge.config import Settings
from carebridge.contracts import FACILITY_SERVICE, PATIENT_SUBMISSION
from carebridge.hl7.make_adt import generate
from carebridge.soap.client import ServiceClient
from carebridge.soap.exceptions import ServiceRefused, ServiceUnreachable
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.migrate import upgrade
from carebridge.store.models import HL7Message
from carebridge_lab.haproxy import HAProxy, haproxy_binary, render_config
from carebridge_lab.local import LocalCluster
from carebridge_lab.net import free_port, wait_http_ok
from carebridge_lab.node import Node, settings_env
from carebridge_lab.postgres import PostgresServer
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
FACILITY, PASSWORD = "TORONTO GENERAL", "tg-secret"


def test_the_deploy_haproxy_config_is_valid() -> None:
    checked = subprocess.run([haproxy_binary(), "-c", "-f", str(ROOT / "deploy/haproxy.cfg")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_requests_fail_over_when_a_node_is_killed(tmp_path: Path) -> None:
    cluster = LocalCluster(2, root=tmp_path).start()
    try:
        db = Database(cluster.settings)
        with db.transaction() as session:
            add_facility(session, FACILITY, PASSWORD, authorities=["HOSP"])
        header = "event|mrn|assigning_authority|last_name|first_name"
        messages = generate("\n".join([header] + [f"A01|{n}|HOSP|FAIL|OVER" for n in range(20)])
                            + "\n", sending_facility=FACILITY, control_id_prefix="HA",
                            now=dt.datetime(2024, 3, 20)).messages
        # A client as the contract expects: resend the same message on a connection error.
        address = cluster.url + PATIENT_SUBMISSION.path
        client = ServiceClient(PATIENT_SUBMISSION, address, FACILITY, PASSWORD, timeout=30,
                               retries=5, backoff=0.2)
        codes = [client.call("submitMessage", m).ackCode for m in messages[:10]]
        cluster.nodes[0].kill()  # no drain: a crash
        codes += [client.call("submitMessage", m).ackCode for m in messages[10:]]
        assert codes == ["AA"] * 20
        # A refusal is final: no resend of a request the service answered.
        reasons: list[str] = []
        refused = ServiceClient(PATIENT_SUBMISSION, address, FACILITY, "wrong", retries=5,
                                on_retry=reasons.append)
        with pytest.raises(ServiceRefused, match="refused"):
            refused.call("submitMessage", messages[0])
        assert reasons == []
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(HL7Message)) == 20
        db.dispose()
    finally:
        cluster.stop()


def test_the_client_resends_through_the_balancers_503(tmp_path: Path) -> None:
    # HAProxy whose only node is down answers 503: worth resending, then unreachable.
    proxy = HAProxy(render_config(f"127.0.0.1:{(port := free_port())}",
                                  [("gone", f"127.0.0.1:{free_port()}")]), tmp_path).start()
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/health", timeout=15, status=503)
        reasons: list[str] = []
        client = ServiceClient(PATIENT_SUBMISSION, f"http://127.0.0.1:{port}"
                               + PATIENT_SUBMISSION.path, FACILITY, PASSWORD, retries=2,
                               backoff=0.01, on_retry=reasons.append)
        with pytest.raises(ServiceUnreachable, match="3 attempts: HTTP 503"):
            client.call("submitMessage", "MSH|^~\\&|")
        assert reasons == ["HTTP 503"] * 3
    finally:
        proxy.stop()


def test_the_failover_exercise_loses_and_doubles_nothing() -> None:
    """`carebridge exercise`, short form: 3 nodes, 2,000 messages, kills, a drain,
    the importer's node killed mid-file, PostgreSQL restarted."""
    run = subprocess.run([sys.executable, "-m", "carebridge", "exercise", "--nodes", "3",
                          "--messages", "2000", "--duration", "20", "--interval", "2.5"],
                         capture_output=True, text=True, timeout=600)
    lines = run.stdout.strip().splitlines()
    assert run.returncode == 0, run.stdout + run.stderr[-6000:]
    summary = dict(pair.split("=") for pair in lines[-1].split())
    details = dict(pair.split("=") for pair in lines[-2].split())
    assert summary["sent"] == summary["acked"] == summary["stored"] == "2000", lines[-1]
    assert summary["lost"] == summary["duplicated"] == summary["imports_partial"] == "0"
    assert summary["imports_completed"] == "2"
    assert int(details["kills"]) >= 3 and int(details["drains"]) >= 1, lines[-2]
    # Both doors under the same chaos: SOAP, and MLLP through HAProxy's TCP frontend.
    assert int(details["soap"]) + int(details["mllp"]) == 2000, lines[-2]
    assert int(details["soap"]) > 500 and int(details["mllp"]) > 500, lines[-2]
    assert details["importer_kills"] == "1" and int(details["import_retries"]) >= 1
    assert int(details["postgres_restarts"]) >= 1
    assert "mid-file" in run.stderr


def test_carebridge_cluster_runs_until_sigterm_and_then_stops_everything() -> None:
    process = subprocess.Popen([sys.executable, "-m", "carebridge", "cluster", "--nodes", "2",
                                "--workers", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True,
                               env=os.environ | {"PYTHONUNBUFFERED": "1"})
    try:
        urls: dict[str, str] = {}
        for line in process.stdout:  # type: ignore[union-attr]
            name, _, rest = line.partition(":")
            if rest.strip():
                urls[name.strip()] = rest.split()[0]
            if line.startswith("Ctrl-C"):
                break
        assert set(urls) >= {"HAProxy", "node1", "node2", "PostgreSQL"}, urls
        for url in (urls["HAProxy"], urls["node1"], urls["node2"]):
            with urllib.request.urlopen(url + "/health", timeout=5) as response:
                assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, process.stderr.read()  # type: ignore[union-attr]
        for url in (urls["HAProxy"], urls["node1"], urls["node2"]):
            with pytest.raises(OSError):
                urllib.request.urlopen(url + "/health", timeout=2)
        postgres_port = int(urls["PostgreSQL"].rsplit(":", 1)[1].split("/")[0])
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", postgres_port), timeout=2)
    finally:
        if process.poll() is None:
            process.kill()


@contextlib.contextmanager
def own_postgres(tmp_path: Path) -> Iterator[tuple[PostgresServer, Settings]]:
    """A PostgreSQL of the test's own (it is stopped mid-test), migrated, and its settings."""
    server = PostgresServer().start()
    try:
        url = server.create_database("carebridge")
        upgrade(url)
        yield server, make_settings(tmp_path, url)
    finally:
        server.stop()


def test_a_node_started_while_postgresql_is_down_comes_up_when_it_is_back(
        tmp_path: Path) -> None:
    with own_postgres(tmp_path) as (server, settings):
        server.halt()
        node = Node(settings, importer=True)
        starting = threading.Thread(target=node.start)
        starting.start()
        time.sleep(4)  # the node (and its importer) keep trying meanwhile
        assert node.running and starting.is_alive()
        server.start()
        starting.join(timeout=90)
        assert not starting.is_alive() and node.running
        with urllib.request.urlopen(node.url + "/health", timeout=5) as response:
            assert response.status == 200
        assert "cannot reach the database" in node.log_text()
        node.stop()


def test_without_waiting_an_unreachable_database_is_one_clear_line(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"postgresql+psycopg://u:secret@127.0.0.1:{free_port()}/x")
    run = subprocess.run([sys.executable, "-m", "carebridge", "facility", "list"],
                         env=settings_env(settings), capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "Error: cannot reach the database postgresql+psycopg://u:***@127.0.0.1" in run.stderr
    assert "Traceback" not in run.stderr and "secret" not in run.stderr


def test_every_operation_answers_unavailable_while_the_database_is_down(
        tmp_path: Path) -> None:
    with own_postgres(tmp_path) as (server, settings):
        db = Database(settings)
        with db.transaction() as session:
            add_facility(session, FACILITY, PASSWORD)
        db.dispose()
        node = Node(settings, workers=1).start()  # one worker: the cached account is used
        try:
            reasons: list[str] = []
            client = ServiceClient(FACILITY_SERVICE, node.url + FACILITY_SERVICE.path, FACILITY,
                                   PASSWORD, retries=0, on_retry=reasons.append)
            assert client.call("getMyFacility") is not None  # the account is cached now
            server.halt()
            with pytest.raises(ServiceUnreachable, match="service temporarily unavailable"):
                client.call("getMyFacility")
            assert reasons == ["service temporarily unavailable"]
            assert "[parameters:" not in node.log_text()  # no statement, no patient data
        finally:
            node.stop()
