"""The import log: every query of it and every change to a row, in one place.

Read by FacilityService (OSCAR's status job asks about its own files), the status page
and ``carebridge import-log`` (one JSON form for both); written by the importer, which
starts a row as PROCESSING, then completes it with the records or marks it ERROR.
Queries for a facility are scoped by its id: a facility only ever sees its own rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carebridge.integrator.exceptions import InvalidArgument, LeaseLost, NotFound
from carebridge.integrator.prerequisites import CompletedImport, decide
from carebridge.oscar.archive import Header
from carebridge.store.models import Facility, ImportLog, ImportStatus, utcnow

# -- what a row holds -----------------------------------------------------------------


def record_count(counts: Mapping[str, int]) -> int:
    """The records a push carried: its counts without deletions and document bookkeeping."""
    return sum(v for k, v in counts.items() if not k.startswith(("deleted:", "documents")))


@dataclass(frozen=True)
class ImportLogEntry:
    """One import log row with its facility's name, as the status page and the CLI list it."""

    id: int
    facility: str | None
    filename: str
    checksum: str
    status: str
    reason: str | None
    depends_on: str | None
    date_interval_start: dt.datetime | None
    date_interval_end: dt.datetime | None
    counts: Mapping[str, int]
    attempts: int
    date_created: dt.datetime
    last_updated: dt.datetime

    @property
    def records(self) -> int:
        return record_count(self.counts)

    def as_json(self) -> dict[str, Any]:
        """The entry as ``/status.json`` and ``carebridge import-log --json`` give it."""
        return {
            "id": self.id, "facility": self.facility, "filename": self.filename,
            "checksum": self.checksum, "status": self.status, "reason": self.reason,
            "dependsOn": self.depends_on, "counts": dict(self.counts), "attempts": self.attempts,
            "dateIntervalStart": _iso(self.date_interval_start),
            "dateIntervalEnd": _iso(self.date_interval_end),
            "dateCreated": _iso(self.date_created), "lastUpdated": _iso(self.last_updated),
        }


def _entry(row: ImportLog, facility: str | None) -> ImportLogEntry:
    return ImportLogEntry(
        id=row.id, facility=facility, filename=row.filename, checksum=row.checksum,
        status=row.status, reason=row.reason, depends_on=row.depends_on,
        date_interval_start=row.date_interval_start, date_interval_end=row.date_interval_end,
        counts=dict(row.counts or {}), attempts=row.attempts,
        date_created=row.date_created, last_updated=row.last_updated,
    )


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# -- queries ----------------------------------------------------------------------------


def newest_entries(session: Session, limit: int, *, facility_id: int | None = None,
                   facility_name: str | None = None, status: str | None = None,
                   before: int | None = None) -> list[ImportLogEntry]:
    """Up to ``limit`` entries newest first, optionally of one facility (by id or by name),
    with one status, or older than the entry ``before`` (keyset paging)."""
    query = select(ImportLog, Facility.name).outerjoin(Facility,
                                                       ImportLog.facility_id == Facility.id)
    if facility_id is not None:
        query = query.where(ImportLog.facility_id == facility_id)
    if facility_name is not None:
        query = query.where(Facility.name == facility_name)
    if status is not None:
        query = query.where(ImportLog.status == status)
    if before is not None:
        query = query.where(ImportLog.id < before)
    found = session.execute(query.order_by(ImportLog.id.desc()).limit(limit))
    return [_entry(row, name) for row, name in found]


def count_by_status(session: Session) -> dict[str, int]:
    """How many entries each status has, every facility's (the /metrics gauge)."""
    rows = session.execute(select(ImportLog.status, func.count()).group_by(ImportLog.status))
    return {status: count for status, count in rows}


def for_file(session: Session, facility_id: int, filename: str | None, checksum: str | None
             ) -> list[ImportLog]:
    """OSCAR's getImportLogByFilenameAndChecksum, for one facility."""
    return list(session.scalars(
        select(ImportLog)
        .where(ImportLog.facility_id == facility_id,
               ImportLog.filename == (filename or ""),
               ImportLog.checksum == (checksum or ""))
        .order_by(ImportLog.id)
    ))


def since(session: Session, facility_id: int, start: dt.datetime | None) -> list[ImportLog]:
    """OSCAR's findByFacilitySince: interval start at or after ``start`` (None: all)."""
    query = select(ImportLog).where(ImportLog.facility_id == facility_id)
    if start is not None:
        query = query.where(ImportLog.date_interval_start >= start)
    return list(session.scalars(query.order_by(ImportLog.id)))


def last_completed(session: Session, facility_id: int) -> CompletedImport | None:
    """The facility's most recently completed import (OSCAR: findLastCompletedByFacility)."""
    row = session.scalars(
        select(ImportLog)
        .where(ImportLog.facility_id == facility_id, ImportLog.status == ImportStatus.COMPLETED)
        .order_by(ImportLog.last_updated.desc(), ImportLog.id.desc())
        .limit(1)
    ).first()
    return CompletedImport(row.checksum, row.date_interval_end) if row else None


