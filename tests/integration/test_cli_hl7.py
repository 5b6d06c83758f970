"""``carebridge hl7 ...`` run as a user would, on corpus files."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from carebridge.hl7 import er7, framing
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.migrate import upgrade
from tests.conftest import make_settings
from tests.support.server import Node

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hl7"


def hl7(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "carebridge", "hl7", *args], input=stdin,
                          capture_output=True, timeout=120)


def test_to_xml_and_back(tmp_path: Path) -> None:
    source = CORPUS / "escapes_all.hl7"
    xml = hl7("to-xml", str(source))
    assert xml.returncode == 0, xml.stderr
    assert xml.stdout.startswith(b'<?xml version="1.0" encoding="UTF-8"?><ADT_A01 ')
    (tmp_path / "m.xml").write_bytes(xml.stdout)
    er7_out = hl7("to-er7", str(tmp_path / "m.xml"))
    assert er7_out.returncode == 0, er7_out.stderr
    assert er7_out.stdout.rstrip(b"\n") == source.read_bytes()


def test_to_xml_reads_stdin_batches_and_mllp() -> None:
    batch = hl7("to-xml", "-", stdin=(CORPUS / "batch.hl7").read_bytes())
    assert batch.returncode == 0 and batch.stdout.count(b"<?xml") == 3
    stream = hl7("to-xml", str(CORPUS / "mllp_stream.bin"))
    assert stream.returncode == 0 and stream.stdout.count(b"<?xml") == 3


def test_broken_input_is_a_located_error() -> None:
    result = hl7("to-xml", str(CORPUS / "broken_bad_segment_id.hl7"))
    assert result.returncode == 1
    assert b"is not a segment id" in result.stderr and b"HL7 error" in result.stderr
    assert b"Traceback" not in result.stderr


def test_make_adt(tmp_path: Path) -> None:
    records = tmp_path / "patients.txt"
    records.write_text(
        "event|mrn|assigning_authority|last_name|first_name|birth_date|sex|admit_time|"
        "discharge_time|diagnosis_code|diagnosis_text\n"
        "A01|1001|HOSP|O'Brien|Seán|19700102|M|202403010930||I20|Angina\n"
        "A03|1001|HOSP|O'Brien|Seán|19700102|M|202403010930|202403041000|I20|Angina\n"
        "A02|1002|HOSP|Bad|Event|19700102|M||||\n"
        "A01|1003|HOSP|Pipe \\| Name|Ann|19991399|F||||\n"
        "A08|1004|HOSP|Caret^Amp&Tilde~|Bo|19991231|F||||\n", encoding="utf-8")
    out = tmp_path / "adt.hl7"
    result = hl7("make-adt", str(records), "-o", str(out), "--control-id-prefix", "T")
    assert result.returncode == 0, result.stderr
    assert b"line 4: event A02" in result.stderr and b"line 5: birth_date" in result.stderr
    data = out.read_bytes()
    messages = framing.split_messages(data)
    assert len(messages) == 3 and data.count(b"\r\n") == 3
    first, second, third = (er7.parse(m) for m in messages)
    assert third.get("PID-5.1") == "Caret^Amp&Tilde~"  # escaped on the way in
    assert b"Caret\\S\\Amp\\T\\Tilde\\R\\" in messages[2]
    assert (first.control_id, second.control_id) == ("T000002", "T000003")
    assert first.get("PID-5.2") == "Seán" and second.get("PV1-45") == "202403041000"
    again = hl7("make-adt", str(records), "-o", str(tmp_path / "again.hl7"))
    rerun = hl7("make-adt", str(records), "-o", str(tmp_path / "rerun.hl7"))
    first_ids = [er7.parse(m).control_id for m in framing.split_messages(
        (tmp_path / "again.hl7").read_bytes())]
    assert first_ids == [er7.parse(m).control_id for m in framing.split_messages(
        (tmp_path / "rerun.hl7").read_bytes())]  # stable for the same input
    assert again.returncode == rerun.returncode == 0
    strict = hl7("make-adt", str(records), "--strict")
    assert strict.returncode == 1


def test_validate_reports_located_errors() -> None:
    good = hl7("validate", str(CORPUS / "adt_a03_discharge.hl7"))
    assert good.returncode == 0 and b"valid against ADT_A03" in good.stdout
    bad = hl7("validate", str(CORPUS / "broken_bad_timestamp.hl7"))
    assert bad.returncode == 1
    assert b"PV1-45" in bad.stderr and b"HL7 error 102" in bad.stderr
    missing = hl7("validate", str(CORPUS / "broken_missing_pid3.hl7"), "--schema", "ADT_A01")
    assert missing.returncode == 1 and b"PID-3" in missing.stderr
    assert b"HL7 error 101" in missing.stderr


def test_ack_follows_validation(tmp_path: Path) -> None:
    accepted = hl7("ack", str(CORPUS / "adt_a01_basic.hl7"))
    assert accepted.returncode == 0
    ack = er7.parse(accepted.stdout.rstrip(b"\n"))
    source = er7.parse((CORPUS / "adt_a01_basic.hl7").read_bytes())
    assert ack.get("MSA-1") == "AA" and ack.get("MSA-2") == source.control_id
    rejected = er7.parse(hl7("ack", str(CORPUS / "broken_missing_pid3.hl7")).stdout.rstrip())
    assert rejected.get("MSA-1") == "AE" and rejected.get("ERR-1.1") == "PID"
    assert rejected.get("ERR-1.3") == "3" and rejected.get("ERR-1.4.1") == "101"
    garbage = hl7("ack", str(CORPUS / "broken_garbage.bin"), "--xml")
    assert garbage.returncode == 0 and b"<MSA.1>AR</MSA.1>" in garbage.stdout
    forced = er7.parse(hl7("ack", str(CORPUS / "adt_a01_basic.hl7"), "--code", "CE",
                           "--text", "busy").stdout.rstrip())
    assert (forced.get("MSA-1"), forced.get("MSA-3")) == ("CE", "busy")


# -- every message of a file, and every command reading what another writes -----------

MISSING_PID3 = "CB20240325090000401"


@pytest.fixture(scope="module")
def nine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Nine messages in one ER7 file, the 5th without PID-3; the file and the control ids."""
    many = framing.split_messages((CORPUS / "many_messages.hl7").read_bytes())
    singles = [(CORPUS / f"{name}.hl7").read_bytes() for name in (
        "adt_a01_basic", "adt_a03_discharge", "adt_a04_register")]
    messages = [*many[:4], (CORPUS / "broken_missing_pid3.hl7").read_bytes(), *many[4:],
                *singles]
    path = tmp_path_factory.mktemp("nine") / "nine.hl7"
    path.write_bytes(b"".join(m.rstrip(b"\r\n") + b"\r" for m in messages))
    return path, [er7.parse(m).control_id for m in messages]


