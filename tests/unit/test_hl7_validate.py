"""v2.xml validation against carebridge's ADT XSDs: codes and locations of real messages.

Every document here is what the engine itself produces (``to_xml(parse(er7))``),
so the schemas are tested against the v2.xml that carebridge really validates.
"""

from __future__ import annotations

import threading
from importlib.resources import files
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from carebridge.hl7 import definitions, parse, to_xml, xsdgen
from carebridge.hl7.exceptions import Location, ParseError
from carebridge.hl7.validate import Issue, load_schema, validate

XSD_DIR = Path(__file__).resolve().parents[2] / "xsd"
ALL_SCHEMAS = ("ADT_A01", "ADT_A03", "ADT_A04", "hl7v2-any", "Patient", "Discharge")


def er7(*segments: str) -> str:
    return "\r".join(segments) + "\r"


def msh(event: str = "A01", version: str = "2.3.1", structure: str = "") -> str:
    msg = f"ADT^{event}" + (f"^{structure}" if structure else "")
    return f"MSH|^~\\&|ADT1|GOOD HEALTH|MPI|GHH|20240101120000||{msg}|MSG00001|P|{version}"


EVN = "EVN|A01|20240101120000"
PID = "PID|1||123456^^^GHH^MR~987^^^SSA^SS||EVERYWOMAN^EVE^E||19620320|F"
PV1 = "PV1|1|I|W^389^1"


def pv1(admit: str = "20240101120000", discharge: str = "20240105093000") -> str:
    return PV1 + "|" * 41 + f"{admit}|{discharge}"


def xml(*segments: str) -> bytes:
    return to_xml(parse(er7(*segments)))


def codes(issues: list[Issue]) -> list[tuple[str, Location]]:
    return [(i.code, i.location) for i in issues]


def both(document: bytes, schema: str) -> list[tuple[str, Location]]:
    """The issues, asserting that lxml alone and the detailed xmlschema pass agree."""
    fast = codes(validate(document, schema))
    assert codes(validate(document, schema, detailed=True)) == fast
    return fast


# -- the schemas themselves -------------------------------------------------------------


def test_checked_in_schemas_are_what_xsdgen_generates() -> None:
    generated = xsdgen.generate()
    for name, text in generated.items():
        assert (XSD_DIR / name).read_text(encoding="utf-8") == text, (
            f"xsd/{name} is stale: run python -m carebridge.hl7.xsdgen xsd/")


def test_xsdgen_main_writes_every_file(tmp_path: Path) -> None:
    assert xsdgen.main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(xsdgen.generate())


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_schema_compiles_in_libxml2_and_xmlschema(name: str) -> None:
    # libxml2 refuses a schema that breaks Unique Particle Attribution.
    assert isinstance(load_schema(name), etree.XMLSchema)
    xmlschema.XMLSchema10(str(XSD_DIR / f"{name}.xsd"))
    packaged = files("carebridge.contracts") / "xsd" / f"{name}.xsd"
    assert packaged.is_file()


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_every_file_starts_with_a_comment_header(name: str) -> None:
    text = (XSD_DIR / f"{name}.xsd").read_text(encoding="utf-8")
    assert text.splitlines()[1].startswith(f"<!-- {name}.xsd:")


def test_segment_types_enumerate_every_field_of_every_version() -> None:
    doc = etree.parse(str(XSD_DIR / "hl7v2-common.xsd"))
    declared = set(doc.xpath("//xs:element/@name",
                             namespaces={"xs": "http://www.w3.org/2001/XMLSchema"}))
    for segment in ("EVN", "PID", "PD1", "ROL", "NK1", "PV1", "SFT"):
        most = max(len(definitions.segment_fields(v, segment)) - 1 for v in xsdgen.VERSIONS)
        assert {f"{segment}.{n}" for n in range(1, most + 1)} <= declared
        assert f"{segment}.{most + 1}" not in declared


def test_load_schema_caches_per_thread() -> None:
    assert load_schema("ADT_A01") is load_schema("ADT_A01.xsd")
    other: list[etree.XMLSchema] = []
    thread = threading.Thread(target=lambda: other.append(load_schema("ADT_A01")))
    thread.start()
    thread.join()
    assert other[0] is not load_schema("ADT_A01")


@pytest.mark.parametrize("name", ["../pyproject", "sub/ADT_A01", ".hidden"])
def test_load_schema_refuses_paths(name: str) -> None:
    with pytest.raises(ValueError):
        load_schema(name)


