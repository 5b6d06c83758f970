"""Every HL7 version hl7apy ships: names by position, and ER7 -> v2.xml -> ER7 unchanged.

hl7apy's v2.6 and later tables leave withdrawn fields and components out (v2.6
lists XTN from XTN_2, v2.8 EVN from EVN_2), so a position must come from the
element's number, not its place in the list. Sample messages are written here.
"""

from __future__ import annotations

import logging
from pathlib import Path

import hl7apy
import pytest
from click.testing import CliRunner
from lxml import etree

from carebridge.cli.hl7 import hl7
from carebridge.hl7 import definitions, er7, v2xml

VERSIONS = ["2.1", "2.2", "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8", "2.8.1",
            "2.8.2"]
NS = "{urn:hl7-org:v2xml}"


def adt_a01(version: str) -> str:
    """An admission with a home phone (PID-13), a diagnosis up to DG1-8 and EVN-1/EVN-2."""
    return "\r".join([
        f"MSH|^~\\&|ADM|GHH|MPI|GHH|20240101120000||ADT^A01|CTL{version}|P|{version}",
        "EVN|A01|20240101120000",
        "PID|1||4711^^^GHH^MR||DOE^JANE^Q||19700101|F|||1 MAIN ST^^TOWN^ON^A1A1A1||"
        "555-555-2004|555-555-9999",
        "PV1|1|I|W3^301^1",
        "DG1|1|I10|J18.9^Pneumonia^I10|Pneumonia|20240101|A|MDC04^Respiratory|DRG7",
    ]) + "\r"


def round_trip(text: str) -> tuple[etree._Element, str]:
    document = v2xml.to_xml(er7.parse(text))
    return etree.fromstring(document), v2xml.from_xml(document).to_er7()


def child(element: etree._Element, name: str) -> etree._Element:
    found = element.find(NS + name)
    assert found is not None, f"no {name} in {element.tag}"
    return found


def names(element: etree._Element) -> list[str]:
    return [str(c.tag)[len(NS):] for c in element]


def test_the_list_is_every_version_hl7apy_ships() -> None:
    shipped = {p.name[1:].replace("_", ".") for p in Path(hl7apy.__file__).parent.glob("v2_*")}
    assert shipped == set(VERSIONS)
    assert all(definitions.is_supported(v) for v in VERSIONS)


@pytest.mark.parametrize("version", VERSIONS)
def test_adt_a01_round_trips_in_every_version(version: str) -> None:
    text = adt_a01(version)
    root, back = round_trip(text)
    assert back == text
    pid, evn, dg1 = child(root, "PID"), child(root, "EVN"), child(root, "DG1")
    assert names(evn) == ["EVN.1", "EVN.2"]
    assert child(evn, "EVN.1").text == "A01"
    assert names(pid) == ["PID.1", "PID.3", "PID.5", "PID.7", "PID.8", "PID.11", "PID.13",
                          "PID.14"]
    assert names(dg1) == [f"DG1.{n}" for n in range(1, 9)]
    assert "".join(child(dg1, "DG1.8").itertext()) == "DRG7"


@pytest.mark.parametrize("version", VERSIONS[2:])
def test_the_phone_number_is_xtn_1(version: str) -> None:
    document = v2xml.to_xml(er7.parse(adt_a01(version))).decode()
    assert "<PID.13><XTN.1>555-555-2004</XTN.1></PID.13>" in document
    assert "<PID.14><XTN.1>555-555-9999</XTN.1></PID.14>" in document


@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_before_xtn_the_phone_number_is_a_primitive(version: str) -> None:
    document = v2xml.to_xml(er7.parse(adt_a01(version))).decode()
    assert "<PID.13>555-555-2004</PID.13>" in document


def test_v26_dg1_7_withdrawn_keeps_its_position() -> None:
    root, _ = round_trip(adt_a01("2.6"))
    dg1 = child(root, "DG1")
    assert names(child(dg1, "DG1.3")) == ["CWE.1", "CWE.2", "CWE.3"]
    # v2.6 has no DG1-7: positional names, and DG1-8 is still DG1.8.
    assert names(child(dg1, "DG1.7")) == ["DG1.7.1", "DG1.7.2"]
    assert child(child(dg1, "DG1.7"), "DG1.7.1").text == "MDC04"


@pytest.mark.parametrize("version", ["2.8", "2.8.1", "2.8.2"])
def test_v28_evn_1_withdrawn_keeps_its_position(version: str) -> None:
    document = v2xml.to_xml(er7.parse(adt_a01(version))).decode()
    assert "<EVN><EVN.1>A01</EVN.1><EVN.2>20240101120000</EVN.2></EVN>" in document


