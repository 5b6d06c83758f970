"""The HL7 v2 engine: pure functions over text and bytes, no I/O, nothing else of carebridge.

``er7`` parses and writes the pipe-delimited encoding, ``v2xml`` the XML one,
``framing`` finds messages in files, batches and MLLP streams, ``ack`` builds
acknowledgments, ``validate`` checks v2.xml against XSDs with HL7 locations.
"""

from carebridge.hl7.er7 import Message, Segment, parse
from carebridge.hl7.exceptions import HL7Error, Location, ParseError, UnsupportedMessage
from carebridge.hl7.v2xml import from_xml, to_xml

__all__ = [
    "HL7Error",
    "Location",
    "Message",
    "ParseError",
    "Segment",
    "UnsupportedMessage",
    "from_xml",
    "parse",
    "to_xml",
]
