"""The composition root: everything a node runs, built from one Settings object.

``carebridge serve`` builds its Settings once and hands that object on: to gunicorn's
workers (:func:`web_application`, called in each worker after it forks), to the server
options and hooks (:func:`server_options`) and to the background work beside the workers
(:func:`background`: the outbox worker loop and the importer loop). Plain gunicorn runs the
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
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
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
    """gunicorn until it stops, with the background work beside it: the outbox worker loop,
    and the importer loop unless ``importer`` is False."""
    from carebridge.web import drain, metrics
    from carebridge.web.server import run_gunicorn

    # The drain flag and the metrics directory first: the MLLP listeners forked next share
    # them with the web workers (/health says 503 for both doors; /metrics counts both).
    drain.prepare()
    with metrics.multiprocess_dir(), background(settings, importer), mllp_listeners(settings):
        run_gunicorn(server_options(settings, bind, workers),
                     partial(web_application, settings))


@contextlib.contextmanager
def background(settings: Settings, importer: bool = True) -> Iterator[None]:
    """The work beside the web workers, in one child process forked with this Settings
    object (nothing re-read); on exit it gets SIGTERM, and SIGKILL after STOP_SECONDS."""
    with _forked(BACKGROUND_NAME, partial(_background_main, settings, importer)):
        yield


@contextlib.contextmanager
def mllp_listeners(settings: Settings, bind: str | None = None) -> Iterator[None]:
    """``settings.mllp.workers`` MLLP listener processes on ``bind`` (default
    ``settings.mllp.bind``; none when both are empty), each stopped like the background."""
    bind = bind or settings.mllp.bind
    with contextlib.ExitStack() as stack:
        if bind:
            for _ in range(settings.mllp.workers):
                stack.enter_context(_forked(MLLP_NAME, partial(_mllp_main, settings, bind)))
        yield


def _mllp_main(settings: Settings, bind: str) -> None:
    from carebridge.mllp.node import run_listener
    from carebridge.web.drain import is_draining

    run_listener(settings, bind, draining=is_draining)


BACKGROUND_NAME = "carebridge-bg"  # what ps and /proc/<pid>/comm show for the child
MLLP_NAME = "carebridge-mllp"


@contextlib.contextmanager
def _forked(name: str, main: Callable[[], None]) -> Iterator[None]:
    """``main`` in a child process for as long as the block runs."""
    owner = os.getpid()
    sentinel, child_end = os.pipe()  # only the child keeps child_end: EOF once it is gone
    pid = os.fork()
    if pid == 0:
        os.close(sentinel)
        _child(name, main)
    os.close(child_end)
    try:
        yield
    finally:
        # gunicorn's workers are forks of this process: each one leaving unwinds through here.
        if os.getpid() == owner:
            _stop(pid, sentinel)
        os.close(sentinel)


def _child(name: str, main: Callable[[], None]) -> NoReturn:
    code = 1
    with contextlib.suppress(OSError):  # Linux; elsewhere it keeps its parent's name
        Path("/proc/self/comm").write_text(name)
    try:
        main()
        code = 0
    except Exception:
        log.exception("%s stopped", name)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # never back into the parent's stack (click, gunicorn)


def _background_main(settings: Settings, importer: bool) -> None:
    from carebridge.store.database import Database

    database = Database(settings)  # its own engine: none is shared across a fork
    try:
        run_background(database, settings, importer=importer)
    finally:
        database.dispose()


def run_background(database: Database, settings: Settings, *, importer: bool = True) -> None:
    """Until SIGTERM or Ctrl-C: the outbox worker loop (a thread) and, with ``importer``,
    the importer loop; without it, just the outbox."""
    from carebridge.integrator.importer import Importer
    from carebridge.integrator.progress import LogObserver
    from carebridge.patients import outbox
    from carebridge.patients.policy import couriers
    from carebridge.store.holder import process_holder

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    delivery = threading.Thread(
        target=outbox.work, name="outbox", daemon=True,
        args=(database, couriers(settings), process_holder("outbox"), stop.is_set, stop.wait,
              settings.server.outbox_interval))
    delivery.start()
    try:
        with contextlib.suppress(KeyboardInterrupt):
            if importer:
                log.info("watching %s every %ss", settings.importer.incoming_dir,
                         settings.importer.scan_interval)
                Importer(database, settings, observer=LogObserver()).watch(stop.is_set,
                                                                           stop.wait)
            else:
                while not stop.wait(3600):
                    pass
    finally:
        stop.set()
        delivery.join(STOP_SECONDS)


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
