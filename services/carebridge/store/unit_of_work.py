"""One request, one unit of work: what every transport runs a use case in.

The use case gets an open session and never commits; this commits once, after it
returned, or rolls everything back. A unique key violated by a concurrent
transaction (two nodes creating the same patient at once) rolls back and runs the
work again, which then finds the other transaction's row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carebridge.store.database import Database

log = logging.getLogger(__name__)

T = TypeVar("T")
ATTEMPTS = 3


def run(db: Database, work: Callable[[Session], T], *, writes: bool = False,
        attempts: int = ATTEMPTS) -> T:
    """``work(session)`` in one transaction; retried on a concurrent key conflict."""
    for attempt in range(1, attempts + 1):
        try:
            with db.transaction(writes=writes) as session:
                return work(session)
        except IntegrityError:
            if attempt == attempts:
                raise
            log.info("a concurrent transaction took the same key; running the work again")
    raise AssertionError("unreachable")
