"""What one message may hold, and what a refused message leaves behind (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from carebridge.config import Settings
from carebridge.hl7 import er7
from carebridge.patients import mpi
from carebridge.patients.submit import KEPT_BODY_CHARS
from carebridge.store.database import Database
from carebridge.store.models import HL7Message, HL7Rejection, LosAlert, Patient
from carebridge.tenancy import FacilityRef
from tests.support.submissions import register, submit

FACILITY = "GHH"
NOW = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)
MSH = "MSH|^~\\&|ADT1|GHH|||20240320120000||ADT^{event}|{control}|P|2.5\r"
A01 = MSH + "EVN|A01|{evn}\rPID|1||{mrn}^^^GHH^MR||{name}^ANN||19700101|F\rPV1|1|I\r"


@pytest.fixture
def caller(db: Database) -> FacilityRef:
    return register(db, FACILITY)


def admission(control: str, mrn: str = "1", name: str = "DOE",
              evn: str = "20240320120000") -> str:
    return A01.format(event="A01", control=control, evn=evn, mrn=mrn, name=name)


def count(db: Database, model: type) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def err(reply) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    ack = er7.parse(reply.ack)
    return [(e.raw(2).split("^")[0], e.raw(2).split("^")[2], e.raw(3).split("^")[0])
            if e.raw(2) else (ack.get("ERR-1.1"), ack.get("ERR-1.3"), ack.get("ERR-1.4.1"))
            for e in ack.occurrences("ERR")]


def test_a_huge_name_is_an_error_located_at_the_field_and_stored_cut(
        db: Database, settings: Settings, caller: FacilityRef) -> None:
    message = admission("BIG1", name="X" * 1024 * 1024)
    reply = submit(db, settings, caller, message, now=NOW)
    assert reply.ack_code == "AE"
    assert err(reply) == [("PID", "5", "102")]
    assert "PID-5 is 1048580 characters; at most 65536" in reply.errors[0]
    with db.transaction() as session:
        row = session.scalars(select(HL7Message)).one()
    assert len(row.raw) == KEPT_BODY_CHARS and row.raw_length == len(message)
    assert count(db, Patient) == 0


def test_an_oversized_message_and_too_many_segments_are_refused_without_a_key(
        db: Database, settings: Settings, caller: FacilityRef) -> None:
    small = settings.replace(hl7_max_message_bytes=100_000)
    big = admission("HUGE1") + "NTE|1||" + "Y" * 60_000 + "\r" + "NTE|2||" + "Y" * 60_000
    reply = submit(db, small, caller, big, now=NOW)
    assert reply.ack_code == "AR" and "at most 100000 are accepted" in reply.errors[0]
    many = admission("MANY1") + "ZZZ|x\r" * 10_000
    refused = submit(db, settings, caller, many, now=NOW)
    assert refused.ack_code == "AR"
    assert "10004 segments; at most 2000" in refused.errors[0]
    assert refused.errors[0].startswith("ZZZ[1997]")  # the first segment over the limit
    assert count(db, HL7Message) == 0  # no journal key taken
    with db.transaction() as session:
        rows = session.scalars(select(HL7Rejection).order_by(HL7Rejection.id)).all()
    # Too big to be parsed: no control id is read from it.
    assert [(r.control_id, r.body_length) for r in rows] == [(None, len(big)),
                                                             ("MANY1", len(many))]
    assert all(len(r.body_prefix) <= KEPT_BODY_CHARS for r in rows)


def test_encapsulated_data_may_exceed_the_field_limit(db: Database, settings: Settings,
                                                      caller: FacilityRef) -> None:
    pdf = "QUJD" * 200_000  # 800 KB of base64
    message = admission("ED1") + f"OBX|1|ED|PDF^Report||^AP^PDF^Base64^{pdf}||||||F\r"
    reply = submit(db, settings, caller, message, now=NOW)
    assert reply.ack_code == "AA", reply.errors
    as_text = message.replace("OBX|1|ED|", "OBX|1|TX|")
    assert submit(db, settings, caller, as_text.replace("ED1", "ED2"),
                  now=NOW).ack_code == "AE"


def test_long_control_ids_are_refused_not_truncated_into_a_collision(
        db: Database, settings: Settings, caller: FacilityRef) -> None:
    shared = "C" * 199
    first = submit(db, settings, caller, admission(shared + "A" * 801, mrn="5"), now=NOW)
    second = submit(db, settings, caller, admission(shared + "B" * 801, mrn="6"), now=NOW)
    for reply in (first, second):
        assert reply.ack_code == "AR"
        assert "MSH-10 is 1000 characters; HL7 allows at most 199" in reply.errors[0]
    assert "(205)" not in second.errors[0]
    empty = submit(db, settings, caller, admission(""), now=NOW)
    assert empty.ack_code == "AR" and "(101)" in empty.errors[0]
    assert submit(db, settings, caller, admission(shared), now=NOW).ack_code == "AA"
    assert count(db, HL7Message) == 1


def test_times_outside_the_plausible_window_are_errors(db: Database, settings: Settings,
                                                       caller: FacilityRef) -> None:
    discharge = (MSH.format(event="A03", control="LOS1")
                 + "EVN|A03|20240320120000\rPID|1||7^^^GHH^MR||DOE^ANN\r"
                 + "PV1|1|I|||||||||||||||||V1|||||||||||||||||||||||||00010101000000|"
                 + "99991231000000\r")
    reply = submit(db, settings, caller, discharge, now=NOW)
    assert reply.ack_code == "AE"
    assert [e[:2] for e in err(reply)] == [("PV1", "44"), ("PV1", "45")]
    assert count(db, LosAlert) == 0
    frozen = submit(db, settings, caller, admission("FUT1", mrn="8", name="FROZEN",
                                                    evn="99990101000000"), now=NOW)
    assert frozen.ack_code == "AE" and err(frozen)[0][:2] == ("EVN", "2")
    assert "EVN-2 (event time) 99990101000000 is outside the accepted window" in frozen.errors[0]
    later = admission("FUT2", mrn="8", name="CURRENT", evn="20240320110000")
    assert submit(db, settings, caller, later, now=NOW).ack_code == "AA"
    with db.transaction() as session:
        person = mpi.lookup(session, "8", "GHH", caller)
    assert person.fields["family_name"] == "CURRENT"  # nothing froze it
    window = settings.replace(hl7_earliest_year=1800)
    old = admission("OLD1", mrn="9", evn="18500101000000")
    assert submit(db, window, caller, old, now=NOW).ack_code == "AA"
