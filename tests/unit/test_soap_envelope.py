"""Reading a SOAP 1.1 envelope strictly, mustUnderstand as xsd:boolean, one Security per actor."""

from __future__ import annotations

import pytest
from lxml import etree

from carebridge.soap import envelope
from carebridge.soap.exceptions import InvalidSecurity, MalformedEnvelope, VersionMismatch
from carebridge.soap.wsse.authenticate import security_header
from carebridge.soap.wsse.namespaces import WSSE

S = envelope.SOAP11_ENV
NEXT = envelope.NEXT_ACTOR


def parse(body: str, header: str = "", ns: str = S) -> etree._Element:
    return etree.fromstring(f'<S:Envelope xmlns:S="{ns}" xmlns:w="{WSSE}"><S:Header>{header}'
                            f"</S:Header><S:Body>{body}</S:Body></S:Envelope>")


def test_headers_and_the_one_operation() -> None:
    headers, operation = envelope.split_envelope(parse("<op xmlns='urn:x'/>", "<h1/><!--c--><h2/>"))
    assert [h.tag for h in headers] == ["h1", "h2"]
    assert operation.tag == "{urn:x}op"


def test_no_header_is_no_headers() -> None:
    root = etree.fromstring(f'<S:Envelope xmlns:S="{S}"><S:Body><op/></S:Body></S:Envelope>')
    assert envelope.split_envelope(root)[0] == []


@pytest.mark.parametrize(("document", "words"), [
    (parse(""), "empty"),
    (parse("  <!-- only a comment -->  "), "empty"),
    (parse("<a/><b/>"), "2 elements; one operation"),
    (etree.fromstring(f'<S:Envelope xmlns:S="{S}"><S:Header/></S:Envelope>'), "no Body"),
    (etree.fromstring(f'<S:Envelope xmlns:S="{S}"><S:Body><a/></S:Body><S:Body><b/></S:Body>'
                      "</S:Envelope>"), "one Body"),
    (etree.fromstring(f'<S:Envelope xmlns:S="{S}"><S:Header/><S:Header/><S:Body><a/></S:Body>'
                      "</S:Envelope>"), "one Header"),
    (etree.fromstring("<Envelope><Body><a/></Body></Envelope>"), "SOAP 1.1"),
    (etree.fromstring("<html/>"), "not a SOAP Envelope"),
])
def test_what_is_refused(document: etree._Element, words: str) -> None:
    with pytest.raises((MalformedEnvelope, VersionMismatch)) as info:
        envelope.split_envelope(document)
    assert info.value.faultcode in ("Client", "VersionMismatch")
    assert words in info.value.message


def test_another_soap_version_is_a_version_mismatch() -> None:
    with pytest.raises(VersionMismatch) as info:
        envelope.split_envelope(parse("<a/>", ns="http://www.w3.org/2003/05/soap-envelope"))
    assert info.value.faultcode == "VersionMismatch"


@pytest.mark.parametrize(("text", "value"), [
    ("1", True), ("true", True), (" 1", True), ("1\t", True), ("\r\n true \n", True),
    ("0", False), ("false", False), (" 0 ", False)])
def test_xsd_boolean_collapses_whitespace(text: str, value: bool) -> None:
    assert envelope.xsd_boolean(text, "flag") is value


@pytest.mark.parametrize("text", ["", "yes", "TRUE", "True", "1 1", "\u00a01", "01"])
def test_xsd_boolean_refuses_the_rest(text: str) -> None:
    with pytest.raises(MalformedEnvelope, match="flag must be 0, 1, true or false"):
        envelope.xsd_boolean(text, "flag")


def header(attributes: str = "") -> etree._Element:
    return etree.fromstring(f'<h xmlns:S="{S}" {attributes}/>')


@pytest.mark.parametrize(("attributes", "expected"), [
    ("", False),
    ('S:mustUnderstand=" 1"', True),
    ('S:mustUnderstand="true"', True),
    ('S:mustUnderstand="0"', False),
    (f'S:mustUnderstand="1" S:actor="{NEXT}"', True),
    ('S:mustUnderstand="1" S:actor=" "', True),
    ('S:mustUnderstand="1" S:actor="urn:someone-else"', False),
    ('mustUnderstand="1"', False),  # unqualified: not SOAP's attribute
])
def test_must_understand(attributes: str, expected: bool) -> None:
    assert envelope.must_understand(header(attributes)) is expected


def test_actor_of_names_carebridge_none() -> None:
    assert envelope.actor_of(header()) is None
    assert envelope.actor_of(header(f'S:actor=" {NEXT} "')) is None
    assert envelope.actor_of(header('S:actor="urn:gw"')) == "urn:gw"


def security(actor: str | None = None, name: str = "") -> etree._Element:
    element = etree.Element(f"{{{WSSE}}}Security", nsmap={"S": S})
    if actor is not None:
        element.set(f"{{{S}}}actor", actor)
    element.text = name
    return element


def test_security_header_picks_the_one_for_carebridge() -> None:
    ours, theirs = security(name="ours"), security("urn:gw", "theirs")
    assert security_header([theirs, etree.Element("other"), ours]) is ours
    assert security_header([theirs]) is None
    assert security_header([]) is None


@pytest.mark.parametrize("pair", [
    (None, None), (None, NEXT), (NEXT, ""), ("urn:gw", "urn:gw")])
def test_two_security_headers_for_one_actor_are_refused(pair: tuple[str | None, str | None]
                                                        ) -> None:
    with pytest.raises(InvalidSecurity) as info:
        security_header([security(pair[0]), security(pair[1])])
    assert (info.value.fault_namespace, info.value.faultcode) == (WSSE, "InvalidSecurity")
