"""SOAP 1.1 envelope structure, read strictly: pure functions over a parsed element.

Spyne's own reading takes the first Body and its first child and drops the rest, and
fails with an AttributeError on an empty Body; carebridge refuses what it would not
process instead, so nothing a client sent is silently ignored.
"""

from __future__ import annotations

from lxml import etree

from carebridge.soap.exceptions import MalformedEnvelope, VersionMismatch

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
ENVELOPE = f"{{{SOAP11_ENV}}}Envelope"
HEADER = f"{{{SOAP11_ENV}}}Header"
BODY = f"{{{SOAP11_ENV}}}Body"
MUST_UNDERSTAND = f"{{{SOAP11_ENV}}}mustUnderstand"
ACTOR = f"{{{SOAP11_ENV}}}actor"
NEXT_ACTOR = "http://schemas.xmlsoap.org/soap/actor/next"
# XML Schema's whitespace: the only characters "collapse" removes.
_XML_SPACE = " \t\r\n"


def split_envelope(envelope: etree._Element) -> tuple[list[etree._Element], etree._Element]:
    """The header blocks and the one operation element of a request envelope."""
    if not isinstance(envelope.tag, str) or etree.QName(envelope).localname != "Envelope":
        raise MalformedEnvelope("the document is not a SOAP Envelope")
    if envelope.tag != ENVELOPE:
        raise VersionMismatch(f"carebridge speaks SOAP 1.1: the Envelope must be in {SOAP11_ENV}")
    headers = [child for child in envelope if child.tag == HEADER]
    bodies = [child for child in envelope if child.tag == BODY]
    if len(headers) > 1 or len(bodies) > 1:
        raise MalformedEnvelope("a SOAP Envelope has at most one Header and one Body")
    if not bodies:
        raise MalformedEnvelope("the SOAP Envelope has no Body")
    operations = _elements(bodies[0])
    if not operations:
        raise MalformedEnvelope("the SOAP Body is empty: it must hold one operation element")
    if len(operations) > 1:
        raise MalformedEnvelope(
            f"the SOAP Body holds {len(operations)} elements; one operation per request")
    return (_elements(headers[0]) if headers else []), operations[0]


def xsd_boolean(text: str, what: str) -> bool:
    """An xsd:boolean: whitespace collapsed, then "1"/"true" or "0"/"false"."""
    value = text.strip(_XML_SPACE)
    if value in ("1", "true"):
        return True
    if value in ("0", "false"):
        return False
    raise MalformedEnvelope(f"{what} must be 0, 1, true or false")


def actor_of(header: etree._Element) -> str | None:
    """Whom a header block is for: None for carebridge (no actor, or the next one), else the URI.

    carebridge is both the first and the ultimate receiver, so an absent actor and
    SOAP 1.1's ``.../actor/next`` name the same party.
    """
    actor = (header.get(ACTOR) or "").strip(_XML_SPACE)
    return None if actor in ("", NEXT_ACTOR) else actor


def must_understand(header: etree._Element) -> bool:
    """Whether carebridge must process the header block or fault (SOAP 1.1 §4.2.3)."""
    flag = header.get(MUST_UNDERSTAND)
    if flag is None:
        return False
    return xsd_boolean(flag, "soap:mustUnderstand") and actor_of(header) is None


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]
