"""gzip for SOAP replies when the client asks for it (``Accept-Encoding: gzip``), as
OSCAR's CXF client does with its integrator compression on. Request bodies are decoded
in ``web.limits`` (under the same caps as everything else)."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from typing import Any

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Below this a reply is sent as it is: the gzip header and trailer would outweigh the saving.
MIN_BYTES = 1024
LEVEL = 5  # zlib's speed/size middle ground: replies are small and CPU is the node's budget


def accepts_gzip(environ: dict[str, Any]) -> bool:
    """Whether ``Accept-Encoding`` lists gzip (or ``*``) with a q-value above zero."""
    for item in (environ.get("HTTP_ACCEPT_ENCODING") or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip", "*"):
            continue
        q = params.strip()
        if q.lower().startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def gzip_replies(app: WsgiApp, environ: dict[str, Any],
                 start_response: StartResponse) -> Iterable[bytes]:
    """``app``'s reply, compressed when the client accepts gzip and it is worth it."""
    if not accepts_gzip(environ):
        return app(environ, start_response)
    captured: list[Any] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured[:] = [status, headers, exc_info]
        return lambda data: None  # the legacy write(): Spyne does not use it

    chunks = app(environ, capture)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    status, headers, exc_info = captured
    names = {name.lower() for name, _ in headers}
    if len(body) >= MIN_BYTES and "content-encoding" not in names:
        body = gzip.compress(body, compresslevel=LEVEL, mtime=0)
        headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
        headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body))),
                    ("Vary", "Accept-Encoding")]
    if exc_info:
        start_response(status, headers, exc_info)
    else:
        start_response(status, headers)
    return [body]
