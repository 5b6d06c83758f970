"""The HL7 v2 XML encoding (namespace ``urn:hl7-org:v2xml``), both directions.

ER7 -> XML follows the standard encoding: the root is the message structure,
groups are ``STRUCTURE.GROUP``, fields ``SEG.n``, components named by datatype
(``XPN.1``, ``FN.1`` inside it), MSH.1/MSH.2 literal, non-delimiter escapes as
``<escape V="..."/>``. Fields, components and segments the definitions do not
know (Z-segments, fields of later versions) are kept under positional names
(``ZPD.1``, ``ZPD.1.2``), so nothing is lost. XML -> ER7 needs no definitions: a
name's last number is its position.

Writing builds the document as text (the hot path); reading uses lxml with
DTDs and entities disabled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from lxml import etree

from carebridge.hl7 import definitions
from carebridge.hl7.er7 import Message, Segment
from carebridge.hl7.escape import Escape, join_escapes, split_escapes
from carebridge.hl7.exceptions import REQUIRED_FIELD_MISSING, Location, ParseError

NAMESPACE = "urn:hl7-org:v2xml"
_NS = "{" + NAMESPACE + "}"
DEFAULT_VERSION = "2.3.1"
_XML_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


# -- ER7 -> XML --------------------------------------------------------------------


def to_xml(message: Message, version: str | None = None) -> bytes:
    """The message in v2.xml form, UTF-8 bytes."""
    version = _version(version or message.version)
    root = definitions.structure_for(version, message.message_type, message.event,
                                     message.structure)
    if not _XML_NAME.match(root):
        raise ParseError(f"MSH-9 ({message.raw('MSH-9')!r}) names no message structure usable "
                         "as the v2.xml root", Location("MSH", 1, 9), REQUIRED_FIELD_MISSING)
    group = definitions.structure(version, root)
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<{root} xmlns="{NAMESPACE}">']
    if group is None:
        items: list[Any] = list(message.segments)
    else:
        known = _segment_ids(group)
        items, pos = _assign(group, message.segments, 0, known)
        items.extend(message.segments[pos:])
    _write_items(out, items, version, message.delimiters)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")


def _version(version: str) -> str:
    if version and definitions.is_supported(version):
        return version
    return DEFAULT_VERSION


@cache
def _segment_ids(group: definitions.Group) -> frozenset[str]:
    ids: set[str] = set()
    for child in group.children:
        ids |= _segment_ids(child.group) if child.group else {child.name}
    return frozenset(ids)


def _assign(group: definitions.Group, segments: list[Segment], pos: int,
            known: frozenset[str]) -> tuple[list[Any], int]:
    """Match segments to the structure's children greedily; unknown ones stay in place."""
    items: list[Any] = []
    n = len(segments)
    for child in group.children:
        count = 0
        while pos < n and (child.max == -1 or count < child.max):
            seg_id = segments[pos].id
            if child.group is not None:
                if seg_id not in child.group.first_segments():
                    break
                sub, pos = _assign(child.group, segments, pos, known)
                items.append((child.name, sub))
                count += 1
            elif seg_id == child.name:
                items.append(segments[pos])
                pos += 1
                count += 1
            elif seg_id not in known:
                items.append(segments[pos])  # a Z-segment: kept where it stands
                pos += 1
            else:
                break
    while pos < n and segments[pos].id not in known:
        items.append(segments[pos])
        pos += 1
    return items, pos


def _write_items(out: list[str], items: list[Any], version: str, delims: str) -> None:
    for item in items:
        if isinstance(item, Segment):
            _write_segment(out, item, version, delims)
        else:
            name, sub = item
            out.append(f"<{name}>")
            _write_items(out, sub, version, delims)
            out.append(f"</{name}>")


@dataclass(frozen=True)
class _Plan:
    """Prebuilt tags for one field or component: writing is then string joins only."""

    open: str
    close: str
    empty: str
    prefix: str  # names unknown parts below: the datatype, or the element name
    children: tuple[_Plan, ...] = ()


