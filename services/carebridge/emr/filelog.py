"""OSCAR's IntegratorFileLog: one row per push, its checksum and what the integrator said."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from carebridge.emr.schema import IntegratorFileLog


def last_push(session: Session) -> IntegratorFileLog | None:
    """The newest push (OSCAR: getLastFileData); its currentDate starts the next delta."""
    return session.scalars(select(IntegratorFileLog).order_by(IntegratorFileLog.id.desc())
                           .limit(1)).first()


def record_push(session: Session, filename: str, checksum: str, last_date: dt.datetime,
                current_date: dt.datetime) -> IntegratorFileLog:
    row = IntegratorFileLog(filename=filename, checksum=checksum, lastDateUpdated=last_date,
                            currentDate=current_date, dateCreated=dt.datetime.now())
    session.add(row)
    session.flush()
    return row


def file_logs_to_check(session: Session) -> list[IntegratorFileLog]:
    """Rows whose status is empty or not COMPLETED, newest first."""
    return list(session.scalars(
        select(IntegratorFileLog)
        .where(or_(IntegratorFileLog.integratorStatus.is_(None),
                   IntegratorFileLog.integratorStatus != "COMPLETED"))
        .order_by(IntegratorFileLog.id.desc())
    ))


def record_status(session: Session, row_id: int, status: str) -> None:
    session.execute(update(IntegratorFileLog).where(IntegratorFileLog.id == row_id)
                    .values(integratorStatus=status))
