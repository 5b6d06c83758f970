"""Validate v2.xml against carebridge's XSDs and say what is wrong in HL7 terms.

lxml (libxml2) decides valid or not on the hot path. Its errors are mapped to
HL7 table 0357 codes and locations: a missing required field is 101 at that
field, a missing or misplaced segment 100, a bad value 102 (103 for a value
outside an enumeration), a root the schema does not declare 200. libxml2 stops
checking a parent's content after its first sequence error, so ``detailed=True``
re-validates an invalid document with the xmlschema library, which reports
every error. Messages carry element names and the schema's complaint, never
the data: an Issue may be logged or returned to any sender.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import xmlschema
from lxml import etree

from carebridge.hl7.definitions import structure_for
from carebridge.hl7.er7 import Message
from carebridge.hl7.exceptions import (
    DATA_TYPE_ERROR,
    REQUIRED_FIELD_MISSING,
    SEGMENT_SEQUENCE_ERROR,
    TABLE_VALUE_NOT_FOUND,
    UNSUPPORTED_MESSAGE_TYPE,
    Location,
)
from carebridge.hl7.v2xml import parse_xml

if TYPE_CHECKING:
    from elementpath.protocols import ElementProtocol

_XS = "{http://www.w3.org/2001/XMLSchema}"
_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_SEGMENT = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_NOT_EXPECTED = re.compile(
    r"This element is not expected\.(?: Expected is (?:one of )?\( (.*) \))?")
_MISSING = re.compile(r"Missing child element\(s\)\. Expected is (?:one of )?\( (.*) \)")
_NO_ROOT = "No matching global declaration available for the validation root"
_PREFIX = re.compile(r"^Element '[^']*': ")
_NAMESPACE = re.compile(r"\{[A-Za-z][A-Za-z0-9+.-]*:[^}']*\}")  # {urn:hl7-org:v2xml}
# lxml quotes the offending value; everything from the value's opening quote to
# the last quote before the complaint goes (greedy: over-strip, never leak).
_QUOTED_VALUE = re.compile(
    r"(The value |^|invalid value |value )'.*'(?= is not | has a length | is less | is greater"
    r"| for )")
_PYTHON_CLASS = re.compile(r" for <class '[^']*'>")  # xmlschema's datatype names

_local_schemas = threading.local()


@dataclass(frozen=True)
class Issue:
    """One validation problem: table 0357 code, where it is, and a data-free description."""

    code: str
    location: Location
    message: str
    path: str = ""  # readable element path: /ADT_A03/PV1/PV1.45[2]/TS.1


@dataclass(frozen=True)
class _Problem:
    """A schema error in backend-neutral form, before it becomes an Issue."""

    kind: str  # "content", "value", "enumeration" or "root"
    element: Any  # the element at fault; for "content" the parent whose children are wrong
    child: Any = None  # "content": the unexpected child, None when children are missing
    expected: tuple[str, ...] = ()  # "content": local names the schema wanted
    text: str = ""  # "value": the schema's complaint, values removed


# -- schemas -----------------------------------------------------------------------


def schema_path(name: str) -> Path:
    """The packaged file for ``ADT_A01`` or ``ADT_A01.xsd``."""
    if not name.endswith(".xsd"):
        name += ".xsd"
    if not _SCHEMA_NAME.match(name) or name.startswith("."):
        raise ValueError(f"not a schema name: {name!r}")
    path = Path(str(files("carebridge.hl7") / "xsd" / name))
    if not path.is_file():
        raise FileNotFoundError(f"schema {name} is not installed with carebridge")
    return path


def load_schema(name: str) -> etree.XMLSchema:
    """The compiled schema, cached per thread.

    lxml keeps one error log per XMLSchema object and releases the GIL while
    validating, so an instance shared between threads would mix their errors.
    """
    cached = _thread_schemas()
    key = name.removesuffix(".xsd")
    schema = cached.get(key)
    if schema is None:
        path = schema_path(key)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        # Parsed from the file path so xs:include finds its siblings in package data.
        schema = etree.XMLSchema(etree.parse(str(path), parser))
        cached[key] = schema
    return schema


def _thread_schemas() -> dict[str, etree.XMLSchema]:
    schemas: dict[str, etree.XMLSchema] = _local_schemas.__dict__.setdefault("schemas", {})
    return schemas


def _name_of(schema: etree.XMLSchema) -> str | None:
    """The name load_schema gave this object in this thread (None for other schemas)."""
    return next((key for key, cached in _thread_schemas().items() if cached is schema), None)


@cache
def _detailed_schema(name: str) -> xmlschema.XMLSchema10:
    path = schema_path(name)
    return xmlschema.XMLSchema10(str(path), allow="sandbox", defuse="always")


@cache
def required_elements(name: str) -> frozenset[str]:
    """Local names the schema (with its includes) declares with minOccurs >= 1."""
    found: set[str] = set()
    pending, seen = [schema_path(name)], set()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        doc = etree.parse(str(path), parser)
        for include in doc.iter(_XS + "include"):
            pending.append(path.parent / include.get("schemaLocation", ""))
        for element in doc.iter(_XS + "element"):
            declared = element.get("name")
            if declared and element.get("minOccurs", "1") != "0":
                found.add(declared)
    return frozenset(found)


# -- validation --------------------------------------------------------------------


def validate(document: bytes | str | etree._Element, schema: str | etree.XMLSchema,
             detailed: bool = False) -> list[Issue]:
    """Issues of ``document`` against ``schema``; empty when valid.

    Bytes are parsed with v2xml's safe parser (a ParseError when not well-formed).
    ``detailed`` lists every error (xmlschema) instead of libxml2's first per parent.
    """
    root = document if isinstance(document, etree._Element) else parse_xml(document)
    if root.getparent() is not None:
        root = copy.deepcopy(root)  # lxml validates a lone element as its own document
    compiled = load_schema(schema) if isinstance(schema, str) else schema
    name = schema.removesuffix(".xsd") if isinstance(schema, str) else _name_of(schema)
    if compiled.validate(root):
        return []
    if detailed and name is not None:
        order = {element: index for index, element in enumerate(root.iter())}
        problems = sorted(_xmlschema_problems(root, _detailed_schema(name)),
                          key=lambda p: order.get(p.child if p.child is not None else p.element,
                                                  0))
    else:
        problems = list(_lxml_problems(root, compiled.error_log))
    required = required_elements(name) if name is not None else frozenset()
    issues: list[Issue] = []
    for problem in problems:
        issue = _issue(problem, required)
        if issue not in issues:
            issues.append(issue)
    return issues


def _lxml_problems(root: etree._Element, log: Any) -> Iterator[_Problem]:
    tree = root.getroottree()
    for entry in log:
        found = tree.xpath(entry.path) if entry.path else []
        element = found[0] if found else root
        text = entry.message or ""
        if _NO_ROOT in text:
            yield _Problem("root", root)
        elif (match := _NOT_EXPECTED.search(text)) is not None:
            parent = element.getparent()
            if parent is None:
                yield _Problem("root", root)
            else:
                yield _Problem("content", parent, element, _names_in(match.group(1)))
        elif (match := _MISSING.search(text)) is not None:
            yield _Problem("content", element, None, _names_in(match.group(1)))
        elif entry.type_name == "SCHEMAV_CVC_ENUMERATION_VALID":
            yield _Problem("enumeration", element, text=_clean(text, element))
        else:
            yield _Problem("value", element, text=_clean(text, element))


def _xmlschema_problems(root: etree._Element,
                        schema: xmlschema.XMLSchema10) -> Iterator[_Problem]:
    # The tree is already parsed: the resource loads nothing (the schema is sandboxed).
    # Casts at the library edge: an lxml element is an elementpath ElementProtocol (types-lxml
    # and elementpath disagree on details), and errors then point at lxml elements of it.
    resource = xmlschema.XMLResource(cast("ElementProtocol", root), allow="none")
    for error in schema.iter_errors(resource):
        element = cast(etree._Element, error.elem) if error.elem is not None else root
        if isinstance(error, xmlschema.XMLSchemaChildrenValidationError):
            index = error.index
            child = element[index] if index < len(element) else None
            expected = tuple(_NAMESPACE.sub("", tag) for tag in error.expected_tags)
            yield _Problem("content", element, child, expected)
        elif element is root and isinstance(error.validator, xmlschema.XMLSchemaBase):
            yield _Problem("root", root)
        elif type(error.validator).__name__ == "XsdEnumerationFacets":
            yield _Problem("enumeration", element, text=_clean(error.reason or "", element))
        else:
            yield _Problem("value", element, text=_clean(error.reason or "", element))


def _names_in(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(_NAMESPACE.sub("", part.strip()) for part in text.split(","))


def _clean(text: str, element: etree._Element) -> str:
    """The schema's complaint without the element prefix, namespaces or the value itself."""
    text = _NAMESPACE.sub("", _PREFIX.sub("", text.strip()))
    text = _QUOTED_VALUE.sub(lambda m: (m.group(1) or "The value ").rstrip(), text)
    text = _PYTHON_CLASS.sub("", text)
    value = (element.text or "").strip()
    if value:  # whatever a backend quoted (or, when long enough, wrote bare) goes too
        text = re.sub("([\"'])" + re.escape(value) + r"\1", "...", text)
        if len(value) >= 4:
            text = text.replace(value, "...")
    return text


