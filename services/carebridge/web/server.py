"""Running the WSGI app under gunicorn from ``carebridge serve``."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from carebridge.web.drain import DrainingArbiter


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


def gunicorn_options(bind: str, workers: int) -> dict[str, Any]:
    """Sync workers, graceful shutdown, access log without bodies or query payloads."""
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": "sync",
        "timeout": 120,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(D)sus',
        "errorlog": "-",
        "proc_name": "carebridge",
        # Several nodes may run on one host: no shared control socket in $HOME.
        "control_socket_disable": True,
    }


def run_gunicorn(bind: str, workers: int, drain_seconds: float = 5.0) -> None:
    _Gunicorn(gunicorn_options(bind, workers), drain_seconds).run()


