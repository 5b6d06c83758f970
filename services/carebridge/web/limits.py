"""Request-body cap, applied before any service sees the body."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from carebridge.soap.exceptions import RequestTooLarge

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def read_capped_body(environ: dict[str, Any], limit: int) -> bytes:
    """The whole body, or RequestTooLarge; the body is then re-offered as wsgi.input."""
    length_header = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
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
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body
