"""v2.xml element names and encodings, as HL7's v2.xml schemas have them.

The rules checked by hand here, each also met by the published schemas (2.3.1, 2.4, 2.5):
primitives hold their text directly; composites are ``TYPE.n``; TQ.1 is a CQ (``CQ.1``,
``CQ.2``) and XCN.17 a DR, never hl7apy's ``CQ_SIMPLE``/``DR_SIMPLE``; a subcomponent whose
datatype nests further (CQ.2 is a CE, DR.1 a TS) carries its text in its first leaf; OBX-5
is named by the datatype OBX-2 names; a ``""`` null in a composite is its first leaf's text
(composites have element-only content); ``escape`` is in no namespace (declared locally in FT
and TX, no elementFormDefault).

HL7's schemas are not part of the repository (not ours to ship): tests/v2xml_schema_check.py
validates these samples against a copy of them, by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from carebridge.hl7 import er7, v2xml
from carebridge.hl7.ack import AckError, build_ack
from carebridge.hl7.exceptions import Location, ParseError

NS = "{urn:hl7-org:v2xml}"
VERSIONS = ("2.3.1", "2.4", "2.5")
REPO = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2024, 3, 18, 7, 30, tzinfo=dt.UTC)
STRUCTURES = {"ADT^A01": "ADT_A01", "ADT^A03": "ADT_A03", "ADT^A08": "ADT_A01",
              "ADT^A40": "ADT_A39", "ORU^R01": "ORU_R01", "ORM^O01": "ORM_O01"}
# Names v2.xml never has: a primitive's parts, hl7apy's own datatype names.
NOT_V2XML = re.compile(r"^(ST|NM|ID|IS|SI|TX|FT|DT|TM|DTM|varies)\.\d+$|_SIMPLE")


def msh(message_type: str, version: str) -> str:
    structure = f"^{STRUCTURES[message_type]}" if version == "2.5" else ""
    return (f"MSH|^~\\&|SEND|HOSP|CB|OSCAR|20240318073000||{message_type}{structure}"
            f"|M{version}|P|{version}")


PID = ("PID|1||123^^^HOSP^MR~456^^^SSA^SS||DOE\\T\\ROE^JANE^Q^^DR||19800101|F|||"
       '12 KING ST \\F\\ UNIT 4^^TORONTO^ON^M5H 1A1||(416)555-1234|||M||AC123|""')
PV1 = ("PV1|1|I|4W^403^A||||1234^SMITH^JOHN^^^DR|||MED||||||||||V1" + "|" * 25
       + "20240318073000")
OBX_NOTE = "OBX|1|TX|NOTE^NOTE^L|1|LINE \\H\\ONE\\N\\ TWO||||||F"
ORDER = "OBR|1|A1|B2|GLU^GLUCOSE^L|||20240318073000" + "|" * 20 + "1^^^20240318080000"
RESULTS = ("OBX|1|NM|GLU^GLUCOSE^L|1|5.5|mmol/L^^UCUM|3.9-6.1|N|||F",
           "OBX|2|CE|ABO^BLOOD GROUP^L|1|A^A POS^L||||||F",
           'OBX|3|ST|X^X^L|1|""||||||F', "OBX|4|SN|Y^Y^L|1|>^10||||||F",
           "NTE|1||SEE \\H\\NOTE\\N\\ \\.br\\ BELOW")


def _ack(version: str) -> list[str]:
    """carebridge's own AE acknowledgment, with an ERR of the version's layout."""
    original = er7.parse(msh("ADT^A01", version) + "\r")
    ack = build_ack(original, "AE", control_id="A1", text="1 problem", now=NOW,
                    errors=[AckError("101", Location("PID", 1, 3), "PID-3 \\ is required")])
    return ack.to_er7().rstrip("\r").split("\r")


SAMPLES: dict[str, tuple[str, Callable[[str], list[str]]]] = {
    "ADT_A01": ("ADT_A01", lambda v: [
        msh("ADT^A01", v), "EVN|A01|20240318073000", PID, "NK1|1|DOE^JOHN|SPO", PV1, OBX_NOTE,
        "AL1|1||^ASPIRIN", "DG1|1||786.50^CHEST PAIN^I9|||A", "IN1|1|PLAN1^PLAN|CO1"]),
    "ADT_A03": ("ADT_A03", lambda v: [msh("ADT^A03", v), "EVN|A03|20240318073000", PID, PV1,
                                      "DG1|1||786.50^CHEST PAIN^I9|||F"]),
    "ADT_A08": ("ADT_A01", lambda v: [msh("ADT^A08", v), "EVN|A08|20240318073000", PID, PV1,
                                      "OBX|1|NM|WT^WEIGHT^L|1|79|kg^kilogram^ISO+|||||F"]),
    "ADT_A40": ("ADT_A39", lambda v: [msh("ADT^A40", v), "EVN|A40|20240318073000", PID,
                                      "MRG|999^^^HOSP^MR"]),
    "ORU_R01": ("ORU_R01", lambda v: [msh("ORU^R01", v), PID, PV1, "ORC|RE|A1|B2", ORDER,
                                      *RESULTS]),
    "ORM_O01": ("ORM_O01", lambda v: [msh("ORM^O01", v), PID, PV1,
                                      "ORC|NW|A1|B2||||1^ONCE^^20240318080000",
                                      "OBR|1|A1|B2|GLU^GLUCOSE^L|||20240318073000",
                                      "DG1|1||786.50^CHEST PAIN^I9|||W", RESULTS[0]]),
    "ACK": ("ACK", _ack),
}
CASES = [(version, kind) for version in VERSIONS for kind in SAMPLES]


def sample(version: str, kind: str) -> er7.Message:
    return er7.parse("\r".join(SAMPLES[kind][1](version)) + "\r")


def xml(*segments: str) -> etree._Element:
    return etree.fromstring(v2xml.to_xml(er7.parse("\r".join(segments) + "\r")))


def tree(element: etree._Element) -> str:
    """An element's content in short form: ``name(child(text)...)``, namespace dropped."""
    name = element.tag.replace(NS, "") if isinstance(element.tag, str) else "?"
    inner = (element.text or "") + "".join(tree(c) + (c.tail or "") for c in element)
    return f"{name}({inner})"


