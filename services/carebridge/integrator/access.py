"""Who is reading, and the record of every read of patient data.

A ``Reader`` is the signed-in facility plus the OSCAR provider it calls for (the CAISI
``requestingCaisiProviderNo`` header). Every use case that returns patient data records
one ``access_audit`` row per patient it returned data of: in its own transaction when it
writes anyway, else into ``Reader.unwritten``, which the transport commits in a short
write transaction before it answers (a read then never holds SQLite's write lock, and no
data leaves without its audit row).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from carebridge.store.models import AccessAudit, utcnow

Pk = tuple[int, int]  # (facility id, the facility's demographic number)


@dataclass(frozen=True)
class Reader:
    facility_id: int
    provider_no: str | None
    operation: str
    door: str = "soap"
    # Set by a transport that reads in a read-only transaction: rows to commit afterwards.
    unwritten: list[AccessAudit] | None = field(default=None, compare=False)


def record_reads(session: Session, reader: Reader, counts: Iterable[tuple[Pk, int]]) -> None:
    """One audit row per patient read, with how many of its records were returned."""
    now = utcnow()
    rows = [AccessAudit(at=now, facility_id=reader.facility_id,
                        actor=(reader.provider_no or "")[:64] or None, door=reader.door,
                        operation=reader.operation[:128], subject_facility_id=pk[0],
                        subject_demographic_no=pk[1], records=n)
            for pk, n in counts]
    if reader.unwritten is not None:
        reader.unwritten.extend(rows)
    else:
        session.add_all(rows)
