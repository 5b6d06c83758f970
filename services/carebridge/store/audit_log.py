"""Where access-audit rows go: the database itself, or on SQLite a file of their own.

SQLite has one writer at a time, and an import holds the write lock for the whole push
(it is all or nothing). An audit row in the main file would make every read of another
facility's records wait for the import to finish, minutes for a large clinic, well past
OSCAR's 3 s; in a file of its own (``<database>.audit``) it is written at once, as
durably as the main file (WAL). PostgreSQL keeps the rows in its ``access_audit`` table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
)
from sqlalchemy.engine import make_url

from carebridge.store.engine import DatabaseHandle
from carebridge.store.models import AccessAudit, UTCDateTime


@dataclass(frozen=True)
class AuditRow:
    at: dt.datetime
    facility_id: int
    actor: str | None
    door: str
    operation: str
    subject_facility_id: int | None
    subject_demographic_no: int | None
    records: int


_SIDE = MetaData()
_SIDE_TABLE = Table(
    "access_audit", _SIDE,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("facility_id", Integer, nullable=False),
    Column("actor", String(64)),
    Column("door", String(32), nullable=False),
    Column("operation", String(128), nullable=False),
    Column("subject_facility_id", Integer),
    Column("subject_demographic_no", Integer),
    Column("records", Integer, nullable=False),
    Index("ix_access_audit_at", "at"),
    Index("ix_access_audit_subject", "subject_facility_id", "subject_demographic_no"),
)
_FIELDS = ("at", "facility_id", "actor", "door", "operation", "subject_facility_id",
           "subject_demographic_no", "records")


class AuditLog:
    def __init__(self, db: DatabaseHandle) -> None:
        url = make_url(str(db.engine.url))
        side = (url.get_backend_name() == "sqlite" and url.database
                and url.database != ":memory:" and not url.database.startswith("file:"))
        if side:
            self._target = DatabaseHandle(f"sqlite:///{url.database}.audit")
            _SIDE.create_all(self._target.engine)
            self._table = _SIDE_TABLE
        else:
            self._target = db
            self._table = AccessAudit.__table__

    def write(self, rows: Sequence[AuditRow]) -> None:
        """The rows, committed before this returns."""
        if not rows:
            return
        values = [{f: getattr(r, f) for f in _FIELDS} for r in rows]
        with self._target.transaction(writes=True) as session:
            session.execute(insert(self._table), values)

    def newest(self, limit: int = 100) -> list[AuditRow]:
        with self._target.transaction() as session:
            found = session.execute(select(*(self._table.c[f] for f in _FIELDS))
                                    .order_by(self._table.c.id.desc()).limit(limit))
            return [AuditRow(**row._mapping) for row in found]

    def dispose(self) -> None:
        if self._table is _SIDE_TABLE:
            self._target.dispose()
