"""``carebridge hl7 ...`` run as a user would, on corpus files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from carebridge.hl7 import er7, framing

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
