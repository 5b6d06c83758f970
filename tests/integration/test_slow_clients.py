"""Slow and stuck clients do not take a node down (``carebridge serve``, real sockets).

Each node here runs one worker, so every bad connection lands on the same worker: with
several, they would be shared out and a worker could survive by luck of the split.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import select
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from carebridge.contracts import PATIENT_SUBMISSION
from carebridge.hl7.make_adt import generate
from carebridge.soap.client import ServiceClient
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.migrate import upgrade
from carebridge_lab.haproxy import HAProxy, render_config
from carebridge_lab.net import free_port, wait_http_ok
from carebridge_lab.postgres import PostgresServer
from tests.conftest import make_settings
from tests.support.server import Node, carebridge

FACILITY, PASSWORD, AUTHORITY = "SLOW CLINIC", "slow-secret", "SLOWHOSP"
PATH = PATIENT_SUBMISSION.path
HEADER_TIMEOUT, BODY_TIMEOUT = 1.0, 1.5  # the quick node's; the defaults are 10 s and 30 s
SWEEP = 1.0  # the worker looks at deadlines once a second
SLOW_BODY_HEAD = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: text/xml; charset=utf-8\r\nContent-Length: 1000\r\n\r\n").encode()


def _start_node(root: Path, database_url: str = "", **settings_overrides: object) -> Node:
    settings = make_settings(root, database_url or f"sqlite:///{root}/slow.sqlite",
                             **settings_overrides)
    upgrade(settings.database_url)
    database = Database(settings)
    with database.transaction() as session:
        add_facility(session, FACILITY, PASSWORD, authorities=[AUTHORITY])
    database.dispose()
    return Node(settings, workers=1).start()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """``carebridge serve`` with its default worker class, threads and timeouts."""
    started = _start_node(tmp_path_factory.mktemp("default-node"))
    yield started
    started.stop()


@pytest.fixture(scope="module")
def quick_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """The same with short header and body timeouts, to watch them expire."""
    started = _start_node(tmp_path_factory.mktemp("quick-node"),
                          http_header_timeout=HEADER_TIMEOUT, http_body_timeout=BODY_TIMEOUT)
    yield started
    started.stop()


def _messages(prefix: str, count: int) -> list[str]:
    rows = "".join(f"A01|{prefix}{n}|{AUTHORITY}|SLOW|CLIENT\n" for n in range(count))
    return generate("event|mrn|assigning_authority|last_name|first_name\n" + rows,
                    sending_facility=FACILITY, control_id_prefix=prefix,
                    now=dt.datetime(2024, 5, 1)).messages


def _client(base_url: str) -> ServiceClient:
    return ServiceClient(PATIENT_SUBMISSION, base_url + PATH, FACILITY, PASSWORD, timeout=10,
                         retries=0)


def _envelope(message: str) -> bytes:
    """A whole submitMessage request body, WS-Security header included, as zeep sends it."""
    client = _client("http://127.0.0.1:1")
    return etree.tostring(client.client.create_message(client.service, "submitMessage", message))


def _connect(node: Node) -> socket.socket:
    return socket.create_connection(("127.0.0.1", node.port), timeout=10)


def _read_until_closed(sock: socket.socket, timeout: float = 10.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data, time.monotonic() - started


def _read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """``count`` whole responses (each has a Content-Length) from a kept-alive connection."""
    sock.settimeout(10)
    data, responses = b"", []
    while len(responses) < count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            length = int(re.search(rb"(?i)content-length: *(\d+)", data[:head_end]).group(1))
            if len(data) >= head_end + 4 + length:
                responses.append(data[:head_end + 4 + length])
                data = data[head_end + 4 + length:]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(responses)} responses"
        data += chunk
    return responses


def _still_open(sock: socket.socket) -> bool:
    """Connected, and the server has neither answered nor closed."""
    sock.setblocking(False)
    try:
        sock.recv(1)  # a byte: it answered; nothing at all: it closed
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)
    return False


def test_valid_requests_are_answered_while_60_bad_connections_are_open(node: Node) -> None:
    slow_bodies = [_connect(node) for _ in range(50)]
    for sock in slow_bodies:
        sock.sendall(SLOW_BODY_HEAD + b"<so")  # 3 of the 1,000 bytes, then silence
    idle = [_connect(node) for _ in range(10)]  # connected, nothing sent
    try:
        client = _client(node.url)
        timings = []
        for number, message in enumerate(_messages("LOAD", 20)):
            started = time.monotonic()
            ack = client.call("submitMessage", message)
            timings.append(round(time.monotonic() - started, 3))
            assert ack.ackCode == "AA", ack
            if number % 2:  # every other call on a new connection, the rest kept alive
                client.client.transport.session.close()
        assert max(timings) < 2.0, timings
        with urllib.request.urlopen(node.url + "/health", timeout=2) as response:
            assert response.status == 200
        # The bad connections were all still open (held, not cut) while the node answered.
        assert all(_still_open(sock) for sock in slow_bodies + idle)
    finally:
        for sock in slow_bodies + idle:
            sock.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_more_callers_at_once_than_a_worker_has_threads(backend: str, tmp_path: Path,
                                                        request: pytest.FixtureRequest) -> None:
    """40 callers at once on one worker of 32 threads (5 pooled database connections), none
    resending: all answered, no thread left waiting for another's connection, and on
    SQLite no submission fails with "database is locked" (they take the write lock at
    BEGIN instead of after their first read)."""
    database_url = ""
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        database_url = server.create_database(f"slow_{os.getpid()}")
    busy = _start_node(tmp_path, database_url, worker_threads=32)
    try:
        messages = _messages("BUSY", 120)
        codes: list[str] = []

        def caller(mine: list[str]) -> None:
            client = _client(busy.url)
            codes.extend(client.call("submitMessage", m).ackCode for m in mine)

        callers = [threading.Thread(target=caller, args=(messages[n::40],)) for n in range(40)]
        for thread in callers:
            thread.start()
        for thread in callers:
            thread.join(timeout=60)
        assert codes == ["AA"] * 120
        assert "Traceback" not in busy.log_text()
    finally:
        busy.stop()


def test_a_stalled_body_is_answered_408_after_the_body_timeout(quick_node: Node) -> None:
    stalled, trickling = _connect(quick_node), _connect(quick_node)
    stalled.sendall(SLOW_BODY_HEAD + b"<so")
    trickling.sendall(SLOW_BODY_HEAD)
    started = time.monotonic()
    # A byte every 0.2 s, until the server answers: each read comes well inside any
    # per-read timeout, yet the body as a whole is late.
    while time.monotonic() - started < BODY_TIMEOUT + SWEEP + 1:
        if select.select([trickling], [], [], 0.2)[0]:
            break
        trickling.send(b" ")
    for sock in (stalled, trickling):
        reply, _ = _read_until_closed(sock)
        elapsed = time.monotonic() - started
        sock.close()
        assert reply.startswith(b"HTTP/1.1 408 "), reply
        assert elapsed < BODY_TIMEOUT + SWEEP + 2, elapsed
    # Not before the timeout either: a client on a slow link gets its time.
    late = _connect(quick_node)
    late.sendall(SLOW_BODY_HEAD + b"<so")
    reply, elapsed = _read_until_closed(late)
    late.close()
    assert reply.startswith(b"HTTP/1.1 408 ") and elapsed >= BODY_TIMEOUT - 0.1, elapsed
    assert "Traceback" not in quick_node.log_text()


def test_slow_headers_are_answered_408_and_a_silent_connection_is_closed(
        quick_node: Node) -> None:
    partial, silent = _connect(quick_node), _connect(quick_node)
    partial.sendall(f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
    reply, elapsed = _read_until_closed(partial)
    assert reply.startswith(b"HTTP/1.1 408 "), reply
    assert HEADER_TIMEOUT - 0.1 <= elapsed < HEADER_TIMEOUT + SWEEP + 1, elapsed
    reply, _ = _read_until_closed(silent)
    assert reply == b""  # nothing asked, nothing answered: just closed
    for sock in (partial, silent):
        sock.close()


def test_a_body_left_to_a_thread_is_bounded_too(quick_node: Node) -> None:
    """A chunk larger than the request cap is not buffered by the worker's loop: a thread
    reads it (the body cap answers 413 when it arrives). Stalled, it gets a 408 all the same,
    and no traceback in the log."""
    sock = _connect(quick_node)
    sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
                 "Transfer-Encoding: chunked\r\n\r\nFFFFFFF\r\n<soap".encode())
    reply, elapsed = _read_until_closed(sock)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 408 "), reply
    assert BODY_TIMEOUT - 0.1 <= elapsed < BODY_TIMEOUT + 2, elapsed
    log = quick_node.log_text()
    assert "request body stalled while a thread read it; answered 408" in log
    assert "Traceback" not in log
    with urllib.request.urlopen(quick_node.url + "/health", timeout=2) as response:
        assert response.status == 200


def test_chunked_pipelined_and_expect_continue_requests_are_served(quick_node: Node) -> None:
    """What the worker's loop buffers reaches the services intact."""
    first, second, third = (_envelope(m) for m in _messages("FRAME", 3))
    head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: text/xml; charset=utf-8\r\nSOAPAction: \"submitMessage\"\r\n")
    sock = _connect(quick_node)
    # Chunked, in pieces and with pauses (each under the body timeout).
    sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
    for piece in (first[:100], first[100:]):
        sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        time.sleep(0.3)
    sock.sendall(b"0\r\n\r\n")
    # Two requests in one write: a fixed-length one and a GET behind it.
    sock.sendall((head + f"Content-Length: {len(second)}\r\n\r\n").encode() + second
                 + b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    chunked, fixed, health = _read_responses(sock, 3)
    for reply in (chunked, fixed):
        assert reply.startswith(b"HTTP/1.1 200 ") and b"AA" in reply, reply
    assert health.startswith(b"HTTP/1.1 200 ")
    # A client that waits for "100 Continue" before sending its body gets it.
    sock.sendall((head + f"Content-Length: {len(third)}\r\nExpect: 100-continue\r\n\r\n")
                 .encode())
    assert sock.recv(25) == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(third)
    data = b""
    while b":Envelope>" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    sock.close()
    final = data[data.rindex(b"HTTP/1.1 "):]  # after any further interim 100
    assert final.startswith(b"HTTP/1.1 200 ") and b"AA" in final, data


def test_behind_haproxy_a_slow_request_never_reaches_a_node(
        quick_node: Node, tmp_path: Path) -> None:
    port = free_port()
    proxy = HAProxy(render_config(f"127.0.0.1:{port}", [("quick", f"127.0.0.1:{quick_node.port}")],
                                  check_interval_ms=200), tmp_path).start()
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/health", timeout=15)
        before = quick_node.log_text().count(f'"POST {PATH}"')
        slow = socket.create_connection(("127.0.0.1", port), timeout=10)
        slow.sendall(SLOW_BODY_HEAD + b"<so")
        sent = time.monotonic()
        (message,) = _messages("PROXY", 1)
        assert _client(f"http://127.0.0.1:{port}").call("submitMessage", message).ackCode == "AA"
        reply, _ = _read_until_closed(slow)
        elapsed = time.monotonic() - sent
        slow.close()
        assert reply.startswith(b"HTTP/1.1 408 "), reply  # HAProxy's, after its 5 s
        assert 4.5 <= elapsed < 8, elapsed
        # The node saw the valid request only: the slow one was held back by HAProxy.
        assert quick_node.log_text().count(f'"POST {PATH}"') == before + 1
    finally:
        proxy.stop()


def test_serve_says_in_one_line_when_the_port_is_taken(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/taken.sqlite")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = carebridge("serve", "--bind", f"127.0.0.1:{port}", "--no-importer",
                            settings=settings)
    assert result.returncode != 0
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert f"port {port} is already in use" in lines[0] and "--bind" in lines[0], lines
