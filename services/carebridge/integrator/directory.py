"""The integrator's directory: every facility's programs and providers as pushed.

Not patient data: OSCAR lists them to refer to another facility's program and to name
other facilities' providers, so every facility reads every facility's (as in the real
integrator).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from carebridge.integrator.exceptions import InvalidArgument
from carebridge.integrator.shared_record import Found
from carebridge.oscar.cached_records import FACILITY_TYPE, PROGRAM_TYPE, PROVIDER_TYPE
from carebridge.store.models import CachedRecord, Facility

MAX_ENTRIES = 10_000


def _all(session: Session, record_type: str) -> list[Found]:
    rows = session.execute(
        select(CachedRecord.facility_id, CachedRecord.payload)
        .join(Facility, Facility.id == CachedRecord.facility_id)
        .where(CachedRecord.record_type == record_type, Facility.enabled.is_(True))
        .order_by(CachedRecord.facility_id, CachedRecord.id).limit(MAX_ENTRIES))
    return [Found(int(r.facility_id), None, dict(r.payload)) for r in rows]


def programs(session: Session) -> list[Found]:
    return _all(session, PROGRAM_TYPE)


def programs_taking_referrals(session: Session, facility_id: int) -> list[Found]:
    """Other facilities' active programs, of facilities that take integrated referrals."""
    flags = {int(r.facility_id): dict(r.payload) for r in session.execute(
        select(CachedRecord.facility_id, CachedRecord.payload).where(
            CachedRecord.record_type == FACILITY_TYPE))}
    return [p for p in programs(session)
            if p.facility_id != facility_id and p.payload.get("status") == "active"
            and flags.get(p.facility_id, {}).get("enableIntegratedReferrals", True)]


def providers(session: Session) -> list[Found]:
    return _all(session, PROVIDER_TYPE)


def provider_roles(session: Session, facility_id: int | None, provider_id: str | None
                   ) -> list[str]:
    if facility_id is None or not provider_id:
        raise InvalidArgument("the provider's integratorFacilityId and caisiItemId are required")
    payload: dict[str, Any] | None = session.scalars(select(CachedRecord.payload).where(
        CachedRecord.facility_id == facility_id, CachedRecord.record_type == PROVIDER_TYPE,
        CachedRecord.record_key == provider_id)).first()
    roles = (payload or {}).get("roles") or []
    return [r for r in roles if isinstance(r, str)]
