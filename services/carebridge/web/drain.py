"""Draining: on SIGTERM a node first reports unhealthy, keeps serving, then stops.

The flag lives in shared memory created by the gunicorn master before it forks,
so every worker's /health sees it. The load balancer's health check takes the
node out while in-flight and late requests still succeed; gunicorn's graceful
shutdown then lets running requests finish.
"""

from __future__ import annotations

import logging
import multiprocessing
import time

from gunicorn.arbiter import Arbiter

log = logging.getLogger(__name__)

_FLAG = multiprocessing.Value("b", 0, lock=False)


def is_draining() -> bool:
    return bool(_FLAG.value)


class DrainingArbiter(Arbiter):
    """gunicorn's master, with a drain period before its graceful stop on SIGTERM."""

    drain_seconds = 5.0

    def handle_term(self) -> None:
        if not _FLAG.value:
            _FLAG.value = 1
            log.info("SIGTERM: draining for %.1fs (health answers 503)", self.drain_seconds)
            time.sleep(self.drain_seconds)
        super().handle_term()
