"""Messages between providers of different facilities (ProviderWs communications).

The sender's facility is the caller; only the destination facility lists a message and
marks it read (deactivates it), as in the real integrator; another facility's id changes
nothing and is not disclosed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from carebridge.integrator.access import Reader
from carebridge.integrator.exceptions import InvalidArgument
from carebridge.store.models import Facility, ProviderCommunication, utcnow

MAX_DATA_BYTES = 1024 * 1024
MAX_LISTED = 1000


def add(session: Session, reader: Reader, sent: Mapping[str, Any]) -> int:
    destination = sent.get("destinationIntegratorFacilityId")
    if not isinstance(destination, int) or session.get(Facility, destination) is None:
        raise InvalidArgument("destinationIntegratorFacilityId names no facility")
    if not sent.get("destinationProviderId"):
        raise InvalidArgument("destinationProviderId is required")
    for name in ("destinationProviderId", "sourceProviderId", "type"):
        if len(sent.get(name) or "") > 64:
            raise InvalidArgument(f"{name} is longer than 64 characters")
    data = sent.get("data")
    if data is not None and len(data) > MAX_DATA_BYTES:
        raise InvalidArgument(f"data is larger than {MAX_DATA_BYTES} bytes")
    row = ProviderCommunication(
        source_facility_id=reader.facility_id, source_provider_id=sent.get("sourceProviderId"),
        destination_facility_id=destination, destination_provider_id=sent["destinationProviderId"],
        kind=sent.get("type"), data=data, active=True, sent_at=utcnow())
    session.add(row)
    session.flush()
    return row.id


def for_provider(session: Session, reader: Reader, provider_id: str | None, kind: str | None,
                 active: bool | None) -> list[ProviderCommunication]:
    if not provider_id:
        raise InvalidArgument("arg0 (the destination provider) is required")
    query = select(ProviderCommunication).where(
        ProviderCommunication.destination_facility_id == reader.facility_id,
        ProviderCommunication.destination_provider_id == provider_id,
        ProviderCommunication.kind == kind)
    if active is not None:
        query = query.where(ProviderCommunication.active.is_(active))
    # Newest first: a flood of old messages cannot hide a new one.
    return list(session.scalars(query.order_by(ProviderCommunication.id.desc())
                                .limit(MAX_LISTED)))


def deactivate(session: Session, reader: Reader, communication_id: int | None) -> None:
    row = session.get(ProviderCommunication, communication_id) if communication_id else None
    if row is not None and row.destination_facility_id == reader.facility_id:
        row.active = False


def as_wire(row: ProviderCommunication) -> dict[str, Any]:
    return {"active": row.active, "data": row.data,
            "destinationIntegratorFacilityId": row.destination_facility_id,
            "destinationProviderId": row.destination_provider_id, "id": row.id,
            "sentDate": row.sent_at, "sourceIntegratorFacilityId": row.source_facility_id,
            "sourceProviderId": row.source_provider_id, "type": row.kind}
