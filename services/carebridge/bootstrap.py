"""The composition root: everything a node runs, built from one Settings object.

``carebridge serve`` builds its Settings once and hands that object on: to gunicorn's
workers (:func:`web_application`, called in each worker after it forks), to the server
options and hooks (:func:`server_options`) and to the background work beside the workers
(:func:`background`: the importer loop and its outbox-delivery tick). Plain gunicorn runs the
same options and hooks through deploy/gunicorn.conf.py (:func:`config_file_options`) and the
same application through ``carebridge.wsgi``, each from ``Settings.from_env()``.

The WSGI application and what it imports are loaded in the workers only, never in the
master: module-level state (caches, connection pools, prometheus_client's mode, chosen on
import) would otherwise be the master's, copied into every worker.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import select
import signal
import sys
import threading
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from carebridge.config import ConfigError, Settings
from carebridge.logs import configure_logging

if TYPE_CHECKING:
    from carebridge.store.database import Database
    from carebridge.web.app import CarebridgeApp

log = logging.getLogger(__name__)

DEFAULT_BIND = "127.0.0.1:8080"
STOP_SECONDS = 30.0  # the background work's time to finish a file after SIGTERM


def default_workers() -> int:
    return (os.cpu_count() or 1) + 1


def web_application(settings: Settings) -> CarebridgeApp:
    """One worker's WSGI application, its logging at ``settings.log_level``."""
    configure_logging(settings.log_level)
    from carebridge.web.app import CarebridgeApp  # in the worker (see the module docstring)

    application = CarebridgeApp(settings)
    log.debug("process %d: web application built", os.getpid())
    # Everything loaded so far lives as long as the worker: keep it out of the collector's
    # scans (full collections otherwise pause requests for tens of milliseconds).
    gc.freeze()
    return application


def server_options(settings: Settings, bind: str = DEFAULT_BIND,
                   workers: int | None = None) -> dict[str, Any]:
    """Every gunicorn option of a node, server hooks (drain, /metrics) included."""
    # Imported on use, as in serve(): the other commands need no gunicorn or lxml.
    from carebridge.web.server import gunicorn_options

    return gunicorn_options(settings, bind, workers or default_workers())


def config_file_options() -> dict[str, Any]:
    """deploy/gunicorn.conf.py's options, from the environment (and CAREBRIDGE_CONFIG) as
    ``carebridge serve`` reads them; a bad setting stops gunicorn with one line."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        sys.exit(f"carebridge: {exc}")  # SystemExit: gunicorn lets it through, no traceback
    return server_options(settings)


def serve(settings: Settings, bind: str, workers: int, importer: bool) -> None:
    """gunicorn until it stops, with the importer loop beside it unless ``importer`` is
    False."""
    from carebridge.web.server import run_gunicorn

    with background(settings) if importer else contextlib.nullcontext():
        run_gunicorn(server_options(settings, bind, workers),
                     partial(web_application, settings))


@contextlib.contextmanager
def background(settings: Settings) -> Iterator[None]:
    """The work beside the web workers, in one child process forked with this Settings
    object (nothing re-read); on exit it gets SIGTERM, and SIGKILL after STOP_SECONDS."""
    owner = os.getpid()
    sentinel, child_end = os.pipe()  # only the child keeps child_end: EOF once it is gone
    pid = os.fork()
    if pid == 0:
        os.close(sentinel)
        _child(settings)
    os.close(child_end)
    try:
        yield
    finally:
        # gunicorn's workers are forks of this process: each one leaving unwinds through here.
        if os.getpid() == owner:
            _stop(pid, sentinel)
        os.close(sentinel)


def _child(settings: Settings) -> NoReturn:
    code = 1
    try:
        _background_main(settings)
        code = 0
    except Exception:
        log.exception("the importer loop stopped")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # never back into the parent's stack (click, gunicorn)


def _background_main(settings: Settings) -> None:
    from carebridge.store.database import Database

    database = Database(settings)  # its own engine: none is shared across a fork
    try:
        watch_imports(database, settings)
    finally:
        database.dispose()


def watch_imports(database: Database, settings: Settings) -> None:
    """The importer loop until SIGTERM or Ctrl-C; after each scan, LOS e-mails left in the
    outbox are retried."""
    # Still in the CLI module; they belong below it (see /tmp/notes/bootstrap-11.md).
    from carebridge.cli.imports import _LogObserver, _outbox_delivery
    from carebridge.integrator.importer import Importer

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    importer = Importer(database, settings, observer=_LogObserver())
    log.info("watching %s every %ss", settings.incoming_dir, settings.scan_interval)
    with contextlib.suppress(KeyboardInterrupt):
        importer.watch(stop.is_set, stop.wait, tick=_outbox_delivery(database, settings))


def _stop(pid: int, sentinel: int) -> None:
    """Waits on the pipe, not on the exit status: gunicorn's master reaps every child it
    has (waitpid(-1)), this one included, and a reaped pid may be someone else's."""
    def exited(timeout: float) -> bool:
        return bool(select.select([sentinel], [], [], timeout)[0])

    if not exited(0):
        os.kill(pid, signal.SIGTERM)
        if not exited(STOP_SECONDS):
            os.kill(pid, signal.SIGKILL)
            exited(STOP_SECONDS)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)  # unless gunicorn reaped it already
