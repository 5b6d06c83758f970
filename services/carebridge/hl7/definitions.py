"""HL7 v2 structure definitions, read once per version from hl7apy's tables.

hl7apy ships the segment, field, datatype and message-structure definitions for
v2.1 to v2.8.2; this module turns them into small immutable lookup tables (field
number -> element name and component tree, structure -> groups) that the v2.xml
codec uses on its hot path.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from carebridge.hl7.exceptions import (
    UNSUPPORTED_EVENT_CODE,
    UNSUPPORTED_VERSION_ID,
    Location,
    UnsupportedMessage,
)

# Events whose v2.xml root is another structure (when MSH-9.3 is absent).
EVENT_STRUCTURES = {
    **dict.fromkeys(("A01", "A04", "A05", "A08", "A13", "A14", "A28", "A31"), "ADT_A01"),
    "A02": "ADT_A02",
    "A03": "ADT_A03",
    **dict.fromkeys(("A06", "A07"), "ADT_A06"),
    **dict.fromkeys(("A09", "A10", "A11"), "ADT_A09"),
    "A12": "ADT_A12",
    **dict.fromkeys(("A39", "A40", "A41", "A42"), "ADT_A39"),
}

_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*$")

# What carebridge processes: these versions, ADT, these events.
SUPPORTED_VERSIONS = frozenset({"2.3", "2.3.1", "2.4", "2.5", "2.5.1"})
ADT_EVENTS = frozenset({"A01", "A02", "A03", "A04", "A05", "A08", "A11", "A13", "A14", "A28",
                        "A31", "A40"})


def require_version(version: str) -> None:
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedMessage(f"HL7 version {version or '(none)'} is not supported",
                                 Location("MSH", 1, 12), UNSUPPORTED_VERSION_ID)


def require_event(message_type: str, event: str, events: frozenset[str] = ADT_EVENTS) -> None:
    """The one rule for which messages are processed (and which a mapping reads)."""
    if message_type != "ADT":
        raise UnsupportedMessage(f"message type {message_type or '(none)'} is not supported",
                                 Location("MSH", 1, 9))
    if event not in events:
        raise UnsupportedMessage(f"event {event or '(none)'} is not supported here (only "
                                 f"{', '.join(sorted(events))})", Location("MSH", 1, 9),
                                 UNSUPPORTED_EVENT_CODE)


@dataclass(frozen=True)
class Component:
    """A component (or subcomponent) and, when composite, its own components."""

    name: str  # "XPN.1"
    datatype: str  # "FN"
    children: tuple[Component, ...] = ()


@dataclass(frozen=True)
class FieldDef:
    name: str  # "PID.5"
    datatype: str  # "XPN"
    components: tuple[Component, ...]  # empty for a primitive datatype


@dataclass(frozen=True)
class Child:
    name: str  # segment id, or group name "ADT_A01.PROCEDURE"
    is_group: bool
    min: int
    max: int  # -1: unbounded
    group: Group | None = None


@dataclass(frozen=True)
class Group:
    """A message structure or one of its groups; a choice holds one of its children."""

    name: str
    children: tuple[Child, ...]
    choice: bool = False  # holds one of its children (ORM_O01.CHOICE: OBR, RQD, ...)


def module_name(version: str) -> str:
    return "hl7apy.v" + version.strip().replace(".", "_")


@cache
def _module(version: str, part: str) -> Any:
    try:
        return importlib.import_module(f"{module_name(version)}.{part}")
    except (ModuleNotFoundError, ValueError):
        raise UnsupportedMessage(f"HL7 version {version!r} is not supported",
                                 Location("MSH", 1, 12), UNSUPPORTED_VERSION_ID) from None


def is_supported(version: str) -> bool:
    """Whether hl7apy has definitions for ``version`` (2.1 to 2.8.2)."""
    if not _VERSION.match(version.strip()):
        return False
    try:
        _module(version.strip(), "segments")
    except UnsupportedMessage:
        return False
    return True


@cache
def segment_fields(version: str, segment_id: str) -> tuple[FieldDef | None, ...]:
    """Field definitions by number (index 0 unused, None for a number the version omits).

    Later versions leave withdrawn fields out of hl7apy's lists (v2.8 has no EVN_1),
    so a field's number comes from its name, never from its place in the list.
    Empty for Z-, unknown and field-less segments (v2.7 QRD).
    """
    spec = _module(version.strip(), "segments").SEGMENTS.get(segment_id)
    fields: list[FieldDef | None] = [None]
    for name, field_spec, _card, _kind in _members(spec):
        if field_spec is None:
            continue
        kind, children, datatype = field_spec[0], field_spec[1], field_spec[2]
        components = _components(children) if kind == "sequence" and children else ()
        while len(fields) < _number(name):
            fields.append(None)
        fields.append(FieldDef(_xml_name(name), datatype, components))
    return tuple(fields) if len(fields) > 1 else ()


def _members(spec: Any) -> tuple[Any, ...]:
    """The (name, spec, cardinality, kind) entries of a segment definition.

    Most are ``("sequence", entries)``; v2.7 has ``("sequence",)`` for segments it
    withdrew, v2.1's ORO is the bare entries, ANYHL7SEGMENT is a ``"choice"``.
    """
    if not spec:
        return ()
    if spec[0] == "sequence":
        return tuple(spec[1]) if len(spec) > 1 and spec[1] else ()
    if isinstance(spec[0], tuple) and spec[0] and isinstance(spec[0][0], str):
        return tuple(spec)
    return ()


def _number(name: str) -> int:
    """The position in hl7apy's ``XTN_2`` (its names all end in their number)."""
    return int(name.rpartition("_")[2])


