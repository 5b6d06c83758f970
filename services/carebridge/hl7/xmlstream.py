"""Streams of several v2.xml documents (``hl7 to-xml`` writes one per line), split apart.

Several documents one after another are not one XML document, so no XML parser
reads the stream whole. The split scans the bytes for markup only (declarations,
comments, processing instructions, CDATA, tags with their quoted attributes) and
counts element depth: a document starts at an XML declaration or at a root
element, and what follows its root (comments, whitespace) stays with it. Nothing
is parsed or resolved here; every piece still goes through ``v2xml.parse_xml``
(no DTDs, no entities, no network). A DOCTYPE anywhere is refused outright, as
that parser refuses it.

Pure: bytes in, bytes out. The scan relies on ``<``, ``>`` and quotes being
single ASCII bytes, true of UTF-8 and the ISO-8859 charsets; a UTF-16 stream
(it starts with a byte-order mark) is taken as one document.
"""

from __future__ import annotations

import re

from carebridge.hl7.exceptions import Location, ParseError

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SPACE = b" \t\r\n"
# A start or end tag; attribute values may hold '>' and '<' only inside quotes.
_TAG = re.compile(rb"</?[^\s<>/!?][^<>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^<>\"']*)*>")
_DECLARATION = re.compile(rb"<\?xml[\s?]")


def is_xml(data: bytes) -> bool:
    """Whether ``data`` looks like XML rather than ER7 (its first character is ``<``)."""
    head = data.lstrip(_SPACE)
    if head.startswith(_UTF16_BOMS):
        return True
    return head.removeprefix(_UTF8_BOM).lstrip(_SPACE)[:1] == b"<"


def split_documents(data: bytes) -> list[bytes]:
    """The documents of the stream, each from its first ``<`` (or byte-order mark) on."""
    if data.lstrip(_SPACE).startswith(_UTF16_BOMS):
        return [data.lstrip(_SPACE)]
    starts: list[int] = []
    depth = 0
    opened = has_root = False  # the current document has begun / has its root
    bom: int | None = None  # a byte-order mark waiting for its document
    pos, end = 0, len(data)
    while True:
        if depth == 0:
            pos = _skip_space(data, pos)
            if pos >= end:
                break
            if data.startswith(_UTF8_BOM, pos) and bom is None:
                bom, pos = pos, pos + len(_UTF8_BOM)
                continue
            if data[pos:pos + 1] != b"<":
                raise ParseError("text outside any XML element", _at(data, pos))
        else:
            pos = data.find(b"<", pos)
            if pos == -1:
                raise ParseError("the XML stream ends inside a document (an element is "
                                 "never closed)", _at(data, end))
        markup_end, kind = _markup(data, pos)
        if depth == 0:
            if kind == "end":
                raise ParseError("an end tag with no element open", _at(data, pos))
            element = kind in ("start", "empty")
            if (not opened or bom is not None or kind == "declaration"
                    or (element and has_root)):
                starts.append(pos if bom is None else bom)
                bom, opened, has_root = None, True, False
            if element:
                has_root = True
        if kind == "start":
            depth += 1
        elif kind == "end":
            depth -= 1
        pos = markup_end
    if bom is not None or (opened and not has_root):
        raise ParseError("the XML stream ends before a document's root element",
                         _at(data, end))
    if not starts:
        return []
    return [data[start:stop] for start, stop in zip(starts, [*starts[1:], end], strict=True)]


def _skip_space(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos] in _SPACE:
        pos += 1
    return pos


def _markup(data: bytes, pos: int) -> tuple[int, str]:
    """Where the markup starting at ``pos`` ends, and what it is."""
    if data.startswith(b"<?", pos):
        close = _find(data, b"?>", pos, "processing instruction")
        kind = "declaration" if _DECLARATION.match(data, pos) else "instruction"
        return close + 2, kind
    if data.startswith(b"<!--", pos):
        return _find(data, b"-->", pos + 4, "comment") + 3, "comment"
    if data.startswith(b"<![CDATA[", pos):
        return _find(data, b"]]>", pos, "CDATA section") + 3, "text"
    if data.startswith(b"<!", pos):
        raise ParseError("DOCTYPE declarations are not allowed in HL7 v2 XML", _at(data, pos))
    match = _TAG.match(data, pos)
    if match is None:
        raise ParseError("a malformed tag", _at(data, pos))
    tag = match.group()
    if tag.startswith(b"</"):
        return match.end(), "end"
    return match.end(), "empty" if tag.endswith(b"/>") else "start"


def _find(data: bytes, closing: bytes, pos: int, what: str) -> int:
    found = data.find(closing, pos)
    if found == -1:
        raise ParseError(f"a {what} is never closed", _at(data, pos))
    return found


def _at(data: bytes, pos: int) -> Location:
    """Line and character (both from 1) of byte ``pos``, characters counted as UTF-8."""
    line_start = data.rfind(b"\n", 0, pos) + 1
    column = len(data[line_start:pos].decode("utf-8", "replace")) + 1
    return Location(line=data.count(b"\n", 0, line_start) + 1, position=column)
