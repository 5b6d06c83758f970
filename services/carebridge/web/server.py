"""Running the WSGI app under gunicorn from ``carebridge serve``."""

from __future__ import annotations

import errno
import socket
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.util import parse_address

from carebridge.config import Settings
from carebridge.web import metrics
from carebridge.web.drain import DrainingArbiter
from carebridge.web.worker import configured


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any], drain_seconds: float) -> None:
        self.options = options
        self.drain_seconds = drain_seconds
        super().__init__()

    def run(self) -> None:
        arbiter = DrainingArbiter(self)
        arbiter.drain_seconds = self.drain_seconds
        arbiter.run()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # newer options are skipped on older gunicorns
                self.cfg.set(key, value)

    def load(self):  # type: ignore[no-untyped-def]
        from carebridge.wsgi import application

        return application




def gunicorn_options(bind: str, workers: int, settings: Settings) -> dict[str, Any]:
    """Thread workers that slow clients cannot tie up, graceful shutdown, access log
    without bodies or query payloads."""
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": configured(header_timeout=settings.http_header_timeout,
                                   body_timeout=settings.http_body_timeout,
                                   max_body_bytes=settings.max_request_bytes),
        # Threads get whole requests only (carebridge.web.worker): they are for requests
        # that wait on the database, not for clients that are slow to send.
        "threads": max(1, settings.worker_threads),
        # A thread worker's main loop reports in every second whatever its threads do.
        "timeout": 30,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(D)sus',
        "errorlog": "-",
        "proc_name": "carebridge",
        # Several nodes may run on one host: no shared control socket in $HOME.
        "control_socket_disable": True,
        "child_exit": metrics.child_exit,  # /metrics sums every worker's counters
    }


def bind_problem(bind: str) -> str | None:
    """Why gunicorn could not listen on ``bind`` (one line), or None: checked before it
    starts, which would otherwise retry for seconds and log a dozen lines."""
    try:
        address = parse_address(bind)
    except RuntimeError as exc:
        return f"cannot listen on {bind}: {exc}"
    if not isinstance(address, tuple):
        return None  # a unix socket: gunicorn deals with a stale one itself
    host, port = address
    try:
        family, kind, proto, _, sockaddr = socket.getaddrinfo(
            host or "0.0.0.0", port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
            probe.bind(sockaddr)
    except (socket.gaierror, OverflowError) as exc:
        return f"cannot listen on {bind}: {getattr(exc, 'strerror', None) or exc}"
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return (f"port {port} is already in use on {host or 'all interfaces'} "
                    f"(another carebridge serve?); choose another with --bind HOST:PORT")
        return f"cannot listen on {bind}: {exc.strerror}"
    return None


def run_gunicorn(bind: str, workers: int, settings: Settings) -> None:
    _Gunicorn(gunicorn_options(bind, workers, settings), settings.drain_seconds).run()