def test_load_schema_unknown_name() -> None:
    with pytest.raises(FileNotFoundError):
        load_schema("ADT_A99")


# -- valid messages ---------------------------------------------------------------------


def test_valid_a01() -> None:
    assert both(xml(msh(), EVN, PID, PV1), "ADT_A01") == []


def _full_segment(segment: str, version: str) -> str:
    """Every field the version defines, filled (a single repetition)."""
    count = len(definitions.segment_fields(version, segment)) - 1
    return segment + "|" + "|".join("1" for _ in range(count))


@pytest.mark.parametrize("version", xsdgen.VERSIONS)
def test_every_field_of_every_version_is_accepted(version: str) -> None:
    segments = [msh(version=version)]
    if version == "2.5":
        segments.append(_full_segment("SFT", version))
    segments += [_full_segment(s, version) for s in ("EVN", "PID", "PD1")]
    if version in ("2.4", "2.5"):
        segments.append(_full_segment("ROL", version))
    segments += [_full_segment("NK1", version), _full_segment("PV1", version)]
    document = xml(*segments)
    assert both(document, "ADT_A01") == []
    assert both(document, "hl7v2-any") == []


def test_v25_with_sft_is_accepted() -> None:
    sft = "SFT|Acme^L^^^^ACME&1.2.3&ISO^XX^^^1|1.0|CareBridge|B42"
    document = xml(msh(version="2.5", structure="ADT_A01"), sft, EVN, PID, PV1)
    assert b"<SFT>" in document
    assert both(document, "ADT_A01") == []


def test_extra_z_segments_groups_and_fields_are_accepted() -> None:
    # PID-39 is a v2.5 field in a v2.3.1 message; ZPD/ZPV, groups and PV2 follow PV1.
    pid = PID + "|" * 31 + "TRIBE"
    document = xml(msh(), EVN, pid, "NK1|1|DOE^JOHN|SPO", PV1, "PV2|||^CHEST PAIN",
                   "ZPV|custom|1^2", "DG1|1||I21.9^MI^I10", "PR1|1||P1^Proc", "ROL|1|AD|AT",
                   "GT1|1", "IN1|1|PLAN1", "ZPD|last")
    assert b"<PID.39>" in document and b"<ADT_A01.PROCEDURE>" in document
    assert both(document, "ADT_A01") == []


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5"])
def test_valid_a03_in_each_version(version: str) -> None:
    document = xml(msh("A03", version), EVN, PID, pv1())
    assert both(document, "ADT_A03") == []


def test_a03_timestamps_with_fraction_and_offset() -> None:
    document = xml(msh("A03"), EVN, PID, pv1("202401011200", "20240105093000.1234-0500"))
    assert both(document, "ADT_A03") == []


def test_any_message_schema_accepts_other_structures() -> None:
    ack = xml("MSH|^~\\&|MPI|GHH|ADT1|GH|20240101||ACK^A01|ACK1|P|2.3.1", "MSA|AA|MSG00001")
    oru = xml("MSH|^~\\&|LAB|GHH|EMR|GHH|20240101||ORU^R01|L1|P|2.4", "PID|1||X",
              "OBR|1", "OBX|1|ST|GLU||5.5")
    assert both(ack, "hl7v2-any") == []
    assert both(oru, "hl7v2-any") == []


# -- invalid messages: codes and locations ----------------------------------------------


def test_missing_pid_3() -> None:
    document = xml(msh(), EVN, "PID|1||||EVERYWOMAN^EVE", PV1)
    assert both(document, "ADT_A01") == [("101", Location("PID", 1, 3))]
    [issue] = validate(document, "ADT_A01")
    assert issue.message == "required field PID.3 is missing"
    assert issue.path == "/ADT_A01/PID"


def test_missing_pid_3_at_end_of_segment() -> None:
    assert both(xml(msh(), EVN, "PID|1", PV1), "ADT_A01") == [("101", Location("PID", 1, 3))]


def test_pid_3_without_id_number() -> None:
    document = xml(msh(), EVN, "PID|1||^^^GHH^MR||EVERYWOMAN^EVE", PV1)
    assert both(document, "ADT_A01") == [("101", Location("PID", 1, 3))]
    assert "CX.1" in validate(document, "ADT_A01")[0].message


def test_missing_pid_5() -> None:
    document = xml(msh(), EVN, "PID|1||123^^^GHH||||19620320", PV1)
    assert both(document, "ADT_A01") == [("101", Location("PID", 1, 5))]