def can_process_file(session: Session, facility_id: int, checksum: str | None,
                     end_date: dt.datetime | None, depends_on: str | None) -> str:
    """The importer's own decision for such a file (OSCAR's canProcessFile; the filename
    and start date it is also given are not used)."""
    return decide(last_completed(session, facility_id), checksum or "", end_date,
                  depends_on).value


# -- FacilityWs's changes (an importer that is not carebridge's) -------------------------


def create(session: Session, facility_id: int, filename: str | None, checksum: str | None,
           start: dt.datetime | None, end: dt.datetime | None, depends_on: str | None,
           status: str | None = ImportStatus.PROCESSING) -> ImportLog:
    """OSCAR's createImportLog(WithStatus): a new row for the caller's file."""
    if not filename or not checksum:
        raise InvalidArgument("arg0 (filename) and arg1 (checksum) are required")
    if len(filename) > 255 or len(checksum) > 32 or (depends_on and len(depends_on) > 32):
        raise InvalidArgument("filename over 255 or checksum/dependsOn over 32 characters")
    if status not in set(ImportStatus):
        raise InvalidArgument(f"status must be one of {', '.join(ImportStatus)}")
    earlier = _existing(session, facility_id, checksum)
    if earlier is not None:
        raise InvalidArgument(f"import log {earlier.id} already holds checksum {checksum}")
    now = utcnow()
    row = ImportLog(facility_id=facility_id, filename=filename, checksum=checksum,
                    status=status, depends_on=depends_on or None, date_interval_start=start,
                    date_interval_end=end, counts={}, attempts=1, date_created=now,
                    last_updated=now)
    session.add(row)
    session.flush()
    return row


def set_status(session: Session, facility_id: int, log_id: int | None,
               status: ImportStatus) -> ImportLog:
    """OSCAR's completeImportLog/errorImportLog, on the caller's own rows only (the real
    integrator hands another facility's row back unchanged; carebridge does not show it)."""
    row = session.get(ImportLog, log_id) if log_id is not None else None
    if row is None or row.facility_id != facility_id:
        raise NotFound(f"no import log {log_id} of this facility")
    row.status = status
    row.last_updated = utcnow()
    return row


# -- the importer's changes -------------------------------------------------------------


def start(session: Session, facility_id: int, filename: str, checksum: str,
          header: Header) -> int:
    """The file's row as PROCESSING: the row of an earlier attempt at the same bytes, or new."""
    now = utcnow()
    row = _existing(session, facility_id, checksum)
    if row is None:
        row = ImportLog(facility_id=facility_id, checksum=checksum, date_created=now)
        session.add(row)
    row.filename = filename
    row.status = ImportStatus.PROCESSING
    row.reason = None
    row.counts = {}
    row.attempts = (row.attempts or 0) + 1
    _set_interval(row, header)
    row.last_updated = now
    session.flush()
    return row.id


def processing(session: Session, log_id: int) -> ImportLog:
    """The PROCESSING row ``log_id``; LeaseLost if it is not (another importer took over)."""
    row = session.get(ImportLog, log_id)
    if row is None or row.status != ImportStatus.PROCESSING:
        raise LeaseLost(f"import log {log_id} changed under this importer")
    return row


def complete(session: Session, log_id: int, counts: Mapping[str, int]) -> ImportLog:
    """PROCESSING -> COMPLETED with the counts; LeaseLost if the row changed meanwhile."""
    row = processing(session, log_id)
    row.status = ImportStatus.COMPLETED
    row.counts = dict(counts)
    row.last_updated = utcnow()
    return row


def fail(session: Session, facility_id: int | None, filename: str, checksum: str,
         header: Header | None, reason: str) -> int:
    """The file's row as ERROR with ``reason``, unless the same bytes were imported before:
    that import stands, and its row's id is returned."""
    now = utcnow()
    row = _existing(session, facility_id, checksum) if facility_id is not None else None
    if row is not None and row.status == ImportStatus.COMPLETED:
        return row.id
    if row is None:
        row = ImportLog(facility_id=facility_id, checksum=checksum, date_created=now,
                        attempts=1, counts={})
        session.add(row)
    row.filename = filename
    row.status = ImportStatus.ERROR
    row.reason = reason
    row.counts = {}
    row.last_updated = now
    if header is not None:
        _set_interval(row, header)
    session.flush()
    return row.id


def _existing(session: Session, facility_id: int, checksum: str) -> ImportLog | None:
    return session.scalars(
        select(ImportLog).where(ImportLog.facility_id == facility_id,
                                ImportLog.checksum == checksum)
    ).first()


def _set_interval(row: ImportLog, header: Header) -> None:
    row.depends_on = header.depends_on
    row.date_interval_start = header.last_date
    row.date_interval_end = header.date