# -- problems to issues ------------------------------------------------------------


def _issue(problem: _Problem, required: frozenset[str]) -> Issue:
    element = problem.element
    path = _path(element)
    if problem.kind == "root":
        return Issue(UNSUPPORTED_MESSAGE_TYPE, Location("MSH", 1, 9),
                     f"root element {_local(element)} is not a structure this schema accepts",
                     path)
    if problem.kind in ("value", "enumeration"):
        code = TABLE_VALUE_NOT_FOUND if problem.kind == "enumeration" else DATA_TYPE_ERROR
        return Issue(code, _location(element), f"{_field_path(element)}: {problem.text}", path)
    return _content_issue(problem, required, path)


def _content_issue(problem: _Problem, required: frozenset[str], path: str) -> Issue:
    parent, child = problem.element, problem.child
    missing = _missing(parent, child, problem.expected, required)
    segment = _segment_of(parent)
    if segment is None:  # the root or a group: its children are segments
        if missing is not None and not _SEGMENT.match(missing):  # not HL7: Patient.xsd
            return Issue(REQUIRED_FIELD_MISSING, Location(),
                         f"required element {missing} is missing", path)
        if missing is not None:
            count = sum(1 for _ in parent.getroottree().getroot().iter(_qualified(parent,
                                                                                  missing)))
            return Issue(SEGMENT_SEQUENCE_ERROR, Location(missing, count + 1),
                         f"required segment {missing} is missing", path)
        if child is None:
            return Issue(SEGMENT_SEQUENCE_ERROR, Location(), "the message is incomplete", path)
        kind = "segment" if _SEGMENT.match(_local(child)) else "element"
        return Issue(SEGMENT_SEQUENCE_ERROR, _location(child),
                     f"{kind} {_local(child)} is not expected here", _path(child))
    if missing is not None:
        if parent is segment:
            number = _number(missing)
            location = Location(_local(segment), _occurrence(segment), number)
            return Issue(REQUIRED_FIELD_MISSING, location,
                         f"required field {missing} is missing", path)
        return Issue(REQUIRED_FIELD_MISSING, _location(parent),
                     f"{_local(parent)}: required component {missing} is missing", path)
    if child is None:
        return Issue(DATA_TYPE_ERROR, _location(parent),
                     f"{_local(parent)}: content is incomplete", path)
    previous = child.getprevious()
    complaint = ("does not repeat" if previous is not None and previous.tag == child.tag
                 else f"is not expected in {_local(parent)} here")
    return Issue(DATA_TYPE_ERROR, _location(child), f"{_local(child)} {complaint}", _path(child))


