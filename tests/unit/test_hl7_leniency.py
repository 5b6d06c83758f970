"""What real senders send: indented segments, three encoding characters, 8-bit text
without MSH-18, padded versions, multi-line text from v2.xml; and errors that say where."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from carebridge.cli.hl7 import hl7
from carebridge.hl7 import er7, framing, v2xml
from carebridge.hl7.ack import AckError, build_ack
from carebridge.hl7.exceptions import EncodingError, Location, ParseError
from carebridge.hl7.xmlstream import split_documents

NOW = dt.datetime(2025, 5, 1, 8, 0, tzinfo=dt.UTC)
MSH = "MSH|^~\\&|REG|EAST|CB|CB|20250501080000||ADT^A04^ADT_A01|{id}|P|{version}"


def _adt(control_id: str = "L1", version: str = "2.5") -> list[str]:
    return [MSH.format(id=control_id, version=version), "EVN|A04|20250501080000",
            "PID|1||4711^^^EAST^MR||Moreau^Hélène||19800229|F|||1 Rue Haute^^Lyon",
            "PV1|1|O"]


# -- leading whitespace -----------------------------------------------------------------


def test_indented_segments_are_read_like_the_others() -> None:
    lines = _adt()
    indented = "\n  " + lines[0] + "\r\n\t" + "\r\n   ".join(lines[1:]) + "\r\n"
    message = er7.parse(indented)
    assert [s.id for s in message.segments] == ["MSH", "EVN", "PID", "PV1"]
    assert message.get("PID-5.2") == "Hélène" and message.version == "2.5"
    assert message.to_er7() == "\r".join(lines) + "\r"  # written without the indent
    assert er7.parse(indented.encode()).get("PID-3.1") == "4711"


def test_files_with_indented_segments_split_into_messages() -> None:
    first, second = _adt("F1"), _adt("F2")
    text = "\n".join("   " + line for line in ["FHS|^~\\&", *first, *second, "\tFTS|1"]) + "\n"
    for data in (text, text.encode()):
        batch = framing.split_batch(data)
        assert [er7.parse(m).control_id for m in batch.messages] == ["F1", "F2"]
        assert [str(h[:3]) if isinstance(h, str) else h[:3].decode() for h in batch.header] == [
            "FHS"]


# -- MSH-2 with three encoding characters -------------------------------------------------


THREE = ("MSH|^~\\|REG|EAST|CB|CB|20250501080000||ADT^A04|T3|P|2.3.1\r"
         "EVN|A04\rPID|1||R&D-17^^^EAST||Smith & Wesson^Ann\r")


def test_three_encoding_characters_mean_no_subcomponents() -> None:
    message = er7.parse(THREE)
    assert message.delimiters == "|^~\\" and message.get("MSH-2") == "^~\\"
    # '&' is data here, not a separator
    assert message.get("PID-3.1") == "R&D-17" and message.get("PID-3.1.1") == "R&D-17"
    assert message.get("PID-3.1.2") == "" and message.get("PID-5.1") == "Smith & Wesson"
    assert message.to_er7() == THREE
    assert message.escape("a&b|c") == "a&b\\F\\c"


def test_three_encoding_characters_survive_v2xml() -> None:
    message = er7.parse(THREE)
    document = v2xml.to_xml(message)
    assert b"<MSH.2>^~\\</MSH.2>" in document and b"Smith &amp; Wesson" in document
    back = v2xml.from_xml(document)
    assert back.delimiters == "|^~\\" and back.to_er7() == THREE
    two_subs = document.replace(b"<CX.4><HD.1>EAST</HD.1></CX.4>",
                                b"<CX.4><HD.1>EAST</HD.1><HD.2>1.2.3</HD.2></CX.4>")
    assert two_subs != document
    with pytest.raises(ParseError, match="no subcomponent separator"):
        v2xml.from_xml(two_subs)


@pytest.mark.parametrize("version", ["2.3.1", "2.5"])
def test_acks_keep_three_encoding_characters(version: str) -> None:
    message = er7.parse(THREE.replace("|2.3.1\r", f"|{version}\r"))
    ack = build_ack(message, "AE", control_id="K1", text="R&D: bad", now=NOW,
                    errors=[AckError("101", Location("PID", 1, 3), "PID-3 & PID-4")])
    text = ack.to_er7()
    assert text.startswith("MSH|^~\\|CB|CB|REG|EAST|")
    again = er7.parse(text)  # the ACK reads back with the same delimiters
    assert again.delimiters == "|^~\\" and again.get("MSA-3") == "R&D: bad"
    if version == "2.3.1":
        assert again.get("ERR-1") == "PID^1^3^101"  # ELD.4: no room for its text
    else:
        assert again.get("ERR-3.1") == "101" and again.get("ERR-8") == "PID-3 & PID-4"


def test_two_or_six_encoding_characters_are_still_refused() -> None:
    with pytest.raises(ParseError, match="encoding characters"):
        er7.parse("MSH|^~|A\r")
    with pytest.raises(ParseError, match="encoding characters"):
        er7.parse("MSH|^~\\&#!|A\r")


# -- character sets ------------------------------------------------------------------------


CP1252 = ("MSH|^~\\&|REG|EAST|CB|CB|20250501080000||ADT^A04|C1|P|2.5\r"
          "EVN|A04\r"
          "PID|1||4711||Côté^René||19800229|F|||Rue de l\u2019Église\r"
          "PV1|1|O\r").encode("cp1252")


def test_8_bit_text_without_msh_18_is_a_located_error() -> None:
    with pytest.raises(EncodingError) as info:
        er7.parse(CP1252)
    error = info.value
    assert error.undeclared and error.code == "102"
    loc = error.location
    assert (loc.segment, loc.sequence, loc.field, loc.line) == ("PID", 1, 5, 3)
    assert loc.position == len("PID|1||4711||C") + 1  # the ô, counted from 1
    assert str(error) == ("PID-5 (line 3, character 15): byte 0xF4 is not UTF-8; "
                          "MSH-18 names no character set")


def test_the_fallback_charset_reads_what_utf_8_cannot() -> None:
    message = er7.parse(CP1252, fallback_charset="cp1252")
    assert message.charset == "cp1252" and message.get("PID-5") == "Côté^René"
    assert message.get("PID-11") == "Rue de l\u2019Église"  # U+2019 is cp1252's 0x92
    utf8 = CP1252.decode("cp1252").encode("utf-8")
    assert er7.parse(utf8, fallback_charset="cp1252").charset == "utf-8"  # UTF-8 first
    # 0x81 is not cp1252 either: both are named, and the byte is still located
    with pytest.raises(EncodingError, match=r"byte 0x81 is not UTF-8 nor CP1252") as info:
        er7.parse(CP1252.replace(b"EVN|A04", b"EVN|A\x81"), fallback_charset="cp1252")
    assert (info.value.location.segment, info.value.location.field) == ("EVN", 1)


def test_a_declared_charset_is_not_second_guessed() -> None:
    declared = CP1252.replace(b"|2.5\r", b"|2.5||||||ASCII\r")
    with pytest.raises(EncodingError) as info:
        er7.parse(declared, fallback_charset="cp1252")
    assert not info.value.undeclared and "the character set MSH-18 names" in str(info.value)
    assert info.value.location.segment == "PID"


def test_the_cli_takes_charset_and_says_so_when_it_is_missing(tmp_path: Path) -> None:
    source = tmp_path / "cp1252.hl7"
    source.write_bytes(CP1252)
    runner = CliRunner()
    failed = runner.invoke(hl7, ["to-xml", str(source)])
    assert failed.exit_code == 1
    assert ("message 1: PID-5 (line 3, character 15): byte 0xF4 is not UTF-8; MSH-18 names "
            "no character set (try --charset cp1252)") in failed.output
    done = runner.invoke(hl7, ["to-xml", "--charset", "cp1252", str(source)])
    assert done.exit_code == 0, done.output
    assert "<XPN.2>René</XPN.2>" in done.output
    acks = runner.invoke(hl7, ["ack", "--charset", "cp1252", str(source)])
    assert acks.exit_code == 0 and "message 1 (C1): AA" in acks.output
    bad = runner.invoke(hl7, ["validate", "--charset", "klingon", str(source)])
    assert bad.exit_code == 2 and "no character set 'klingon'" in bad.output


# -- MSH-12 with spaces ---------------------------------------------------------------------


def test_a_padded_version_is_the_version() -> None:
    padded = er7.parse("\r".join(_adt(version="2.5 ")) + "\r")
    assert padded.version == "2.5"
    # v2.5's XAD.1 is a SAD; the 2.3.1 fallback would write the street as plain text
    assert "<PID.11><XAD.1><SAD.1>1 Rue Haute</SAD.1></XAD.1>" in v2xml.to_xml(padded).decode()
    ack = build_ack(padded, "AE", control_id="V1", now=NOW,
                    errors=[AckError("101", Location("PID", 1, 3), "missing")])
    assert ack.get("MSH-12") == "2.5" and ack.version == "2.5"
    assert ack.get("ERR-3.1") == "101"  # the v2.5 ERR layout, not 2.3.1's ERR-1
    assert build_ack(er7.parse(THREE.replace("|2.3.1\r", "| 2.4 ^CAN\r")), "AA",
                     control_id="V2", now=NOW).get("MSH-12") == "2.4^CAN"


# -- v2.xml text with line breaks --------------------------------------------------------


def test_multi_line_text_from_v2xml_is_escaped_in_er7() -> None:
    document = ("<ADT_A01 xmlns='urn:hl7-org:v2xml'><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2>"
                "<MSH.9><MSG.1>ADT</MSG.1><MSG.2>A01</MSG.2></MSH.9><MSH.10>X1</MSH.10>"
                "<MSH.12><VID.1>2.5</VID.1></MSH.12></MSH>"
                "<NTE><NTE.1>1</NTE.1><NTE.3>first line\nsecond | line&#13;\nthird&#13;"
                "</NTE.3></NTE></ADT_A01>")
    message = v2xml.from_xml(document)
    text = message.to_er7()
    assert text.count("\r") == 2 and "\n" not in text  # MSH and NTE, nothing else
    assert message.raw("NTE-3") == "first line\\X0A\\second \\F\\ line\\X0D0A\\third\\X0D\\"
    again = er7.parse(text)
    assert [s.id for s in again.segments] == ["MSH", "NTE"]
    assert again.get("NTE-3") == "first line\nsecond | line\r\nthird\r"
    assert v2xml.from_xml(v2xml.to_xml(again)).to_er7() == text


# -- error locations ------------------------------------------------------------------------


def test_outside_any_message_names_line_and_character() -> None:
    with pytest.raises(ParseError) as info:
        framing.split_batch("\n\nEVN|A01\n" + MSH.format(id="1", version="2.5") + "\n")
    error = info.value
    assert (error.location.line, error.location.position) == (3, 1)
    assert str(error) == "EVN (line 3, character 1): a segment outside any message (no MSH " \
                         "before it)"
    with pytest.raises(ParseError) as info:
        framing.split_batch(b"\r\n  hello world\r")
    assert str(info.value).startswith("line 2, character 3: a segment outside")


def test_er7_errors_name_line_and_character() -> None:
    head = MSH.format(id="1", version="2.5")
    with pytest.raises(ParseError) as info:
        er7.parse(f"{head}\r\nPID|1\r\n  pv1|2\r\n")
    assert str(info.value) == "pv1 (line 3, character 3): 'pv1' is not a segment id"
    with pytest.raises(ParseError) as info:
        er7.parse(f"{head}\rPID|1\rPID|2||12\x0034\r")
    assert str(info.value) == "PID[2]-3 (line 3, character 10): control character 0x00 in data"
    with pytest.raises(ParseError) as info:
        er7.parse("MSH|^~\\&x|A\r")
    assert str(info.value).startswith("MSH-2: delimiters")
    with pytest.raises(ParseError) as info:
        er7.parse("MSH|^~\\&|A\rNTE|\x01\r")
    assert (info.value.location.field, info.value.location.position) == (1, 5)
    with pytest.raises(ParseError) as info:
        er7.parse("MSH|^~\\&|A\x07\r")
    assert info.value.location.field == 3  # MSH-1 is the separator itself


def test_framing_and_xml_stream_errors_print_sensible_places() -> None:
    with pytest.raises(ParseError) as info:
        framing.unframe(b"\x0bMSH|^~\\&|A\x1c\r\x0bMSH|^~\\&|B")
    assert "at byte 13" in str(info.value) and "message" not in str(info.value)[:8]
    with pytest.raises(ParseError) as info:
        split_documents(b"<a/>\n<b/>\n  junk")
    assert str(info.value) == "line 3, character 3: text outside any XML element"
    with pytest.raises(ParseError) as info:
        split_documents("<a>é</a>\n<b>é</a></c>".encode())  # é is one character
    assert str(info.value) == "line 2, character 9: an end tag with no element open"


def test_location_text() -> None:
    assert str(Location()) == "message"
    assert str(Location("PID", 2, 3)) == "PID[2]-3"
    assert str(Location("PID", 1, 3, 7)) == "PID-3 (character 7)"
    assert str(Location(line=4)) == "line 4"
