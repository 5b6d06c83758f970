"""gunicorn for a node: its options and server hooks, in one place for ``carebridge serve``
and for plain gunicorn with deploy/gunicorn.conf.py (both take them from
:func:`carebridge.bootstrap.server_options`)."""

from __future__ import annotations

import contextlib
import errno
import socket
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.util import parse_address

from carebridge.config import Settings
from carebridge.logs import configure_logging
from carebridge.web import metrics
from carebridge.web.drain import drain_on_sigterm
from carebridge.web.worker import configured

WSGIApp = Callable[..., Any]

# What this process set up as a gunicorn master, undone when it exits. Module-level: SIGHUP
# re-reads deploy/gunicorn.conf.py, whose hooks are then new objects.
_master_exit = contextlib.ExitStack()


class _Gunicorn(BaseApplication):
    """gunicorn run from code: these options, and the app ``load_app`` builds in each worker."""

    def __init__(self, options: dict[str, Any], load_app: Callable[[], WSGIApp]) -> None:
        self.options = options
        self.load_app = load_app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # newer options are skipped on older gunicorns
                self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        return self.load_app()


class _NodeHooks:
    """The master's part of a node, as gunicorn server hooks (they run before any worker
    forks, so whatever they create is shared with every worker)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def when_ready(self, server: Arbiter) -> None:
        configure_logging(self.settings.log_level)  # the master's own lines (the drain)
        _master_exit.enter_context(metrics.multiprocess_dir())
        drain_on_sigterm(server, self.settings.server.drain_seconds)

    def on_reload(self, server: Arbiter) -> None:
        drain_on_sigterm(server, self.settings.server.drain_seconds)  # after SIGHUP re-read them

    def on_exit(self, server: Arbiter) -> None:
        _master_exit.close()


def gunicorn_options(settings: Settings, bind: str, workers: int) -> dict[str, Any]:
    """Thread workers that slow clients cannot tie up, graceful shutdown, access log
    without bodies or query payloads; the drain and /metrics hooks."""
    hooks = _NodeHooks(settings)
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": configured(header_timeout=settings.server.http_header_timeout,
                                   body_timeout=settings.server.http_body_timeout,
                                   max_body_bytes=settings.server.max_request_bytes),
        # Threads get whole requests only (carebridge.web.worker): they are for requests
        # that wait on the database, not for clients that are slow to send.
        "threads": max(1, settings.server.worker_threads),
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
        "when_ready": hooks.when_ready,
        "on_reload": hooks.on_reload,
        "on_exit": hooks.on_exit,
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


def run_gunicorn(options: dict[str, Any], load_app: Callable[[], WSGIApp]) -> None:
    """Until gunicorn stops; ``load_app`` runs in each worker after it forks."""
    _Gunicorn(options, load_app).run()