def test_validate_reports_every_message_of_a_file(nine: tuple[Path, list[str]]) -> None:
    path, ids = nine
    result = hl7("validate", str(path))
    assert result.returncode == 1
    valid = result.stdout.decode().splitlines()
    assert valid == [f"message {n} ({ids[n - 1]}): valid against {schema}" for n, schema in [
        (1, "ADT_A04"), (2, "ADT_A01"), (3, "ADT_A01"), (4, "hl7v2-any"), (6, "ADT_A03"),
        (7, "ADT_A01"), (8, "ADT_A03"), (9, "ADT_A04")]]
    problems = result.stderr.decode().splitlines()
    assert problems[0].startswith(f"message 5 ({MISSING_PID3}): PID-3: ")
    assert "HL7 error 101" in problems[0] and problems[-1] == "9 messages, 1 invalid"


def test_ack_answers_every_message_of_a_file(nine: tuple[Path, list[str]]) -> None:
    path, ids = nine
    result = hl7("ack", str(path))
    assert result.returncode == 0, result.stderr
    acks = [er7.parse(m) for m in framing.split_messages(result.stdout)]
    assert [a.get("MSA-2") for a in acks] == ids
    assert [a.get("MSA-1") for a in acks] == ["AA"] * 4 + ["AE"] + ["AA"] * 4
    assert acks[4].get("ERR-1.1") == "PID" and acks[4].get("ERR-1.4.1") == "101"
    assert result.stderr.decode().splitlines()[4] == f"message 5 ({MISSING_PID3}): AE, 1 error(s)"


def test_every_command_reads_the_xml_that_to_xml_writes(nine: tuple[Path, list[str]],
                                                        tmp_path: Path) -> None:
    path, ids = nine
    xml = hl7("to-xml", str(path))
    assert xml.returncode == 0 and len(xml.stdout.splitlines()) == 9
    documents = tmp_path / "nine.xml"
    documents.write_bytes(xml.stdout)
    back = hl7("to-er7", str(documents))
    assert back.returncode == 0, back.stderr
    assert back.stdout.replace(b"\n", b"") == path.read_bytes()  # all nine, byte for byte
    validated = hl7("validate", str(documents))
    assert validated.returncode == 1 and len(validated.stdout.splitlines()) == 8
    assert validated.stderr.startswith(f"message 5 ({MISSING_PID3}): PID-3".encode())
    acks = hl7("ack", str(documents), "--xml")
    assert acks.returncode == 0 and len(acks.stdout.splitlines()) == 9
    (tmp_path / "acks.xml").write_bytes(acks.stdout)
    acks_er7 = hl7("to-er7", str(tmp_path / "acks.xml"))  # and ack's XML is read back too
    assert [er7.parse(m).get("MSA-2") for m in framing.split_messages(acks_er7.stdout)] == ids