def field(document: etree._Element, name: str, index: int = 0) -> str:
    return tree(document.findall(f".//{NS}{name}")[index])


def round_trip(message: er7.Message) -> None:
    assert v2xml.from_xml(v2xml.to_xml(message)).to_er7() == message.to_er7()


@pytest.mark.parametrize(("version", "kind"), CASES)
def test_samples_use_only_v2xml_names_and_round_trip(version: str, kind: str) -> None:
    message = sample(version, kind)
    document = etree.fromstring(v2xml.to_xml(message))
    assert etree.QName(document).localname == SAMPLES[kind][0]
    names = {etree.QName(e).localname for e in document.iter() if isinstance(e.tag, str)}
    assert not {n for n in names if NOT_V2XML.search(n)}
    round_trip(message)


@pytest.mark.parametrize("version", VERSIONS)
def test_tq_quantity_is_a_cq(version: str) -> None:
    document = xml(msh("ORM^O01", version), "ORC|NW|A1|||||1&ML^ONCE")
    assert field(document, "ORC.7") == "ORC.7(TQ.1(CQ.1(1)CQ.2(CE.1(ML)))TQ.2(RI.1(ONCE)))"
    round_trip(er7.parse(msh("ORM^O01", version) + "\rORC|NW|A1|||||1&ML^ONCE\r"))


@pytest.mark.parametrize("version", ("2.4", "2.5"))
def test_a_date_range_component_is_a_dr_of_timestamps(version: str) -> None:
    pv1 = "PV1|1|I|||||1234^SMITH" + "^" * 15 + "20240101&20241231"
    document = xml(msh("ADT^A01", version), pv1)
    assert field(document, "XCN.17") == "XCN.17(DR.1(TS.1(20240101))DR.2(TS.1(20241231)))"
    round_trip(er7.parse(f"{msh('ADT^A01', version)}\r{pv1}\r"))


def test_obx_5_is_named_by_obx_2() -> None:
    document = xml(msh("ORU^R01", "2.5"), "OBX|1|CE|ABO^BLOOD GROUP^L|1|A^A POS^L",
                   "OBX|2|NM|GLU^GLUCOSE^L|1|5.5", "OBX|3|TX|N^NOTE^L|1|FIRST~SECOND",
                   "OBX|4|ZZ|Z^Z^L|1|A^B", "OBX|5||Z^Z^L|1|A^B", "OBX|6|CWE|C^C^L|1|X&Y^Z")
    assert field(document, "OBX.5", 0) == "OBX.5(CE.1(A)CE.2(A POS)CE.3(L))"
    assert field(document, "OBX.5", 1) == "OBX.5(5.5)"
    assert [field(document, "OBX.5", i) for i in (2, 3)] == ["OBX.5(FIRST)", "OBX.5(SECOND)"]
    # A datatype the version lacks, or none: positional names (also for a primitive's parts).
    assert field(document, "OBX.5", 4) == "OBX.5(OBX.5.1(A)OBX.5.2(B))"
    assert field(document, "OBX.5", 5) == "OBX.5(OBX.5.1(A)OBX.5.2(B))"
    assert field(document, "OBX.5", 6) == "OBX.5(CWE.1(CWE.1.1(X)CWE.1.2(Y))CWE.2(Z))"


