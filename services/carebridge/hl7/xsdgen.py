"""Generate carebridge's v2.xml XSDs from hl7apy's definitions.

Run ``python -m carebridge.hl7.xsdgen xsd/`` after changing the rules here.

The schemas are generated, not hand-written, because a segment type must list
every field of every supported version (2.3 to 2.5) in order: a 2.3.1 message
carrying a 2.5 field still validates. The output is checked in under ``xsd/``
and a test compares it with this module's, so the two cannot drift.

libxml2 enforces XSD 1.0's Unique Particle Attribution: a wildcard may not
follow an optional element it could also match. So wildcards only ever follow a
*required* single element (``PV1`` in an ADT root, ``MSH`` in "any message"),
and segment and component types end at their last declared element instead of
with a wildcard; a field beyond the last one any version defines is an error.
Segment and component elements are declared locally (never globally), so a lax
wildcard never validates a second PID inside some group against carebridge's
rules for the first.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from carebridge.hl7 import definitions

NAMESPACE = "urn:hl7-org:v2xml"
VERSIONS = ("2.3", "2.3.1", "2.4", "2.5")
COMMON = "hl7v2-common.xsd"
# Segments the ADT roots declare, in order; everything after PV1 is open.
ADT_SEGMENTS = ("MSH", "SFT", "EVN", "PID", "PD1", "ROL", "NK1", "PV1")
ADT_A01_EVENTS = tuple(sorted(e for e, s in definitions.EVENT_STRUCTURES.items()
                              if s == "ADT_A01"))
OPEN = "OPEN.CONTENT"
UNBOUNDED = -1
# HL7 TS: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ], with calendar ranges.
TS_PATTERN = (r"\d{4}((0[1-9]|1[0-2])((0[1-9]|[12]\d|3[01])(([01]\d|2[0-3])"
              r"([0-5]\d([0-5]\d(\.\d{1,4})?)?)?)?)?)?([+\-](0\d|1[0-4])[0-5]\d)?")


@dataclass(frozen=True)
class Rule:
    """What carebridge requires of one field: its content type and cardinality."""

    type: str = OPEN
    min: int = 0
    max: int | None = None  # None: as hl7apy says (max over the versions)


# Constraints shared by every ADT schema; MSH.9 and PV1.44/45 vary per schema.
COMMON_RULES: dict[str, dict[int, Rule]] = {
    "MSH": {1: Rule("MSH.1.CONTENT", 1), 2: Rule("MSH.2.CONTENT", 1), 10: Rule(min=1),
            12: Rule(min=1)},
    "PID": {3: Rule("CX.CONTENT", 1, UNBOUNDED), 5: Rule(min=1, max=UNBOUNDED)},
    "PV1": {2: Rule(min=1)},
}
# Fields a schema may type differently: segment types are built around them.
CUTS = {"MSH": (9,), "PV1": (44, 45)}


# -- definitions -------------------------------------------------------------------


def field_cardinality(segment_id: str) -> list[int]:
    """Max repetitions of each field (index 0 unused) over VERSIONS; -1 is unbounded."""
    out: list[int] = [0]
    for version in VERSIONS:
        module = importlib.import_module(definitions.module_name(version) + ".segments")
        spec = module.SEGMENTS.get(segment_id)
        if spec is None:
            continue
        for number, (_name, _spec, (_low, high), _kind) in enumerate(spec[1], 1):
            if number >= len(out):
                out.append(high)
            elif UNBOUNDED in (out[number], high):
                out[number] = UNBOUNDED
            else:
                out[number] = max(out[number], high)
    return out


def component_count(segment_id: str, number: int) -> int:
    """Most components SEG-n has in any of VERSIONS."""
    counts = [0]
    for version in VERSIONS:
        fields = definitions.segment_fields(version, segment_id)
        field = fields[number] if number < len(fields) else None
        if field is not None:
            counts.append(len(field.components))
    return max(counts)


def structures() -> list[str]:
    """Every message structure hl7apy knows in VERSIONS, plus ACK."""
    names = {"ACK"}
    for version in VERSIONS:
        names |= set(importlib.import_module(definitions.module_name(version) + ".messages")
                     .MESSAGES)
    return sorted(names)


# -- XSD text ----------------------------------------------------------------------


def _occurs(low: int, high: int) -> str:
    text = "" if low == 1 else f' minOccurs="{low}"'
    if high == UNBOUNDED:
        text += ' maxOccurs="unbounded"'
    elif high != 1:
        text += f' maxOccurs="{high}"'
    return text


def _element(name: str, type_name: str, low: int = 1, high: int = 1, indent: int = 6) -> str:
    return f'{" " * indent}<xs:element name="{name}" type="{type_name}"{_occurs(low, high)}/>'


def _field(segment_id: str, number: int, rule: Rule, card: list[int]) -> str:
    high = rule.max if rule.max is not None else (card[number] if number < len(card) else 1)
    return _element(f"{segment_id}.{number}", rule.type, rule.min, high)


def _header(*lines: str) -> str:
    what = "\n     ".join(lines)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<!-- {what}\n"
            f"     Generated by carebridge.hl7.xsdgen from hl7apy's v2.3-2.5 definitions:\n"
            f"     do not edit; run `python -m carebridge.hl7.xsdgen xsd/` instead. -->\n"
            f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"\n'
            f'           xmlns="{NAMESPACE}" targetNamespace="{NAMESPACE}"\n'
            f'           elementFormDefault="qualified">')


def _sequence_type(name: str, lines: Iterable[str], doc: str = "") -> list[str]:
    out = [f'  <xs:complexType name="{name}">']
    if doc:
        out.append(f"    <xs:annotation><xs:documentation>{doc}</xs:documentation></xs:annotation>")
    return [*out, "    <xs:sequence>", *lines, "    </xs:sequence>", "  </xs:complexType>"]


def _runs(count: int, cuts: tuple[int, ...]) -> list[tuple[int, int]]:
    """Field ranges between the cut fields: (1, 8), (10, 21) for MSH cut at 9."""
    runs, start = [], 1
    for cut in (*cuts, count + 1):
        if start < cut:
            runs.append((start, cut - 1))
        start = cut + 1
    return runs


def _group_name(segment_id: str, run: tuple[int, int]) -> str:
    return f"{segment_id}.FIELDS.{run[0]}-{run[1]}"


def segment_body(segment_id: str, cut_rules: dict[int, Rule]) -> list[str]:
    """A segment's field sequence, group refs around the cut fields if it has any."""
    card = field_cardinality(segment_id)
    count = len(card) - 1
    rules = COMMON_RULES.get(segment_id, {})
    cuts = CUTS.get(segment_id, ())
    if not cuts:
        return [_field(segment_id, n, rules.get(n, Rule()), card) for n in range(1, count + 1)]
    runs = {run[0]: run for run in _runs(count, cuts)}
    lines = []
    number = 1
    while number <= count:
        if number in cuts:
            lines.append(_field(segment_id, number, cut_rules.get(number, Rule()), card))
            number += 1
        else:
            lines.append(f'      <xs:group ref="{_group_name(segment_id, runs[number])}"/>')
            number = runs[number][1] + 1
    return lines


