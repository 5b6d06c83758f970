"""Referrals of a patient to another facility's program (ReferralWs).

The referring facility writes them; the destination facility reads and removes those made
to it; the referring side reads those of its patient and of the records linked to it
that it may read (``shared_record.readable``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from carebridge.integrator import links
from carebridge.integrator.access import Reader, record_reads
from carebridge.integrator.exceptions import InvalidArgument
from carebridge.integrator.shared_record import readable
from carebridge.store.models import Facility, Referral, utcnow

_TEXT = {"presentingProblem": 4000, "reasonForReferral": 4000, "sourceCaisiProviderId": 64}


def make(session: Session, reader: Reader, sent: Mapping[str, Any]) -> int:
    destination = sent.get("destinationIntegratorFacilityId")
    if not isinstance(destination, int) or session.get(Facility, destination) is None:
        raise InvalidArgument("destinationIntegratorFacilityId names no facility")
    if not isinstance(sent.get("sourceCaisiDemographicId"), int):
        raise InvalidArgument("sourceCaisiDemographicId is required")
    for name, limit in _TEXT.items():
        if len(sent.get(name) or "") > limit:
            raise InvalidArgument(f"{name} is longer than {limit} characters")
    now = utcnow()
    payload = {name: sent.get(name) for name in (
        "destinationCaisiProgramId", "destinationIntegratorFacilityId", "presentingProblem",
        "reasonForReferral", "sourceCaisiDemographicId", "sourceCaisiProviderId")}
    row = Referral(source_facility_id=reader.facility_id,
                   source_demographic_no=sent["sourceCaisiDemographicId"],
                   destination_facility_id=destination,
                   destination_program_id=sent.get("destinationCaisiProgramId"),
                   payload=payload, referral_date=now)
    session.add(row)
    session.flush()
    return row.id


def as_wire(row: Referral) -> dict[str, Any]:
    return {**row.payload, "referralId": row.id, "referralDate": row.referral_date,
            "sourceIntegratorFacilityId": row.source_facility_id}


def get(session: Session, reader: Reader, referral_id: int | None) -> Referral | None:
    row = session.get(Referral, referral_id) if referral_id is not None else None
    if row is None or row.destination_facility_id != reader.facility_id:
        return None
    record_reads(reader, [((row.source_facility_id, row.source_demographic_no or 0), 1)])
    return row


def to_program(session: Session, reader: Reader, program_id: int | None) -> list[Referral]:
    rows = list(session.scalars(select(Referral).where(
        Referral.destination_facility_id == reader.facility_id,
        Referral.destination_program_id == program_id)  # newest first: floods hide nothing new
        .order_by(Referral.id.desc()).limit(5000)))
    record_reads(reader, [((r.source_facility_id, r.source_demographic_no or 0), 1)
                                   for r in rows])
    return rows


def linked(session: Session, reader: Reader, demographic_no: int | None) -> list[Referral]:
    """Referrals made for the caller's patient or for a record linked to it it may read."""
    if demographic_no is None:
        raise InvalidArgument("sourceCaisiDemographicId is required")
    me = (reader.facility_id, demographic_no)
    pks = readable(session, reader, links.closure(session, me) | {me})
    rows = list(session.scalars(select(Referral).where(
        tuple_(Referral.source_facility_id, Referral.source_demographic_no).in_(pks))
        .order_by(Referral.id.desc()).limit(5000))) if pks else []
    record_reads(reader, [((r.source_facility_id, r.source_demographic_no or 0), 1)
                                   for r in rows])
    return rows


def remove(session: Session, reader: Reader, referral_id: int | None) -> None:
    """Only the facility a referral was made to removes it; others' ids change nothing."""
    session.execute(delete(Referral).where(
        Referral.id == referral_id, Referral.destination_facility_id == reader.facility_id))
