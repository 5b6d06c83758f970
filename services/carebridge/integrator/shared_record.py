"""Reading the shared record: other facilities' pushed records of a caller's patient.

Every read is scoped the same way. A facility reads its own records, and another
facility's records of a person only when (a) that record is linked to one of the
caller's records (``links``) and (b) the owning facility's consent lets the caller in
(``consent``). What is out of reach looks exactly like what does not exist. Each read
writes its audit rows (``access.record_reads``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from carebridge import matching
from carebridge.integrator import consent, links
from carebridge.integrator.access import Pk, Reader, record_reads
from carebridge.integrator.exceptions import InvalidArgument
from carebridge.oscar.cached_records import DEMOGRAPHIC_TYPE
from carebridge.store.models import CachedRecord, Document, SharedDemographic, utcnow

MAX_RECORDS = 5000  # per read: a chart never needs more, and a reply stays bounded
MAX_CANDIDATES = 2000
MAX_MATCHES = 100


@dataclass(frozen=True)
class Found:
    """One record as pushed, with the facility that owns it."""

    facility_id: int
    demographic_no: int | None
    payload: dict[str, Any]
    document_sha256: str | None = None


def readable(session: Session, reader: Reader, pks: Iterable[Pk]) -> list[Pk]:
    """Those of ``pks`` the reader may read: its own, and those whose owner consented."""
    pks = set(pks)
    others = {pk for pk in pks if pk[0] != reader.facility_id}
    found = consent.consents(session, others)
    now = utcnow()
    allowed = {pk for pk in others if consent.owner_allows(found, pk[0], reader.facility_id, now)}
    return sorted((pks - others) | allowed)


def reachable(session: Session, reader: Reader, pk: Pk) -> bool:
    """A record the reader may read without naming its own patient: its own, or linked to
    one of the reader's records with the owner's consent."""
    if pk[0] == reader.facility_id:
        return True
    linked = links.closure(session, pk)
    if not any(facility == reader.facility_id for facility, _ in linked):
        return False
    return bool(readable(session, reader, [pk]))


def _linked_readable(session: Session, reader: Reader, demographic_no: int | None) -> list[Pk]:
    if demographic_no is None:
        raise InvalidArgument("caisiDemographicId is required")
    return readable(session, reader, links.closure(session, (reader.facility_id, demographic_no)))


def _records(session: Session, record_type: str, pks: list[Pk]) -> list[Found]:
    found: list[Found] = []
    for start in range(0, len(pks), 500):
        rows = session.execute(select(
            CachedRecord.facility_id, CachedRecord.demographic_no, CachedRecord.payload,
            CachedRecord.document_sha256).where(
            CachedRecord.record_type == record_type,
            tuple_(CachedRecord.facility_id, CachedRecord.demographic_no).in_(
                pks[start:start + 500])).order_by(CachedRecord.id).limit(MAX_RECORDS))
        found += [Found(int(r.facility_id), r.demographic_no, dict(r.payload), r.document_sha256)
                  for r in rows]
    return found[:MAX_RECORDS]


def _audit(session: Session, reader: Reader, found: Iterable[Found]) -> None:
    counts = Counter((f.facility_id, f.demographic_no or 0) for f in found)
    record_reads(session, reader, counts.items())


def linked_records(session: Session, reader: Reader, demographic_no: int | None,
                   record_type: str) -> list[Found]:
    """The getLinkedCachedXxx reads: records of ``record_type`` of every record linked to
    the caller's patient that the caller may read (the patient's own are the caller's)."""
    found = _records(session, record_type, _linked_readable(session, reader, demographic_no))
    _audit(session, reader, found)
    return found


def linked_demographics(session: Session, reader: Reader, demographic_no: int | None,
                        *, directly: bool) -> list[Found]:
    if demographic_no is None:
        raise InvalidArgument("caisiDemographicId is required")
    me = (reader.facility_id, demographic_no)
    pks = links.direct(session, me) if directly else links.closure(session, me)
    found = _records(session, DEMOGRAPHIC_TYPE, readable(session, reader, pks))
    _audit(session, reader, found)
    return found


def by_key(session: Session, reader: Reader, record_type: str, facility_id: int | None,
           key: str | None) -> Found | None:
    """One record by its facility and key (pk-addressed reads), None when out of reach."""
    if facility_id is None or key is None:
        raise InvalidArgument("the record's integratorFacilityId and item id are required")
    row = session.scalars(select(CachedRecord).where(
        CachedRecord.facility_id == facility_id, CachedRecord.record_type == record_type,
        CachedRecord.record_key == key)).first()
    if row is None or row.demographic_no is None:
        return None
    if not reachable(session, reader, (facility_id, row.demographic_no)):
        return None
    found = Found(facility_id, row.demographic_no, dict(row.payload), row.document_sha256)
    _audit(session, reader, [found])
    return found


