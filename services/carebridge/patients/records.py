"""The engine's Patient.xsd and Discharge.xsd documents, read into plain values.

The pipeline maps every admission to the Patient form and every discharge to the
Discharge form (``hl7.mapping``), and the index and the monitor consume those:
one abbreviated, validated shape instead of raw segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree

PATIENT_NS = "urn:carebridge:patient:1"
DISCHARGE_NS = "urn:carebridge:discharge:1"


@dataclass(frozen=True)
class Identifier:
    value: str
    authority: str  # "" when the sender gave none
    type: str | None = None


@dataclass(frozen=True)
class PatientRecord:
    identifiers: tuple[Identifier, ...]
    fields: dict[str, str] = field(default_factory=dict)  # family_name, birth_date, ...


@dataclass(frozen=True)
class DischargeRecord:
    identifiers: tuple[Identifier, ...]
    visit_number: str | None
    admit_time: str
    discharge_time: str
    los_days: Decimal
    attending: str | None
    diagnosis: str | None


_PATIENT_FIELDS = {
    ("name", "family"): "family_name", ("name", "given"): "given_name",
    ("name", "middle"): "middle_name", ("birthDate",): "birth_date", ("sex",): "sex",
    ("address", "street"): "street", ("address", "city"): "city",
    ("address", "state"): "state", ("address", "postalCode"): "postal_code",
    ("address", "country"): "country", ("phone",): "phone",
}


def read_patient(document: bytes | etree._Element) -> PatientRecord:
    root = document if isinstance(document, etree._Element) else etree.fromstring(document)
    ns = {"p": PATIENT_NS}
    values: dict[str, str] = {}
    for path, name in _PATIENT_FIELDS.items():
        text = root.findtext("/".join(f"p:{part}" for part in path), namespaces=ns)
        if text:
            values[name] = text
    return PatientRecord(_identifiers(root, PATIENT_NS), values)


def read_discharge(document: bytes | etree._Element) -> DischargeRecord:
    root = document if isinstance(document, etree._Element) else etree.fromstring(document)
    ns = {"d": DISCHARGE_NS}
    attending = root.find("d:attending", ns)
    diagnosis = root.find("d:diagnosis", ns)
    return DischargeRecord(
        identifiers=_identifiers(root, DISCHARGE_NS),
        visit_number=root.findtext("d:visitNumber", namespaces=ns),
        admit_time=root.findtext("d:admitTime", namespaces=ns) or "",
        discharge_time=root.findtext("d:dischargeTime", namespaces=ns) or "",
        los_days=Decimal(root.findtext("d:lengthOfStayDays", namespaces=ns) or "0"),
        attending=(attending.findtext("d:name", namespaces=ns)
                   or attending.findtext("d:id", namespaces=ns)) if attending is not None
        else None,
        diagnosis=diagnosis.findtext("d:code", namespaces=ns) if diagnosis is not None else None,
    )


def _identifiers(root: etree._Element, namespace: str) -> tuple[Identifier, ...]:
    ns = {"x": namespace}
    return tuple(
        Identifier(node.findtext("x:value", namespaces=ns) or "",
                   node.findtext("x:assigningAuthority", namespaces=ns) or "",
                   node.findtext("x:type", namespaces=ns))
        for node in root.iterfind("x:identifiers/x:identifier", ns)
    )
