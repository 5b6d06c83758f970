"""Errors of the HL7 engine. Each knows its HL7 table 0357 code and where it is.

HL7Error                      code, segment, sequence, field, position
 ├── ParseError               the bytes are not an HL7 v2 message (100/102)
 ├── EncodingError            a character set the engine cannot use
 └── UnsupportedMessage       type (200), event (201) or version (203) not handled

Validation problems are not raised: ``validate`` returns ``Issue`` values
carrying the same code and location, so an acknowledgment can list them all.
"""

from __future__ import annotations

from dataclasses import dataclass

# HL7 table 0357, message error condition codes.
SEGMENT_SEQUENCE_ERROR = "100"
REQUIRED_FIELD_MISSING = "101"
DATA_TYPE_ERROR = "102"
TABLE_VALUE_NOT_FOUND = "103"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT_CODE = "201"
UNSUPPORTED_PROCESSING_ID = "202"
UNSUPPORTED_VERSION_ID = "203"
UNKNOWN_KEY_IDENTIFIER = "204"
DUPLICATE_KEY_IDENTIFIER = "205"
APPLICATION_RECORD_LOCKED = "206"
APPLICATION_INTERNAL_ERROR = "207"

CODE_TEXT = {
    "0": "Message accepted",
    SEGMENT_SEQUENCE_ERROR: "Segment sequence error",
    REQUIRED_FIELD_MISSING: "Required field missing",
    DATA_TYPE_ERROR: "Data type error",
    TABLE_VALUE_NOT_FOUND: "Table value not found",
    UNSUPPORTED_MESSAGE_TYPE: "Unsupported message type",
    UNSUPPORTED_EVENT_CODE: "Unsupported event code",
    UNSUPPORTED_PROCESSING_ID: "Unsupported processing id",
    UNSUPPORTED_VERSION_ID: "Unsupported version id",
    UNKNOWN_KEY_IDENTIFIER: "Unknown key identifier",
    DUPLICATE_KEY_IDENTIFIER: "Duplicate key identifier",
    APPLICATION_RECORD_LOCKED: "Application record locked",
    APPLICATION_INTERNAL_ERROR: "Application internal error",
}


@dataclass(frozen=True)
class Location:
    """Where in a message: segment id, its 1-based occurrence, field, and character offset."""

    segment: str | None = None
    sequence: int | None = None
    field: int | None = None
    position: int | None = None

    def __str__(self) -> str:
        if self.segment is None:
            return "message"
        text = self.segment
        if self.sequence and self.sequence > 1:
            text += f"[{self.sequence}]"
        if self.field is not None:
            text += f"-{self.field}"
        if self.position is not None:
            text += f" at character {self.position}"
        return text


class HL7Error(Exception):
    """Base of the engine's errors."""

    code = APPLICATION_INTERNAL_ERROR

    def __init__(self, message: str, location: Location | None = None,
                 code: str | None = None) -> None:
        self.location = location or Location()
        self.reason = message
        if code is not None:
            self.code = code
        where = str(self.location)
        super().__init__(message if where == "message" else f"{where}: {message}")


class ParseError(HL7Error):
    code = SEGMENT_SEQUENCE_ERROR


class EncodingError(ParseError):
    code = DATA_TYPE_ERROR


class UnsupportedMessage(HL7Error):
    code = UNSUPPORTED_MESSAGE_TYPE
