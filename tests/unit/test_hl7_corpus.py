"""The HL7 engine against the project's corpus (tests/data/hl7, described in CORPUS.json)."""

from __future__ import annotations

import json
from pathlib import Path

import hl7 as python_hl7
import pytest

from carebridge.hl7 import er7, framing, v2xml
from carebridge.hl7.exceptions import HL7Error

CORPUS_DIR = Path(__file__).resolve().parents[1] / "data" / "hl7"
CORPUS = json.loads((CORPUS_DIR / "CORPUS.json").read_text())
MESSAGES = [e for e in CORPUS if e["kind"] == "message"]
WELL_FORMED = [e for e in MESSAGES if e.get("xml_roundtrip")]


def data(entry: dict) -> bytes:
    return (CORPUS_DIR / entry["file"]).read_bytes()


def terminator(raw: bytes) -> str:
    return "\r\n" if b"\r\n" in raw else ("\n" if b"\r" not in raw else "\r")


@pytest.mark.parametrize("entry", MESSAGES, ids=lambda e: e["file"])
def test_parse_then_write_gives_the_same_bytes(entry: dict) -> None:
    raw = data(entry)
    message = er7.parse(raw)
    assert message.control_id == entry["control_id"]
    assert message.version == entry["version"]
    if entry.get("roundtrip"):
        assert message.encode(terminator(raw)) == raw


@pytest.mark.parametrize("entry", MESSAGES, ids=lambda e: e["file"])
def test_facts_are_found(entry: dict) -> None:
    message = er7.parse(data(entry))
    for path, expected in entry["facts"].items():
        assert message.get(path) == expected, path


@pytest.mark.parametrize("entry", WELL_FORMED, ids=lambda e: e["file"])
def test_er7_xml_er7_is_the_identity(entry: dict) -> None:
    message = er7.parse(data(entry))
    document = v2xml.to_xml(message)
    back = v2xml.from_xml(document)
    assert back.to_er7() == message.to_er7()
    assert v2xml.to_xml(back) == document  # and XML -> ER7 -> XML


@pytest.mark.parametrize("entry", [e for e in CORPUS if e["kind"] in ("multi", "mllp")],
                         ids=lambda e: e["file"])
def test_files_batches_and_mllp_streams_split_into_messages(entry: dict) -> None:
    raw = data(entry)
    messages = framing.unframe(raw) if entry["kind"] == "mllp" else framing.split_messages(raw)
    assert len(messages) == entry["count"]
    assert all(er7.parse(m).control_id for m in messages)


@pytest.mark.parametrize("entry", [e for e in CORPUS if e["kind"] == "broken"],
                         ids=lambda e: e["file"])
def test_broken_input_raises_only_the_engines_errors(entry: dict) -> None:
    raw = data(entry)
    try:
        message = er7.parse(raw)
        v2xml.to_xml(message)
    except HL7Error as exc:
        assert exc.code in {"100", "101", "102", "103", "200", "201", "203", "207"}
        assert str(exc.location)
    else:
        # Parses, but must then fail validation (missing PID-3, bad timestamp, ...)
        assert entry["file"] in {"broken_missing_pid3.hl7", "broken_bad_timestamp.hl7",
                                 "broken_unsupported_type.hl7",
                                 "broken_unsupported_version.hl7"}, entry["why"]


@pytest.mark.parametrize(
    "entry", [e for e in WELL_FORMED if e["file"] not in ("custom_delimiters.hl7",
                                                          "truncation_v27.hl7")],
    ids=lambda e: e["file"])
def test_fields_agree_with_python_hl7(entry: dict) -> None:
    """An independent parser sees the same segments, fields and components."""
    raw = data(entry)
    ours = er7.parse(raw)
    text = raw.decode(ours.charset).replace("\r\n", "\r").replace("\n", "\r")
    theirs = python_hl7.parse(text)
    assert [str(s[0]) for s in theirs] == [s.id for s in ours.segments]
    for their_segment, our_segment in zip(theirs, ours.segments, strict=True):
        if our_segment.id == "MSH":
            continue  # python-hl7 indexes MSH differently; compared field by field below
        for number in range(1, len(our_segment.fields)):
            assert str(their_segment(number)) == our_segment.raw(number), (our_segment.id, number)
    msh = theirs.segment("MSH")
    for number in range(3, len(ours.msh.fields)):
        assert str(msh(number)) == ours.msh.raw(number), ("MSH", number)
