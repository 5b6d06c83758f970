"""Finding messages in streams: files of many messages, FHS/BHS batches, MLLP frames.

Works on bytes (or text) so that each message can be decoded with its own MSH-18.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import AnyStr, Generic

from carebridge.hl7.exceptions import Location, ParseError

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\x0d"

_ENVELOPE = ("FHS", "BHS", "BTS", "FTS")


def frame(message: bytes) -> bytes:
    """One MLLP frame: ``0x0B`` message ``0x1C 0x0D``."""
    return START_BLOCK + message + END_BLOCK


@dataclass
class MLLPDecoder:
    """Turns arbitrary reads into whole messages; keeps partial frames, drops junk between."""

    max_frame: int = 16 * 1024 * 1024
    _buffer: bytearray = field(default_factory=bytearray)
    junk_bytes: int = 0

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        messages: list[bytes] = []
        while True:
            start = self._buffer.find(START_BLOCK)
            if start == -1:
                self.junk_bytes += len(self._buffer)
                self._buffer.clear()
                return messages
            if start:
                self.junk_bytes += start
                del self._buffer[:start]
            end = self._buffer.find(END_BLOCK, 1)
            if end == -1:
                if len(self._buffer) > self.max_frame:
                    raise ParseError(f"MLLP frame longer than {self.max_frame} bytes")
                return messages
            messages.append(bytes(self._buffer[1:end]))
            del self._buffer[:end + len(END_BLOCK)]

    @property
    def pending(self) -> int:
        return len(self._buffer)


def unframe(data: bytes) -> list[bytes]:
    """Every message of an MLLP-framed file; an unterminated last frame is an error."""
    decoder = MLLPDecoder()
    messages = decoder.feed(data)
    if decoder.pending:
        raise ParseError("the MLLP stream ends inside a frame (no 0x1C 0x0D)",
                         Location(position=len(data) - decoder.pending))
    return messages


@dataclass
class Batch(Generic[AnyStr]):
    """A file's messages and envelope segments, each of the input's kind (bytes or text)."""

    messages: list[AnyStr]
    header: list[AnyStr] = field(default_factory=list)  # FHS/BHS segments, raw
    trailer: list[AnyStr] = field(default_factory=list)  # BTS/FTS segments, raw
    declared_count: int | None = None


@dataclass(frozen=True)
class _Syntax(Generic[AnyStr]):
    """The separators :func:`split_batch` needs, in the input's kind."""

    lines: re.Pattern[AnyStr]
    msh: AnyStr
    newline: AnyStr


_BYTES = _Syntax(re.compile(rb"\r\n|\r|\n"), b"MSH", b"\r")
_TEXT = _Syntax(re.compile(r"\r\n|\r|\n"), "MSH", "\r")


def split_batch(data: AnyStr) -> Batch[AnyStr]:
    """Messages of a file or batch; envelope segments are kept aside, blank lines skipped."""
    if isinstance(data, bytes):
        return _split(data, _BYTES)
    return _split(data, _TEXT)


def _split(data: AnyStr, syntax: _Syntax[AnyStr]) -> Batch[AnyStr]:
    newline = syntax.newline
    batch: Batch[AnyStr] = Batch(messages=[])
    current: list[AnyStr] = []
    for number, line in enumerate(syntax.lines.split(data), 1):
        if not line.strip():
            continue
        head = _head(line)
        if head in _ENVELOPE:
            if current:
                batch.messages.append(newline.join(current) + newline)
                current = []
            (batch.header if head in ("FHS", "BHS") else batch.trailer).append(line)
            if head == "BTS":
                batch.declared_count = _count(line)
            continue
        if line.startswith(syntax.msh):
            if current:
                batch.messages.append(newline.join(current) + newline)
            current = [line]
        elif current:
            current.append(line)
        else:
            raise ParseError(f"line {number} is outside any message (no MSH before it)",
                             Location(head, position=number))
    if current:
        batch.messages.append(newline.join(current) + newline)
    if batch.declared_count is not None and batch.declared_count != len(batch.messages):
        raise ParseError(f"BTS-1 declares {batch.declared_count} messages, the batch holds "
                         f"{len(batch.messages)}", Location("BTS", 1, 1))
    return batch


def split_messages(data: AnyStr) -> list[AnyStr]:
    return split_batch(data).messages


def _head(line: str | bytes) -> str:
    """A segment's first three characters, as text (for bytes, undecodable ones replaced)."""
    return line[:3].decode("ascii", "replace") if isinstance(line, bytes) else line[:3]


def _count(line: AnyStr) -> int | None:
    sep = line[3:4]
    parts = line.split(sep)
    if len(parts) < 2 or not parts[1]:
        return None
    try:
        return int(parts[1])
    except ValueError:
        raise ParseError("BTS-1 (batch message count) is not a number",
                         Location("BTS", 1, 1)) from None