def test_mfe_4_is_named_by_mfe_5() -> None:
    document = xml(msh("MFN^M02", "2.4"), "MFE|MAD|1||A^B^L|CE")
    assert field(document, "MFE.4") == "MFE.4(CE.1(A)CE.2(B)CE.3(L))"


def test_a_primitive_holds_its_text_and_extra_parts_are_positional() -> None:
    message = er7.parse(msh("ADT^A01", "2.5") + "\rPID|1||1||X||19800101|F^M\r")
    document = etree.fromstring(v2xml.to_xml(message))
    assert field(document, "PID.7") == "PID.7(TS.1(19800101))"
    assert field(document, "PID.8") == "PID.8(PID.8.1(F)PID.8.2(M))"
    round_trip(message)
    parts = er7.parse(msh("ORM^O01", "2.5") + "\rOBR|1|||X|||||10&ML^U\r")
    assert field(etree.fromstring(v2xml.to_xml(parts)), "OBR.9") == (
        "OBR.9(CQ.1(CQ.1.1(10)CQ.1.2(ML))CQ.2(CE.1(U)))")
    round_trip(parts)


@pytest.mark.parametrize(("version", "address"), [
    ("2.3.1", 'PID.11(XAD.1(""))'), ("2.5", 'PID.11(XAD.1(SAD.1("")))')])
def test_a_null_composite_is_its_first_leaf(version: str, address: str) -> None:
    message = er7.parse(f'{msh("ADT^A01", version)}\rPID|1||""||X||""||||""||""\r')
    document = etree.fromstring(v2xml.to_xml(message))
    assert field(document, "PID.3") == 'PID.3(CX.1(""))'
    assert field(document, "PID.7") == 'PID.7(TS.1(""))'
    assert field(document, "PID.11") == address
    assert field(document, "PID.13") == 'PID.13(XTN.1(""))'
    back = v2xml.from_xml(v2xml.to_xml(message))
    assert [back.raw(f"PID-{n}") for n in (3, 7, 11, 13)] == ['""'] * 4


def test_a_null_primitive_is_its_text() -> None:
    document = xml(msh("ADT^A01", "2.5"), 'PID|1||1||X|||""', 'OBX|1|ST|X^X^L|1|""')
    assert field(document, "PID.8") == 'PID.8("")'
    assert field(document, "OBX.5") == 'OBX.5("")'


def test_escapes_are_in_no_namespace_and_read_back() -> None:
    message = er7.parse(msh("ORU^R01", "2.5") + "\rNTE|1||A \\H\\B\\N\\ C \\.br\\ D\\X0D0A\\\r")
    document = etree.fromstring(v2xml.to_xml(message))
    escapes = [e for e in document.iter() if isinstance(e.tag, str) and "escape" in e.tag]
    assert [(e.tag, e.get("V")) for e in escapes] == [
        ("escape", "H"), ("escape", "N"), ("escape", ".br"), ("escape", "X0D0A")]
    assert escapes[0].getparent().tag == f"{NS}NTE.3"
    round_trip(message)


def test_escapes_in_the_v2xml_namespace_are_read_too() -> None:
    text = ('<ORU_R01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2>'
            "</MSH><NTE><NTE.3>A <escape V=\"H\"/>B<escape xmlns=\"\" V=\"N\"/></NTE.3>"
            "</NTE></ORU_R01>")
    assert v2xml.from_xml(text).raw("NTE-3") == "A \\H\\B\\N\\"


def test_first_leaves_below_subcomponents_are_read_and_more_is_refused() -> None:
    head = '<ORM_O01 xmlns="urn:hl7-org:v2xml"><MSH><MSH.1>|</MSH.1><MSH.2>^~\\&amp;</MSH.2></MSH>'
    leaf = "<ORC><ORC.7><TQ.1><CQ.1>1</CQ.1><CQ.2><CE.1>ML</CE.1></CQ.2></TQ.1></ORC.7></ORC>"
    assert v2xml.from_xml(head + leaf + "</ORM_O01>").raw("ORC-7") == "1&ML"
    two = "<ORC><ORC.7><TQ.1><CQ.2><CE.1>ML</CE.1><CE.2>x</CE.2></CQ.2></TQ.1></ORC.7></ORC>"
    with pytest.raises(ParseError, match="deeper than subcomponents"):
        v2xml.from_xml(head + two + "</ORM_O01>")