def _missing(parent: etree._Element, child: etree._Element | None, expected: tuple[str, ...],
             required: frozenset[str]) -> str | None:
    """The required child whose absence caused the error, if that is the cause.

    A required name counts as missing only if it does not occur among the
    children at all (a misplaced one makes the element out of order instead).
    libxml2 lists at most ten expected names, so for positional names (PV1.44)
    the schema's required set is searched for one before the offending child.
    """
    present = {_local(c) for c in parent if isinstance(c.tag, str)}
    absent = [n for n in expected if n not in present]
    if not required:  # a schema object of unknown origin: lxml lists up to the required one
        return absent[-1] if absent and child is None else None
    wanted = [n for n in absent if n in required]
    if wanted:
        return wanted[0]
    reference = _local(child) if child is not None else (expected[0] if expected else "")
    prefix, _, number = reference.rpartition(".")
    if not prefix or not number.isdigit():
        return None
    limit = int(number) if child is not None else 10**6
    candidates = sorted((int(n.rpartition(".")[2]), n) for n in required
                        if n.rpartition(".")[0] == prefix and n.rpartition(".")[2].isdigit()
                        and int(n.rpartition(".")[2]) < limit and n not in present)
    return candidates[0][1] if candidates else None


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _qualified(like: etree._Element, name: str) -> str:
    namespace = etree.QName(like).namespace
    return f"{{{namespace}}}{name}" if namespace else name


