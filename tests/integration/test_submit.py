"""The submission pipeline on both databases: journal, idempotency, index, LOS monitor."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from carebridge.config import Settings
from carebridge.hl7 import er7
from carebridge.patients import mpi
from carebridge.store.database import Database
from carebridge.store.models import HL7Message, LosAlert, Patient
from carebridge.tenancy import FacilityRef
from tests.support import submissions
from tests.support.submissions import deliver_outbox, register, submit

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hl7"
FACILITY = "TORONTO GENERAL"
T0 = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def caller(db: Database) -> FacilityRef:
    return register(db, FACILITY, authorities=["HOSP", "CLINIC", "ON"])


def adt(rows: list[str], prefix: str) -> list[str]:
    return submissions.adt(rows, prefix, FACILITY)


def count(db: Database, model: type) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_admission_is_acknowledged_after_it_is_stored(db: Database, settings: Settings,
                                                      caller: FacilityRef) -> None:
    raw = (CORPUS / "adt_a01_basic.hl7").read_text()
    reply = submit(db, settings, caller, raw, now=T0)
    assert reply.ack_code == "AA" and reply.message_control_id == "CB20240315083000001"
    ack = er7.parse(reply.ack)
    assert ack.get("MSA-1") == "AA" and ack.get("MSA-2") == "CB20240315083000001"
    with db.transaction() as session:
        person = mpi.lookup(session, "12345", "HOSP", caller)
    assert person is not None and person.fields["family_name"] == "DOE"
    assert count(db, HL7Message) == 1


def test_resends_return_the_original_and_a_reused_id_is_rejected(
    db: Database, settings: Settings, caller: FacilityRef
) -> None:
    raw = (CORPUS / "adt_a01_basic.hl7").read_text()
    first = submit(db, settings, caller, raw, now=T0)
    again = submit(db, settings, caller, raw, now=T0 + dt.timedelta(seconds=5))
    assert again == first  # the very same acknowledgment, same ack control id
    assert count(db, HL7Message) == 1 and count(db, Patient) == 1
    changed = raw.replace("DOE^JANE", "ROE^JANE")
    reused = submit(db, settings, caller, changed, now=T0)
    assert reused.ack_code == "AR" and "(205)" in reused.errors[0]
    assert er7.parse(reused.ack).get("ERR-1.4.1") == "205"


def test_invalid_and_foreign_messages(db: Database, settings: Settings,
                                      caller: FacilityRef) -> None:
    missing = submit(db, settings, caller, (CORPUS / "broken_missing_pid3.hl7").read_text())
    assert missing.ack_code == "AE"
    err = er7.parse(missing.ack)
    assert (err.get("ERR-1.1"), err.get("ERR-1.3"), err.get("ERR-1.4.1")) == ("PID", "3", "101")
    foreign = (CORPUS / "adt_a04_register.hl7").read_text().replace(FACILITY, "ELSEWHERE", 1)
    assert submit(db, settings, caller, foreign).ack_code == "AR"
    garbage = submit(db, settings, caller, "this is not HL7")
    assert garbage.ack_code == "AR" and garbage.message_control_id == ""
    unsupported = submit(db, settings, caller,
                         (CORPUS / "adt_a01_basic.hl7").read_text().replace("ADT^A01^ADT_A01",
                                                                            "ORU^R01"))
    assert unsupported.ack_code == "AR" and "(200)" in unsupported.errors[0]
    assert count(db, Patient) == 0  # nothing applied


def test_length_of_stay_rule_with_exact_numbers(db: Database, settings: Settings,
                                                 caller: FacilityRef, tmp_path: Path) -> None:
    settings = settings.replace(los_alert_file=tmp_path / "alerts.jsonl")
    stays = adt([f"A03|{100 + n}|HOSP|PAT|ONE|19700101|F|V{n}|202403010800|"
                 f"{'202403030800' if n < 3 else '202403110800'}" for n in range(4)], "LOS")
    replies = [submit(db, settings, caller, m, now=T0 + dt.timedelta(seconds=i))
               for i, m in enumerate(stays)]
    assert [r.ack_code for r in replies] == ["AA"] * 4
    with db.transaction() as session:
        alerts = session.scalars(select(LosAlert)).all()
    assert [(a.visit_number, a.los_days, a.window_average, a.window_size) for a in alerts] == [
        ("V3", 10.0, 4.0, 4)]
    assert not (tmp_path / "alerts.jsonl").exists()  # written after commit, by the worker
    assert deliver_outbox(db, settings) == 1
    line = json.loads((tmp_path / "alerts.jsonl").read_text())
    assert line["visit"] == "V3" and line["window_average"] == 4.0
    # People read the file: the patient is named by MRN and authority, not an internal id.
    assert (line["mrn"], line["assigning_authority"]) == ("103", "HOSP")
    assert "patient" not in line
    # Stays received outside the window do not count: alone, 10 days is the average.
    late = adt(["A03|200|HOSP|PAT|TWO|19700101|F|V9|202403010800|202403110800"], "LATE")
    submit(db, settings, caller, late[0], now=T0 + dt.timedelta(seconds=60))
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(LosAlert)) == 1


def test_discharge_before_admit_is_an_error_not_a_skip(db: Database, settings: Settings,
                                                       caller: FacilityRef) -> None:
    (message,) = adt(["A03|300|HOSP|BACK|WARDS|19700101|M|V1|202403100800|202403010800"], "BAD")
    reply = submit(db, settings, caller, message)
    assert reply.ack_code == "AE" and "PV1-45" in reply.errors[0]


def test_older_messages_never_overwrite_newer_data(db: Database, settings: Settings,
                                                   caller: FacilityRef) -> None:
    (new,) = adt(["A08|400|HOSP|NEWNAME|ANN|19700101|F|||"], "N")
    (old,) = adt(["A08|400|HOSP|OLDNAME|ANN|19700101|F|||"], "O")
    old = old.replace("EVN|A08|20240320120000", "EVN|A08|20230101120000")
    assert submit(db, settings, caller, new).ack_code == "AA"
    assert submit(db, settings, caller, old).ack_code == "AA"
    with db.transaction() as session:
        scope = caller
        assert mpi.lookup(session, "400", "HOSP", scope).fields["family_name"] == "NEWNAME"


def test_xml_submission_gets_an_xml_ack(db: Database, settings: Settings,
                                        caller: FacilityRef) -> None:
    from carebridge.hl7 import v2xml

    document = v2xml.to_xml(er7.parse((CORPUS / "adt_a04_register.hl7").read_bytes()))
    reply = submit(db, settings, caller, document, encoding="xml")
    assert reply.ack_code == "AA" and reply.ack.startswith('<?xml version="1.0"')
    assert "<MSA.1>AA</MSA.1>" in reply.ack


def test_a40_merges_two_persons_keeping_every_identifier(db: Database, settings: Settings,
                                                         caller: FacilityRef) -> None:
    first, second = adt(["A01|900|HOSP|TWIN|ANN|19700101|F|||",
                         "A01|901|CLINIC|TWIN|ANNE|19700101|F|||"], "M")
    assert submit(db, settings, caller, first).ack_code == "AA"
    assert submit(db, settings, caller, second).ack_code == "AA"
    merge = ("MSH|^~\\&|ADT1|TORONTO GENERAL|||20240320130000||ADT^A40^ADT_A39|MERGE1|P|2.3.1\r"
             "EVN|A40|20240320130000\rPID|1||901^^^CLINIC^MR||TWIN^ANNE\r"
             "MRG|900^^^HOSP^MR\r")
    reply = submit(db, settings, caller, merge)
    assert reply.ack_code == "AA", reply.errors
    with db.transaction() as session:
        one = mpi.lookup(session, "900", "HOSP", caller)
        other = mpi.lookup(session, "901", "CLINIC", caller)
    assert one.enterprise_id == other.enterprise_id
    assert {(i.value, i.authority) for i in one.identifiers} == {("900", "HOSP"),
                                                                 ("901", "CLINIC")}
    unknown = merge.replace("MERGE1", "MERGE2").replace("MRG|900^^^HOSP", "MRG|999^^^HOSP")
    failed = submit(db, settings, caller, unknown)
    assert failed.ack_code == "AE" and "MRG-1" in failed.errors[0]
