"""After the exercise: what the database holds, against what the clients and the EMR sent.

Read straight from the database, not through the service, so a bug in the
service cannot hide itself. ``lost`` counts acknowledged messages (and their
effects) that are missing; ``duplicated`` counts anything stored or applied more
than once; ``imports_partial`` counts pushes that did not end COMPLETED with
every patient they carried. ``unsent`` counts planned messages no client sent and
``client_failures`` the exceptions a client thread did not expect: a load that
shrank, or clients that broke, fail the run as surely as a lost message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from carebridge.oscar.cached_records import DEMOGRAPHIC_TYPE
from carebridge.store.database import Database
from carebridge.store.models import (
    CachedRecord,
    Encounter,
    Facility,
    HL7Message,
    ImportLog,
    ImportStatus,
    PatientIdentifier,
)
from carebridge_lab.workload import AUTHORITY, LoadReport, Message

ACCEPTED = frozenset({"AA", "CA"})


@dataclass(frozen=True)
class ExpectedPush:
    filename: str
    checksum: str
    patients: int


@dataclass(frozen=True)
class Summary:
    sent: int
    acked: int
    stored: int
    lost: int
    duplicated: int
    client_errors: int
    imports_completed: int
    imports_partial: int
    imports_expected: int
    import_retries: int  # pushes that needed more than one attempt (a takeover)
    facility_calls: int
    facility_failures: int
    error_reasons: tuple[tuple[str, int], ...] = ()
    unsent: int = 0
    client_failures: int = 0
    failure_types: tuple[tuple[str, int], ...] = ()  # exception type, how many
    by_door: tuple[tuple[str, int], ...] = ()  # messages sent through each door

    @property
    def ok(self) -> bool:
        return (self.acked == self.sent == self.stored and self.lost == 0
                and self.duplicated == 0 and self.imports_partial == 0
                and self.imports_completed == self.imports_expected
                and self.facility_failures == 0 and self.unsent == 0
                and self.client_failures == 0)

    def line(self) -> str:
        return (f"sent={self.sent} acked={self.acked} stored={self.stored} lost={self.lost} "
                f"duplicated={self.duplicated} client_errors={self.client_errors} "
                f"imports_completed={self.imports_completed} "
                f"imports_partial={self.imports_partial}")


def summarize(db: Database, facility: str, messages: Sequence[Message], load: LoadReport,
              pushes: Sequence[ExpectedPush], *, seeded_patients: int) -> Summary:
    wanted = {m.control_id: m for m in messages}
    with db.transaction() as session:
        facility_id = session.scalar(select(Facility.id).where(Facility.name == facility))
        rows = Counter(dict(session.execute(
            select(HL7Message.control_id, func.count())
            .where(HL7Message.sending_facility == facility,
                   HL7Message.control_id.in_(wanted), HL7Message.ack_code.in_(ACCEPTED))
            .group_by(HL7Message.control_id)).all()))
        visits = [m.visit for m in messages if m.event == "A03"]
        encounters = Counter(dict(session.execute(
            select(Encounter.visit_number, func.count())
            .where(Encounter.facility_id == facility_id, Encounter.visit_number.in_(visits),
                   Encounter.discharge_time.is_not(None))
            .group_by(Encounter.visit_number)).all()))
        mrns = {m.mrn for m in messages}
        indexed = set(session.scalars(select(PatientIdentifier.identifier).where(
            PatientIdentifier.assigning_authority == AUTHORITY,
            PatientIdentifier.identifier.in_(mrns))))
        logs = {log.checksum: log for log in session.scalars(
            select(ImportLog).where(ImportLog.facility_id == facility_id))}
        demographics = session.scalar(select(func.count()).select_from(CachedRecord).where(
            CachedRecord.facility_id == facility_id,
            CachedRecord.record_type == DEMOGRAPHIC_TYPE))
    acked = {cid for cid, code in load.acked.items() if code in ACCEPTED}
    lost = (len(acked - set(rows)) + sum(1 for v in visits if v not in encounters)
            + len(mrns - indexed))
    duplicated = (sum(n - 1 for n in rows.values())
                  + sum(n - 1 for n in encounters.values())
                  + len(set(rows) - load.sent))  # stored but never sent: applied from nowhere
    completed = partial = retries = 0
    for push in pushes:
        log = logs.get(push.checksum)
        if log is None:
            continue  # never picked up: fewer completed than expected
        retries += (log.attempts or 0) > 1
        if (log.status == ImportStatus.COMPLETED
                and (log.counts or {}).get(DEMOGRAPHIC_TYPE, 0) == push.patients):
            completed += 1
        else:
            partial += 1
    if pushes and demographics != seeded_patients:
        partial += 1  # the cache does not hold exactly the EMR's patients
    return Summary(
        sent=len(load.sent), acked=len(acked), stored=len(rows), lost=lost,
        duplicated=duplicated, client_errors=load.client_errors,
        imports_completed=completed, imports_partial=partial, imports_expected=len(pushes),
        import_retries=retries, facility_calls=load.facility_calls,
        facility_failures=load.facility_failures,
        error_reasons=tuple(load.error_reasons.most_common()),
        unsent=len(wanted.keys() - load.sent), client_failures=sum(load.failures.values()),
        failure_types=tuple(load.failures.most_common()),
        by_door=tuple(sorted(load.by_door.items())))
