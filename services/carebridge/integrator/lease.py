"""The importer lease: one importer at a time across all nodes, no lock files.

A row in ``import_lease`` names a holder and an expiry. Taking it is one
conditional UPDATE (free, expired, or already ours), so two nodes can never both
win. The holder renews it inside its import transaction: on PostgreSQL that row
stays locked until commit, so nobody takes over from a live importer; if the
importer dies its transaction rolls back, the lock goes, the expiry passes and
another node takes over. Renewal checks the holder, so an importer that lost the
lease rolls back instead of committing (fencing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Connection, insert, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from carebridge.integrator.exceptions import LeaseLost
from carebridge.store.database import Database
from carebridge.store.engine import SQLITE_BUSY_TIMEOUT_MS
from carebridge.store.holder import process_holder
from carebridge.store.models import ImportLease, utcnow

IMPORTER = "importer"


class Lease:
    def __init__(self, db: Database, seconds: float, holder: str | None = None,
                 name: str = IMPORTER) -> None:
        self.db = db
        self.seconds = seconds
        self.holder = holder or process_holder()
        self.name = name

    def acquire(self, current_file: str | None = None) -> bool:
        """Take or extend the lease; False if a live holder has it (or holds its lock)."""
        self._ensure_row()
        now = utcnow()
        table = ImportLease.__table__
        statement = (
            update(table)
            .where(table.c.name == self.name)
            .where(
                (table.c.holder.is_(None))
                | (table.c.holder == self.holder)
                | (table.c.expires_at < now)
            )
            .values(holder=self.holder, expires_at=self._expiry(now), current_file=current_file)
        )
        with self.db.engine.connect() as conn:
            try:
                with conn.begin():
                    self._set_lock_wait(conn, short=True)
                    return conn.execute(statement).rowcount == 1
            except OperationalError:
                # Lock wait timed out: a live importer holds the row in its transaction.
                return False
            finally:
                if self.db.dialect == "sqlite":
                    with conn.begin():
                        self._set_lock_wait(conn, short=False)

    def renew(self, session: Session, current_file: str | None = None) -> None:
        """Extend the lease inside ``session``'s transaction; LeaseLost if it is not ours."""
        table = ImportLease.__table__
        # An UPDATE's result is a CursorResult (which has rowcount); execute() is typed Result.
        result = cast("CursorResult[Any]", session.execute(
            update(table)
            .where(table.c.name == self.name, table.c.holder == self.holder)
            .values(expires_at=self._expiry(utcnow()), current_file=current_file)
        ))
        if result.rowcount != 1:
            raise LeaseLost(f"importer lease {self.name!r} is no longer held by {self.holder}")

    def release(self) -> None:
        table = ImportLease.__table__
        with self.db.transaction() as session:
            session.execute(
                update(table)
                .where(table.c.name == self.name, table.c.holder == self.holder)
                .values(holder=None, expires_at=None, current_file=None)
            )

    def _expiry(self, now: dt.datetime) -> dt.datetime:
        return now + dt.timedelta(seconds=self.seconds)

    def _ensure_row(self) -> None:
        try:
            with self.db.transaction() as session:
                if session.get(ImportLease, self.name) is None:
                    session.execute(insert(ImportLease.__table__).values(name=self.name))
        except (IntegrityError, OperationalError):
            pass  # created by another node meanwhile, or that node holds the write lock

    def _set_lock_wait(self, conn: Connection, *, short: bool) -> None:
        if self.db.dialect == "postgresql" and short:
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
        elif self.db.dialect == "sqlite":
            millis = 2000 if short else SQLITE_BUSY_TIMEOUT_MS
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {millis}")