def test_missing_pv1() -> None:
    assert both(xml(msh(), EVN, PID), "ADT_A01") == [("100", Location("PV1", 1))]
    assert both(xml(msh(), EVN, PID, "ZPD|x"), "ADT_A01") == [("100", Location("PV1", 1))]


def test_z_segment_before_pv1_is_out_of_sequence() -> None:
    # Only what follows PV1 is open: a wildcard before it would break UPA.
    document = xml(msh(), EVN, PID, "ZPD|x", PV1)
    assert both(document, "ADT_A01") == [("100", Location("ZPD", 1))]


def test_second_pid_is_out_of_sequence_with_its_occurrence() -> None:
    document = xml(msh(), EVN, PID, PID, PV1)
    assert both(document, "ADT_A01") == [("100", Location("PID", 2))]


def test_missing_pv1_2() -> None:
    document = xml(msh(), EVN, PID, "PV1|1||W^389^1")
    assert both(document, "ADT_A01") == [("101", Location("PV1", 1, 2))]


@pytest.mark.parametrize(("field", "header"), [
    (10, "MSH|^~\\&|ADT1|GOOD HEALTH|MPI|GHH|20240101120000||ADT^A01||P|2.3.1"),
    (12, "MSH|^~\\&|ADT1|GOOD HEALTH|MPI|GHH|20240101120000||ADT^A01|MSG00001|P"),
])
def test_missing_msh_fields(field: int, header: str) -> None:
    document = xml(header, EVN, PID, PV1)
    assert both(document, "ADT_A01") == [("101", Location("MSH", 1, field))]
    assert both(document, "hl7v2-any") == [("101", Location("MSH", 1, field))]


def test_undefined_field_is_a_data_type_error() -> None:
    pid = PID + "|" * 32 + "X"  # PID-40: no version up to 2.5 defines it
    assert both(xml(msh(), EVN, pid, PV1), "ADT_A01") == [("102", Location("PID", 1, 40))]


def test_repeated_non_repeating_field() -> None:
    [issue] = validate(xml(msh(), EVN, "PID|1~2||123||DOE", PV1), "ADT_A01")
    assert (issue.code, issue.location) == ("102", Location("PID", 1, 1))
    assert issue.message == "PID.1 does not repeat"


def test_bad_pv1_45() -> None:
    document = xml(msh("A03"), EVN, PID, pv1(discharge="2024x13O'BRIEN"))
    assert both(document, "ADT_A03") == [("102", Location("PV1", 1, 45))]
    for detailed in (False, True):
        [issue] = validate(document, "ADT_A03", detailed=detailed)
        assert issue.path == "/ADT_A03/PV1/PV1.45/TS.1"
        assert "BRIEN" not in issue.message and "2024x" not in issue.message
        assert issue.message.startswith("PV1.45/TS.1: ")


@pytest.mark.parametrize("value", ["20241301", "20240132", "20240101246000", "2024010112-05",
                                   "20240101120000.12345", "2024-01-01"])
def test_impossible_timestamps(value: str) -> None:
    document = xml(msh("A03"), EVN, PID, pv1(admit=value))
    assert both(document, "ADT_A03") == [("102", Location("PV1", 1, 44))]


def test_missing_pv1_44_beyond_libxml2s_expected_list() -> None:
    # libxml2 lists ten expected names (PV1.20..PV1.29): PV1.44 is found from the schema.
    document = xml(msh("A03"), EVN, PID, pv1(admit=""))
    assert both(document, "ADT_A03") == [("101", Location("PV1", 1, 44))]


def test_missing_pv1_45() -> None:
    document = xml(msh("A03"), EVN, PID, pv1(discharge=""))
    assert both(document, "ADT_A03") == [("101", Location("PV1", 1, 45))]


def test_a04_schema_rejects_a01_event() -> None:
    document = xml(msh("A01"), EVN, PID, PV1)
    assert both(document, "ADT_A04") == [("103", Location("MSH", 1, 9))]
    assert both(xml(msh("A04"), EVN, PID, PV1), "ADT_A04") == []


def test_a01_schema_accepts_only_adt_a01_events() -> None:
    for event in xsdgen.ADT_A01_EVENTS:
        assert both(xml(msh(event), EVN, PID, PV1), "ADT_A01") == []
    document = xml(msh("A02", structure="ADT_A01"), EVN, PID, PV1)
    assert both(document, "ADT_A01") == [("103", Location("MSH", 1, 9))]