def _segment_groups(segment_id: str) -> list[str]:
    card = field_cardinality(segment_id)
    rules = COMMON_RULES.get(segment_id, {})
    out = []
    for run in _runs(len(card) - 1, CUTS[segment_id]):
        out += [f'  <xs:group name="{_group_name(segment_id, run)}">', "    <xs:sequence>"]
        out += [_field(segment_id, n, rules.get(n, Rule()), card)
                for n in range(run[0], run[1] + 1)]
        out += ["    </xs:sequence>", "  </xs:group>"]
    return out


def _msg_type(name: str, message_type: str, events: tuple[str, ...]) -> list[str]:
    """MSH.9 content: MSG.1 and MSG.2 required and enumerated (``CM_MSG`` names are v2.3's)."""
    out = []
    for part, values in (("1", (message_type,)), ("2", events)):
        out += [f'  <xs:simpleType name="{name}.{part}">',
                '    <xs:restriction base="xs:string">',
                *(f'      <xs:enumeration value="{v}"/>' for v in values),
                "    </xs:restriction>", "  </xs:simpleType>"]
    branches = []
    for prefix, third in (("MSG.", "MSG.3"), ("CM_MSG.", "CM_MSG.3")):
        branches += ["      <xs:sequence>",
                     _element(f"{prefix}1", f"{name}.1", indent=8),
                     _element(f"{prefix}2", f"{name}.2", indent=8),
                     _element(third, OPEN, 0, indent=8),
                     "      </xs:sequence>"]
    return [*out, f'  <xs:complexType name="{name}">', "    <xs:choice>", *branches,
            "    </xs:choice>", "  </xs:complexType>"]


