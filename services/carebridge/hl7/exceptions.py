"""Errors of the HL7 engine. Each knows its HL7 table 0357 code and where it is.

HL7Error                      code, location (segment, sequence, field, line, position)
 ├── ParseError               the bytes are not an HL7 v2 message (100/102)
 │    └── EncodingError       bytes not in their character set, or one the engine cannot use
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
    """Where: segment id, its 1-based occurrence, field; and in the text, line and character.

    ``line`` is the 1-based line of the input (for a message, of its segments);
    ``position`` is the 1-based character within that line, or within the whole
    input when no line is known.
    """

    segment: str | None = None
    sequence: int | None = None
    field: int | None = None
    position: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        text = self._where()
        place = self._place()
        if text and place:
            return f"{text} ({place})"
        return text or place or "message"

    def _where(self) -> str:
        if self.segment is None:
            return ""
        text = self.segment
        if self.sequence and self.sequence > 1:
            text += f"[{self.sequence}]"
        if self.field is not None:
            text += f"-{self.field}"
        return text

    def _place(self) -> str:
        parts = []
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.position is not None:
            parts.append(f"character {self.position}")
        return ", ".join(parts)


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
    """Bytes not in their character set; ``undeclared``: MSH-18 names none, so a fallback
    character set given by the caller could read them."""

    code = DATA_TYPE_ERROR

    def __init__(self, message: str, location: Location | None = None,
                 code: str | None = None, *, undeclared: bool = False) -> None:
        super().__init__(message, location, code)
        self.undeclared = undeclared


class UnsupportedMessage(HL7Error):
    code = UNSUPPORTED_MESSAGE_TYPE
