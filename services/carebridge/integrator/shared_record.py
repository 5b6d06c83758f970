"""Reading the shared record: other facilities' pushed records of a caller's patient.

Every read is scoped the same way. A facility reads another facility's records of a
person only when (a) that record is linked to one of the caller's records (``links``) and
(b) the consent that facility recorded for that patient lets the caller in (``consent``).
What is out of reach looks exactly like what does not exist. The linked reads leave out
the caller's own records (its EMR has them), so a link another facility made can never
show a facility one of its patients' data under another of its patients. Each read
records its audit rows (``access.record_reads``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from carebridge import matching
from carebridge.integrator import consent, links
from carebridge.integrator.access import Pk, Reader, by_facility, record_reads
from carebridge.integrator.exceptions import InvalidArgument
from carebridge.oscar.cached_records import DEMOGRAPHIC_TYPE
from carebridge.store.models import CachedRecord, Document, SharedDemographic, utcnow

MAX_RECORDS = 5000  # per read: a chart never needs more, and a reply stays bounded
MAX_CANDIDATES = 2000
MAX_MATCHES = 100
MAX_CHANGED = 5000
MAX_CHANGED_ELSEWHERE = 500  # others' changed records looked at per call (each walks links)


@dataclass(frozen=True)
class Found:
    """One record as pushed, with the facility that owns it."""

    facility_id: int
    demographic_no: int | None
    payload: dict[str, Any]
    document_sha256: str | None = None


def readable(session: Session, reader: Reader, pks: Iterable[Pk]) -> list[Pk]:
    """Those of ``pks`` the reader may read: its own, and those whose own consent (the one
    their facility recorded for that patient) lets it in."""
    pks = set(pks)
    others = {pk for pk in pks if pk[0] != reader.facility_id}
    found = consent.consents(session, others)
    now = utcnow()
    allowed = {pk for pk in others if consent.allows(found, pk, reader.facility_id, now)}
    return sorted((pks - others) | allowed)


def reachable(session: Session, reader: Reader, pk: Pk) -> bool:
    """A record the reader may read without naming its own patient: its own, or linked to
    one of the reader's records with its owner's consent."""
    if pk[0] == reader.facility_id:
        return True
    if not readable(session, reader, [pk]):
        return False
    return any(facility == reader.facility_id for facility, _ in links.closure(session, pk))


def link(session: Session, reader: Reader, provider_id: str | None, mine: int | None,
         other_facility: int | None, other: int | None) -> None:
    """linkDemographics, to a record the caller may see (its owner's consent)."""
    links.link(session, reader, provider_id, mine, other_facility, other,
               may_see=lambda pk: bool(readable(session, reader, [pk])))


def _others_linked(session: Session, reader: Reader, demographic_no: int | None) -> list[Pk]:
    """The readable records of other facilities linked to the caller's patient."""
    if demographic_no is None:
        raise InvalidArgument("caisiDemographicId is required")
    linked = links.closure(session, (reader.facility_id, demographic_no))
    return readable(session, reader, (pk for pk in linked if pk[0] != reader.facility_id))


def _records(session: Session, record_type: str, pks: Iterable[Pk]) -> list[Found]:
    found: list[Found] = []
    for facility_id, numbers in by_facility(pks).items():
        for start in range(0, len(numbers), 500):
            rows = session.execute(select(
                CachedRecord.demographic_no, CachedRecord.payload, CachedRecord.document_sha256
            ).where(CachedRecord.facility_id == facility_id,
                    CachedRecord.record_type == record_type,
                    CachedRecord.demographic_no.in_(numbers[start:start + 500]))
                .order_by(CachedRecord.id).limit(MAX_RECORDS - len(found)))
            found += [Found(facility_id, r.demographic_no, dict(r.payload), r.document_sha256)
                      for r in rows]
            if len(found) >= MAX_RECORDS:
                return found
    return found


def audit(reader: Reader, found: Iterable[Found]) -> None:
    counts = Counter((f.facility_id, f.demographic_no or 0) for f in found)
    record_reads(reader, counts.items())


def linked_records(session: Session, reader: Reader, demographic_no: int | None,
                   record_type: str, keep: Callable[[Found], bool] = lambda _f: True
                   ) -> list[Found]:
    """The getLinkedCachedXxx reads: records of ``record_type`` of the other facilities'
    records linked to the caller's patient that the caller may read (``keep`` filters)."""
    found = [f for f in _records(session, record_type,
                                 _others_linked(session, reader, demographic_no)) if keep(f)]
    audit(reader, found)
    return found


def linked_demographics(session: Session, reader: Reader, demographic_no: int | None,
                        *, directly: bool) -> list[Found]:
    """The linking screen's lists: the caller's own linked records too (it manages them),
    others' when readable."""
    if demographic_no is None:
        raise InvalidArgument("caisiDemographicId is required")
    me = (reader.facility_id, demographic_no)
    pks = links.direct(session, me) if directly else links.closure(session, me)
    found = _records(session, DEMOGRAPHIC_TYPE, readable(session, reader, pks))
    audit(reader, (f for f in found if f.facility_id != reader.facility_id))
    return found


def by_key(session: Session, reader: Reader, record_type: str, facility_id: int | None,
           key: str | None, *, audited: bool = True) -> Found | None:
    """One record by its facility and key (pk-addressed reads), None when out of reach.
    ``audited=False``: the caller audits what it ends up returning."""
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
    if audited:
        audit(reader, [found])
    return found


def by_keys(session: Session, reader: Reader, record_type: str,
            keys: list[tuple[int, str]]) -> list[Found]:
    """Many records by (facility, key) (getLinkedCachedDemographicNotesByIds), in the order
    asked; reachability is decided once per patient, whatever the number of its records."""
    wanted = keys[:MAX_RECORDS]
    grouped: dict[int, set[str]] = {}
    for facility_id, item in wanted:
        grouped.setdefault(facility_id, set()).add(item)
    rows: dict[tuple[int, str], Any] = {}
    for facility_id, key_set in grouped.items():
        ordered = sorted(key_set)
        for start in range(0, len(ordered), 500):
            found = session.execute(select(
                CachedRecord.record_key, CachedRecord.demographic_no, CachedRecord.payload,
                CachedRecord.document_sha256).where(
                CachedRecord.facility_id == facility_id, CachedRecord.record_type == record_type,
                CachedRecord.record_key.in_(ordered[start:start + 500])))
            rows.update({(facility_id, r.record_key): r for r in found})
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
    audit(reader, out)
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


def consent_of(session: Session, reader: Reader, pk: Pk) -> consent.ConsentState | None:
    """getConsentState: the consent the record's own facility recorded for that patient,
    for the caller's own records and those it may reach; None otherwise or without one."""
    if not reachable(session, reader, pk):
        return None
    recorded = consent.consents(session, [pk]).get(pk)
    if recorded is not None and pk[0] != reader.facility_id:
        record_reads(reader, [(pk, 1)])
    return consent.state(session, recorded)


# -- matching ---------------------------------------------------------------------------

def _candidates(session: Session, reader: Reader, wanted: matching.Criteria
                ) -> list[SharedDemographic]:
    """Other facilities' identities meeting a criterion: the indexed, high-scoring ones
    (HIN, birth date, Soundex) first, then name fragments with what room is left."""
    table = SharedDemographic
    elsewhere = table.facility_id != reader.facility_id
    strong: list[Any] = []
    if wanted.hin:
        strong.append(table.hin == matching.normal_hin(wanted.hin))
    if wanted.birth_date:
        strong.append(table.birth_date == wanted.birth_date.isoformat())
    if wanted.first_name and matching.soundex(wanted.first_name):
        strong.append(table.first_soundex == matching.soundex(wanted.first_name))
    if wanted.last_name and matching.soundex(wanted.last_name):
        strong.append(table.last_soundex == matching.soundex(wanted.last_name))
    found: dict[Pk, SharedDemographic] = {}
    for predicate in strong:  # one indexed query each: no criterion crowds out another
        for row in session.scalars(select(table).where(elsewhere, predicate)
                                   .limit(MAX_CANDIDATES)):
            found[(row.facility_id, row.demographic_no)] = row
    fragments = [func.lower(column).contains(text.lower(), autoescape=True)
                 for column, text in ((table.first_name, wanted.first_name),
                                      (table.last_name, wanted.last_name)) if text]
    room = MAX_CANDIDATES * 2 - len(found)
    if fragments and room > 0:
        for row in session.scalars(select(table).where(elsewhere, or_(*fragments)).limit(room)):
            found[(row.facility_id, row.demographic_no)] = row
    return list(found.values())


def matching_demographics(session: Session, reader: Reader, criteria: matching.Criteria,
                          max_entries: int, min_score: int) -> list[tuple[int, Found]]:
    """getMatchingDemographics: other facilities' patients scored as the real integrator
    scores them, among those whose own consent lets the caller see them."""
    wanted = criteria.cleaned()
    if wanted.empty:
        raise InvalidArgument("give at least one of firstName, lastName, birthDate, hin")
    max_entries = min(max(max_entries, 0), MAX_MATCHES)
    scored = [(matching.score(wanted, matching.Identity(r.first_name, r.last_name,
                                                        r.birth_date, r.hin)),
               (r.facility_id, r.demographic_no)) for r in _candidates(session, reader, wanted)]
    allowed = set(readable(session, reader, (pk for _score, pk in scored)))
    ranked = matching.best([p for p in scored if p[1] in allowed], max_entries, min_score)
    records = {(f.facility_id, f.demographic_no): f for f in _records(
        session, DEMOGRAPHIC_TYPE, [pk for _score, pk in ranked])}
    hits = [(points, records[pk]) for points, pk in ranked if pk in records]
    audit(reader, (found for _points, found in hits))
    return hits


# -- what changed since -------------------------------------------------------------------

def _changed(session: Session, since: dt.datetime | None, *, facility_id: int,
             mine: bool, limit: int) -> list[tuple[Pk, dt.datetime]]:
    if since is None:
        raise InvalidArgument("arg0 (the date) is required")
    owner = (CachedRecord.facility_id == facility_id if mine
             else CachedRecord.facility_id != facility_id)
    rows = session.execute(
        select(CachedRecord.facility_id, CachedRecord.demographic_no, CachedRecord.updated_at)
        .where(CachedRecord.record_type == DEMOGRAPHIC_TYPE, CachedRecord.updated_at > since,
               CachedRecord.demographic_no.is_not(None), owner)
        .order_by(CachedRecord.updated_at).limit(limit))
    return [((int(r.facility_id), int(r.demographic_no)), r.updated_at) for r in rows]


def pushed_since(session: Session, reader: Reader, since: dt.datetime | None
                 ) -> list[tuple[Pk, dt.datetime]]:
    """getDemographicsPushedAfterDate: the caller's own patients imported after ``since``,
    and the others' it may reach (the oldest ``MAX_CHANGED_ELSEWHERE`` of those per call)."""
    own = _changed(session, since, facility_id=reader.facility_id, mine=True,
                   limit=MAX_CHANGED)
    others = [(pk, when) for pk, when in _changed(
        session, since, facility_id=reader.facility_id, mine=False,
        limit=MAX_CHANGED_ELSEWHERE) if reachable(session, reader, pk)]
    record_reads(reader, [(pk, 1) for pk, _when in others])
    return sorted(own + others, key=lambda item: item[1])


def own_ids_changed_since(session: Session, reader: Reader, since: dt.datetime | None
                          ) -> list[int]:
    """getDemographicIdPushedAfterDateByRequestingFacility: the caller's patients whose
    record, or a linked record it may read, was imported after ``since``."""
    changed = {pk[1] for pk, _when in _changed(
        session, since, facility_id=reader.facility_id, mine=True, limit=MAX_CHANGED)}
    seen: list[Pk] = []
    for pk, _when in _changed(session, since, facility_id=reader.facility_id, mine=False,
                              limit=MAX_CHANGED_ELSEWHERE):
        if not readable(session, reader, [pk]):
            continue
        mine = [other for other in links.closure(session, pk) if other[0] == reader.facility_id]
        if mine:
            changed.update(number for _facility, number in mine)
            seen.append(pk)
    record_reads(reader, [(pk, 0) for pk in seen])
    return sorted(changed)

