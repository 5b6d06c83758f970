"""Draining: on SIGTERM a node first reports unhealthy, keeps serving, then stops.

A gunicorn server hook (:mod:`carebridge.web.server`) calls :func:`drain_on_sigterm` in the
master before any worker forks, under ``carebridge serve`` and under plain gunicorn with
deploy/gunicorn.conf.py alike. It creates the flag in shared memory, so every worker's
/health sees it, and makes the master's first SIGTERM raise the flag and arm a timer instead
of stopping. The load balancer's health check takes the node out while in-flight and late
requests still succeed; when the timer fires the master makes gunicorn's graceful stop
(running requests finish). The master keeps supervising its workers meanwhile: a worker
that dies during the drain is replaced.
"""

from __future__ import annotations

import logging
import mmap
import signal
from types import FrameType

from gunicorn.arbiter import Arbiter

log = logging.getLogger(__name__)

# One byte of anonymous shared memory, inherited by every worker the master forks after it
# is made. None in a process no gunicorn master set up (a test's app): never draining.
_flag: mmap.mmap | None = None
_SERVING, _DRAINING, _DRAINED = 0, 1, 2


def is_draining() -> bool:
    """True from the first SIGTERM on (the drain, then the graceful stop)."""
    return _flag is not None and _flag[0] != _SERVING


def prepare() -> mmap.mmap:
    """The flag, made now: processes forked from here on (the MLLP listeners, before
    gunicorn starts) see the drain as the web workers do."""
    global _flag
    if _flag is None:
        _flag = mmap.mmap(-1, 1)  # MAP_SHARED: the workers see the master's writes
    return _flag


def drain_on_sigterm(server: Arbiter, seconds: float) -> None:
    """Make ``server``'s SIGTERM drain for ``seconds`` before its graceful stop.

    Called again (SIGHUP reloads the settings), the new ``seconds`` apply."""
    flag = prepare()
    stop = type(server).handle_term  # gunicorn's own: StopIteration, then the graceful stop

    def handle_term() -> None:
        # gunicorn calls handle_<signal> from its main loop, not from the signal handler:
        # logging is safe here.
        if flag[0] == _DRAINING:
            log.info("SIGTERM again while draining: stopping when the drain ends")
            return
        if flag[0] == _SERVING and seconds > 0:
            flag[0] = _DRAINING
            log.info("SIGTERM: draining for %.1fs (health answers 503)", seconds)
            signal.signal(signal.SIGALRM, drained)
            signal.setitimer(signal.ITIMER_REAL, seconds)
            return
        flag[0] = _DRAINED
        stop(server)  # raises StopIteration: gunicorn's graceful stop

    def drained(signum: int, frame: FrameType | None) -> None:
        # A signal handler: no logging; queue a SIGTERM as gunicorn's own handler does.
        flag[0] = _DRAINED
        server.signal(signal.SIGTERM, frame)

    server.handle_term = handle_term  # the arbiter looks handle_<signal> up on itself
