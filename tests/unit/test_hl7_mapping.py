"""ADT messages to carebridge's Patient.xsd and Discharge.xsd records."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree

from carebridge.hl7 import from_xml, parse, to_xml
from carebridge.hl7.exceptions import HL7Error, Location, UnsupportedMessage
from carebridge.hl7.mapping import (
    DISCHARGE_NAMESPACE,
    PATIENT_NAMESPACE,
    length_of_stay,
    parse_timestamp,
    to_discharge,
    to_patient,
)
from carebridge.hl7.validate import validate

P = {"p": PATIENT_NAMESPACE}
D = {"d": DISCHARGE_NAMESPACE}


def er7(*segments: str) -> str:
    return "\r".join(segments) + "\r"


def msh(event: str = "A01", version: str = "2.5", extra: str = "") -> str:
    return f"MSH|^~\\&|ADT1|GHH|MPI|GHH|20240101120000||ADT^{event}|MSG1|P|{version}{extra}"


EVN = "EVN|A01|20240101120000"
PID = ("PID|1||123456^^^GHH^MR~987^^^&2.16.840.1&ISO^SS~~^^^X^PI||EVERYWOMAN^EVE^E^^^^L~ALIAS^A"
       "||19620320|F|||153 FERNWOOD DR.^^STATESVILLE^OH^35292^USA~OTHER ST^^X"
       "||(206)3345232~^PRN^PH^^1^206^5551234~^NET^Internet^eve@example.org")


def pv1(admit: str = "20240101120000", discharge: str = "20240105093000") -> str:
    return ("PV1|1|I|W^389^1||||12345^MORGAN^REX^J^^^MD|||MED|||||||||V100^^^GHH^VN"
            + "|" * 25 + f"{admit}|{discharge}")


def patient(*segments: str) -> etree._Element:
    document = to_patient(parse(er7(*segments)))
    assert validate(document, "Patient") == []
    return etree.fromstring(document)


def discharge(*segments: str) -> etree._Element:
    document = to_discharge(parse(er7(*segments)))
    assert validate(document, "Discharge") == []
    return etree.fromstring(document)


def texts(root: etree._Element, path: str, ns: dict[str, str]) -> list[str]:
    return [e.text for e in root.xpath(path, namespaces=ns)]


# -- Patient ----------------------------------------------------------------------------


def test_patient_values() -> None:
    root = patient(msh(), EVN, PID, pv1())
    assert texts(root, "p:identifiers/p:identifier/p:value", P) == ["123456", "987"]
    assert texts(root, "p:identifiers/p:identifier/p:assigningAuthority", P) == [
        "GHH", "2.16.840.1"]  # HD.1 when given, else the universal id HD.2
    assert texts(root, "p:identifiers/p:identifier/p:type", P) == ["MR", "SS"]
    assert texts(root, "p:name/*", P) == ["EVERYWOMAN", "EVE", "E"]
    assert texts(root, "p:birthDate", P) == ["1962-03-20"]
    assert texts(root, "p:sex", P) == ["F"]
    assert texts(root, "p:address/*", P) == [
        "153 FERNWOOD DR.", "STATESVILLE", "OH", "35292", "USA"]
    assert [etree.QName(e).localname for e in root.find("p:address", P)] == [
        "street", "city", "state", "postalCode", "country"]
    assert texts(root, "p:phone", P) == ["(206)3345232", "1 206 5551234"]


@pytest.mark.parametrize("event", ["A01", "A04", "A08"])
def test_patient_from_registration_events(event: str) -> None:
    root = patient(msh(event), EVN, "PID|1||42||DOE^JOHN", "PV1|1|O")
    assert texts(root, "p:identifiers/p:identifier/p:value", P) == ["42"]
    assert texts(root, "p:name/*", P) == ["DOE", "JOHN"]
    assert root.find("p:birthDate", P) is None and root.find("p:address", P) is None


def test_patient_from_v2xml_is_the_same() -> None:
    message = parse(er7(msh(), EVN, PID, pv1()))
    assert to_patient(from_xml(to_xml(message))) == to_patient(message)


def test_escapes_are_decoded() -> None:
    pid = "PID|1||A\\T\\1^^^G\\S\\H||O\\F\\BRIEN^ANNE\\R\\MARIE^\\E\\X||||||1 MAIN\\X41\\ ST"
    root = patient(msh(), EVN, pid, "PV1|1|I")
    assert texts(root, "p:identifiers/p:identifier/p:value", P) == ["A&1"]
    assert texts(root, "p:identifiers/p:identifier/p:assigningAuthority", P) == ["G^H"]
    assert texts(root, "p:name/*", P) == ["O|BRIEN", "ANNE~MARIE", "\\X"]
    assert texts(root, "p:address/p:street", P) == ["1 MAINA ST"]


def test_non_ascii_names_survive() -> None:
    pid = "PID|1||1||ÅSTRÖM^ZOË^Ł||19620320"
    root = patient(msh(), EVN, pid, "PV1|1|I")
    assert texts(root, "p:name/*", P) == ["ÅSTRÖM", "ZOË", "Ł"]
    latin1 = er7(msh(extra="||||||8859/1"), EVN, "PID|1||1||MÜLLER^JÖRG", "PV1|1|I")
    document = to_patient(parse(latin1.encode("latin-1")))
    assert "MÜLLER" in document.decode("utf-8")


def test_hl7_null_is_empty() -> None:
    root = patient(msh(), EVN, 'PID|1||1^^^""||DOE^""|||""', "PV1|1|I")
    assert texts(root, "p:name/*", P) == ["DOE"]
    assert root.find("p:sex", P) is None
    assert root.find("p:identifiers/p:identifier/p:assigningAuthority", P) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("19620320", ["1962-03-20"]), ("196203201230-0500", ["1962-03-20"]),
    ("1962", []), ("196203", []),
])
def test_birth_date_precision(value: str, expected: list[str]) -> None:
    root = patient(msh(), EVN, f"PID|1||1||DOE||{value}", "PV1|1|I")
    assert texts(root, "p:birthDate", P) == expected


@pytest.mark.parametrize(("pid", "code", "location"), [
    ("PID|1||||DOE", "101", Location("PID", 1, 3)),
    ("PID|1||^^^GHH~^^^X||DOE", "101", Location("PID", 1, 3)),
    ("PID|1||1||^JOHN", "101", Location("PID", 1, 5)),
    ("PID|1||1||DOE||19621320", "102", Location("PID", 1, 7)),
    ("PID|1||1||DOE||March 1962", "102", Location("PID", 1, 7)),
    ("PID|1||1||DOE\\X01\\", "102", Location("PID", 1, 5)),
])
def test_patient_errors(pid: str, code: str, location: Location) -> None:
    with pytest.raises(HL7Error) as caught:
        to_patient(parse(er7(msh(), EVN, pid, "PV1|1|I")))
    assert (caught.value.code, caught.value.location) == (code, location)


def test_patient_needs_pid() -> None:
    with pytest.raises(HL7Error) as caught:
        to_patient(parse(er7(msh(), EVN, "PV1|1|I")))
    assert (caught.value.code, caught.value.location) == ("100", Location("PID", 1))


@pytest.mark.parametrize(("header", "code"), [
    (msh("A03"), "201"),
    ("MSH|^~\\&|LAB|GHH|EMR|GHH|20240101||ORU^R01|L1|P|2.4", "200"),
])
def test_patient_refuses_other_messages(header: str, code: str) -> None:
    with pytest.raises(UnsupportedMessage) as caught:
        to_patient(parse(er7(header, EVN, PID, pv1())))
    assert (caught.value.code, caught.value.location) == (code, Location("MSH", 1, 9))


# -- Discharge --------------------------------------------------------------------------


DG1S = ("DG1|1||I21.9^Acute MI^I10", "DG1|2||401.9^^I9|Hypertension", "DG1|3||^^I9|No code")


def test_discharge_values() -> None:
    root = discharge(msh("A03"), EVN, PID, pv1(), *DG1S)
    assert texts(root, "d:identifiers/d:identifier/d:value", D) == ["123456", "987"]
    assert texts(root, "d:name/*", D) == ["EVERYWOMAN", "EVE", "E"]
    assert texts(root, "d:visitNumber", D) == ["V100"]
    assert texts(root, "d:admitTime", D) == ["2024-01-01T12:00:00"]
    assert texts(root, "d:dischargeTime", D) == ["2024-01-05T09:30:00"]
    assert texts(root, "d:lengthOfStayDays", D) == ["3.90"]  # 3 days 21.5 hours
    assert texts(root, "d:attending/*", D) == ["12345", "REX MORGAN"]
    assert [texts(d, "*", D) for d in root.findall("d:diagnosis", D)] == [
        ["I21.9", "Acute MI", "I10"], ["401.9", "Hypertension", "I9"]]


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5"])
def test_discharge_in_each_version(version: str) -> None:
    root = discharge(msh("A03", version), EVN, PID, pv1("20240101", "20240111"))
    assert texts(root, "d:admitTime", D) == ["2024-01-01T00:00:00"]
    assert texts(root, "d:lengthOfStayDays", D) == ["10.00"]


def test_discharge_offsets_are_kept_and_counted() -> None:
    root = discharge(msh("A03"), EVN, PID, pv1("20240101220000+0100", "202401020100-0500"))
    assert texts(root, "d:admitTime", D) == ["2024-01-01T22:00:00+01:00"]
    assert texts(root, "d:dischargeTime", D) == ["2024-01-02T01:00:00-05:00"]
    assert texts(root, "d:lengthOfStayDays", D) == ["0.38"]  # 9 hours


def test_discharge_fraction_of_a_second() -> None:
    root = discharge(msh("A03"), EVN, PID, pv1("20240101120000.5", "20240101180000.1234"))
    assert texts(root, "d:admitTime", D) == ["2024-01-01T12:00:00.500000"]
    assert texts(root, "d:dischargeTime", D) == ["2024-01-01T18:00:00.123400"]
    assert texts(root, "d:lengthOfStayDays", D) == ["0.25"]


def test_discharge_takes_first_pv1_45_repetition() -> None:
    root = discharge(msh("A03"), EVN, PID, pv1(discharge="20240103~20240109"))
    assert texts(root, "d:lengthOfStayDays", D) == ["1.50"]


def test_discharge_minimal() -> None:
    pv = "PV1|1|I" + "|" * 42 + "20240101|20240101"
    root = discharge(msh("A03"), EVN, "PID|1||42", pv)
    assert [etree.QName(e).localname for e in root] == [
        "identifiers", "admitTime", "dischargeTime", "lengthOfStayDays"]
    assert texts(root, "d:lengthOfStayDays", D) == ["0.00"]


@pytest.mark.parametrize(("admit", "leave", "code", "field"), [
    ("", "20240105", "101", 44),
    ("20240101", "", "101", 45),
    ("20240101", "2024x13O'BRIEN", "102", 45),
    ("202401", "20240105", "102", 44),
    ("20240105", "20240101", "102", 45),
    ("20240101", "20240230", "102", 45),
])
def test_discharge_errors(admit: str, leave: str, code: str, field: int) -> None:
    with pytest.raises(HL7Error) as caught:
        to_discharge(parse(er7(msh("A03"), EVN, PID, pv1(admit, leave))))
    assert (caught.value.code, caught.value.location) == (code, Location("PV1", 1, field))
    assert "BRIEN" not in str(caught.value)


def test_discharge_needs_pv1_and_a03() -> None:
    with pytest.raises(HL7Error) as caught:
        to_discharge(parse(er7(msh("A03"), EVN, PID)))
    assert (caught.value.code, caught.value.location) == ("100", Location("PV1", 1))
    with pytest.raises(UnsupportedMessage) as refused:
        to_discharge(parse(er7(msh("A01"), EVN, PID, pv1())))
    assert refused.value.code == "201"


# -- timestamps -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value", "given"), [
    ("2024", datetime(2024, 1, 1), 1),
    ("20240229", datetime(2024, 2, 29), 3),
    ("202402291330", datetime(2024, 2, 29, 13, 30), 5),
    ("20240229133005.12", datetime(2024, 2, 29, 13, 30, 5, 120000), 6),
    ("20240229133005-0330", datetime(2024, 2, 29, 13, 30, 5,
                                     tzinfo=timezone(-timedelta(hours=3, minutes=30))), 6),
])
def test_parse_timestamp(text: str, value: datetime, given: int) -> None:
    assert parse_timestamp(text) == (value, given)


@pytest.mark.parametrize("text", ["", "24", "2024-02-29", "20230229", "2024022913300", "x"])
def test_parse_timestamp_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_length_of_stay_rounds_half_up() -> None:
    admit = datetime(2024, 1, 1)
    assert length_of_stay(admit, admit + timedelta(seconds=432)) == Decimal("0.01")  # 0.005
    assert length_of_stay(admit, admit + timedelta(seconds=431)) == Decimal("0.00")