def _components(children: Any) -> tuple[Component, ...]:
    """Components by position: v2.6 lists XTN from XTN_2 (XTN.1 was withdrawn).

    A position the version omits gets a placeholder with the positional name
    (``XTN.1``) and no datatype, which v2.xml's generic form also writes.
    """
    out: list[Component] = []
    for name, spec, _card, _kind in children:
        kind, grand, datatype = spec[0], spec[1], spec[2]
        nested = _components(grand) if kind == "sequence" and grand else ()
        xml_name = _xml_name(name)
        stem = xml_name.rpartition(".")[0]
        while len(out) < _number(name) - 1:
            out.append(Component(f"{stem}.{len(out) + 1}", ""))
        out.append(Component(xml_name, datatype, nested))
    return tuple(out)


def _xml_name(name: str) -> str:
    """hl7apy's ``PID_5`` / ``CM_MSG_1`` to v2.xml's ``PID.5`` / ``CM_MSG.1``."""
    stem, _, number = name.rpartition("_")
    return f"{stem}.{number}" if stem and number.isdigit() else name


def structure(version: str, structure_id: str) -> Group | None:
    """The message structure; None for an id the version lacks (not cached: MSH-9.3 is
    free text)."""
    if structure_id not in _module(version.strip(), "messages").MESSAGES:
        return None
    return _structure(version.strip(), structure_id)


@cache
def _structure(version: str, structure_id: str) -> Group:
    return _group(structure_id, structure_id, _module(version, "messages").MESSAGES[structure_id])


def _group(root: str, name: str, spec: Any) -> Group:
    children = []
    for child_name, child_spec, (low, high), kind in (spec[1] if len(spec) > 1 else ()):
        if kind == "GRP":
            children.append(Child(_group_name(root, child_name), True, low, high,
                                  _group(root, _group_name(root, child_name), child_spec)))
        elif kind == "SEG":
            children.append(Child(child_name, False, low, high))
    return Group(name, tuple(children), spec[0] == "choice")


def _group_name(root: str, name: str) -> str:
    """hl7apy's ``ADT_A01_PROCEDURE`` to v2.xml's ``ADT_A01.PROCEDURE``."""
    prefix = root.upper() + "_"
    return root + "." + name[len(prefix):] if name.upper().startswith(prefix) else name


def structure_for(version: str, message_type: str, event: str, declared: str) -> str:
    """The v2.xml root: MSH-9.3 when given, else the event's structure, else type_event."""
    if declared:
        return declared
    if message_type == "ACK":
        return "ACK"
    if message_type == "ADT" and event in EVENT_STRUCTURES:
        return EVENT_STRUCTURES[event]
    return f"{message_type}_{event}" if event else message_type


@lru_cache(maxsize=512)  # the names come from messages (OBX-2): bounded
def datatype_components(version: str, datatype: str) -> tuple[Component, ...] | None:
    """A datatype's components by name (empty for a primitive); None if the version has none.

    For fields whose datatype the message itself names (OBX-5 by OBX-2).
    """
    spec = _module(version, "datatypes").DATATYPES_STRUCTS.get(datatype)
    if spec is not None:
        return _components(spec)
    primitives = importlib.import_module(module_name(version)).BASE_DATATYPES
    return () if datatype in primitives else None
