"""Abbreviated records from ADT messages: a patient (A01/A04/A08) and a discharge (A03), as
plain values and as carebridge's Patient.xsd and Discharge.xsd documents.

The master patient index and the length-of-stay monitor need a handful of
values, not the message: reading them here keeps HL7 field paths out of those
services, which take the records straight from ``patient_record`` and
``discharge_record`` (the XML documents are written from the same records, for
people and other systems). Values are read decoded (escapes resolved, HL7's
``""`` null is empty). A required value that is missing or malformed raises
``HL7Error`` with table 0357 code 101 or 102 and its location, so the
acknowledgment names it.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from carebridge.hl7.definitions import EVENT_STRUCTURES, require_event
from carebridge.hl7.er7 import Message
from carebridge.hl7.exceptions import (
    DATA_TYPE_ERROR,
    REQUIRED_FIELD_MISSING,
    SEGMENT_SEQUENCE_ERROR,
    HL7Error,
    Location,
)

PATIENT_NAMESPACE = "urn:carebridge:patient:1"
DISCHARGE_NAMESPACE = "urn:carebridge:discharge:1"
# Events that register or update a patient: those of structure ADT_A01.
PATIENT_EVENTS = frozenset(e for e, s in EVENT_STRUCTURES.items() if s == "ADT_A01")
_TS = re.compile(r"^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})"
                 r"(?:\.(\d{1,4}))?)?)?)?)?)?([+-]\d{4})?$")
_TS_DEFAULTS = (0, 1, 1, 0, 0, 0)  # year (never missing), month, day, hour, minute, second
_DAY = Decimal(86400 * 10**6)  # microseconds


@functools.lru_cache(maxsize=512)  # a message's times are read twice (limits, records)
def parse_timestamp(text: str) -> tuple[datetime, int]:
    """An HL7 TS ``YYYY[MM[DD[HH[MM[SS[.S...]]]]]][+/-ZZZZ]`` and how many of its parts are given.

    Without an offset the time is local to the sender and stays naive; with
    one it is aware. Raises ValueError for anything else (or a date that does
    not exist). Parts: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second.
    """
    match = _TS.match(text)
    if match is None:
        raise ValueError("not an HL7 timestamp")
    parts = match.groups()
    given = 6 - parts[:6].count(None)
    year, month, day, hour, minute, second = (
        int(p) if p is not None else d for p, d in zip(parts[:6], _TS_DEFAULTS, strict=True))
    micro = int(parts[6].ljust(6, "0")) if parts[6] else 0
    tz = None
    if parts[7]:
        sign = -1 if parts[7][0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(parts[7][1:3]), minutes=int(parts[7][3:5])))
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz), given


@dataclass(frozen=True)
class Identifier:
    value: str
    authority: str  # "" when the sender gave none
    type: str | None = None


@dataclass(frozen=True)
class PatientRecord:
    identifiers: tuple[Identifier, ...]
    # family_name, given_name, middle_name, birth_date, sex, street, city, state,
    # postal_code, country, phone (the first): only those the message gives.
    fields: dict[str, str] = field(default_factory=dict)
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Diagnosis:
    code: str
    text: str = ""
    system: str = ""


@dataclass(frozen=True)
class DischargeRecord:
    identifiers: tuple[Identifier, ...]
    visit_number: str | None
    admit_time: str  # xs:dateTime
    discharge_time: str
    los_days: Decimal
    attending_id: str = ""
    attending_name: str = ""
    diagnoses: tuple[Diagnosis, ...] = ()
    name: tuple[str, str, str] = ("", "", "")  # family, given, middle

    @property
    def attending(self) -> str | None:
        return self.attending_name or self.attending_id or None

    @property
    def diagnosis(self) -> str | None:
        return self.diagnoses[0].code if self.diagnoses else None


def patient_record(message: Message) -> PatientRecord:
    """The patient of an A01/A04/A08 (any event of structure ADT_A01)."""
    require_event(message.message_type, message.event, PATIENT_EVENTS)
    _require_segment(message, "PID")
    identifiers = _identifiers(message)
    family, given, middle = _name(message)
    if not family:
        raise HL7Error("PID-5 has no family name", Location("PID", 1, 5), REQUIRED_FIELD_MISSING)
    birth = _birth_date(message)
    phones = tuple(_phones(message))
    values = {"family_name": family, "given_name": given, "middle_name": middle,
              "birth_date": birth.isoformat() if birth else "",
              "sex": _value(message, "PID-8"), **_address(message),
              "phone": phones[0] if phones else ""}
    return PatientRecord(identifiers, {k: v for k, v in values.items() if v}, phones)


def discharge_record(message: Message) -> DischargeRecord:
    """The stay an A03 closes: times, length of stay, attending, diagnoses."""
    require_event(message.message_type, message.event, frozenset({"A03"}))
    _require_segment(message, "PID")
    _require_segment(message, "PV1")
    identifiers = _identifiers(message)
    name = _name(message)
    visit = _value(message, "PV1-19.1")
    admit = _stay_time(message, 44)
    discharge = _stay_time(message, 45)
    stay = length_of_stay(admit, discharge)
    attending_name = " ".join(
        p for p in (_value(message, "PV1-7.3"), _value(message, "PV1-7.2.1")) if p)
    diagnoses = tuple(d for occurrence in range(1, len(message.occurrences("DG1")) + 1)
                      if (d := _diagnosis(message, occurrence)) is not None)
    return DischargeRecord(identifiers, visit or None, _xs_datetime(admit),
                           _xs_datetime(discharge), stay, _value(message, "PV1-7.1"),
                           attending_name, diagnoses, name)


def to_patient(message: Message) -> bytes:
    """The Patient.xsd document of an A01/A04/A08."""
    record = patient_record(message)
    root = etree.Element(f"{{{PATIENT_NAMESPACE}}}patient", nsmap={None: PATIENT_NAMESPACE})
    _write_identifiers(root, record.identifiers)
    f = record.fields
    _write_name(root, (f.get("family_name", ""), f.get("given_name", ""),
                       f.get("middle_name", "")))
    _add(root, "birthDate", f.get("birth_date", ""), _at("PID", 7))
    _add(root, "sex", f.get("sex", ""), _at("PID", 8))
    parts = [(element, f.get(name, "")) for element, name in _ADDRESS_ELEMENTS]
    if any(value for _, value in parts):
        address = etree.SubElement(root, f"{{{PATIENT_NAMESPACE}}}address")
        for element, value in parts:
            _add(address, element, value, _at("PID", 11))
    for number in record.phones:
        _add(root, "phone", number, _at("PID", 13))
    return _serialize(root)


def to_discharge(message: Message) -> bytes:
    """The Discharge.xsd document of an A03."""
    record = discharge_record(message)
    root = etree.Element(f"{{{DISCHARGE_NAMESPACE}}}discharge",
                         nsmap={None: DISCHARGE_NAMESPACE})
    _write_identifiers(root, record.identifiers)
    _write_name(root, record.name)
    _add(root, "visitNumber", record.visit_number or "", _at("PV1", 19))
    _add(root, "admitTime", record.admit_time, _at("PV1", 44))
    _add(root, "dischargeTime", record.discharge_time, _at("PV1", 45))
    _add(root, "lengthOfStayDays", str(record.los_days), _at("PV1", 45))
    if record.attending_id or record.attending_name:
        attending = etree.SubElement(root, f"{{{DISCHARGE_NAMESPACE}}}attending")
        _add(attending, "id", record.attending_id, _at("PV1", 7))
        _add(attending, "name", record.attending_name, _at("PV1", 7))
    for occurrence, found in enumerate(record.diagnoses, start=1):
        diagnosis = etree.SubElement(root, f"{{{DISCHARGE_NAMESPACE}}}diagnosis")
        for element, value in (("code", found.code), ("text", found.text),
                               ("system", found.system)):
            _add(diagnosis, element, value, _at("DG1", 3, occurrence))
    return _serialize(root)


def length_of_stay(admit: datetime, discharge: datetime) -> Decimal:
    """Days between the two, to 2 decimals; a naive time is taken in the other's offset."""
    if (admit.tzinfo is None) != (discharge.tzinfo is None):
        admit, discharge = admit.replace(tzinfo=None), discharge.replace(tzinfo=None)
    micros = (discharge - admit) // timedelta(microseconds=1)
    if micros < 0:
        raise HL7Error("discharge time (PV1-45) is before admit time (PV1-44)",
                       Location("PV1", 1, 45), DATA_TYPE_ERROR)
    return (Decimal(micros) / _DAY).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- reading -----------------------------------------------------------------------


