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
        raise ParseError("the MLLP stream ends inside a frame (no 0x1C 0x0D after the 0x0B "
                         f"at byte {len(data) - decoder.pending})")
    return messages


@dataclass
class BatchPart(Generic[AnyStr]):
    """One BHS..BTS batch of a file (or a run of messages outside any BHS): which of the
    file's messages it holds and what its BTS-1 declares."""

    line: int  # where it starts: its BHS, else its first message (or a lone BTS)
    first: int  # index in Batch.messages of its first message
    count: int = 0
    header: AnyStr | None = None  # its BHS, raw
    trailer: AnyStr | None = None  # its BTS, raw
    declared_count: int | None = None


@dataclass
class Batch(Generic[AnyStr]):
    """A file's messages and envelope segments, each of the input's kind (bytes or text)."""

    messages: list[AnyStr]
    header: list[AnyStr] = field(default_factory=list)  # FHS/BHS segments, raw
    trailer: list[AnyStr] = field(default_factory=list)  # BTS/FTS segments, raw
    # What the BTS segments declare in all (None: no BTS-1 says); each is checked alone.
    declared_count: int | None = None
    batches: list[BatchPart[AnyStr]] = field(default_factory=list)


@dataclass(frozen=True)
class _Syntax(Generic[AnyStr]):
    """The separators :func:`split_batch` needs, in the input's kind."""

    lines: re.Pattern[AnyStr]
    msh: AnyStr
    newline: AnyStr
    indent: AnyStr


_BYTES: _Syntax[bytes] = _Syntax(re.compile(rb"\r\n|\r|\n"), b"MSH", b"\r", b" \t")
_TEXT: _Syntax[str] = _Syntax(re.compile(r"\r\n|\r|\n"), "MSH", "\r", " \t")


def split_batch(data: AnyStr) -> Batch[AnyStr]:
    """Messages of a file or batch; envelope segments are kept aside, blank lines skipped,
    whitespace before a segment id dropped. Each batch's BTS-1 is checked against the
    messages of that batch."""
    if isinstance(data, bytes):
        return _Splitter(_BYTES).split(data)
    return _Splitter(_TEXT).split(data)


class _Splitter(Generic[AnyStr]):
    """One pass over the lines, cutting messages and batches as it goes."""

    def __init__(self, syntax: _Syntax[AnyStr]) -> None:
        self.syntax: _Syntax[AnyStr] = syntax
        self.batch: Batch[AnyStr] = Batch(messages=[])
        self.current: list[AnyStr] = []  # the lines of the message being read
        self.part: BatchPart[AnyStr] | None = None  # the batch being read
        self.trailers = 0  # BTS segments so far

    def split(self, data: AnyStr) -> Batch[AnyStr]:
        for number, raw in enumerate(self.syntax.lines.split(data), 1):
            if raw.strip():
                line = raw.lstrip(self.syntax.indent)
                self._line(number, len(raw) - len(line) + 1, line)
        self._end_message()
        if self.part is not None:
            self._close(self.part)
        return self.batch

    def _line(self, number: int, column: int, line: AnyStr) -> None:
        head = _head(line)
        if head in _ENVELOPE:
            self._end_message()
            self._envelope(number, head, line)
        elif line.startswith(self.syntax.msh):
            self._end_message()
            if self.part is None:
                self.part = BatchPart(line=number, first=len(self.batch.messages))
            self.part.count += 1
            self.current = [line]
        elif self.current:
            self.current.append(line)
        else:
            raise ParseError("a segment outside any message (no MSH before it)",
                             Location(head if _looks_like_id(head) else None, line=number,
                                      position=column))

    def _envelope(self, number: int, head: str, line: AnyStr) -> None:
        batch = self.batch
        (batch.header if head in ("FHS", "BHS") else batch.trailer).append(line)
        if head == "BHS":
            if self.part is not None:
                self._close(self.part)  # a batch without BTS: nothing to check
            self.part = BatchPart(line=number, first=len(batch.messages), header=line)
        elif head == "BTS":
            self.trailers += 1
            part = self.part or BatchPart(line=number, first=len(batch.messages))
            part.trailer = line
            part.declared_count = _count(line, Location("BTS", self.trailers, 1, line=number))
            self._check(part, number)
            self._close(part)

    def _check(self, part: BatchPart[AnyStr], number: int) -> None:
        declared = part.declared_count
        if declared is not None and declared != part.count:
            opened = "BHS" if part.header is not None else "first message"
            raise ParseError(
                f"BTS-1 declares {declared} message{'s' * (declared != 1)}, the batch from "
                f"line {part.line} ({opened}) holds {part.count}",
                Location("BTS", self.trailers, 1, line=number))

    def _close(self, part: BatchPart[AnyStr]) -> None:
        batch = self.batch
        batch.batches.append(part)
        if part.declared_count is not None:
            batch.declared_count = (batch.declared_count or 0) + part.declared_count
        self.part = None

    def _end_message(self) -> None:
        if self.current:
            newline = self.syntax.newline
            self.batch.messages.append(newline.join(self.current) + newline)
            self.current = []


def split_messages(data: AnyStr) -> list[AnyStr]:
    return split_batch(data).messages


def _head(line: str | bytes) -> str:
    """A segment's first three characters, as text (for bytes, undecodable ones replaced)."""
    return line[:3].decode("ascii", "replace") if isinstance(line, bytes) else line[:3]


def _looks_like_id(head: str) -> bool:
    return len(head) == 3 and head.isalnum() and head.isupper()


def _count(line: AnyStr, where: Location) -> int | None:
    """BTS-1, the batch's message count (None when empty)."""
    sep = line[3:4]
    parts = line.split(sep) if sep else [line]
    if len(parts) < 2 or not parts[1].strip():
        return None
    try:
        return int(parts[1])
    except ValueError:
        raise ParseError("BTS-1 (batch message count) is not a number", where) from None
