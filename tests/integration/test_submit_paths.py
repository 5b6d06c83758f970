"""The index and monitor written with plain statements, on both databases: updates of a
known person (through a merge chain, and while the session holds the person as an ORM
object, as the MLLP group committer's session does), and a discharge sent twice."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from carebridge.config import Settings
from carebridge.hl7.mapping import Identifier, PatientRecord
from carebridge.patients import mpi
from carebridge.patients.policy import submit_policy
from carebridge.patients.submit import submit_message
from carebridge.store.database import Database
from carebridge.store.models import Encounter, Patient, PatientIdentifier, utcnow
from carebridge.tenancy import FacilityRef
from tests.support import submissions
from tests.support.submissions import register, submit

FACILITY = "TORONTO GENERAL"
T0 = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def caller(db: Database) -> FacilityRef:
    return register(db, FACILITY, authorities=["HOSP", "CLINIC"])


def adt(rows: list[str], prefix: str) -> list[str]:
    return submissions.adt(rows, prefix, FACILITY)


def person(db: Database, identifier: str, authority: str) -> Patient:
    with db.transaction() as session:
        return session.scalars(select(Patient).join(
            PatientIdentifier, PatientIdentifier.patient_id == Patient.id).where(
            PatientIdentifier.identifier == identifier,
            PatientIdentifier.assigning_authority == authority)).one()


def test_an_update_changes_only_what_is_newer(db: Database, settings: Settings,
                                              caller: FacilityRef) -> None:
    (first,) = adt(["A01|10|HOSP|FIRST|ANN|19700101|F|||"], "U1")
    (second,) = adt(["A08|10|HOSP|SECOND||19700102||||"], "U2")
    second = second.replace("EVN|A08|20240320120000", "EVN|A08|20240321120000")
    assert submit(db, settings, caller, first).ack_code == "AA"
    before = person(db, "10", "HOSP")
    assert submit(db, settings, caller, second).ack_code == "AA"
    after = person(db, "10", "HOSP")
    assert (after.id, after.enterprise_id) == (before.id, before.enterprise_id)
    assert (after.family_name, after.given_name, after.birth_date, after.sex) == (
        "SECOND", "ANN", "1970-01-02", "F")  # what A08 left out stays
    assert after.field_times["family_name"] == "20240321120000"
    assert after.field_times["given_name"] == "20240320120000"
    assert after.updated_at > before.updated_at


def test_an_update_reaches_the_person_a_holder_was_merged_into(
        db: Database, caller: FacilityRef) -> None:
    with db.transaction() as session:
        survivor = mpi.upsert(session, PatientRecord((Identifier("20", "HOSP"),)),
                              "20240101000000")
        merged = mpi.upsert(session, PatientRecord((Identifier("21", "HOSP"),)),
                            "20240101000000")
        session.get_one(Patient, merged.id).merged_into_id = survivor.id
    record = PatientRecord((Identifier("21", "HOSP"), Identifier("22", "CLINIC")),
                           {"family_name": "SURVIVES"})
    with db.transaction() as session:
        assert mpi.upsert(session, record, "20240102000000") == survivor
    assert person(db, "20", "HOSP").family_name == "SURVIVES"
    assert person(db, "22", "CLINIC").id == survivor.id  # the new identifier too
    assert person(db, "21", "HOSP").family_name is None


def test_a_person_the_session_holds_as_an_object_is_updated_as_that_object(
        db: Database, caller: FacilityRef) -> None:
    with db.transaction() as session:
        ref = mpi.upsert(session, PatientRecord((Identifier("30", "HOSP"),),
                                                {"family_name": "OLD"}), "20240101000000")
    with db.transaction() as session:
        held = session.get_one(Patient, ref.id)
        held.given_name = "PENDING"  # not flushed: a Core read would not see it
        record = PatientRecord((Identifier("30", "HOSP"),), {"family_name": "NEW"})
        assert mpi.upsert(session, record, "20240102000000") == ref
        assert held.family_name == "NEW"
    stored = person(db, "30", "HOSP")
    assert (stored.family_name, stored.given_name) == ("NEW", "PENDING")


def test_messages_in_savepoints_of_one_session_see_each_other(
        db: Database, settings: Settings, caller: FacilityRef) -> None:
    """The group committer's way: one transaction, a savepoint per message."""
    one, two = adt(["A01|40|HOSP|TWIN|ANN|19700101|F|||",
                    "A01|41|CLINIC|TWIN|ANNE|19700101|F|||"], "G")
    merge = ("MSH|^~\\&|ADT1|TORONTO GENERAL|||20240320130000||ADT^A40^ADT_A39|G3|P|2.3.1\r"
             "EVN|A40|20240320130000\rPID|1||41^^^CLINIC^MR||TWIN^ANNE\rMRG|40^^^HOSP^MR\r")
    (update,) = adt(["A08|40|HOSP|MERGED|ANNE|19700101|F|||"], "G4")
    update = update.replace("EVN|A08|20240320120000", "EVN|A08|20240320140000")
    policy = submit_policy(settings)
    with db.transaction(writes=True) as session:
        for message in (one, two, merge, update):
            with session.begin_nested():
                reply = submit_message(session, caller, message, policy, received=utcnow())
            assert reply.ack_code == "AA", reply.errors
    survivor = person(db, "41", "CLINIC")
    assert person(db, "40", "HOSP").id == survivor.id
    assert (survivor.family_name, survivor.field_times["family_name"]) == (
        "MERGED", "20240320140000")


def test_a_discharge_sent_twice_closes_one_encounter(db: Database, settings: Settings,
                                                     caller: FacilityRef) -> None:
    first, again = adt(["A03|50|HOSP|STAY|ONE|19700101|F|V50|202403010800|202403030800",
                        "A03|50|HOSP|STAY|ONE|19700101|F|V50|202403010800|202403050800"], "D")
    assert submit(db, settings, caller, first, now=T0).ack_code == "AA"
    with db.transaction() as session:
        (opened,) = session.scalars(select(Encounter)).all()
    assert submit(db, settings, caller, again, now=T0 + dt.timedelta(seconds=1)).ack_code == "AA"
    with db.transaction() as session:
        (closed,) = session.scalars(select(Encounter)).all()
    assert closed.id == opened.id
    assert (closed.los_days, closed.discharge_time) == (4.0, "2024-03-05T08:00:00")
    assert closed.discharge_received_at == T0 + dt.timedelta(seconds=1)
