"""The few MSH fields the MLLP door reads before the use case runs: who claims to send
(MSH-4, to pick the facility where networks overlap) and which acknowledgments are
asked for (MSH-15, MSH-16). Pure and forgiving: the use case parses the whole message
and reports what is wrong with it; here a header that cannot be read is just empty."""

from __future__ import annotations

import re
from dataclasses import dataclass

from carebridge.hl7 import v2xml
from carebridge.hl7.exceptions import HL7Error
from carebridge.hl7.xmlstream import is_xml

_FIRST_LINE = re.compile(rb"\s*(MSH[^\r\n]*)")


@dataclass(frozen=True)
class Header:
    encoding: str  # "er7" or "xml"
    sending_facility: str = ""
    accept_ack_type: str = ""  # MSH-15
    application_ack_type: str = ""  # MSH-16

    @property
    def enhanced(self) -> bool:
        """Enhanced acknowledgment mode: the sender valued MSH-15 or MSH-16."""
        return bool(self.accept_ack_type or self.application_ack_type)


def read_header(payload: bytes) -> Header:
    if is_xml(payload):
        return _xml_header(payload)
    match = _FIRST_LINE.match(payload)
    if match is None or len(match[1]) < 8:
        return Header("er7")
    line = match[1].decode("latin-1")
    fields = line.split(line[3])
    component = fields[1][:1] or "^"

    def field(number: int) -> str:  # MSH-1 is the separator itself: MSH-n is fields[n - 1]
        return fields[number - 1].split(component)[0].strip() if number <= len(fields) else ""

    return Header("er7", field(4), field(15).upper(), field(16).upper())


def _xml_header(payload: bytes) -> Header:
    try:
        message = v2xml.from_xml(payload)
    except HL7Error:
        return Header("xml")
    return Header("xml", message.get("MSH-4.1"), message.get("MSH-15").upper(),
                  message.get("MSH-16").upper())


def msa_code(ack: bytes) -> str:
    """MSA-1 of an ER7 acknowledgment ("" if it has none)."""
    start = ack.find(b"\rMSA")
    if start == -1:
        start = ack.find(b"\nMSA")
    if start != -1:
        return ack[start + 5:start + 7].decode("ascii", "replace")
    start = ack.find(b"<MSA.1>")  # a v2.xml ACK
    return ack[start + 7:start + 9].decode("ascii", "replace") if start != -1 else ""
