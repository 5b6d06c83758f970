"""Property-based: generated well-formed messages survive ER7 -> XML -> ER7 unchanged."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carebridge.hl7 import er7, v2xml
from carebridge.hl7.escape import Escape, escape, split_escapes, unescape
from carebridge.hl7.exceptions import HL7Error
from carebridge.hl7.framing import MLLPDecoder, frame

DELIMS = "|^~\\&"
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
segment_id = st.sampled_from(["PID", "PV1", "NK1", "OBX", "ZPD", "ZXX", "AL1", "DG1"])
segment = st.tuples(segment_id, st.lists(st.one_of(field, st.just("")), min_size=1,
                                         max_size=12)).map(
    lambda t: t[0] + "|" + _joined(list(t[1]), "|")).filter(lambda s: not s.endswith("|"))


@st.composite
def messages(draw: st.DrawFn) -> str:
    version = draw(st.sampled_from(["2.3", "2.3.1", "2.4", "2.5"]))
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
