"""Splitting a stream of XML documents: on markup only, never fooled by text or quotes."""

from __future__ import annotations

import pytest
from lxml import etree

from carebridge.hl7.exceptions import ParseError
from carebridge.hl7.xmlstream import is_xml, split_documents

DECL = b'<?xml version="1.0" encoding="UTF-8"?>'


@pytest.mark.parametrize(("stream", "documents"), [
    (DECL + b"<a/>\n" + DECL + b"<b>1</b>\n", [DECL + b"<a/>\n", DECL + b"<b>1</b>\n"]),
    (b"<a/><b></b>", [b"<a/>", b"<b></b>"]),  # no declarations, no separators
    # '>' in an attribute, tags inside a comment and a CDATA section, a trailing comment
    (b'<a x="1>2" y=\'/>\'><!-- <b> --><![CDATA[</a><a>]]></a><!-- end -->\n<c/>',
     [b'<a x="1>2" y=\'/>\'><!-- <b> --><![CDATA[</a><a>]]></a><!-- end -->\n', b"<c/>"]),
    (b"\xef\xbb\xbf" + DECL + b"<a/>\r\n\xef\xbb\xbf<b/>",
     [b"\xef\xbb\xbf" + DECL + b"<a/>\r\n", b"\xef\xbb\xbf<b/>"]),
    (b"<?pi x?><a/>" + DECL + b"<a/>", [b"<?pi x?><a/>", DECL + b"<a/>"]),
    (b" \n", []),
])
def test_documents_are_split_whole(stream: bytes, documents: list[bytes]) -> None:
    pieces = split_documents(stream)
    assert pieces == documents
    for piece in pieces:  # each one is a well-formed document of its own
        etree.fromstring(piece, etree.XMLParser(resolve_entities=False, load_dtd=False))


@pytest.mark.parametrize(("stream", "why"), [
    (b"<a><b></b>", "never closed"),
    (b"MSH|<a/>", "text outside"),
    (b"<a/>junk", "text outside"),
    (b"<a/></a>", "no element open"),
    (DECL, "before a document's root"),
    (b'<a x="1></a>', "malformed tag"),
    (b"<a/><!-- x", "never closed"),
    (b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "DOCTYPE"),
    (b"<a/><a><!DOCTYPE a></a>", "DOCTYPE"),
])
def test_what_is_not_a_stream_of_documents_is_refused(stream: bytes, why: str) -> None:
    with pytest.raises(ParseError, match=why):
        split_documents(stream)


def test_xml_is_told_from_er7() -> None:
    assert is_xml(b"\r\n" + DECL) and is_xml(b"\xef\xbb\xbf<a/>") and is_xml(b"\xff\xfe<\x00")
    assert not is_xml(b"MSH|^~\\&|") and not is_xml(b"\x0bMSH|")
