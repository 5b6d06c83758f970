"""Reading values out of a parsed message: each field is split once, and what is read
follows what the fields hold now (a reply rewrites fields of a parsed ACK)."""

from __future__ import annotations

import dataclasses

import pytest

from carebridge.hl7 import er7
from carebridge.patients.submit import Reply

SAMPLE = ("MSH|^~\\&|SEND|SFAC|||20240301||ADT^A01^ADT_A01|M1|P|2.5\r"
          "PID|1||11^^^HOSP^MR~22^^^CLINIC&1.2.3&ISO^PI||DOE&VAN^JANE^^^^^L|"
          "||F|||1 MAIN ST^^TORONTO^ON\\T\\QC\r"
          "DG1|1||J18.9^Pneumonia\rDG1|2||I10^Hypertension\r")


@pytest.mark.parametrize(("path", "value"), [
    ("MSH-1", "|"), ("MSH-2", "^~\\&"), ("MSH-9", "ADT^A01^ADT_A01"), ("MSH-9.2", "A01"),
    ("MSH-9.4", ""), ("MSH-10", "M1"), ("MSH-30", ""),
    ("PID-3", "11^^^HOSP^MR"), ("PID-3[2].1", "22"), ("PID-3[2].4.2", "1.2.3"),
    ("PID-3[3].1", ""), ("PID-3[2].9", ""), ("PID-3[2].4.7", ""),
    ("PID-5.1.1", "DOE"), ("PID-5.1.2", "VAN"), ("PID-5.2", "JANE"), ("PID-5.2.2", ""),
    ("PID-11.4", "ON&QC"), ("PID-99", ""), ("PID", ""), ("PV1-2", ""),
    ("DG1[2]-3.2", "Hypertension"), ("DG1[3]-3.1", ""),
])
def test_values_by_path(path: str, value: str) -> None:
    assert er7.parse(SAMPLE).get(path) == value


def test_paths_are_checked() -> None:
    with pytest.raises(ValueError, match="not an HL7 path"):
        er7.parse(SAMPLE).get("pid-3")


def test_a_field_assigned_anew_is_read_anew() -> None:
    message = er7.parse(SAMPLE)
    assert (message.control_id, message.get("PID-3[2].1")) == ("M1", "22")
    message.msh.fields[10] = "C1^X"
    pid = message.segment("PID")
    assert pid is not None
    pid.fields[3] = "33~44^^^HOSP"
    assert (message.get("MSH-10.1"), message.get("MSH-10.2")) == ("C1", "X")
    assert (message.get("PID-3[1].1"), message.get("PID-3[2].4")) == ("33", "HOSP")
    assert message.to_er7().startswith("MSH|^~\\&|SEND|SFAC|||20240301||ADT^A01^ADT_A01|C1^X|")


def test_other_delimiters_split_anew() -> None:
    message = er7.parse(SAMPLE)
    assert message.get("PID-5.2") == "JANE"
    message.delimiters = "|&~\\^"  # component and subcomponent separators swapped
    assert (message.get("PID-5.2.1"), message.get("PID-5.2.2")) == ("VAN", "JANE")


def test_without_a_subcomponent_separator_a_component_is_whole() -> None:
    message = er7.parse("MSH|^~\\|A|B|||20240301||ADT^A01|M2|P|2.3\rPID|1||7&8^^^H\r")
    assert (message.get("PID-3.1"), message.get("PID-3.1.1"), message.get("PID-3.1.2")) == (
        "7&8", "7&8", "")


def test_the_journal_keeps_a_reply_as_its_fields() -> None:
    reply = Reply("AE", "M1", "A1", "field too long", ["PID-5: too long (102)"], "MSH|...")
    assert reply.to_json() == dataclasses.asdict(reply)
    assert reply.to_json()["errors"] is not reply.errors
    assert Reply.from_json(reply.to_json()) == reply
