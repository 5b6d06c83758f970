"""Property-based: generated well-formed messages survive ER7 -> XML -> ER7 unchanged."""

from __future__ import annotations

import contextlib
import importlib
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from carebridge.hl7 import definitions, er7, v2xml
from carebridge.hl7.escape import Escape, escape, split_escapes, unescape
from carebridge.hl7.exceptions import HL7Error
from carebridge.hl7.framing import MLLPDecoder, frame

DELIMS = "|^~\\&"
# Every version hl7apy ships definitions for.
VERSIONS = ["2.1", "2.2", "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8", "2.8.1",
            "2.8.2"]
# Text that may hold delimiters (escaped on the way in), XML specials and non-ASCII.
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from(
        list("|^~\\&<>\"'é中 ")),
    min_size=1, max_size=12,
).filter(lambda s: s.strip() == s and s != '""')


def _joined(parts: list[str], sep: str) -> str:
    # Well-formed HL7 writes no trailing empty parts.
    while parts and not parts[-1]:
        parts.pop()
    return sep.join(parts)


subcomponent = TEXT.map(lambda t: escape(t, DELIMS))
component = st.lists(st.one_of(subcomponent, st.just("")), min_size=1, max_size=3).map(
    lambda parts: _joined(parts, "&"))
repetition = st.lists(st.one_of(component, st.just("")), min_size=1, max_size=4).map(
    lambda parts: _joined(parts, "^"))
field = st.lists(repetition.filter(bool), min_size=1, max_size=3).map("~".join)
segment_id = st.sampled_from(["PID", "PV1", "NK1", "OBX", "ZPD", "ZXX", "AL1", "DG1", "EVN", "PR1",
                              "IN1", "ROL"])
segment = st.tuples(segment_id, st.lists(st.one_of(field, st.just("")), min_size=1,
                                         max_size=12)).map(
    lambda t: t[0] + "|" + _joined(list(t[1]), "|")).filter(lambda s: not s.endswith("|"))


@st.composite
def messages(draw: st.DrawFn) -> str:
    version = draw(st.sampled_from(VERSIONS))
    event = draw(st.sampled_from(["A01", "A03", "A04", "A08"]))
    control = draw(st.text(alphabet="ABCDEF0123456789", min_size=1, max_size=20))
    msh = f"MSH|^~\\&|APP|FAC|||20240101120000||ADT^{event}|{control}|P|{version}"
    body = draw(st.lists(segment, min_size=0, max_size=8))
    return "\r".join([msh, "EVN|" + event, *body]) + "\r"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_er7_to_xml_and_back_is_the_identity(text: str) -> None:
    message = er7.parse(text)
    assert message.to_er7() == text
    document = v2xml.to_xml(message)
    assert v2xml.from_xml(document).to_er7() == text


# -- messages drawn from the message structures ---------------------------------------------

_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")


def _usable(group: definitions.Group, top: bool = True) -> bool:
    """Structures a generator can fill: real segment ids, no empty groups, MSH only first."""
    if not group.children:
        return False
    for n, child in enumerate(group.children):
        if child.group is not None:
            if not _usable(child.group, False):
                return False
        elif not _SEGMENT_ID.match(child.name) or (child.name == "MSH") != (top and n == 0):
            return False
    return True


def _structures(version: str) -> list[str]:
    module = importlib.import_module(definitions.module_name(version) + ".messages")
    found = []
    for name in sorted(module.MESSAGES):
        group = definitions.structure(version, name)
        if "_" in name and group is not None and _usable(group):
            found.append(name)
    return found


STRUCTURES = [(v, name) for v in VERSIONS for name in _structures(v)]


def _instance(draw: st.DrawFn, group: definitions.Group, depth: int) -> list[str]:
    """Segment ids of one valid, non-empty instance of ``group``."""
    children = group.children
    if group.choice:
        children = (draw(st.sampled_from(children)),)
    out: list[str] = []
    for child in children:
        most = child.min if depth > 2 else child.min + 2 if child.max == -1 else child.max
        for _ in range(draw(st.integers(child.min, most))):
            out += _instance(draw, child.group, depth + 1) if child.group else [child.name]
    if not out:  # an instance holds something: its first child, once
        first = children[0]
        out = _instance(draw, first.group, depth + 1) if first.group else [first.name]
    return out


