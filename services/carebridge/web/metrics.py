"""/metrics for a whole node: counters every gunicorn worker adds to, gauges from the database.

A node is several worker processes, and a scrape reaches one of them; counters kept
in that worker's memory made each scrape report a different total. prometheus_client's
multiprocess mode keeps each process's values in files under ``PROMETHEUS_MULTIPROC_DIR``
and sums them when scraped, so every worker answers with the node's totals (those of
workers that died or were replaced included). ``carebridge serve`` gives each node start
a fresh directory; a process run without one (a test's app, plain gunicorn without the
variable) counts in its own memory.

prometheus_client picks its mode when it is first imported, so it must not be imported
before the variable is set: this module imports it on first use only, ``serve`` sets the
variable in gunicorn's master before any worker forks, and a worker's first request
(or scrape) brings prometheus_client in.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import Counter
    from prometheus_client.core import GaugeMetricFamily, Metric

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_PREFIX = "carebridge-metrics-"


_made: list[Counter] = []
_owned: list[Path] = []  # the directory this process made, while it is in use
_making = threading.Lock()


def _requests() -> Counter:
    """The one counter of this process. Made under a lock: a worker's threads race to the
    first request, and two Counter objects over the same shared value lose each other's
    increments (each writes its own running total)."""
    if not _made:
        with _making:
            if not _made:
                from prometheus_client import Counter

                _made.append(Counter("carebridge_requests",
                                     "SOAP requests answered, by service and HTTP status",
                                     ["service", "status"], registry=None))
    return _made[0]


def count_request(service: str, status: str) -> None:
    _requests().labels(service, status).inc()


def render(database_gauges: Callable[[], Iterable[Metric]]) -> bytes:
    """The exposition text: the node's request counters, then ``database_gauges()``."""
    from prometheus_client import CollectorRegistry, generate_latest, multiprocess, values

    registry = CollectorRegistry(auto_describe=False)
    counter = _requests()
    # prometheus_client chose at import whether values go to the shared files.
    if getattr(values.ValueClass, "_multiprocess", False) and _multiprocess_dir():
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(counter)
    registry.register(_Gauges(database_gauges))
    return generate_latest(registry)


def gauge(name: str, documentation: str, values: dict[tuple[str, ...], float],
          labels: tuple[str, ...] = ()) -> GaugeMetricFamily:
    """A gauge family from ``{label values: value}`` (``{(): value}`` for no labels)."""
    from prometheus_client.core import GaugeMetricFamily

    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for label_values, value in sorted(values.items()):
        family.add_metric(list(label_values), value)
    return family


@contextmanager
def multiprocess_dir() -> Iterator[Path]:
    """A fresh metrics directory for one node start, named in the environment the
    workers inherit (old files would add a previous run's counts); removed at the end.

    Those a killed node left behind (their process is gone) are removed on the next start.
    """
    if _owned:  # made already by this process (``serve``, before gunicorn's hook)
        yield _owned[-1]
        return
    parent = Path(tempfile.gettempdir())
    _remove_orphans(parent)
    path = parent / f"{_PREFIX}{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700, parents=True)
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = str(path)
    _owned.append(path)
    owner = os.getpid()
    try:
        yield path
    finally:
        _owned.remove(path)
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        # Forks (gunicorn's workers) unwind through here too: only the maker removes it.
        if os.getpid() == owner:
            shutil.rmtree(path, ignore_errors=True)


def child_exit(_server: Any, worker: Any) -> None:
    """gunicorn hook: a dead worker's live gauges go; its counters stay in the totals."""
    if _multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def _multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def _remove_orphans(parent: Path) -> None:
    for path in parent.glob(f"{_PREFIX}*"):
        pid = path.name[len(_PREFIX):]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class _Gauges:
    """Metrics computed at scrape time (a registry collector)."""

    def __init__(self, collect: Callable[[], Iterable[Metric]]) -> None:
        self._collect = collect

    def collect(self) -> Iterable[Metric]:
        return self._collect()