def _plan_for(name: str, datatype: str | None, components: tuple[Any, ...]) -> _Plan:
    children = tuple(_plan_for(c.name, c.datatype, c.children) for c in components)
    return _Plan(f"<{name}>", f"</{name}>", f"<{name}/>", datatype or name, children)


@cache
def _segment_plan(version: str, seg_id: str) -> tuple[_Plan | None, ...]:
    plans: list[_Plan | None] = [None]
    for fdef in definitions.segment_fields(version, seg_id)[1:]:
        plans.append(_plan_for(fdef.name, fdef.datatype, fdef.components) if fdef else None)
    return tuple(plans)


def _write_segment(out: list[str], seg: Segment, version: str, delims: str) -> None:
    seg_id = seg.id
    plans = _segment_plan(version, seg_id)
    rep_sep = delims[2]
    out.append(f"<{seg_id}>")
    fields = seg.fields
    start = 1
    if seg_id == "MSH":
        out.append(f"<MSH.1>{_text(fields[1])}</MSH.1><MSH.2>{_text(fields[2])}</MSH.2>")
        start = 3
    for number in range(start, len(fields)):
        raw = fields[number]
        if not raw:
            continue
        plan = plans[number] if number < len(plans) else None
        if plan is None:
            plan = _plan_for(f"{seg_id}.{number}", None, ())
        for rep in (raw.split(rep_sep) if rep_sep in raw else (raw,)):
            if not rep:
                out.append(plan.empty)
                continue
            out.append(plan.open)
            _write_value(out, rep, plan, delims)
            out.append(plan.close)
    out.append(f"</{seg_id}>")


def _write_value(out: list[str], raw: str, plan: _Plan, delims: str) -> None:
    """A field repetition: plain text for a primitive, component elements for a composite."""
    # No subcomponent separator (MSH-2 of three characters): "\r", never inside a field.
    comp_sep, sub_sep = delims[1], delims[4:5] or "\r"
    children = plan.children
    if raw == '""':  # present but null: the whole field, whatever its datatype
        out.append(raw)
        return
    if not children and comp_sep not in raw and sub_sep not in raw:
        out.append(_mixed(raw, delims))
        return
    for i, comp in enumerate(raw.split(comp_sep) if comp_sep in raw else (raw,), 1):
        if not comp:
            continue
        cplan = children[i - 1] if i <= len(children) else _plan_for(
            f"{plan.prefix}.{i}", None, ())
        out.append(cplan.open)
        if cplan.children or sub_sep in comp:
            subs = cplan.children
            for j, sub in enumerate(comp.split(sub_sep) if sub_sep in comp else (comp,), 1):
                if not sub:
                    continue
                splan = subs[j - 1] if j <= len(subs) else _plan_for(
                    f"{cplan.prefix}.{j}", None, ())
                out.append(splan.open)
                out.append(_mixed(sub, delims))
                out.append(splan.close)
        else:
            out.append(_mixed(comp, delims))
        out.append(cplan.close)


def _mixed(raw: str, delims: str) -> str:
    if delims[3] not in raw:
        return _text(raw)
    parts = []
    for part in split_escapes(raw, delims):
        if isinstance(part, Escape):
            parts.append(f'<escape V="{part.value.translate(_XML_ATTR)}"/>')
        else:
            parts.append(_text(part))
    return "".join(parts)


def _text(text: str) -> str:
    return text.translate(_XML_TEXT) if ("&" in text or "<" in text or ">" in text) else text