def _value(message: Message, path: str) -> str:
    text = message.get(path).strip()
    return "" if text == '""' else text


def _repetitions(message: Message, segment_id: str, number: int) -> int:
    segment = message.segment(segment_id)
    raw = segment.raw(number) if segment is not None else ""
    return raw.count(message.delimiters[2]) + 1 if raw else 0


def _require_segment(message: Message, segment_id: str) -> None:
    if message.segment(segment_id) is None:
        raise HL7Error(f"the message has no {segment_id} segment", Location(segment_id, 1),
                       SEGMENT_SEQUENCE_ERROR)


def _birth_date(message: Message) -> date | None:
    """PID-7 as a date; None when absent or less precise than a day (xs:date needs one)."""
    text = _value(message, "PID-7.1")
    if not text:
        return None
    try:
        value, given = parse_timestamp(text)
    except ValueError:
        raise HL7Error("PID-7 is not an HL7 date", Location("PID", 1, 7),
                       DATA_TYPE_ERROR) from None
    return value.date() if given >= 3 else None


def _stay_time(message: Message, number: int) -> datetime:
    """PV1-44 (admit) or PV1-45 (discharge, first repetition), at least to the day."""
    text = _value(message, f"PV1-{number}.1")
    location = Location("PV1", 1, number)
    if not text:
        raise HL7Error(f"PV1-{number} is required", location, REQUIRED_FIELD_MISSING)
    try:
        value, given = parse_timestamp(text)
    except ValueError:
        raise HL7Error(f"PV1-{number} is not an HL7 timestamp", location,
                       DATA_TYPE_ERROR) from None
    if given < 3:
        raise HL7Error(f"PV1-{number} must give at least the day", location, DATA_TYPE_ERROR)
    return value


