"""Who is reading, and the record of every read of patient data.

A ``Reader`` is the signed-in facility plus the OSCAR provider it calls for (the CAISI
``requestingCaisiProviderNo`` header). Every use case that returns patient data writes
one ``access_audit`` row per patient it returned data of, in the read's own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from carebridge.store.models import AccessAudit, utcnow

Pk = tuple[int, int]  # (facility id, the facility's demographic number)


@dataclass(frozen=True)
class Reader:
    facility_id: int
    provider_no: str | None
    operation: str
    door: str = "soap"


def record_reads(session: Session, reader: Reader, counts: Iterable[tuple[Pk, int]]) -> None:
    """One audit row per patient read, with how many of its records were returned."""
    now = utcnow()
    session.add_all(
        AccessAudit(at=now, facility_id=reader.facility_id, actor=(reader.provider_no or "")[:64]
                    or None, door=reader.door, operation=reader.operation[:128],
                    subject_facility_id=pk[0], subject_demographic_no=pk[1], records=n)
        for pk, n in counts
    )
