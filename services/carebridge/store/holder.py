"""Who holds a lease or a claim: one id builder for every row a process marks as its own.

``host:pid:role`` (or ``host:pid:<random>`` when the same process may hold several): unique
across the nodes sharing a database, and readable by an operator (and by the lab's chaos
loop, which finds the process to kill from the pid in the middle).
"""

from __future__ import annotations

import os
import socket
import uuid


def process_holder(role: str | None = None) -> str:
    """This process's holder id for ``role``; without one, a fresh random suffix each call."""
    return f"{socket.gethostname()}:{os.getpid()}:{role or uuid.uuid4().hex[:8]}"