def _phones(message: Message) -> list[str]:
    """PID-13 numbers: XTN.1, else country, area and local number (XTN.5-7)."""
    out = []
    for rep in range(1, _repetitions(message, "PID", 13) + 1):
        path = f"PID-13[{rep}]"
        number = _value(message, f"{path}.1") or " ".join(
            p for p in (_value(message, f"{path}.{n}") for n in (5, 6, 7)) if p)
        if number:
            out.append(number)
    return out


# -- writing -----------------------------------------------------------------------


def _add(parent: etree._Element, name: str, value: str,
         where: Location) -> etree._Element | None:
    """A child element holding ``value`` (read from ``where``); nothing for an empty value."""
    if not value:
        return None
    namespace = etree.QName(parent).namespace
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    try:
        element.text = value
    except ValueError:  # a control character from a hex escape: not allowed in XML
        parent.remove(element)
        raise HL7Error(f"{where} holds a character XML cannot carry", where,
                       DATA_TYPE_ERROR) from None
    return element


def _identifiers(message: Message) -> tuple[Identifier, ...]:
    """Every PID-3 repetition with a CX.1 value; at least one is required."""
    found = []
    for rep in range(1, _repetitions(message, "PID", 3) + 1):
        path = f"PID-3[{rep}]"
        value = _value(message, f"{path}.1")
        if value:
            found.append(Identifier(
                value, _value(message, f"{path}.4.1") or _value(message, f"{path}.4.2"),
                _value(message, f"{path}.5") or None))
    if not found:
        raise HL7Error("PID-3 holds no patient identifier", Location("PID", 1, 3),
                       REQUIRED_FIELD_MISSING)
    return tuple(found)


def _name(message: Message) -> tuple[str, str, str]:
    """PID-5, first repetition: family (XPN.1, its surname), given, middle."""
    return (_value(message, "PID-5.1.1"), _value(message, "PID-5.2"),
            _value(message, "PID-5.3"))


_ADDRESS_PATHS = (("street", "PID-11.1.1"), ("city", "PID-11.3"), ("state", "PID-11.4"),
                  ("postal_code", "PID-11.5"), ("country", "PID-11.6"))
_ADDRESS_ELEMENTS = (("street", "street"), ("city", "city"), ("state", "state"),
                     ("postalCode", "postal_code"), ("country", "country"))


def _address(message: Message) -> dict[str, str]:
    return {name: _value(message, path) for name, path in _ADDRESS_PATHS}


def _diagnosis(message: Message, occurrence: int) -> Diagnosis | None:
    """DG1-3 code, text (DG1-4 when CE.2 is empty) and coding system; none without a code."""
    path = f"DG1[{occurrence}]-3"
    code = _value(message, f"{path}.1")
    if not code:
        return None
    return Diagnosis(code, _value(message, f"{path}.2") or _value(message, f"DG1[{occurrence}]-4"),
                     _value(message, f"{path}.3"))


def _write_identifiers(root: etree._Element, identifiers: tuple[Identifier, ...]) -> None:
    namespace = etree.QName(root).namespace
    holder = etree.SubElement(root, f"{{{namespace}}}identifiers")
    for found in identifiers:
        identifier = etree.SubElement(holder, f"{{{namespace}}}identifier")
        _add(identifier, "value", found.value, _at("PID", 3))
        _add(identifier, "assigningAuthority", found.authority, _at("PID", 3))
        _add(identifier, "type", found.type or "", _at("PID", 3))


def _write_name(root: etree._Element, name: tuple[str, str, str]) -> None:
    family, given, middle = name
    if not family:
        return
    element = etree.SubElement(root, f"{{{etree.QName(root).namespace}}}name")
    _add(element, "family", family, _at("PID", 5))
    _add(element, "given", given, _at("PID", 5))
    _add(element, "middle", middle, _at("PID", 5))


def _at(segment_id: str, number: int, occurrence: int = 1) -> Location:
    return Location(segment_id, occurrence, number)


def _xs_datetime(value: datetime) -> str:
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