def _component_type(name: str, datatype: str, count: int, required: dict[int, str]) -> list[str]:
    lines = [_element(f"{datatype}.{i}", required.get(i, OPEN), 1 if i in required else 0)
             for i in range(1, count + 1)]
    return _sequence_type(name, lines)


def common_xsd() -> str:
    """Shared types: the open field content, TS, CX, and every declared segment."""
    out = [_header(f"{COMMON}: segment and field types shared by carebridge's ADT",
                   "schemas (xs:include'd). Fields carebridge does not rely on have OPEN.CONTENT.")]
    out += [
        f'  <xs:complexType name="{OPEN}" mixed="true">',
        "    <xs:annotation><xs:documentation>Any field, component or escape content: fields "
        "carebridge does not rely on are not checked.</xs:documentation></xs:annotation>",
        "    <xs:sequence>",
        '      <xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/>',
        "    </xs:sequence>",
        '    <xs:anyAttribute processContents="lax"/>',
        "  </xs:complexType>",
        '  <xs:simpleType name="MSH.1.CONTENT">',
        '    <xs:restriction base="xs:string"><xs:length value="1"/></xs:restriction>',
        "  </xs:simpleType>",
        '  <xs:simpleType name="MSH.2.CONTENT">',
        '    <xs:restriction base="xs:string">',
        '      <xs:minLength value="4"/><xs:maxLength value="5"/>',
        "    </xs:restriction>",
        "  </xs:simpleType>",
        '  <xs:simpleType name="HL7.TS">',
        "    <xs:annotation><xs:documentation>YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]"
        "</xs:documentation></xs:annotation>",
        f'    <xs:restriction base="xs:string"><xs:pattern value="{TS_PATTERN}"/></xs:restriction>',
        "  </xs:simpleType>",
    ]
    out += _component_type("TS.CONTENT", "TS", 2, {1: "HL7.TS"})
    out += _component_type("CX.CONTENT", "CX", component_count("PID", 3), {1: OPEN})
    for segment_id in ADT_SEGMENTS:
        if segment_id in CUTS:
            out += _segment_groups(segment_id)
        if segment_id != "MSH":  # MSH.9 always differs: each schema types its own MSH
            out += _sequence_type(f"{segment_id}.CONTENT", segment_body(segment_id, {}))
    out.append("</xs:schema>\n")
    return "\n".join(out)


def _adt_root(root: str, pv1_type: str) -> list[str]:
    """MSH, SFT*, EVN, PID, PD1?, ROL*, NK1*, PV1, then anything (lax)."""
    occurs = {"SFT": (0, UNBOUNDED), "PD1": (0, 1), "ROL": (0, UNBOUNDED),
              "NK1": (0, UNBOUNDED)}
    lines = []
    for segment_id in ADT_SEGMENTS:
        low, high = occurs.get(segment_id, (1, 1))
        type_name = {"MSH": f"MSH.{root}", "PV1": pv1_type}.get(segment_id,
                                                                f"{segment_id}.CONTENT")
        lines.append(_element(segment_id, type_name, low, high, indent=8))
    lines.append('        <xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/>')
    return [f'  <xs:element name="{root}">', "    <xs:complexType>", "      <xs:sequence>",
            *lines, "      </xs:sequence>", "    </xs:complexType>", "  </xs:element>"]


