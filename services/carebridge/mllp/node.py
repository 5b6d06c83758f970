"""One MLLP listener process: the asyncio loop, its group committer and its database.

``carebridge mllp`` runs one in the foreground; ``carebridge serve`` forks
``mllp_workers`` of them beside the web workers (carebridge.bootstrap). Each binds the
address with SO_REUSEPORT, so the kernel spreads connections over them and a node can
restart one without refusing connections. SIGTERM, Ctrl-C or ``draining()`` turning
true (the node's drain) starts the drain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable

from carebridge.config import Settings
from carebridge.mllp import metrics
from carebridge.mllp.exceptions import ListenerConfigError
from carebridge.mllp.group_commit import GroupCommitter
from carebridge.mllp.listener import Listener, tls_context
from carebridge.mllp.senders import Senders
from carebridge.patients.policy import submit_policy
from carebridge.store.database import Database

log = logging.getLogger(__name__)

STOP_SECONDS = 30.0  # what is queued gets this long to commit after the drain


def split_bind(bind: str) -> tuple[str, int]:
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit():
        raise ListenerConfigError(f"MLLP bind {bind!r} is not HOST:PORT")
    return host.strip("[]") or "0.0.0.0", int(port)


def listening_socket(bind: str) -> socket.socket:
    host, port = split_bind(bind)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenerConfigError(f"cannot listen for MLLP on {bind}: {exc.strerror}") from None
    sock.listen(1024)
    return sock


def check_listener(settings: Settings, bind: str) -> None:
    """ListenerConfigError now, in the command, rather than in a forked listener: the TLS
    files load and the address is free."""
    tls_context(settings.mllp)
    listening_socket(bind).close()


def run_listener(settings: Settings, bind: str,
                 draining: Callable[[], bool] = lambda: False) -> None:
    """Serve MLLP on ``bind`` until SIGTERM/SIGINT or ``draining()``; then drain."""
    sock = listening_socket(bind)
    database = Database(settings)
    committer = GroupCommitter(database, submit_policy(settings), Senders(),
                               max_batch=settings.mllp.commit_batch,
                               window=settings.mllp.commit_window,
                               threads=settings.mllp.commit_threads,
                               observe_batch=metrics.batch_committed)
    committer.start()
    listener = Listener(committer, settings.mllp,
                        max_frame=settings.hl7.max_message_bytes + 4096,
                        default_charset=settings.hl7.default_charset)
    log.info("MLLP listening on %s", bind)
    try:
        asyncio.run(_serve(listener, sock, draining))
    finally:
        committer.close(STOP_SECONDS)
        database.dispose()
        metrics.process_exit()
        log.info("MLLP listener on %s stopped", bind)


async def _serve(listener: Listener, sock: socket.socket, draining: Callable[[], bool]) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, listener.drain)
    watch = asyncio.ensure_future(_watch(listener, draining))
    try:
        await listener.serve(sock)
    finally:
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch


async def _watch(listener: Listener, draining: Callable[[], bool]) -> None:
    while not draining():
        await asyncio.sleep(0.2)
    log.info("the node drains: MLLP stops accepting and closes its connections")
    listener.drain()
