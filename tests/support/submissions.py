"""In-process submission the way every door runs it: one unit of work around the use case."""

from __future__ import annotations

import datetime as dt

from carebridge.config import Settings
from carebridge.hl7.make_adt import generate
from carebridge.patients import outbox
from carebridge.patients.policy import couriers, submit_policy
from carebridge.patients.submit import Reply, submit_message
from carebridge.store import unit_of_work
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility, facility_ref
from carebridge.tenancy import FacilityRef


def register(db: Database, name: str, **facility: object) -> FacilityRef:
    """A new facility (password "pw"), as the use cases see it."""
    with db.transaction() as session:
        added = add_facility(session, name, "pw", **facility)  # type: ignore[arg-type]
        return facility_ref(session, added.id)


def submit(db: Database, settings: Settings, sender: FacilityRef, payload: str | bytes,
           encoding: str = "er7", now: dt.datetime | None = None) -> Reply:
    return unit_of_work.run(db, lambda session: submit_message(
        session, sender, payload, submit_policy(settings), encoding=encoding, received=now),
        writes=True)


def deliver_outbox(db: Database, settings: Settings) -> int:
    """One round of the outbox worker loop every node runs."""
    return outbox.deliver_pending(db, couriers(settings), "test")


ADT_COLUMNS = ("event|mrn|assigning_authority|last_name|first_name|birth_date|sex|"
               "visit_number|admit_time|discharge_time")


def adt(rows: list[str], prefix: str, facility: str) -> list[str]:
    """ADT messages from pipe-delimited rows of ADT_COLUMNS, sent as ``facility``."""
    result = generate("\n".join([ADT_COLUMNS, *rows]) + "\n", sending_app="ADT1",
                      sending_facility=facility, control_id_prefix=prefix,
                      now=dt.datetime(2024, 3, 20, 12, 0))
    assert not result.problems, result.problems
    return result.messages
