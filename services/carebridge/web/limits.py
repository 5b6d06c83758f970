"""What a service request must be before any service sees it: XML, plain or gzip, capped.

The cap holds for the bytes on the wire and for what they decode to: gzip is inflated
in steps, never past the cap (or past ``max_ratio`` times the compressed size), so a
gzip bomb costs no more memory than an honest request of the largest allowed size.
"""

from __future__ import annotations

import io
import zlib
from typing import IO, Any

from carebridge.soap.exceptions import RequestTooLarge, UndecodableBody, UnsupportedMedia

# SOAP 1.1 is text/xml; application/soap+xml (SOAP 1.2's) and application/xml are what
# clients configured by hand send; all three carry the same envelope.
XML_MEDIA_TYPES = frozenset({"text/xml", "application/soap+xml", "application/xml"})
GZIP_CODINGS = frozenset({"gzip", "x-gzip"})  # RFC 9110 §8.4.1.3: x-gzip is gzip
# A small envelope may compress far beyond any ratio (whitespace, repeated tags) harmlessly;
# the ratio limit starts to count above this decoded size.
RATIO_FLOOR_BYTES = 64 * 1024
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_STEP = 256 * 1024  # inflated per call: memory stays near the budget, not twice it
_SHOWN = 40  # of a refused header value, at most this many characters are echoed


def require_xml(environ: dict[str, Any]) -> None:
    """UnsupportedMedia unless the Content-Type is an XML one (a missing one is refused too:
    SOAP 1.1 over HTTP requires it and no SOAP client we know of omits it)."""
    value = environ.get("CONTENT_TYPE") or ""
    media = value.split(";", 1)[0].strip().lower()
    if media not in XML_MEDIA_TYPES:
        shown = f"Content-Type {value[:_SHOWN]!r}" if value else "a request without Content-Type"
        raise UnsupportedMedia(f"{shown} is not accepted; send text/xml")


def content_coding(environ: dict[str, Any]) -> str | None:
    """"gzip" or None (identity); UnsupportedMedia for any other Content-Encoding."""
    value = environ.get("HTTP_CONTENT_ENCODING") or ""
    codings = [c.strip().lower() for c in value.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in GZIP_CODINGS:
        return "gzip"
    raise UnsupportedMedia(f"Content-Encoding {value[:_SHOWN]!r} is not supported; use gzip")


def read_capped_body(environ: dict[str, Any], limit: int, max_ratio: float = 0.0) -> bytes:
    """The whole body, decoded, or RequestTooLarge / UndecodableBody / UnsupportedMedia.

    The decoded body is then re-offered as wsgi.input (with its length, and no
    Content-Encoding any more). ``max_ratio`` 0 means no ratio limit.
    """
    body = _read_raw(environ, limit)  # read first: a reply to an unread body may be lost (RST)
    coding = content_coding(environ)
    if coding == "gzip":
        body = gunzip_capped(body, limit, max_ratio)
        environ.pop("HTTP_CONTENT_ENCODING", None)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def gunzip_capped(data: bytes, limit: int, max_ratio: float = 0.0) -> bytes:
    """Inflate one or more gzip members, never holding more than the budget allows.

    The budget is ``limit``, and ``max_ratio`` times ``len(data)`` once the output is
    past RATIO_FLOOR_BYTES. Corrupt, truncated or trailing-garbage input is UndecodableBody.
    """
    ratio_cap = int(max_ratio * len(data)) if max_ratio > 0 else limit
    budget = min(limit, max(ratio_cap, RATIO_FLOOR_BYTES))
    out = bytearray()
    pending = data
    try:
        while True:
            inflater = zlib.decompressobj(_GZIP_WBITS)
            chunk_in = pending
            while not inflater.eof:
                piece = inflater.decompress(chunk_in, min(budget - len(out) + 1, _STEP))
                out += piece
                if len(out) > budget:
                    raise _too_large(limit, max_ratio, budget)
                chunk_in = inflater.unconsumed_tail
                if not piece and not chunk_in and not inflater.eof:
                    raise UndecodableBody("the gzip body is truncated")
            pending = inflater.unused_data
            if not pending:
                return bytes(out)
    except zlib.error as exc:
        raise UndecodableBody(f"the gzip body does not decode: {exc}") from None


def _too_large(limit: int, max_ratio: float, budget: int) -> RequestTooLarge:
    if budget < limit:
        return RequestTooLarge(limit, f"the gzip body expands more than {max_ratio:g}:1")
    return RequestTooLarge(limit, f"the decoded request body exceeds {limit} bytes")


def _read_raw(environ: dict[str, Any], limit: int) -> bytes:
    length_header = environ.get("CONTENT_LENGTH") or ""
    stream: IO[bytes] = environ["wsgi.input"]
    if length_header.strip():
        try:
            length = int(length_header)
        except ValueError:
            length = -1
        if length > limit:
            raise RequestTooLarge(limit)
        body = stream.read(length) if length >= 0 else stream.read(limit + 1)
    else:
        body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge(limit)
    return body
