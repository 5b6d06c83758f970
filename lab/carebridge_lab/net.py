"""Loopback-only networking helpers: free ports, waiting for a node to answer."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http_ok(url: str, timeout: float = 30.0, status: int = 200) -> None:
    """Until ``url`` answers ``status`` (200: up; 503: draining or its database away)."""
    if not url.startswith("http://127.0.0.1"):
        raise ValueError("only loopback addresses are waited on")
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                last = response.status
        except urllib.error.HTTPError as exc:
            last = exc.code
        except Exception as exc:  # not up yet
            last = exc
        if last == status:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer {status} within {timeout}s: {last}")


def wait_listening(host: str, port: int, timeout: float = 30.0) -> None:
    """Until a TCP connection to ``host:port`` (loopback only) is accepted."""
    if not host.startswith("127."):
        raise ValueError("only loopback addresses are waited on")
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=2):
                return
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{host}:{port} did not accept a connection within {timeout}s: {last}")
