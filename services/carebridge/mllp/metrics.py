"""The MLLP door's counters, in the node's /metrics (prometheus_client's multiprocess
files, like the web workers'; see carebridge.web.metrics). Made on first use, after the
listener process knows its mode."""

from __future__ import annotations

import functools
import os
from typing import Any


@functools.cache
def _metrics() -> dict[str, Any]:
    from prometheus_client import Counter, Gauge, Histogram

    return {
        "frames": Counter("carebridge_mllp_frames", "MLLP frames received", registry=None),
        "acks": Counter("carebridge_mllp_acks", "MLLP acknowledgments sent, by MSA-1 code",
                        ["code"], registry=None),
        "bytes_in": Counter("carebridge_mllp_received_bytes", "MLLP bytes received",
                            registry=None),
        "bytes_out": Counter("carebridge_mllp_sent_bytes", "MLLP bytes sent", registry=None),
        "connections": Gauge("carebridge_mllp_open_connections", "open MLLP connections",
                             registry=None, multiprocess_mode="livesum"),
        "batches": Histogram("carebridge_mllp_commit_batch_size",
                             "messages per group commit", registry=None,
                             buckets=(1, 2, 4, 8, 16, 32, 50, 64, 128)),
    }


def frame_received(size: int) -> None:
    m = _metrics()
    m["frames"].inc()
    m["bytes_in"].inc(size)


def ack_sent(code: str, size: int) -> None:
    m = _metrics()
    m["acks"].labels(code).inc()
    m["bytes_out"].inc(size)


def connection_opened() -> None:
    _metrics()["connections"].inc()


def connection_closed() -> None:
    _metrics()["connections"].dec()


def batch_committed(size: int) -> None:
    _metrics()["batches"].observe(size)


def process_exit() -> None:
    """This process's live gauge leaves the node's sum; its counters stay."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
