"""The one XML parser carebridge uses on input: no DTDs, no entities, no network.

SOAP 1.1 forbids a DOCTYPE in a message, so any is refused outright rather than
parsed inertly; that also rules out billion-laughs and external entities.
"""

from __future__ import annotations

from lxml import etree

from carebridge.soap.exceptions import MalformedXml, UnsafeXml

# Nesting deeper than this is refused; no contract of ours comes near it.
MAX_DEPTH = 100


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
        collect_ids=False,
    )


def parse(data: bytes) -> etree._Element:
    """Parse untrusted XML bytes; raise UnsafeXml or MalformedXml, never anything else."""
    head = data[:4096].lstrip()
    if b"<!DOCTYPE" in head.upper():
        raise UnsafeXml("DOCTYPE and entity declarations are not allowed in SOAP messages")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        raise MalformedXml(_first_line(exc.msg or "not well-formed XML"), line, column) from None
    except ValueError as exc:  # e.g. an encoding lxml cannot handle
        raise MalformedXml(str(exc)) from None
    if root.getroottree().docinfo.doctype:
        raise UnsafeXml("DOCTYPE declarations are not allowed in SOAP messages")
    _check_depth(root)
    return root


def _check_depth(root: etree._Element) -> None:
    depth = 0
    for event, _element in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth > MAX_DEPTH:
                raise UnsafeXml(f"XML nesting deeper than {MAX_DEPTH} levels")
        else:
            depth -= 1


def _first_line(message: str) -> str:
    return message.splitlines()[0] if message else message