def test_an_xml_stream_without_declarations_or_newlines_is_split(tmp_path: Path) -> None:
    one = hl7("to-xml", str(CORPUS / "adt_a01_basic.hl7")).stdout.strip()
    two = hl7("to-xml", str(CORPUS / "adt_a03_discharge.hl7")).stdout.strip()
    bare = two.split(b"?>", 1)[1]  # no XML declaration: it starts at its root element
    stream = tmp_path / "stream.xml"
    stream.write_bytes(b"\xef\xbb\xbf" + one + b"<!-- between -->" + bare + b"\r\n" + one)
    result = hl7("validate", str(stream))
    assert result.returncode == 0, result.stderr
    assert [line.split()[1] for line in result.stdout.decode().splitlines()] == ["1", "2", "3"]


def test_a_doctype_in_an_xml_stream_is_refused_not_expanded(tmp_path: Path) -> None:
    one = hl7("to-xml", str(CORPUS / "adt_a01_basic.hl7")).stdout
    evil = (b'<?xml version="1.0"?>\n<!DOCTYPE ADT_A01 [<!ENTITY boom "BOOMBOOMBOOM">]>\n'
            + one.split(b"?>", 1)[1].replace(b"<HD.1>", b"<HD.1>&boom;", 1))
    stream = tmp_path / "evil.xml"
    stream.write_bytes(one + evil)
    for command in ("validate", "to-er7", "ack"):
        result = hl7(command, str(stream))
        assert b"DOCTYPE" in result.stderr + result.stdout, command
        assert b"BOOM" not in result.stdout and b"Traceback" not in result.stderr
    assert hl7("validate", str(stream)).returncode == 1


def test_an_unknown_schema_is_a_usage_error_listing_the_schemas() -> None:
    result = hl7("validate", str(CORPUS / "adt_a01_basic.hl7"), "--schema", "ADT_A99")
    assert result.returncode == 2
    assert b"no schema 'ADT_A99'; the schemas are: ADT_A01, ADT_A03, ADT_A04, hl7v2-any" \
        in result.stderr
    assert b"Traceback" not in result.stderr
    named = hl7("validate", str(CORPUS / "adt_a01_basic.hl7"), "--schema", "ADT_A01.xsd")
    assert named.returncode == 0 and b"valid against ADT_A01" in named.stdout


def test_make_adt_names_the_valid_columns(tmp_path: Path) -> None:
    records = tmp_path / "patients.txt"
    records.write_text("event|mrn|last_name|dob\nA01|1|DOE|19700101\n", encoding="utf-8")
    result = hl7("make-adt", str(records))
    assert result.returncode == 1 and result.stdout == b""
    message = result.stderr.decode()
    assert "unknown column(s): dob; the columns are event, mrn, assigning_authority" in message
    assert "birth_date" in message and "diagnosis_text" in message
    assert "(event, mrn, last_name required)" in message
    records.write_text("event|last_name\nA01|DOE\n", encoding="utf-8")
    missing = hl7("make-adt", str(records))
    assert missing.returncode == 1 and b"missing column(s): mrn" in missing.stderr


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A real node on SQLite, facility SENDER owning the identifier domain HOSP."""
    root = tmp_path_factory.mktemp("send")
    settings = make_settings(root, f"sqlite:///{root}/carebridge.sqlite")
    upgrade(settings.database_url)
    db = Database(settings)
    with db.transaction() as session:
        add_facility(session, "SENDER", "pw", authorities=["HOSP"])
    db.dispose()
    started = Node(settings, workers=1).start()
    yield started
    started.stop()


def test_send_reads_what_make_adt_and_to_xml_write(node: Node, tmp_path: Path) -> None:
    records = tmp_path / "patients.txt"
    records.write_text("event|mrn|assigning_authority|last_name|first_name\n"
                       + "".join(f"A04|{n}|HOSP|DOE|ANN\n" for n in range(3)), encoding="utf-8")
    made = hl7("make-adt", str(records), "-o", str(tmp_path / "adt.hl7"),
               "--sending-facility", "SENDER", "--control-id-prefix", "SX")
    assert made.returncode == 0, made.stderr
    xml = hl7("to-xml", str(tmp_path / "adt.hl7"))
    (tmp_path / "adt.xml").write_bytes(xml.stdout)
    url = node.url + "/services/PatientSubmission"
    account = ("--url", url, "--user", "SENDER", "--password", "pw")
    as_xml = hl7("send", str(tmp_path / "adt.xml"), "--xml", *account)
    assert as_xml.returncode == 0, as_xml.stderr
    assert as_xml.stdout.decode().splitlines() == ["SX000002 AA", "SX000003 AA", "SX000004 AA"]
    as_er7 = hl7("send", str(tmp_path / "adt.xml"), *account)  # XML in, ER7 on the wire
    assert as_er7.returncode == 0, as_er7.stderr
    assert [line.split()[:2] for line in as_er7.stdout.decode().splitlines()] == [
        ["SX000002", "AA"], ["SX000003", "AA"], ["SX000004", "AA"]]