def test_v23_message_type_components() -> None:
    # v2.3 writes MSH-9 as CM_MSG.1/CM_MSG.2 and MSH-12 as text.
    document = xml(msh("A04", "2.3"), EVN, PID, PV1)
    assert b"<CM_MSG.2>A04</CM_MSG.2>" in document
    assert both(document, "ADT_A04") == []
    assert both(xml(msh("A01", "2.3"), EVN, PID, PV1), "ADT_A04") == [
        ("103", Location("MSH", 1, 9))]


def test_wrong_root_structure() -> None:
    document = xml(msh("A03"), EVN, PID, pv1())
    assert both(document, "ADT_A01") == [("200", Location("MSH", 1, 9))]
    unknown = b'<ZZZ_Z99 xmlns="urn:hl7-org:v2xml"><MSH/></ZZZ_Z99>'
    assert codes(validate(unknown, "hl7v2-any")) == [("200", Location("MSH", 1, 9))]


def test_detailed_reports_what_libxml2_skips() -> None:
    # libxml2 stops checking the root's children at the misplaced PID; xmlschema goes on.
    document = xml(msh("A03"), EVN, PID, PID, "PV1|1||W" + "|" * 41 + "20240101|bad")
    assert codes(validate(document, "ADT_A03")) == [("100", Location("PID", 2))]
    assert codes(validate(document, "ADT_A03", detailed=True)) == [
        ("100", Location("PID", 2)),
        ("101", Location("PV1", 1, 2)),
        ("102", Location("PV1", 1, 45)),
    ]


def test_enumeration_message_names_the_allowed_values_not_the_sent_one() -> None:
    document = xml(msh("A08"), EVN, PID, PV1)
    [issue] = validate(document, "ADT_A04")
    assert "A04" in issue.message and "A08" not in issue.message


# -- inputs -----------------------------------------------------------------------------


def test_accepts_elements_and_schema_objects() -> None:
    document = xml(msh(), EVN, "PID|1", PV1)
    root = etree.fromstring(document)
    assert codes(validate(root, load_schema("ADT_A01"))) == [("101", Location("PID", 1, 3))]
    wrapper = etree.Element("wrapper")
    wrapper.append(root)
    assert codes(validate(root, "ADT_A01")) == [("101", Location("PID", 1, 3))]


def test_schema_object_of_unknown_origin() -> None:
    foreign = etree.XMLSchema(etree.parse(str(XSD_DIR / "ADT_A01.xsd")))
    assert codes(validate(xml(msh(), EVN, "PID|1", PV1), foreign)) == [
        ("101", Location("PID", 1, 3))]
    assert codes(validate(xml(msh(), EVN, PID), foreign)) == [("100", Location("PV1", 1))]


def test_doctype_is_refused() -> None:
    evil = (b'<?xml version="1.0"?><!DOCTYPE ADT_A01 [<!ENTITY x "y">]>'
            b'<ADT_A01 xmlns="urn:hl7-org:v2xml">&x;</ADT_A01>')
    with pytest.raises(ParseError):
        validate(evil, "ADT_A01")


@pytest.mark.parametrize("detailed", [False, True])
def test_messages_never_quote_the_data(detailed: bool) -> None:
    record = (b'<discharge xmlns="urn:carebridge:discharge:1"><identifiers/>'
              b"<admitTime>O'BRIEN 1962</admitTime><dischargeTime>SECRET</dischargeTime>"
              b"<lengthOfStayDays>-1.5</lengthOfStayDays></discharge>")
    issues = validate(record, "Discharge", detailed=detailed)
    assert [i.code for i in issues] == ["101", "102", "102", "102"]
    assert issues[0].message == "required element identifier is missing"
    for issue in issues:
        assert "BRIEN" not in issue.message and "SECRET" not in issue.message
        assert "-1.5" not in issue.message


def test_schema_for_routes_by_structure_and_event() -> None:
    from carebridge.hl7 import er7
    from carebridge.hl7.validate import schema_for

    def message(msh9: str) -> er7.Message:
        return er7.parse(f"MSH|^~\\&|A|B|||20240101||{msh9}|1|P|2.3.1\r")

    assert schema_for(message("ADT^A01^ADT_A01")) == "ADT_A01"
    assert schema_for(message("ADT^A08")) == "ADT_A01"
    assert schema_for(message("ADT^A04^ADT_A01")) == "ADT_A04"
    assert schema_for(message("ADT^A03")) == "ADT_A03"
    assert schema_for(message("ADT^A02^ADT_A02")) == "hl7v2-any"
    assert schema_for(message("ORU^R01")) == "hl7v2-any"