def _msh_type(name: str, msh9: Rule) -> list[str]:
    return _sequence_type(name, segment_body("MSH", {9: msh9}))


_ADT_NOTE = (
    "Declared in order: MSH, SFT*, EVN, PID, PD1?, ROL*, NK1*, PV1; everything after PV1",
    "(segments, groups, Z-segments) is accepted unchecked. Nothing open can come before PV1:",
    "a wildcard after an optional segment breaks XSD 1.0 Unique Particle Attribution.",
    "Fields: all of v2.3-2.5, optional except MSH.1/2/9/10/12, PID.3 (with CX.1), PID.5, PV1.2.",
)


def adt_xsd(file_name: str, root: str, events: tuple[str, ...], what: str,
            discharge: bool = False) -> str:
    """An ADT schema: root ``root`` whose MSH-9 is ADT^<one of events>."""
    msg = f"MSG.{file_name.removesuffix('.xsd')}"
    out = [_header(f"{file_name}: {what}", *_ADT_NOTE),
           f'  <xs:include schemaLocation="{COMMON}"/>']
    out += _msg_type(msg, "ADT", events)
    out += _msh_type(f"MSH.{root}", Rule(msg, 1))
    pv1_type = "PV1.CONTENT"
    if discharge:
        pv1_type = "PV1.DISCHARGE"
        ts = Rule("TS.CONTENT", 1)
        out += _sequence_type(pv1_type, segment_body("PV1", {44: ts, 45: ts}),
                              "PV1 of a discharge: admit (PV1.44) and discharge (PV1.45) "
                              "date/time are required")
    out += _adt_root(root, pv1_type)
    out.append("</xs:schema>\n")
    return "\n".join(out)


def any_xsd() -> str:
    """Any HL7 v2 message: a root per known structure, MSH checked, the rest open."""
    out = [_header("hl7v2-any.xsd: any HL7 v2 message. A root element for every structure",
                   "hl7apy knows in v2.3-2.5, and ACK; MSH is checked (MSH.1, MSH.2, MSH.9,",
                   "MSH.10 and MSH.12 required), everything after it is accepted unchecked."),
           f'  <xs:include schemaLocation="{COMMON}"/>']
    out += _msh_type("MSH.ANY", Rule(min=1))
    out += _sequence_type("ANY.MESSAGE", [
        _element("MSH", "MSH.ANY"),
        '      <xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/>'])
    out += [f'  <xs:element name="{name}" type="ANY.MESSAGE"/>' for name in structures()]
    out.append("</xs:schema>\n")
    return "\n".join(out)


def generate() -> dict[str, str]:
    """File name -> XSD text, for every generated schema."""
    return {
        COMMON: common_xsd(),
        "ADT_A01.xsd": adt_xsd(
            "ADT_A01.xsd", "ADT_A01", ADT_A01_EVENTS,
            "messages of structure ADT_A01. MSH-9 must be ADT with an event that uses\n"
            "     this structure: " + ", ".join(ADT_A01_EVENTS) + " (others are code 103)."),
        "ADT_A04.xsd": adt_xsd("ADT_A04.xsd", "ADT_A01", ("A04",),
                               "ADT^A04 register a patient. Root ADT_A01 (A04 uses that\n"
                               "     structure), but MSH-9 must be ADT^A04."),
        "ADT_A03.xsd": adt_xsd("ADT_A03.xsd", "ADT_A03", ("A03",),
                               "ADT^A03 discharge: MSH-9 must be ADT^A03, and PV1.44 (admit)\n"
                               "     and PV1.45 (discharge) are required HL7 timestamps.",
                               discharge=True),
        "hl7v2-any.xsd": any_xsd(),
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m carebridge.hl7.xsdgen OUTDIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, text in generate().items():
        (out / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
