"""The exercise's checker finds what it claims to find: loss, duplication, partial imports.

It runs on the real submission pipeline and a real database; the damage is done
to the database directly, the way a bug would leave it.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import delete, insert, select

from carebridge.config import Settings
from carebridge.store.database import Database
from carebridge.store.models import Encounter, HL7Message, ImportLog, ImportStatus
from carebridge_lab.verify import ExpectedPush, summarize
from carebridge_lab.workload import LoadReport, build_stories
from tests.support.submissions import register, submit

FACILITY = "EXERCISE HOSPITAL"


@pytest.fixture
def delivered(sqlite_db: Database, sqlite_settings: Settings):  # type: ignore[no-untyped-def]
    """12 messages submitted and acknowledged, as the clients would report them."""
    caller = register(sqlite_db, FACILITY)
    stories = build_stories(12, facility=FACILITY, prefix="EXT")
    messages = [m for story in stories for m in story]
    load = LoadReport()
    for message in messages:
        load.sent.add(message.control_id)
        load.acked[message.control_id] = submit(sqlite_db, sqlite_settings, caller,
                                                message.er7).ack_code
    return sqlite_db, messages, load


def test_workload_is_a_mix_of_admissions_registrations_and_discharges() -> None:
    stories = build_stories(2000, facility=FACILITY, prefix="EXW")
    messages = [m for story in stories for m in story]
    events = Counter(m.event for m in messages)
    assert len(messages) == 2000 == len({m.control_id for m in messages})
    assert all(abs(events[e] - 667) <= 2 for e in ("A01", "A03", "A04")), events
    for story in stories:  # a discharge always follows its own admission
        assert [m.event for m in story] in (["A01", "A03"], ["A01"], ["A04"])
        assert len({m.mrn for m in story}) == 1


def test_a_clean_run_counts_everything_once(delivered) -> None:  # type: ignore[no-untyped-def]
    db, messages, load = delivered
    summary = summarize(db, FACILITY, messages, load, [], seeded_patients=0)
    assert summary.ok, summary
    assert summary.line() == ("sent=12 acked=12 stored=12 lost=0 duplicated=0 client_errors=0 "
                              "imports_completed=0 imports_partial=0")


def test_a_journal_row_gone_after_its_ack_is_lost(delivered) -> None:  # type: ignore[no-untyped-def]
    db, messages, load = delivered
    with db.transaction() as session:
        session.execute(delete(HL7Message).where(HL7Message.control_id == messages[0].control_id))
    summary = summarize(db, FACILITY, messages, load, [], seeded_patients=0)
    assert (summary.stored, summary.lost, summary.ok) == (11, 1, False)


def test_a_discharge_applied_twice_is_duplicated(delivered) -> None:  # type: ignore[no-untyped-def]
    db, messages, load = delivered
    discharged = next(m for m in messages if m.event == "A03")
    with db.transaction() as session:
        row = session.scalars(select(Encounter).where(
            Encounter.visit_number == discharged.visit)).one()
        session.execute(insert(Encounter).values(
            facility_id=row.facility_id, patient_id=row.patient_id, visit_key=row.visit_key + "#2",
            visit_number=row.visit_number, discharge_time=row.discharge_time))
    summary = summarize(db, FACILITY, messages, load, [], seeded_patients=0)
    assert (summary.duplicated, summary.ok) == (1, False)


def test_an_unacknowledged_message_fails_the_run(delivered) -> None:  # type: ignore[no-untyped-def]
    db, messages, load = delivered
    del load.acked[messages[-1].control_id]
    summary = summarize(db, FACILITY, messages, load, [], seeded_patients=0)
    assert (summary.acked, summary.stored, summary.ok) == (11, 12, False)


def test_a_push_left_processing_is_partial(delivered) -> None:  # type: ignore[no-untyped-def]
    db, messages, load = delivered
    with db.transaction() as session:
        facility_id = session.scalar(select(HL7Message.facility_id).limit(1))
        session.add(ImportLog(facility_id=facility_id, filename="IntegratorPush_1_x.zip",
                              checksum="c" * 32, status=ImportStatus.PROCESSING, attempts=1,
                              counts={}))
    pushes = [ExpectedPush("IntegratorPush_1_x.zip", "c" * 32, 5),
              ExpectedPush("IntegratorPush_1_y.zip", "d" * 32, 5)]
    summary = summarize(db, FACILITY, messages, load, pushes, seeded_patients=5)
    assert summary.imports_completed == 0 and summary.imports_partial == 2  # + empty cache
    assert not summary.ok
