"""The HL7 v2 XML encoding (namespace ``urn:hl7-org:v2xml``), both directions.

ER7 -> XML follows the standard encoding: the root is the message structure,
groups are ``STRUCTURE.GROUP``, fields ``SEG.n``, components named by datatype
(``XPN.1``, ``FN.1`` inside it), MSH.1/MSH.2 literal. A primitive holds its text
directly; a varies field (OBX-5) is named by the datatype its sibling names
(OBX-2); a present-but-null ``""`` in a composite is its first leaf's text;
non-delimiter escapes are ``<escape V="..."/>`` in no namespace, as the HL7
schemas declare it. Fields, components and segments the definitions do not know
(Z-segments, fields of later versions, components of a primitive) are kept under
positional names (``ZPD.1``, ``ZPD.1.2``, ``PID.8.2``), so nothing is lost; so is
every part of a message whose MSH-12 names a version without definitions (with a
logged warning). Groups come from ``grouping``. XML -> ER7 needs no definitions: a
name's last number is its position.

Writing builds the document as text (the hot path); reading uses lxml with
DTDs and entities disabled.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import TypeVar

from lxml import etree

from carebridge.hl7 import definitions, grouping
from carebridge.hl7.er7 import Message, Segment
from carebridge.hl7.escape import Escape, escape, join_escapes, split_escapes
from carebridge.hl7.exceptions import REQUIRED_FIELD_MISSING, Location, ParseError

NAMESPACE = "urn:hl7-org:v2xml"
_NS = "{" + NAMESPACE + "}"
_XML_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_log = logging.getLogger(__name__)
DEFAULT_VERSION = "2.3.1"  # for a message without MSH-12


# -- ER7 -> XML --------------------------------------------------------------------


def to_xml(message: Message, version: str | None = None) -> bytes:
    """The message in v2.xml form, UTF-8 bytes."""
    known = _version(version or message.version)
    root = definitions.structure_for(known, message.message_type, message.event,
                                     message.structure)
    if not _XML_NAME.match(root):
        raise ParseError(f"MSH-9 ({message.raw('MSH-9')!r}) names no message structure usable "
                         "as the v2.xml root", Location("MSH", 1, 9), REQUIRED_FIELD_MISSING)
    segments = message.segments
    out = ['<?xml version="1.0" encoding="UTF-8"?>', f'<{root} xmlns="{NAMESPACE}">']
    if known:
        shape = grouping.shape(known, root, tuple(seg.id for seg in segments))
    else:
        shape = tuple(range(len(segments)))
    _write_shape(out, shape, segments, known, message.delimiters)
    out.append(f"</{root}>")
    return "".join(out).encode("utf-8")


def _version(version: str) -> str:
    """The definitions for MSH-12: "" (positional names) for a version hl7apy lacks.

    An absent MSH-12 (which validation reports) is read as DEFAULT_VERSION.
    """
    version = version.strip()
    if not version:
        return DEFAULT_VERSION
    if definitions.is_supported(version):
        return version
    if version not in _warned and len(_warned) < 64:  # once per version: a feed repeats it
        _warned.add(version)
        _log.warning("HL7 version %.20r has no definitions: writing v2.xml with positional "
                     "names (SEG.n, SEG.n.m)", version)
    return ""


_warned: set[str] = set()


def _write_shape(out: list[str], shape: grouping.Shape, segments: list[Segment],
                 version: str, delims: str) -> None:
    for item in shape:
        if isinstance(item, int):
            _write_segment(out, segments[item], version, delims)
        else:
            name, sub = item
            out.append(f"<{name}>")
            _write_shape(out, sub, segments, version, delims)
            out.append(f"</{name}>")


@dataclass(frozen=True)
class _Plan:
    """Prebuilt tags for one field or component: writing is then string joins only."""

    name: str
    open: str
    close: str
    empty: str
    prefix: str  # names parts the definitions lack: a composite's datatype, else the element
    children: tuple[_Plan, ...] = ()
    type_field: int = 0  # a varies field: the field of its segment that names its datatype


# v2.xml names a varies field's parts by the datatype another field names (OBX-5 by OBX-2).
_VARIES_TYPE_FIELDS = {("OBX", 5): 2, ("MFE", 4): 5, ("MFA", 5): 6}
_DATATYPE_NAME = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")
# hl7apy's own names for CQ and DR where they are components (TQ.1, XCN.17); v2.xml has none.
_SIMPLE = "_SIMPLE"


def _plan_for(version: str, name: str, datatype: str | None,
              components: tuple[definitions.Component, ...]) -> _Plan:
    if datatype and datatype.endswith(_SIMPLE):
        datatype = datatype[:-len(_SIMPLE)]
        components = definitions.datatype_components(version, datatype) or components
    children = tuple(_plan_for(version, _v2xml_name(c.name), c.datatype, c.children)
                     for c in components)
    prefix = datatype if children and datatype else name
    return _Plan(name, f"<{name}>", f"</{name}>", f"<{name}/>", prefix, children)


def _v2xml_name(name: str) -> str:
    """``CQ_SIMPLE.1`` (hl7apy) is ``CQ.1`` in v2.xml."""
    stem, dot, number = name.rpartition(".")
    return stem[:-len(_SIMPLE)] + dot + number if stem.endswith(_SIMPLE) else name


def _positional(parent: _Plan, number: int) -> _Plan:
    """A part the definitions do not know: named after its parent (``ZPD.1.2``, ``XPN.15``)."""
    return _plan_for("", f"{parent.prefix}.{number}", None, ())


@cache
def _segment_plan(version: str, seg_id: str) -> tuple[_Plan | None, ...]:
    plans: list[_Plan | None] = [None]
    fields = definitions.segment_fields(version, seg_id) if version else ()
    for number, fdef in enumerate(fields[1:], 1):
        if fdef is None:
            plans.append(None)
            continue
        plan = _plan_for(version, fdef.name, fdef.datatype, fdef.components)
        type_field = _VARIES_TYPE_FIELDS.get((seg_id, number), 0)
        if type_field and fdef.datatype == "varies":
            plan = replace(plan, type_field=type_field)
        plans.append(plan)
    return tuple(plans)


@lru_cache(maxsize=1024)
def _varies_plan(version: str, name: str, datatype: str) -> _Plan:
    """A varies field as the datatype its sibling names; positional if the version lacks it."""
    components = (definitions.datatype_components(version, datatype)
                  if version and _DATATYPE_NAME.match(datatype) and datatype != "varies"
                  else None)
    if components is None:
        return _plan_for(version, name, None, ())
    return _plan_for(version, name, datatype, components)


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
            plan = _plan_for(version, f"{seg_id}.{number}", None, ())
        reps = raw.split(rep_sep) if rep_sep in raw else (raw,)
        types = _varies_types(plan, fields, delims) if plan.type_field else ()
        for index, rep in enumerate(reps):
            if not rep:
                out.append(plan.empty)
                continue
            rep_plan = plan
            if types:
                rep_plan = _varies_plan(version, plan.name, types[min(index, len(types) - 1)])
            out.append(rep_plan.open)
            _write_value(out, rep, rep_plan, delims)
            out.append(rep_plan.close)
    out.append(f"</{seg_id}>")


def _varies_types(plan: _Plan, fields: list[str], delims: str) -> list[str]:
    """The datatype of each repetition of a varies field, from the field that names it."""
    raw = fields[plan.type_field] if plan.type_field < len(fields) else ""
    return [rep.split(delims[1], 1)[0].strip() for rep in raw.split(delims[2])] if raw else []


def _write_value(out: list[str], raw: str, plan: _Plan, delims: str) -> None:
    """A field repetition: text for a primitive, component elements for a composite.

    A present-but-null ``""`` in a composite goes to its first leaf (``<PID.3><CX.1>""``):
    the HL7 schemas give composites element-only content, and ER7 cannot tell the two apart.
    """
    # No subcomponent separator (MSH-2 of three characters): "\r", never inside a field.
    comp_sep, sub_sep = delims[1], delims[4:5] or "\r"
    children = plan.children
    if not children and comp_sep not in raw and sub_sep not in raw:
        out.append(_mixed(raw, delims))
        return
    for i, comp in enumerate(raw.split(comp_sep) if comp_sep in raw else (raw,), 1):
        if not comp:
            continue
        cplan = children[i - 1] if i <= len(children) else _positional(plan, i)
        out.append(cplan.open)
        if cplan.children or sub_sep in comp:
            subs = cplan.children
            for j, sub in enumerate(comp.split(sub_sep) if sub_sep in comp else (comp,), 1):
                if sub:
                    _write_leaf(out, sub, subs[j - 1] if j <= len(subs) else _positional(cplan, j),
                                delims)
        else:
            out.append(_mixed(comp, delims))
        out.append(cplan.close)


def _write_leaf(out: list[str], raw: str, plan: _Plan, delims: str) -> None:
    """A subcomponent; where its datatype nests further (TQ.1's CQ.2 is a CE), in its first leaf."""
    out.append(plan.open)
    closes = [plan.close]
    while plan.children:
        plan = plan.children[0]
        out.append(plan.open)
        closes.append(plan.close)
    out.append(_mixed(raw, delims))
    out.extend(reversed(closes))


def _mixed(raw: str, delims: str) -> str:
    """Text with ``<escape xmlns="" V="..."/>`` for escapes that are not delimiters.

    The HL7 schemas declare ``escape`` locally (in FT, TX) with no elementFormDefault, so it
    is in no namespace: ``xmlns=""`` undoes the document's default one.
    """
    if delims[3] not in raw:
        return _text(raw)
    parts = []
    for part in split_escapes(raw, delims):
        if isinstance(part, Escape):
            parts.append(f'<escape xmlns="" V="{part.value.translate(_XML_ATTR)}"/>')
        else:
            parts.append(_text(part))
    return "".join(parts)


def _text(text: str) -> str:
    return text.translate(_XML_TEXT) if ("&" in text or "<" in text or ">" in text) else text


# -- XML -> ER7 --------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                           huge_tree=False, remove_comments=True, remove_pis=True)


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)  # as bytes.upper(): ASCII letters only


