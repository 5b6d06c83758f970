"""Import-log queries shared by the importer, FacilityService and the CLI."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from carebridge.integrator.prerequisites import CompletedImport
from carebridge.store.models import ImportLog, ImportStatus


def last_completed(session: Session, facility_id: int) -> CompletedImport | None:
    """The facility's most recently completed import (OSCAR: findLastCompletedByFacility)."""
    row = session.scalars(
        select(ImportLog)
        .where(ImportLog.facility_id == facility_id, ImportLog.status == ImportStatus.COMPLETED)
        .order_by(ImportLog.last_updated.desc(), ImportLog.id.desc())
        .limit(1)
    ).first()
    return CompletedImport(row.checksum, row.date_interval_end) if row else None


def by_filename_and_checksum(
    session: Session, facility_id: int, filename: str | None, checksum: str | None
) -> list[ImportLog]:
    return list(
        session.scalars(
            select(ImportLog)
            .where(
                ImportLog.facility_id == facility_id,
                ImportLog.filename == (filename or ""),
                ImportLog.checksum == (checksum or ""),
            )
            .order_by(ImportLog.id)
        )
    )


def since(session: Session, facility_id: int, start: dt.datetime | None) -> list[ImportLog]:
    """OSCAR's findByFacilitySince: interval start at or after ``start`` (None: all)."""
    query = select(ImportLog).where(ImportLog.facility_id == facility_id)
    if start is not None:
        query = query.where(ImportLog.date_interval_start >= start)
    return list(session.scalars(query.order_by(ImportLog.id)))


def every(session: Session, limit: int | None = None) -> list[ImportLog]:
    query = select(ImportLog).order_by(ImportLog.id.desc())
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))
