"""Where an HTTP/1.x request ends, told from the bytes received so far (no I/O).

The web worker (:mod:`carebridge.web.worker`) reads each request into memory before any
thread sees it, and needs to know when it has all of it: the header block, then a body
of ``Content-Length`` bytes or a ``chunked`` body up to its last chunk and trailers. This
module only frames; validating the request stays gunicorn's parser's job. So anything
unusual (duplicate or non-numeric lengths, other transfer codings, an ``Expect`` other
than ``100-continue``, folded header lines, a bare LF) is ``UNBUFFERED``: the parser gets
the request as it is and judges it, reading what is left itself.
"""

from __future__ import annotations

import enum
import re

_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")
_DIGITS = re.compile(rb"[0-9]{1,19}")
_MAX_CHUNK_LINE = 8 * 1024


class Framing(enum.Enum):
    INCOMPLETE = "incomplete"  # more bytes are needed
    COMPLETE = "complete"  # one whole request (perhaps with the next one's start after it)
    UNBUFFERED = "unbuffered"  # not framed here: too large, or for the parser to judge


class RequestBuffer:
    """The bytes of one request as they arrive; :meth:`feed` says how far it is."""

    def __init__(self, max_header_bytes: int, max_body_bytes: int, data: bytes = b"") -> None:
        self.max_header_bytes = max_header_bytes
        self.max_body_bytes = max_body_bytes
        self.data = bytearray(data)
        self.body_start: int | None = None  # set once the header block is complete
        self._length: int | None = None  # Content-Length, once known
        self._chunk_at: int | None = None  # chunked: where the next chunk-size line starts
        # The last search that found nothing: (what, from where, how far it looked).
        self._searched: tuple[bytes, int, int] = (b"", 0, 0)
        self._lf_checked = 0  # how far the header block is known to have no bare LF pair
        # An HTTP/1.1 client that waits for "100 Continue" before it sends the body.
        self.continue_expected = False

    @property
    def headers_complete(self) -> bool:
        return self.body_start is not None

    def feed(self, chunk: bytes = b"") -> Framing:
        self.data += chunk
        if self.body_start is None:
            return self._headers()
        if self._length is not None:
            return self._fixed_length()
        return self._chunked()

    def _headers(self) -> Framing:
        start = 0
        while start < 4 and self.data.startswith(b"\r\n", start):  # allowed before a request
            start += 2
        end = self._find(b"\r\n\r\n", start)
        if end < 0:
            too_long = len(self.data) > self.max_header_bytes
            bare_lf = self.data.find(b"\n\n", max(start, self._lf_checked - 1)) >= 0
            self._lf_checked = len(self.data)
            return Framing.UNBUFFERED if too_long or bare_lf else Framing.INCOMPLETE
        if end > self.max_header_bytes:
            return Framing.UNBUFFERED
        self.body_start = end + 4
        block = bytes(self.data[start:end])
        fields = _fields(block)
        if fields is None:
            return Framing.UNBUFFERED
        expect = fields.get(b"expect", [])
        if expect:
            if [value.lower() for value in expect] != [b"100-continue"]:
                return Framing.UNBUFFERED  # the parser answers 417
            self.continue_expected = block.split(b"\r\n", 1)[0].endswith(b" HTTP/1.1")
        lengths = fields.get(b"content-length", [])
        codings = fields.get(b"transfer-encoding", [])
        if codings:
            last = b",".join(codings).split(b",")[-1].strip().lower()
            if lengths or last != b"chunked":
                return Framing.UNBUFFERED
            self._chunk_at = self.body_start
            return self._chunked()
        if len(lengths) > 1 or (lengths and not _DIGITS.fullmatch(lengths[0])):
            return Framing.UNBUFFERED
        self._length = int(lengths[0]) if lengths else 0
        if self._length > self.max_body_bytes:
            return Framing.UNBUFFERED
        return self._fixed_length()

    def _fixed_length(self) -> Framing:
        assert self.body_start is not None and self._length is not None
        if len(self.data) >= self.body_start + self._length:
            return Framing.COMPLETE
        return Framing.INCOMPLETE

    def _chunked(self) -> Framing:
        assert self.body_start is not None and self._chunk_at is not None
        while True:
            at = self._chunk_at
            line_end = self._find(b"\r\n", at)
            if line_end < 0:
                return Framing.UNBUFFERED if len(self.data) - at > _MAX_CHUNK_LINE \
                    else Framing.INCOMPLETE
            size_text = bytes(self.data[at:line_end]).split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size_text):
                return Framing.UNBUFFERED
            size = int(size_text, 16)
            if size == 0:
                return self._trailers(line_end)
            self._chunk_at = line_end + 2 + size + 2
            if self._chunk_at - self.body_start > self.max_body_bytes:
                return Framing.UNBUFFERED
            if self._chunk_at > len(self.data):
                return Framing.INCOMPLETE

    def _trailers(self, last_chunk_line_end: int) -> Framing:
        # The last chunk's CRLF, optional trailer fields, and the empty line.
        if self._find(b"\r\n\r\n", last_chunk_line_end) >= 0:
            return Framing.COMPLETE
        if len(self.data) - last_chunk_line_end > self.max_header_bytes:
            return Framing.UNBUFFERED
        return Framing.INCOMPLETE

    def _find(self, needle: bytes, start: int) -> int:
        """``data.find(needle, start)``, without scanning again what the same search found
        nothing in last time: a client sending a byte at a time costs linear time."""
        what, where, looked = self._searched
        resume = max(start, looked - len(needle) + 1) if (what, where) == (needle, start) \
            else start
        at = self.data.find(needle, resume)
        self._searched = (needle, start, len(self.data)) if at < 0 else (b"", 0, 0)
        return at


def _fields(block: bytes) -> dict[bytes, list[bytes]] | None:
    """Header values by lower-case name; None for a block the parser should judge."""
    lines = block.split(b"\r\n")
    fields: dict[bytes, list[bytes]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or b"\n" in line:
            return None  # folded, malformed or bare-LF lines
        fields.setdefault(name.lower(), []).append(value.strip())
    return fields
