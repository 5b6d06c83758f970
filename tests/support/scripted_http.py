"""A tiny HTTP server on 127.0.0.1 that answers each request with the next scripted reply.

It stands in for a node that dies mid-response: a reply may be cut short, reset,
emptied or garbled at the byte level, which no real node does on demand. Each reply
is raw bytes written after the request has been read in full; the connection is
then closed (or reset), so every attempt of a client is a new connection.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PATIENTS_NS = "urn:carebridge:patients:1"


def envelope(body: str) -> bytes:
    return (f"<?xml version='1.0' encoding='UTF-8'?>\n<soap:Envelope xmlns:soap=\"{SOAP_ENV}\">"
            f"<soap:Body>{body}</soap:Body></soap:Envelope>").encode()


def acknowledgment(code: str = "AA", control_id: str = "MSG1") -> bytes:
    """A ``submitMessageResponse`` as a node sends it (the fields the clients read)."""
    return envelope(f'<tns:submitMessageResponse xmlns:tns="{PATIENTS_NS}"><tns:acknowledgment>'
                    f"<tns:ackCode>{code}</tns:ackCode>"
                    f"<tns:messageControlId>{control_id}</tns:messageControlId>"
                    "</tns:acknowledgment></tns:submitMessageResponse>")


def fault(code: str, text: str) -> bytes:
    return envelope(f"<soap:Fault><faultcode>soap:{code}</faultcode>"
                    f"<faultstring>{text}</faultstring></soap:Fault>")


def _head(status: str, *headers: str) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: text/xml; charset=utf-8", *headers,
             "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass(frozen=True)
class Reply:
    """Bytes to write, and whether to end with a reset (RST) instead of a clean close."""

    data: bytes
    reset: bool = False


def whole(body: bytes, status: str = "200 OK") -> Reply:
    return Reply(_head(status, f"Content-Length: {len(body)}") + body)


def cut_short(body: bytes) -> Reply:
    """Content-Length promises 1000 bytes; the connection closes after a hundred."""
    return Reply(_head("200 OK", "Content-Length: 1000") + body[:100])


def cut_chunked(body: bytes) -> Reply:
    """One chunk announced in full, a hundred bytes of it sent, then the close."""
    return Reply(_head("200 OK", "Transfer-Encoding: chunked")
                 + f"{len(body):x}\r\n".encode() + body[:100])


def reset_mid_body(body: bytes) -> Reply:
    return Reply(_head("200 OK", f"Content-Length: {len(body)}") + body[:100], reset=True)


def close_delimited_truncated(body: bytes) -> Reply:
    """No length: the body ends at the close, so the client reads half an envelope as whole."""
    return Reply(_head("200 OK") + body[: len(body) // 2])


def garbled_gzip(body: bytes) -> Reply:
    junk = b"\x1f\x8b\x08\x00 this is not a gzip stream"
    return Reply(_head("200 OK", "Content-Encoding: gzip", f"Content-Length: {len(junk)}")
                 + junk)


def empty_ok(body: bytes) -> Reply:
    return Reply(_head("200 OK", "Content-Length: 0"))


class ScriptedServer:
    """``script(number, request_body)`` gives the reply to the ``number``-th request (from 0)."""

    def __init__(self, script: Callable[[int, bytes], Reply]) -> None:
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with server._lock:
                    number = len(server.requests)
                    server.requests.append(body)
                reply = script(number, body)
                self.wfile.write(reply.data)
                self.wfile.flush()
                if reply.reset:  # linger 0: close sends RST, not FIN
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.connection.close()
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=10)


def in_turn(replies: Sequence[Reply]) -> Callable[[int, bytes], Reply]:
    """The replies in order, the last one repeated for every later request."""
    return lambda number, _body: replies[min(number, len(replies) - 1)]