def by_keys(session: Session, reader: Reader, record_type: str,
            keys: list[tuple[int, str]]) -> list[Found]:
    """Many records by (facility, key) (getLinkedCachedDemographicNotesByIds), in the order
    asked; reachability is decided once per patient, whatever the number of its records."""
    wanted = keys[:MAX_RECORDS]
    rows: dict[tuple[int, str], Any] = {}
    for start in range(0, len(wanted), 500):
        found = session.execute(select(
            CachedRecord.facility_id, CachedRecord.record_key, CachedRecord.demographic_no,
            CachedRecord.payload, CachedRecord.document_sha256).where(
            CachedRecord.record_type == record_type,
            tuple_(CachedRecord.facility_id, CachedRecord.record_key).in_(
                wanted[start:start + 500])))
        rows.update({(int(r.facility_id), r.record_key): r for r in found})
    allowed: dict[Pk, bool] = {}
    out: list[Found] = []
    for key in wanted:
        row = rows.get(key)
        if row is None or row.demographic_no is None:
            continue
        pk = (key[0], int(row.demographic_no))
        if pk not in allowed:
            allowed[pk] = reachable(session, reader, pk)
        if allowed[pk]:
            out.append(Found(pk[0], pk[1], dict(row.payload), row.document_sha256))
    _audit(session, reader, out)
    return out


def document_bytes(session: Session, found: Found) -> bytes | None:
    if found.document_sha256 is None:
        return None
    document = session.get(Document, found.document_sha256)
    return document.content if document is not None else None


def demographic(session: Session, reader: Reader, facility_id: int | None,
                demographic_no: int | None) -> Found | None:
    if facility_id is None or demographic_no is None:
        raise InvalidArgument("integratorFacilityId and caisiDemographicId are required")
    return by_key(session, reader, DEMOGRAPHIC_TYPE, facility_id, str(demographic_no))


# -- matching ---------------------------------------------------------------------------

def matching_demographics(session: Session, reader: Reader, criteria: matching.Criteria,
                          max_entries: int, min_score: int) -> list[tuple[int, Found]]:
    """getMatchingDemographics: other facilities' patients scored as the real integrator
    scores them, among those whose facility's consent lets the caller see them."""
    wanted = criteria.cleaned()
    if wanted.empty:
        raise InvalidArgument("give at least one of firstName, lastName, birthDate, hin")
    max_entries = min(max(max_entries, 0), MAX_MATCHES)
    table = SharedDemographic
    predicates: list[Any] = []
    if wanted.hin:
        predicates.append(func.lower(table.hin) == wanted.hin.lower())
    for column, sounds, text in ((table.first_name, table.first_soundex, wanted.first_name),
                                 (table.last_name, table.last_soundex, wanted.last_name)):
        if text:
            predicates.append(sounds == matching.soundex(text))
            predicates.append(func.lower(column).contains(text.lower(), autoescape=True))
    if wanted.birth_date:
        predicates.append(table.birth_date == wanted.birth_date.isoformat())
    rows = session.execute(
        select(table).where(table.facility_id != reader.facility_id, or_(*predicates))
        .limit(MAX_CANDIDATES)).scalars()
    scored = [(matching.score(wanted, matching.Identity(r.first_name, r.last_name,
                                                        r.birth_date, r.hin)),
               (r.facility_id, r.demographic_no)) for r in rows]
    allowed = set(readable(session, reader, (pk for _score, pk in scored)))
    ranked = matching.best([p for p in scored if p[1] in allowed], max_entries, min_score)
    records = {(f.facility_id, f.demographic_no): f for f in _records(
        session, DEMOGRAPHIC_TYPE, [pk for _score, pk in ranked])}
    hits = [(points, records[pk]) for points, pk in ranked if pk in records]
    _audit(session, reader, (found for _points, found in hits))
    return hits


def birth_date_of(value: dt.datetime | None) -> dt.date | None:
    """The calendar date OSCAR means by an xs:dateTime birth date (its own offset's)."""
    return value.date() if value is not None else None


# -- what changed since -------------------------------------------------------------------

MAX_CHANGED = 5000


def _pushed_since(session: Session, since: dt.datetime | None) -> list[tuple[Pk, dt.datetime]]:
    if since is None:
        raise InvalidArgument("arg0 (the date) is required")
    rows = session.execute(
        select(CachedRecord.facility_id, CachedRecord.demographic_no, CachedRecord.updated_at)
        .where(CachedRecord.record_type == DEMOGRAPHIC_TYPE, CachedRecord.updated_at > since,
               CachedRecord.demographic_no.is_not(None))
        .order_by(CachedRecord.updated_at).limit(MAX_CHANGED))
    return [((int(r.facility_id), int(r.demographic_no)), r.updated_at) for r in rows]


def pushed_since(session: Session, reader: Reader, since: dt.datetime | None
                 ) -> list[tuple[Pk, dt.datetime]]:
    """getDemographicsPushedAfterDate: the patients imported after ``since`` that the reader
    may read (its own, and linked ones with their owner's consent)."""
    found = [(pk, when) for pk, when in _pushed_since(session, since)
             if reachable(session, reader, pk)]
    record_reads(session, reader, [(pk, 1) for pk, _when in found if pk[0] != reader.facility_id])
    return found


def own_ids_changed_since(session: Session, reader: Reader, since: dt.datetime | None
                          ) -> list[int]:
    """getDemographicIdPushedAfterDateByRequestingFacility: the reader's patients whose
    record, or a linked record it may read, was imported after ``since``."""
    changed: set[int] = set()
    for pk, _when in _pushed_since(session, since):
        if pk[0] == reader.facility_id:
            changed.add(pk[1])
            continue
        mine = [other for other in links.closure(session, pk) if other[0] == reader.facility_id]
        if mine and readable(session, reader, [pk]):
            changed.update(number for _facility, number in mine)
    return sorted(changed)
