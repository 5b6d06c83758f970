"""The excessive length-of-stay monitor.

Each discharge closes its encounter with a length of stay. The window is every
discharge of the same facility received in the last ``window_seconds`` (by
receive time, this one included), read from the database, so whichever node
handles a message computes the same average. A stay longer than ``factor`` x
that average raises an alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Insert, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from carebridge.hl7.mapping import DischargeRecord
from carebridge.patients.mpi import PersonRef
from carebridge.store.models import Encounter, LosAlert
from carebridge.tenancy import FacilityRef


@dataclass(frozen=True)
class LosDecision:
    los_days: float
    window_average: float
    window_size: int
    alert: LosAlert | None


_ENCOUNTER = Encounter.__table__
_KEY = ("facility_id", "visit_key")


def _close_encounter(dialect: Any) -> Insert:
    """One statement for the discharge's encounter: new, or the one its key names updated
    (every column, as the message says), its id returned either way."""
    new = dialect.insert(_ENCOUNTER)
    statement: Insert = new.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={c.name: new.excluded[c.name] for c in _ENCOUNTER.c
              if c.name != "id" and c.name not in _KEY},
    ).returning(_ENCOUNTER.c.id)
    return statement


# Built once (Core, not ORM statements): the monitor runs for every discharge.
_CLOSE_ENCOUNTER = {"sqlite": _close_encounter(sqlite), "postgresql": _close_encounter(postgresql)}
_WINDOW = select(func.avg(_ENCOUNTER.c.los_days), func.count()).where(
    _ENCOUNTER.c.facility_id == bindparam("facility_id"),
    _ENCOUNTER.c.discharge_received_at >= bindparam("start"),
    _ENCOUNTER.c.discharge_received_at <= bindparam("end"),
    _ENCOUNTER.c.los_days.is_not(None))


def discharge(session: Session, *, facility_id: int, person: PersonRef, record: DischargeRecord,
              message_id: int, received_at: dt.datetime, window_seconds: float,
              factor: float) -> LosDecision:
    key = record.visit_number or f"{person.enterprise_id}@{record.admit_time}"
    values = {
        "facility_id": facility_id, "visit_key": key, "patient_id": person.id,
        "visit_number": record.visit_number, "admit_time": record.admit_time,
        "discharge_time": record.discharge_time, "los_days": float(record.los_days),
        "discharge_received_at": received_at, "attending": record.attending,
        "diagnosis": record.diagnosis,
    }
    encounter_id: int = session.execute(_CLOSE_ENCOUNTER[session.get_bind().dialect.name],
                                   values).scalar_one()
    start = received_at - dt.timedelta(seconds=window_seconds)
    window_average, window_size = cast("tuple[float | None, int | None]", tuple(
        session.execute(_WINDOW, {"facility_id": facility_id, "start": start,
                                  "end": received_at}).one()))
    average = float(window_average or 0.0)
    size = int(window_size or 0)
    stay = float(record.los_days)
    alert = None
    if size and stay > factor * average:
        alert = LosAlert(facility_id=facility_id, encounter_id=encounter_id,
                         message_id=message_id, patient_enterprise_id=person.enterprise_id,
                         visit_number=record.visit_number, los_days=stay,
                         window_average=round(average, 4), window_size=size,
                         created_at=received_at)
        session.add(alert)
        session.flush()
    return LosDecision(stay, average, size, alert)


def alerts_since(session: Session, scope: FacilityRef, since: dt.datetime | None) -> list[LosAlert]:
    """The alerts of the caller's own encounters (an admin: every facility's)."""
    query = select(LosAlert)
    if not scope.is_admin:
        query = query.where(LosAlert.facility_id == scope.id)
    if since is not None:
        query = query.where(LosAlert.created_at >= since)
    return list(session.scalars(query.order_by(LosAlert.id)))
