"""A few seconds of memory per process for rows read on every request.

Facility accounts and scopes change rarely and are read by every call; remembering
them briefly saves a query per request. A change takes effect within ``ttl`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def database_of(session: Session) -> str:
    """Part of every key: one process may serve (or test) several databases."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


class TtlCache(Generic[K, V]):
    """Bounded (cleared when full) and thread-safe; ``load`` runs outside the lock."""

    def __init__(self, ttl: float = 5.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V]) -> V:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = load()
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[key] = (now + self.ttl, value)
        return value