def test_typed_names_in_a_later_version() -> None:
    document = v2xml.to_xml(er7.parse(adt_a01("2.7"))).decode()
    assert "<PID.5><XPN.1><FN.1>DOE</FN.1></XPN.1><XPN.2>JANE</XPN.2>" in document
    assert "<DG1.3><CWE.1>J18.9</CWE.1><CWE.2>Pneumonia</CWE.2><CWE.3>I10</CWE.3>" in document
    assert "<PV1.3><PL.1><HD.1>W3</HD.1></PL.1>" in document  # v2.7 PL.1 is an HD


QRD_V27 = "\r".join([
    "MSH|^~\\&|ADM|GHH|MPI|GHH|20240101120000||QRY^A19^QRY_A19|Q1|P|2.7",
    "QRD|20240101120000|R|I|Q1|||10^RD|4711^DOE^JANE|DEM",
    "QRF|ADT||||||",
]) + "\r"


def test_v27_qrd_has_no_definitions_and_keeps_positional_names() -> None:
    root, back = round_trip(QRD_V27.replace("QRF|ADT||||||", "QRF|ADT"))
    assert back == QRD_V27.replace("QRF|ADT||||||", "QRF|ADT")
    qrd = child(root, "QRD")
    assert names(qrd) == ["QRD.1", "QRD.2", "QRD.3", "QRD.4", "QRD.7", "QRD.8", "QRD.9"]
    assert names(child(qrd, "QRD.8")) == ["QRD.8.1", "QRD.8.2", "QRD.8.3"]


def test_v21_oro_segment_is_read() -> None:
    # hl7apy's v2.1 ORO definition has no "sequence" marker.
    text = "\r".join([
        "MSH|^~\\&|OE|GHH|LAB|GHH|20240101120000||ORM|O1|P|2.1",
        "PID|1||4711||DOE^JANE",
        "ORC|NW|A1",
        "ORO|CBC^Blood count|Y",
    ]) + "\r"
    root, back = round_trip(text)
    assert back == text
    oro = next(root.iter(NS + "ORO"))
    assert names(oro) == ["ORO.1", "ORO.2"]
    assert names(child(oro, "ORO.1")) == ["CE.1", "CE.2"]


# -- versions hl7apy does not know ----------------------------------------------------------


@pytest.mark.parametrize("version", ["2.9", "3.0", "2.5.9", "X1"])
def test_unknown_version_gets_positional_names_and_a_warning(
        version: str, caplog: pytest.LogCaptureFixture) -> None:
    text = adt_a01("2.5").replace("|P|2.5", f"|P|{version}")
    v2xml._warned.discard(version)  # warned once per process: whatever ran before
    with caplog.at_level(logging.WARNING, logger="carebridge.hl7.v2xml"):
        root, back = round_trip(text)
        round_trip(text)  # the same version again: no second line
    assert back == text
    pid = child(root, "PID")
    assert names(child(pid, "PID.5")) == ["PID.5.1", "PID.5.2", "PID.5.3"]
    assert child(child(pid, "PID.5"), "PID.5.1").text == "DOE"
    assert names(child(root, "MSH"))[:3] == ["MSH.1", "MSH.2", "MSH.3"]
    assert child(child(root, "MSH"), "MSH.9").find(NS + "MSH.9.1") is not None
    # Flat: without definitions there are no groups, and never 2.3.1's names.
    assert names(root) == ["MSH", "EVN", "PID", "PV1", "DG1"]
    assert b"XPN.1" not in etree.tostring(root)
    [record] = [r for r in caplog.records if r.name == "carebridge.hl7.v2xml"]
    assert record.levelno == logging.WARNING
    assert version in record.getMessage()
    assert "DOE" not in record.getMessage() and "4711" not in record.getMessage()


def test_msh_12_with_trailing_spaces_is_that_version() -> None:
    text = adt_a01("2.6").replace("|P|2.6", "|P|2.6  ")
    root, back = round_trip(text)
    assert back == text
    assert child(child(child(root, "PID"), "PID.13"), "XTN.1").text == "555-555-2004"
    assert names(child(child(root, "DG1"), "DG1.3")) == ["CWE.1", "CWE.2", "CWE.3"]  # not CE


# -- the command line -----------------------------------------------------------------------


def test_cli_to_xml_and_back_for_every_version(tmp_path: Path) -> None:
    messages = [adt_a01(v) for v in VERSIONS] + [QRD_V27.replace("QRF|ADT||||||", "QRF|ADT")]
    source = tmp_path / "all.hl7"
    source.write_bytes("\r\n".join(messages).encode())
    runner = CliRunner()
    xml = runner.invoke(hl7, ["to-xml", str(source)])
    assert xml.exit_code == 0, xml.output
    assert xml.exception is None
    documents = tmp_path / "all.xml"
    documents.write_bytes(xml.stdout_bytes)
    back = runner.invoke(hl7, ["to-er7", str(documents)])
    assert back.exit_code == 0, back.output
    assert back.stdout_bytes.decode().split("\n")[:-1] == messages
