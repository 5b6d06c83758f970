"""ER7 details and acknowledgments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carebridge.hl7 import er7, v2xml
from carebridge.hl7.ack import AckError, Outcome, ack_code, build_ack
from carebridge.hl7.exceptions import EncodingError, Location, ParseError

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hl7"
NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)


def test_character_sets_follow_msh_18_or_the_default() -> None:
    latin = er7.parse((CORPUS / "latin1_names.hl7").read_bytes())
    assert latin.charset == "latin-1" and "é" in latin.get("PID-5.2") + latin.get("PID-5.1")
    utf8 = er7.parse((CORPUS / "utf8_names.hl7").read_bytes())
    assert utf8.charset == "utf-8"
    plain = b"MSH|^~\\&|A|B|||20240101||ADT^A01|1|P|2.3.1\rPID|1||9||M\xfcller\r"
    assert er7.parse(plain, default_charset="latin-1").get("PID-5") == "Müller"
    with pytest.raises(EncodingError) as info:
        er7.parse(plain)  # not UTF-8, and MSH-18 says nothing
    assert info.value.location.position is not None
    bad = b"MSH|^~\\&|A|B|||20240101||ADT^A01|1|P|2.3.1||||||KLINGON\r"
    with pytest.raises(EncodingError, match="KLINGON"):
        er7.parse(bad)


def test_custom_delimiters_are_honoured_everywhere() -> None:
    message = er7.parse((CORPUS / "custom_delimiters.hl7").read_bytes())
    assert message.delimiters[0] != "|"
    document = v2xml.to_xml(message)
    assert f"<MSH.1>{message.delimiters[0]}</MSH.1>".encode() in document
    assert v2xml.from_xml(document).to_er7() == message.to_er7()


def test_errors_are_located() -> None:
    with pytest.raises(ParseError) as info:
        er7.parse("MSH|^~\\&|A\rPID|1\rpv1|2\r")
    assert info.value.location.segment == "pv1" and "not a segment id" in str(info.value)
    with pytest.raises(ParseError, match="control character 0x00") as info:
        er7.parse("MSH|^~\\&|A\rPID|1||12\x0034\r")
    assert (info.value.location.segment, info.value.location.field) == ("PID", 3)
    with pytest.raises(ParseError, match="delimiters"):
        er7.parse("MSH|^^\\&|A\r")
    with pytest.raises(ParseError, match="start with an MSH"):
        er7.parse("PID|1\r")


def test_present_but_null_and_empty_are_different() -> None:
    message = er7.parse('MSH|^~\\&|A||||||ADT^A01|1|P|2.3.1\rPID|1||""||X\r')
    assert message.get("PID-3") == '""' and message.get("PID-4") == ""
    document = v2xml.to_xml(message)
    assert b'<PID.3><CX.1>""</CX.1></PID.3>' in document  # a composite's null: its first leaf
    assert v2xml.from_xml(document).to_er7() == message.to_er7()
    with pytest.raises(ParseError, match="MSH-9") as info:
        v2xml.to_xml(er7.parse("MSH|^~\\&|A\rPID|1\r"))
    assert info.value.code == "101"


def _message(extra: str = "") -> er7.Message:
    return er7.parse("MSH|^~\\&|SEND|SFAC|RECV|RFAC|20240301||ADT^A01^ADT_A01|M1|T|2.3.1"
                     + extra + "\rEVN|A01\rPID|1\r")


def test_ack_mirrors_the_sender_and_locates_errors() -> None:
    message = _message()
    ack = build_ack(message, ack_code(message, Outcome.ERROR), control_id="A1",
                    text="1 problem", now=NOW,
                    errors=[AckError("101", Location("PID", 1, 3), "PID-3 is required")])
    assert [s.id for s in ack.segments] == ["MSH", "MSA", "ERR"]
    assert ack.get("MSH-3") == "RECV" and ack.get("MSH-4") == "RFAC"
    assert ack.get("MSH-5") == "SEND" and ack.get("MSH-6") == "SFAC"
    assert ack.get("MSH-9") == "ACK^A01^ACK" and ack.control_id == "A1"
    assert ack.get("MSH-11") == "T" and ack.version == "2.3.1"
    assert (ack.get("MSA-1"), ack.get("MSA-2"), ack.get("MSA-3")) == ("AE", "M1", "1 problem")
    assert ack.get("ERR-1") == "PID^1^3^101&PID-3 is required&HL70357"
    xml = v2xml.to_xml(ack)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?><ACK ')
    assert b"<ELD.4><CE.1>101</CE.1>" in xml


def test_enhanced_mode_accept_codes() -> None:
    enhanced = _message("|||AL|NE")
    assert ack_code(enhanced, Outcome.ACCEPTED, accept_level=True) == "CA"
    assert ack_code(enhanced, Outcome.REJECTED, accept_level=True) == "CR"
    assert ack_code(enhanced, Outcome.ERROR) == "AE"
    assert ack_code(_message(), Outcome.REJECTED, accept_level=True) == "AR"


def test_v25_ack_uses_err_2_to_4_and_garbage_gets_a_bare_ack() -> None:
    message = er7.parse("MSH|^~\\&|S|F|R|G|20240301||ADT^A01^ADT_A01|M2|P|2.5\r")
    ack = build_ack(message, "AR", control_id="A2", now=NOW,
                    errors=[AckError("203", Location("MSH", 1, 12), "version")])
    assert ack.get("ERR-2") == "MSH^1^12" and ack.get("ERR-3.1") == "203"
    assert ack.get("ERR-4") == "E"
    bare = build_ack(None, "AR", control_id="A3", text="not HL7", now=NOW)
    assert bare.get("MSA-1") == "AR" and bare.get("MSA-2") == "" and bare.get("MSH-9") == "ACK"