def parse_xml(data: bytes | str) -> etree._Element:
    """Untrusted v2.xml to an element; DOCTYPEs are refused, never loaded."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if _DOCTYPE.search(data, 0, 4096):
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
    # MSH.1 and MSH.2 are text (see _segment), "" when absent.
    if (len(fields) < 3 or not isinstance(fields[1], str) or not isinstance(fields[2], str)
            or len(fields[1]) != 1 or len(fields[2]) not in (3, 4, 5)):
        raise ParseError("MSH.1 and MSH.2 must hold the delimiters", Location("MSH", 1, 2))
    delims = fields[1] + fields[2]
    special = _escapes_needed(root, delims)
    return Message([Segment(_render_segment(raw, delims, special)) for raw in segments],
                   delims)


# A segment as read from v2.xml: its id, then each field as text (MSH.1, MSH.2, "" for an
# absent one), its element, or the elements of its repetitions, rendered to ER7 once the
# delimiters are known.
_RawSegment = list[str | etree._Element | list[etree._Element]]
_T = TypeVar("_T")

# Reading is a hot path too, and each element costs Python work and lxml calls (its tag,
# text, children). So what a tag means is worked out once per distinct tag (_number), an
# element with text and no children (most of them) takes a short path, fields and
# components in position order are appended, and text goes through escape() only when the
# document has a delimiter or line break outside MSH.1 and MSH.2 (_escapes_needed).
_OTHER = -1  # _number() of a comment, processing instruction or entity (not an element)
_ESCAPE = -2  # _number() of an <escape V="..."/>
# tag -> _number(tag), for the first tags seen (a comment's tag is the Comment factory).
_NUMBERS: dict[object, int] = {etree.Comment: _OTHER, etree.ProcessingInstruction: _OTHER,
                               etree.Entity: _OTHER}
_NUMBERS_MAX = 4096  # untrusted documents can name any tags: the cache stays bounded
# No HL7 segment has this many fields, nor a datatype this many components.
MAX_POSITION = 999


def _number(tag: object) -> int:
    """A tag's position (its name's last number), _ESCAPE, _OTHER, or 0 for none of them."""
    if not isinstance(tag, str):
        return _OTHER
    name = tag[len(_NS):] if tag.startswith(_NS) else tag
    if name == "escape":
        number = _ESCAPE
    else:
        digits = name.rpartition(".")[2]
        number = int(digits) if digits.isdigit() else 0
        if number > MAX_POSITION:  # <PID.999999999> would make a list that long
            raise ParseError(f"element {name[:40]} names position {digits[:12]}; HL7 "
                             f"positions stop well before {MAX_POSITION}")
    if number and len(_NUMBERS) < _NUMBERS_MAX:
        _NUMBERS[tag] = number
    return number


@lru_cache(maxsize=64)
def _special(delims: str) -> re.Pattern[str]:
    """Matches the characters escape() rewrites: the delimiters, CR and LF."""
    return re.compile("[" + re.escape(delims) + "\r\n]")


def _escapes_needed(root: etree._Element, delims: str) -> re.Pattern[str] | None:
    """_special(delims), or None when no text but MSH.1 and MSH.2 holds such a character.

    One count over all of the document's text (lxml joins it in C) spares the search in
    each element's text: in most messages MSH.1 and MSH.2 are the only hits.
    """
    special = _special(delims)
    text = etree.tostring(root, method="text", encoding=str)
    return special if len(special.findall(text)) > len(delims) else None


def _collect(parent: etree._Element, segments: list[_RawSegment]) -> None:
    for child in parent[:]:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        local = tag[len(_NS):] if tag.startswith(_NS) else tag
        if len(local) == 3 and "." not in local:
            segments.append(_segment(local, child))
        else:
            _collect(child, segments)  # a group


def _segment(seg_id: str, element: etree._Element) -> _RawSegment:
    fields: _RawSegment = [seg_id]
    msh = seg_id == "MSH"
    for child in element[:]:
        tag = child.tag
        number = _NUMBERS.get(tag) or _number(tag)
        if number < 1:
            if number == _OTHER:
                continue
            raise _unpositioned(child, seg_id)
        if msh and number < 3:
            _put(fields, number, child.text or "", "")
        elif number == len(fields):  # the next field, the usual order
            fields.append(child)
        elif number < len(fields) and not isinstance(earlier := fields[number], str):
            if isinstance(earlier, list):  # a third repetition or more
                earlier.append(child)
            else:
                fields[number] = [earlier, child]
        else:
            _put(fields, number, child, "")
    return fields


def _put(items: list[_T], index: int, item: _T, absent: _T) -> None:
    """items[index] = item, padding with ``absent`` (fields or components) up to it."""
    if index >= len(items):
        items.extend([absent] * (index - len(items)))
        items.append(item)
    else:
        items[index] = item


def _render_segment(raw: _RawSegment, delims: str, special: re.Pattern[str] | None
                    ) -> list[str]:
    """The ER7 fields of a segment read by _segment."""
    rep_sep = delims[2]
    fields = []
    for value in raw:
        if isinstance(value, str):  # the segment id, MSH.1, MSH.2, an absent field
            fields.append(value)
        elif isinstance(value, list):
            fields.append(rep_sep.join([_render(rep, delims, special, 1) for rep in value]))
        else:
            fields.append(_render(value, delims, special, 1))
    return fields


def _render(element: etree._Element, delims: str, special: re.Pattern[str] | None,
            level: int) -> str:
    """Text of a field repetition (level 1), component (2) or subcomponent (3)."""
    if not len(element):  # no children of any kind: its text is all there is
        return _leaf_text(element, delims, special)
    if level >= 3:
        return _subcomponent(element, delims, special)
    parts: list[str] = []
    # element[:] is lxml's quickest way to its children (comments and PIs too, as iterating).
    for child in element[:]:
        tag = child.tag
        number = _NUMBERS.get(tag) or _number(tag)
        if number < 1:
            if number:  # an escape, comment or PI
                continue
            raise _unpositioned(child, None)
        if len(child):
            text = _render(child, delims, special, level + 1)
        else:  # as _leaf_text(), inline: most components are text only
            text = child.text or ""
            if text and special and special.search(text):
                text = escape(text, delims)
        if number == len(parts) + 1:  # the next one, the usual order
            parts.append(text)
        else:
            _put(parts, number - 1, text, "")
    if not parts:  # text and escapes only
        return _mixed_text(element, delims)
    sep = delims[1] if level == 1 else delims[4:5]
    if len(parts) > 1 and not sep:
        raise ParseError(f"element {_local(element)} has subcomponents, but MSH.2 names no "
                         "subcomponent separator")
    return sep.join(parts)


def _leaf_text(element: etree._Element, delims: str, special: re.Pattern[str] | None) -> str:
    """_mixed_text() of an element without children, the common case, made quick."""
    text = element.text
    if not text:
        return ""
    return escape(text, delims) if special and special.search(text) else text


def _subcomponent(element: etree._Element, delims: str, special: re.Pattern[str] | None
                  ) -> str:
    """A subcomponent with child elements: mixed text, or a datatype that nests further."""
    children = [c for c in element if isinstance(c.tag, str) and _local(c) != "escape"]
    if not children:
        return _mixed_text(element, delims)
    if len(children) != 1 or _position(children[0], None) != 1:
        raise ParseError(f"element {_local(element)} nests deeper than subcomponents")
    # Its text is in its first leaf.
    return _render(children[0], delims, special, 3)


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
    number = _number(str(element.tag))
    if number < 1:
        raise _unpositioned(element, seg_id)
    return number


def _unpositioned(element: etree._Element, seg_id: str | None) -> ParseError:
    return ParseError(f"element {_local(element)} does not end in a position number",
                      Location(seg_id) if seg_id else None)
