"""FacilityWs's facility records: each facility's CachedFacility as its last push (or
setMyFacility) described it, else as its account describes it.

The real integrator answers getMyFacility with null until the facility has sent its
CachedFacility, and OSCAR's Integrator Status page then fails with a NullPointerException
(``integratorStatus.jsp`` reads the id of the result); carebridge always answers with the
caller's own record, built from its account until a push describes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from carebridge.integrator.exceptions import InvalidArgument
from carebridge.integrator.record_writer import put_record
from carebridge.oscar.cached_records import FACILITY_TYPE
from carebridge.store.models import CachedRecord, Facility

# What a facility may say about itself (CachedFacility), with the real integrator's sizes.
_TEXT_FIELDS = {"name": 64, "description": 255, "contactName": 64, "contactEmail": 64,
                "contactPhone": 64}
_FLAGS = {"hic": False, "enableIntegratedReferrals": True, "allowSims": True}


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

    def as_wire(self) -> dict[str, Any]:
        """The CachedFacility fields, named as on the wire."""
        return {
            "integratorFacilityId": self.integrator_facility_id, "name": self.name,
            "description": self.description, "contactName": self.contact_name,
            "contactEmail": self.contact_email, "contactPhone": self.contact_phone,
            "hic": self.hic, "enableIntegratedReferrals": self.enable_integrated_referrals,
            "allowSims": self.allow_sims, "lastDataUpdate": self.last_data_update,
        }


def _info(facility: Facility, pushed: Mapping[str, Any]) -> FacilityInfo:
    return FacilityInfo(
        integrator_facility_id=facility.id,
        name=pushed.get("name") or facility.name,
        description=pushed.get("description", facility.description),
        contact_name=pushed.get("contactName"),
        contact_email=pushed.get("contactEmail"),
        contact_phone=pushed.get("contactPhone"),
        hic=bool(pushed.get("hic", _FLAGS["hic"])),
        enable_integrated_referrals=bool(pushed.get("enableIntegratedReferrals",
                                                    _FLAGS["enableIntegratedReferrals"])),
        allow_sims=bool(pushed.get("allowSims", _FLAGS["allowSims"])),
        last_data_update=facility.last_updated,
    )


def _pushed(session: Session, facility_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = session.execute(
        select(CachedRecord.facility_id, CachedRecord.payload).where(
            CachedRecord.facility_id.in_(facility_ids), CachedRecord.record_type == FACILITY_TYPE
        )
    )
    return {int(row.facility_id): dict(row.payload) for row in rows}


def my_facility(session: Session, facility_id: int) -> FacilityInfo | None:
    facility = session.get(Facility, facility_id)
    if facility is None:
        return None
    return _info(facility, _pushed(session, [facility_id]).get(facility_id, {}))


def all_facilities(session: Session, facility_id: int) -> list[FacilityInfo]:
    """Every enabled facility that has described itself (CachedFacility: OSCAR names remote
    records' facilities from this list and fails on one it does not find; a facility
    without records has none), and the caller. Others are never shown by their account
    name, which is their login."""
    facilities = list(session.scalars(
        select(Facility).where(Facility.enabled.is_(True)).order_by(Facility.id)))
    pushed = _pushed(session, [f.id for f in facilities])
    return [_info(f, pushed.get(f.id, {})) for f in facilities
            if f.id in pushed or f.id == facility_id]


def set_my_facility(session: Session, facility_id: int, sent: Mapping[str, Any]) -> None:
    """Replace what the facility says about itself, as the real integrator does (every
    field, the id excepted: a facility describes only itself). The last data update is
    the importer's to set (``update_last_data_update``)."""
    payload: dict[str, Any] = {"@class": "org.oscarehr.caisi_integrator.dao.CachedFacility",
                               "integratorFacilityId": None}
    for name, limit in _TEXT_FIELDS.items():
        value = sent.get(name)
        if value is not None and len(value) > limit:
            raise InvalidArgument(f"{name} is longer than {limit} characters")
        payload[name] = (value or "").strip() or None
    for name, default in _FLAGS.items():
        value = sent.get(name)
        payload[name] = default if value is None else bool(value)
    put_record(session, facility_id, FACILITY_TYPE, "facility", payload)


def update_last_data_update(session: Session, facility_id: int,
                            when: dt.datetime | None) -> None:
    if when is None:
        raise InvalidArgument("arg0 (the last data update) is required")
    facility = session.get(Facility, facility_id)
    if facility is not None:
        facility.last_updated = when