# -- XML -> ER7 --------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def parse_xml(data: bytes | str) -> etree._Element:
    """Untrusted v2.xml to an element; DOCTYPEs are refused, never loaded."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if b"<!DOCTYPE" in data[:4096].upper():
        raise ParseError("DOCTYPE declarations are not allowed in HL7 v2 XML")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        raise ParseError(f"not well-formed XML (line {line}, column {column}): "
                         f"{(exc.msg or '').splitlines()[0] if exc.msg else ''}") from None
    if root.getroottree().docinfo.doctype:
        raise ParseError("DOCTYPE declarations are not allowed in HL7 v2 XML")
    return root


def from_xml(data: bytes | str | etree._Element) -> Message:
    """A v2.xml document back to a Message (delimiters from MSH.1 and MSH.2)."""
    root = data if isinstance(data, etree._Element) else parse_xml(data)
    if not isinstance(root.tag, str) or not root.tag.startswith(_NS):
        raise ParseError(f"the root element is not in the {NAMESPACE} namespace")
    segments: list[_RawSegment] = []
    _collect(root, segments)
    if not segments or segments[0][0] != "MSH":
        raise ParseError("the first segment must be MSH", Location("MSH", 1))
    fields = segments[0]
    # MSH.1 and MSH.2 are text when present (see _segment), else still an empty list.
    if (len(fields) < 3 or not isinstance(fields[1], str) or not isinstance(fields[2], str)
            or len(fields[1]) != 1 or len(fields[2]) not in (3, 4, 5)):
        raise ParseError("MSH.1 and MSH.2 must hold the delimiters", Location("MSH", 1, 2))
    delims = fields[1] + fields[2]
    return Message([Segment([_render_field(f, delims) for f in raw]) for raw in segments],
                   delims)


# A segment as read from v2.xml: its id, then each field as text (MSH.1, MSH.2) or as the
# elements of its repetitions, rendered to ER7 once the delimiters are known.
_RawSegment = list[str | list[etree._Element]]


def _collect(parent: etree._Element, segments: list[_RawSegment]) -> None:
    for child in parent:
        if not isinstance(child.tag, str):
            continue
        local = child.tag[len(_NS):] if child.tag.startswith(_NS) else child.tag
        if len(local) == 3 and "." not in local:
            segments.append(_segment(local, child))
        else:
            _collect(child, segments)  # a group


def _segment(seg_id: str, element: etree._Element) -> _RawSegment:
    fields: _RawSegment = [seg_id]
    for child in element:
        if not isinstance(child.tag, str):
            continue
        number = _position(child, seg_id)
        while len(fields) <= number:
            fields.append([])
        if seg_id == "MSH" and number in (1, 2):
            fields[number] = child.text or ""
        else:
            repetitions = fields[number]
            assert isinstance(repetitions, list)  # only MSH.1 and MSH.2 are text
            repetitions.append(child)
    return fields


def _render_field(value: str | list[etree._Element], delims: str) -> str:
    if isinstance(value, str):
        return value
    return delims[2].join(_render(rep, delims, 1) for rep in value)


def _render(element: etree._Element, delims: str, level: int) -> str:
    """Text of a field repetition (level 1), component (2) or subcomponent (3)."""
    children = [c for c in element if isinstance(c.tag, str) and _local(c) != "escape"]
    if not children:
        return _mixed_text(element, delims)
    if level >= 3:
        raise ParseError(f"element {_local(element)} nests deeper than subcomponents")
    sep = delims[1] if level == 1 else delims[4:5]
    parts: list[str] = []
    for child in children:
        index = _position(child, None)
        while len(parts) < index:
            parts.append("")
        parts[index - 1] = _render(child, delims, level + 1)
    if len(parts) > 1 and not sep:
        raise ParseError(f"element {_local(element)} has subcomponents, but MSH.2 names no "
                         "subcomponent separator")
    return sep.join(parts)


def _mixed_text(element: etree._Element, delims: str) -> str:
    """Element text as ER7: join_escapes() escapes delimiters and writes CR/LF as \\X0D\\ /
    \\X0A\\ (see escape.escape), so a multi-line text element stays one field."""
    parts: list[str | Escape] = []
    if element.text:
        parts.append(element.text)
    for child in element:
        if isinstance(child.tag, str) and _local(child) == "escape":
            parts.append(Escape(child.get("V", "")))
        if child.tail:
            parts.append(child.tail)
    return join_escapes(parts, delims)


def _local(element: etree._Element) -> str:
    tag = str(element.tag)  # parsed, always text (the stubs also allow bytes and QName)
    return tag[len(_NS):] if tag.startswith(_NS) else tag


def _position(element: etree._Element, seg_id: str | None) -> int:
    name = _local(element)
    _, _, number = name.rpartition(".")
    if not number.isdigit() or int(number) < 1:
        raise ParseError(f"element {name} does not end in a position number",
                         Location(seg_id) if seg_id else None)
    return int(number)
