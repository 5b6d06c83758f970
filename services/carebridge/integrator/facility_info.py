"""getMyFacility: a facility as its last push described it (CachedFacility), else its account."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from carebridge.oscar.cached_records import FACILITY_TYPE
from carebridge.store.models import CachedRecord, Facility


@dataclass(frozen=True)
class FacilityInfo:
    integrator_facility_id: int
    name: str
    description: str | None
    contact_name: str | None
    contact_email: str | None
    contact_phone: str | None
    hic: bool
    enable_integrated_referrals: bool
    allow_sims: bool
    last_data_update: dt.datetime | None


def my_facility(session: Session, facility_id: int) -> FacilityInfo | None:
    """The facility as its last push described it (CachedFacility), else its account."""
    facility = session.get(Facility, facility_id)
    if facility is None:
        return None
    pushed: dict[str, Any] = session.scalars(
        select(CachedRecord.payload).where(
            CachedRecord.facility_id == facility_id, CachedRecord.record_type == FACILITY_TYPE
        )
    ).first() or {}
    return FacilityInfo(
        integrator_facility_id=facility.id,
        name=facility.name,
        description=pushed.get("description", facility.description),
        contact_name=pushed.get("contactName"),
        contact_email=pushed.get("contactEmail"),
        contact_phone=pushed.get("contactPhone"),
        hic=bool(pushed.get("hic", False)),
        enable_integrated_referrals=bool(pushed.get("enableIntegratedReferrals", True)),
        allow_sims=bool(pushed.get("allowSims", True)),
        last_data_update=facility.last_updated,
    )
