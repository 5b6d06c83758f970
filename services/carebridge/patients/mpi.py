"""The master patient index: persons found by any of their (identifier, authority) pairs.

A message that shares an identifier with a known person updates that person;
otherwise a new person with a fresh enterprise id is created. Each demographic
field remembers the event time of the value it holds and only a message at
least as recent replaces it, so a late, older message never undoes newer data.
A40 merges the prior person into the surviving one, keeping every identifier.
Every identifier a message carries is in a domain its sender owns (the pipeline
checks), so a facility can never reach another's person through the index.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Row, Select, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from carebridge.hl7.mapping import Identifier, PatientRecord
from carebridge.store.models import Patient, PatientIdentifier, utcnow
from carebridge.store.rows import inserted_id
from carebridge.tenancy import FacilityRef

_PATIENT = Patient.__table__
_IDENTIFIER = PatientIdentifier.__table__
_INSERT_PATIENT = insert(_PATIENT)
_INSERT_IDENTIFIER = insert(_IDENTIFIER)
# What an update needs of a person: read with Core, not the ORM (which would triple the
# cost of a message).
_PERSON_COLUMNS = (_PATIENT.c.id, _PATIENT.c.enterprise_id, _PATIENT.c.merged_into_id,
                   _PATIENT.c.field_times)
_PERSON = select(*_PERSON_COLUMNS).where(_PATIENT.c.id == bindparam("person_id"))
# The SET clause is the parameters': only the columns a message changes are written.
_UPDATE_PERSON = update(_PATIENT).where(_PATIENT.c.id == bindparam("person_id"))
FIELDS = ("family_name", "given_name", "middle_name", "birth_date", "sex", "street", "city",
          "state", "postal_code", "country", "phone")

Key = tuple[str, str]  # (identifier, assigning authority)


def _survivor(session: Session, patient: Patient) -> Patient:
    seen = set()
    while patient.merged_into_id is not None and patient.id not in seen:
        seen.add(patient.id)
        patient = session.get_one(Patient, patient.merged_into_id)
    return patient


def _keys(identifiers: tuple[Identifier, ...]) -> list[Key]:
    return list(dict.fromkeys((i.value, i.authority) for i in identifiers if i.value))


@functools.lru_cache(maxsize=32)
def _holders_query(count: int) -> Select[Any]:
    """Who holds any of ``count`` keys (bound as ``v<n>``, ``a<n>``), with what an update
    needs of each holder: built once per count, where an expanding IN is compiled again
    at every call."""
    c = _IDENTIFIER.c
    return (select(c.identifier, c.assigning_authority, *_PERSON_COLUMNS)
            .join_from(_IDENTIFIER, _PATIENT, _PATIENT.c.id == c.patient_id)
            .where(or_(*(and_(c.identifier == bindparam(f"v{n}"),
                              c.assigning_authority == bindparam(f"a{n}"))
                         for n in range(count)))))


def _holders(session: Session, identifiers: tuple[Identifier, ...]) -> dict[Key, int]:
    """Which of ``identifiers`` are known, and to which person id (one query)."""
    return {key: int(row.id) for key, row in _holder_rows(session, _keys(identifiers)).items()}


def _holder_rows(session: Session, keys: list[Key]) -> dict[Key, Row[Any]]:
    """Each of ``keys`` that is held, with its holder's row (``_PERSON_COLUMNS``)."""
    if not keys:
        return {}
    params = {}
    for n, (value, authority) in enumerate(keys):
        params[f"v{n}"] = value
        params[f"a{n}"] = authority
    rows = session.execute(_holders_query(len(keys)), params).all()
    return {(r[0], r[1]): r for r in rows}


def find_person(session: Session, identifiers: tuple[Identifier, ...]) -> Patient | None:
    """The (surviving) person holding any of ``identifiers``; the oldest if several do."""
    holders = _holders(session, identifiers)
    if not holders:
        return None
    return _survivor(session, session.get_one(Patient, min(holders.values())))


class PersonRef(NamedTuple):
    id: int
    enterprise_id: str


def upsert(session: Session, record: PatientRecord, event_time: str) -> PersonRef:
    """Create or update the person the record identifies.

    Plain statements, not the ORM's unit of work (which would triple the cost of a
    message): one lookup of every identifier, which also reads what an update needs of
    the holder; then an UPDATE of what the record changes, or an INSERT of a new person;
    and one INSERT of the identifiers not yet held.
    """
    rows = _holder_rows(session, _keys(record.identifiers))
    if rows:
        ref = _update(session, min(rows.values(), key=lambda r: int(r.id)), record, event_time)
    else:
        ref = _create(session, record, event_time)
    holders = {key: int(row.id) for key, row in rows.items()}
    new_identifiers = []
    for ident in record.identifiers:
        key = (ident.value, ident.authority)
        if ident.value and key not in holders:
            new_identifiers.append({"patient_id": ref.id, "identifier": ident.value,
                                    "assigning_authority": ident.authority,
                                    "identifier_type": ident.type})
            holders[key] = ref.id
    if new_identifiers:
        session.execute(_INSERT_IDENTIFIER,
                        new_identifiers[0] if len(new_identifiers) == 1 else new_identifiers)
    return ref


