"""Who is reading, and the record of every read of patient data.

A ``Reader`` is the signed-in facility plus the OSCAR provider it calls for (the CAISI
``requestingCaisiProviderNo`` header). Every use case that returns patient data records
one audit row per patient it returned data of into ``Reader.unwritten``; the transport
writes them to the audit log (``store.audit_log``) after the use case and before it
answers: no data leaves without its row, and a read never holds SQLite's write lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from carebridge.store.audit_log import AuditRow
from carebridge.store.models import utcnow

Pk = tuple[int, int]  # (facility id, the facility's demographic number)


@dataclass(frozen=True)
class Reader:
    facility_id: int
    provider_no: str | None
    operation: str
    door: str = "soap"
    # The audit rows the use case recorded, for the transport to write.
    unwritten: list[AuditRow] = field(default_factory=list, compare=False)


def by_facility(pks: Iterable[Pk]) -> dict[int, list[int]]:
    """Patients grouped by facility: ``facility_id = ? AND demographic_no IN (...)`` uses
    the index where a row-value IN scans it (SQLite)."""
    grouped: dict[int, set[int]] = {}
    for facility_id, number in pks:
        grouped.setdefault(facility_id, set()).add(number)
    return {f: sorted(numbers) for f, numbers in grouped.items()}


def record_reads(reader: Reader, counts: Iterable[tuple[Pk, int]]) -> None:
    """One audit row per patient read, with how many of its records were returned."""
    now = utcnow()
    reader.unwritten.extend(
        AuditRow(at=now, facility_id=reader.facility_id,
                 actor=(reader.provider_no or "")[:64] or None, door=reader.door,
                 operation=reader.operation[:128], subject_facility_id=pk[0],
                 subject_demographic_no=pk[1], records=n)
        for pk, n in counts)