@st.composite
def structured_messages(draw: st.DrawFn) -> tuple[str, str, str]:
    version, name = draw(st.sampled_from(STRUCTURES))
    structure = definitions.structure(version, name)
    assert structure is not None
    ids = _instance(draw, structure, 0)
    message_type, _, event = name.partition("_")
    body = [f"{seg}|{n}" + draw(st.sampled_from(["", "|x^y", "||a~b"]))
            for n, seg in enumerate(ids[1:], 1)]
    msh = f"MSH|^~\\&|APP|FAC|||20240101120000||{message_type}^{event}^{name}|C1|P|{version}"
    return version, name, "\r".join([msh, *body]) + "\r"


def _valid(element: etree._Element, group: definitions.Group) -> bool:
    """The elements under ``element`` follow ``group`` (order, cardinality, choices)."""
    by_name = {c.name: c.group for c in group.children if c.group is not None}
    tags = [str(c.tag).split("}")[1] for c in element]
    if not re.fullmatch(_pattern(group), "".join(f"<{t}>" for t in tags)):
        return False
    return all(_valid(c, by_name[t]) for c, t in zip(element, tags, strict=True) if t in by_name)


def _pattern(group: definitions.Group) -> str:
    parts = []
    for child in group.children:
        most = "" if child.max == -1 else str(child.max)
        parts.append(f"(?:{re.escape('<' + child.name + '>')}){{{child.min},{most}}}")
    return "(?:" + "|".join(parts) + ")" if group.choice else "".join(parts)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structured_messages())
def test_valid_messages_get_a_valid_group_tree(case: tuple[str, str, str]) -> None:
    version, name, text = case
    document = v2xml.to_xml(er7.parse(text))
    assert v2xml.from_xml(document).to_er7() == text
    root = etree.fromstring(document)
    structure = definitions.structure(version, name)
    assert structure is not None
    assert _valid(root, structure), etree.tostring(root)


def test_the_generator_covers_every_version() -> None:
    assert {v for v, _ in STRUCTURES} == set(VERSIONS)
    assert ("2.5", "OML_O21") in STRUCTURES and ("2.3.1", "ORM_O01") in STRUCTURES
    assert len(STRUCTURES) > 1000


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_escape_then_unescape_is_the_identity(text: str) -> None:
    escaped = escape(text, DELIMS)
    assert not any(c in escaped.replace("\\F\\", "").replace("\\S\\", "").replace(
        "\\R\\", "").replace("\\T\\", "").replace("\\E\\", "") for c in "|^~&\r\n")
    assert unescape(escaped, DELIMS) == text
    parts = split_escapes(escaped, DELIMS)
    # Line breaks alone become hex escapes (raw, they would end the segment).
    assert {p.value for p in parts if isinstance(p, Escape)} <= {"X0D", "X0A", "X0D0A"}
    assert "".join(p for p in parts if isinstance(p, str)) == text.replace(
        "\r", "").replace("\n", "")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=30).filter(
    lambda b: b"\x0b" not in b and b"\x1c" not in b), min_size=1, max_size=5),
    st.integers(min_value=1, max_value=17))
def test_mllp_decoder_copes_with_any_read_sizes(payloads: list[bytes], chunk: int) -> None:
    stream = b"junk".join(frame(p) for p in payloads)
    decoder = MLLPDecoder()
    out: list[bytes] = []
    for i in range(0, len(stream), chunk):
        out.extend(decoder.feed(stream[i:i + chunk]))
    assert out == payloads


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_never_raises_anything_but_parse_errors(data: bytes) -> None:
    for candidate in (data, b"MSH|^~\\&|" + data):
        with contextlib.suppress(HL7Error):  # anything else fails the test
            v2xml.to_xml(er7.parse(candidate))