def _create(session: Session, record: PatientRecord, event_time: str) -> PersonRef:
    times: dict[str, str] = {}
    values = _newer(record, times, event_time)
    enterprise_id = uuid.uuid4().hex
    now = utcnow()
    row: dict[str, object] = dict.fromkeys(FIELDS)
    row.update(values, enterprise_id=enterprise_id, field_times=times, created_at=now,
               updated_at=now, merged_into_id=None)
    return PersonRef(inserted_id(session.execute(_INSERT_PATIENT, row)), enterprise_id)


def _update(session: Session, holder: Row[Any], record: PatientRecord,
            event_time: str) -> PersonRef:
    """The surviving person of ``holder`` (a row of ``_holders_query``) brought up to
    ``record``."""
    person = _surviving_row(session, holder)
    if person is None:  # the session holds that person as an object: update the object
        patient = _survivor(session, session.get_one(Patient, holder.id))
        times = dict(patient.field_times or {})
        for name, value in _newer(record, times, event_time).items():
            setattr(patient, name, value)
        patient.field_times = times
        patient.updated_at = utcnow()
        return PersonRef(patient.id, patient.enterprise_id)
    times = dict(person.field_times or {})
    values: dict[str, object] = dict(_newer(record, times, event_time))
    values.update(person_id=person.id, field_times=times, updated_at=utcnow())
    session.execute(_UPDATE_PERSON, values)
    return PersonRef(person.id, person.enterprise_id)


def _surviving_row(session: Session, row: Row[Any]) -> Row[Any] | None:
    """The person ``row`` was merged into (``row`` itself if none), read with Core; None
    if the session holds one on the way as an object, whose changes not yet flushed a
    Core read would miss and whose state a Core update would leave stale."""
    seen = set()
    while identity_key(Patient, row.id) not in session.identity_map:
        if row.merged_into_id is None or row.id in seen:
            return row
        seen.add(row.id)
        row = session.execute(_PERSON, {"person_id": row.merged_into_id}).one()
    return None


def _newer(record: PatientRecord, times: dict[str, str], event_time: str) -> dict[str, str]:
    """The record's values at least as recent as what is held; ``times`` is updated."""
    values = {}
    for name in FIELDS:
        value = record.fields.get(name)
        if value is not None and times.get(name, "") <= event_time:
            values[name] = value
            times[name] = event_time
    return values


def merge(session: Session, survivor_ref: PersonRef, old: Patient, scope: FacilityRef) -> Patient:
    """A40: ``old`` (the person MRG-1 names, see ``find_person``) becomes part of the
    survivor, as far as the sender's domains reach: identifiers of other domains stay
    where they are, and so does ``old`` while it still holds any."""
    survivor = session.get_one(Patient, survivor_ref.id)
    if old.id == survivor.id:
        return survivor
    foreign = False
    for ident in session.scalars(select(PatientIdentifier).where(
            PatientIdentifier.patient_id == old.id)):
        if scope.owns(ident.assigning_authority):
            ident.patient_id = survivor.id
        else:
            foreign = True
    if foreign:
        session.flush()
        return survivor
    old.merged_into_id = survivor.id
    times = dict(survivor.field_times or {})
    for name in FIELDS:  # keep whatever the survivor lacks
        if getattr(survivor, name) is None and getattr(old, name) is not None:
            setattr(survivor, name, getattr(old, name))
            times[name] = (old.field_times or {}).get(name, "")
    survivor.field_times = times
    session.flush()
    return survivor


@dataclass(frozen=True)
class PersonView:
    enterprise_id: str
    fields: dict[str, str | None]
    identifiers: list[Identifier]


def lookup(session: Session, identifier: str, authority: str | None,
           scope: FacilityRef) -> PersonView | None:
    """The person ``identifier`` names, as ``scope`` may see it: only through a domain the
    caller owns (an admin: any), and only the caller's identifiers. A person out of reach
    is None, exactly as one that does not exist."""
    authority = authority or scope.default_authority
    if not scope.reads(authority):
        return None
    person = find_person(session, (Identifier(identifier, authority),))
    if person is None:
        return None
    identifiers = [Identifier(i.identifier, i.assigning_authority, i.identifier_type)
                   for i in session.scalars(select(PatientIdentifier).where(
                       PatientIdentifier.patient_id == person.id).order_by(PatientIdentifier.id))
                   if scope.reads(i.assigning_authority)]
    return PersonView(person.enterprise_id, {f: getattr(person, f) for f in FIELDS}, identifiers)
