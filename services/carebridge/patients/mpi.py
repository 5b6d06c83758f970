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

import uuid
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import bindparam, insert, select, tuple_
from sqlalchemy.orm import Session

from carebridge.hl7.mapping import Identifier, PatientRecord
from carebridge.store.models import Patient, PatientIdentifier, utcnow
from carebridge.store.rows import inserted_id
from carebridge.tenancy import FacilityRef

_INSERT_PATIENT = insert(Patient.__table__)
_HOLDERS = select(PatientIdentifier.identifier, PatientIdentifier.assigning_authority,
                  PatientIdentifier.patient_id).where(
    tuple_(PatientIdentifier.identifier, PatientIdentifier.assigning_authority)
    .in_(bindparam("keys", expanding=True)))
_INSERT_IDENTIFIER = insert(PatientIdentifier.__table__)
FIELDS = ("family_name", "given_name", "middle_name", "birth_date", "sex", "street", "city",
          "state", "postal_code", "country", "phone")


def _survivor(session: Session, patient: Patient) -> Patient:
    seen = set()
    while patient.merged_into_id is not None and patient.id not in seen:
        seen.add(patient.id)
        patient = session.get_one(Patient, patient.merged_into_id)
    return patient


def _holders(session: Session, identifiers: tuple[Identifier, ...]) -> dict[tuple[str, str], int]:
    """Which of ``identifiers`` are known, and to which person id."""
    keys = [(i.value, i.authority) for i in identifiers if i.value]
    if not keys:
        return {}
    rows = session.execute(_HOLDERS, {"keys": keys}).all()
    return {(r[0], r[1]): r[2] for r in rows}


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

    A new person and the identifiers are written with plain INSERTs: this runs for
    every admission, and the ORM's unit of work would triple its cost.
    """
    holders = _holders(session, record.identifiers)
    if holders:
        person = _survivor(session, session.get_one(Patient, min(holders.values())))
        times = dict(person.field_times or {})
        for name, value in _newer(record, times, event_time).items():
            setattr(person, name, value)
        person.field_times = times
        person.updated_at = utcnow()
        ref = PersonRef(person.id, person.enterprise_id)
    else:
        times = {}
        values = _newer(record, times, event_time)
        enterprise_id = uuid.uuid4().hex
        now = utcnow()
        row = dict.fromkeys(FIELDS)
        row.update(values, enterprise_id=enterprise_id, field_times=times, created_at=now,
                   updated_at=now, merged_into_id=None)
        result = session.execute(_INSERT_PATIENT, row)
        ref = PersonRef(inserted_id(result), enterprise_id)
    new_identifiers = []
    for ident in record.identifiers:
        key = (ident.value, ident.authority)
        if ident.value and key not in holders:
            new_identifiers.append({"patient_id": ref.id, "identifier": ident.value,
                                    "assigning_authority": ident.authority,
                                    "identifier_type": ident.type})
            holders[key] = ref.id
    if new_identifiers:
        session.execute(_INSERT_IDENTIFIER, new_identifiers)
    return ref


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