def _number(name: str) -> int | None:
    tail = name.rpartition(".")[2]
    return int(tail) if tail.isdigit() else None


def _segment_of(element: etree._Element | None) -> etree._Element | None:
    while element is not None:
        if _SEGMENT.match(_local(element)):
            return element
        element = element.getparent()
    return None


def _occurrence(segment: etree._Element) -> int:
    """Which occurrence of its segment id in the whole message (as ERR-2.2 counts)."""
    for count, other in enumerate(segment.getroottree().getroot().iter(segment.tag), 1):
        if other is segment:
            return count
    return 1


def _location(element: etree._Element) -> Location:
    segment = _segment_of(element)
    if segment is None:
        return Location()
    field: etree._Element | None = element
    while field is not None and field.getparent() is not segment:
        field = field.getparent()
    number = _number(_local(field)) if field is not None and field is not segment else None
    return Location(_local(segment), _occurrence(segment), number)


def _field_path(element: etree._Element) -> str:
    """``PV1.45/TS.1``: the element's names from its field down."""
    segment = _segment_of(element)
    if segment is None or element is segment:
        return _local(element)
    names = []
    node: etree._Element | None = element
    while node is not None and node is not segment:  # segment is an ancestor: never None
        names.append(_local(node))
        node = node.getparent()
    return "/".join(reversed(names))


def _path(element: etree._Element) -> str:
    """``/ADT_A01/PID/PID.3[2]/CX.1``: an index only where a name repeats among siblings."""
    parts = []
    node: etree._Element | None = element
    while node is not None:
        name = _local(node)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


# Custom schemas by (structure, event); everything else is checked as "any HL7 v2 message".
_SCHEMAS = {("ADT_A01", "A04"): "ADT_A04", ("ADT_A03", "A03"): "ADT_A03"}


def schema_for(message: Message) -> str:
    """The schema carebridge checks a message against: its ADT schema, else hl7v2-any."""
    structure = structure_for(message.version, message.message_type, message.event,
                              message.structure)
    if (structure, message.event) in _SCHEMAS:
        return _SCHEMAS[(structure, message.event)]
    if structure == "ADT_A01":
        return "ADT_A01"
    return "hl7v2-any"
