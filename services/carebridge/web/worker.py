"""gunicorn's thread worker, made safe against slow and stuck clients.

gunicorn's ``gthread`` worker hands a connection to a thread once it has a byte to
read, and the thread then blocks until the whole request is there: a client that sends
its headers and 3 bytes of a 1,000-byte body holds a thread (a whole sync worker) for as
long as it keeps the connection open. Here the worker's main loop reads every request
itself, without blocking, into memory until its header block and body are complete
(:mod:`carebridge.web.framing`); only then does a thread get it, and that thread never
waits for the client. Idle and kept-alive connections wait in the selector as before.

Two deadlines bound a request: ``header_timeout`` from the connection (or, kept alive,
from the request's first byte) to the end of its headers, then ``body_timeout`` to the end
of its body. Past one, the client gets ``408 Request Timeout`` and the connection is
closed (a connection that sent nothing is just closed). ``Expect: 100-continue`` is
answered from the loop. A request the loop does not buffer (a body over the cap, one for
the parser to refuse, TLS) goes to a thread as it is; that thread's reads keep the same
deadline and its writes time out after ``body_timeout``, so no client holds a thread for
longer either.

Relies on gunicorn 27's ``gthread`` internals (``enqueue_req``, ``TConn.parser``).
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import time
from functools import partial
from typing import Any

from gunicorn import http
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, ThreadWorker
from lxml import etree

from carebridge.web.framing import Framing, RequestBuffer

MAX_HEADER_BYTES = 64 * 1024
# All the request bytes a worker holds at once; past it a request is given to a thread
# unbuffered (deadlines still apply), so many large slow uploads cannot exhaust memory.
MAX_BUFFERED_BYTES = 64 * 1024 * 1024
_READ_SIZE = 256 * 1024


class RequestTimeout(TimeoutError):
    """The client did not send its request within the deadline."""


def _reply(status: str, text: str) -> bytes:
    body = text.encode("ascii")
    return (f"HTTP/1.1 {status}\r\nConnection: close\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body


_TIMEOUT_REPLY = _reply("408 Request Timeout", "request not received in time\n")
# gunicorn's parser sends one again when it reads the request: a client handles any
# number of 1xx responses before the final one (RFC 9110 section 15.2).
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class DeadlineSocket:
    """What a connection's parser reads from: the socket, each read bounded by ``deadline``.

    A per-read timeout alone would let a client trickle one byte just inside it, for ever.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.deadline: float | None = None

    def recv(self, size: int) -> bytes:
        if self.deadline is None:
            return self.sock.recv(size)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimeout("request not received in time")
        previous = self.sock.gettimeout()
        self.sock.settimeout(remaining if previous is None else min(previous, remaining))
        try:
            return self.sock.recv(size)
        except TimeoutError:
            raise RequestTimeout("request not received in time") from None
        finally:
            self.sock.settimeout(previous)

    def gettimeout(self) -> float | None:
        return self.sock.gettimeout()

    def settimeout(self, value: float | None) -> None:
        self.sock.settimeout(value)


class _Reading:
    """A connection whose request the main loop is still receiving."""

    def __init__(self, conn: Any, buffer: RequestBuffer, deadline: float) -> None:
        self.conn = conn
        self.buffer = buffer
        self.deadline = deadline
        self.in_body = False  # the deadline is the body's (the header block is in)


class SlowClientWorker(ThreadWorker):
    """``gthread`` whose threads only ever get whole requests (see the module docstring)."""

    header_timeout = 10.0
    body_timeout = 30.0
    max_body_bytes = 4 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading: dict[Any, _Reading] = {}
        self._buffered = 0
        self._stopping_since: float | None = None

    def init_process(self) -> None:
        _prepare_libxml2()  # before the application loads and any thread starts
        super().init_process()

    # -- the main loop's side ---------------------------------------------------------

    def enqueue_req(self, conn: Any) -> None:
        """Every way a request reaches a thread (new connection, kept-alive connection
        readable, pipelined bytes left over) comes here first: receive it, then hand it on."""
        if getattr(conn, "whole_request", False) or not self._can_buffer(conn):
            conn.whole_request = False
            super().enqueue_req(conn)
            return
        leftover = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        buffer = RequestBuffer(MAX_HEADER_BYTES, self.max_body_bytes, leftover)
        state = _Reading(conn, buffer, time.monotonic() + self.header_timeout)
        self._reading[conn] = state
        self._buffered += len(leftover)
        conn.sock.setblocking(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, state))
        self._advance(state, buffer.feed())

    def _can_buffer(self, conn: Any) -> bool:
        """TLS bytes and HTTP/2 are not framed here: such connections get gthread's way."""
        return not (self.cfg.is_ssl or conn.is_http2
                    or negotiation.prior_knowledge_allowed(self.cfg, conn.client))

    def _on_readable(self, state: _Reading, sock: socket.socket) -> None:
        try:
            chunk = sock.recv(_READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            if exc.errno not in (errno.ECONNRESET, errno.ENOTCONN, errno.EPIPE):
                self.log.warning("reading a request from %s: %s", _peer(state.conn), exc)
            self._drop(state)
            return
        if not chunk:  # the client closed (or gave up) before sending a whole request
            self._drop(state)
            return
        self._buffered += len(chunk)
        self._advance(state, state.buffer.feed(chunk))

    def _advance(self, state: _Reading, framing: Framing) -> None:
        if state.buffer.headers_complete and not state.in_body:
            state.in_body = True
            state.deadline = time.monotonic() + self.body_timeout
            if framing is Framing.INCOMPLETE and state.buffer.continue_expected:
                with contextlib.suppress(OSError):
                    state.conn.sock.send(_CONTINUE)
        if framing is Framing.INCOMPLETE and self._buffered <= MAX_BUFFERED_BYTES:
            return
        self._handoff(state)

    def _handoff(self, state: _Reading) -> None:
        """To a thread: the received bytes go back into the connection's parser."""
        conn = state.conn
        self._forget(state)
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, DeadlineSocket(conn.sock), conn.client)
        conn.parser.unreader.unread(bytes(state.buffer.data))
        source = getattr(conn.parser.unreader, "sock", None)
        if isinstance(source, DeadlineSocket):  # what is left to read, the thread reads
            source.deadline = state.deadline + (0 if state.in_body else self.body_timeout)
        conn.data_ready = True  # gthread's own wait for a first byte is not needed
        conn.whole_request = True
        self.enqueue_req(conn)

    def murder_pending(self) -> None:
        """Also, once a second: past their deadline, requests still arriving are refused."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive and self._stopping_since is None:
            self._stopping_since = now
        for state in list(self._reading.values()):
            if self._stopping_since is not None and not state.buffer.data:
                # Stopping: a connection that has sent nothing is not waited for long.
                state.deadline = min(state.deadline, self._stopping_since + STOP_KEEPALIVE_LINGER)
            if state.deadline <= now:
                self._time_out(state)

    def _time_out(self, state: _Reading) -> None:
        if state.buffer.data:
            part, limit = (("body", self.body_timeout) if state.in_body
                           else ("headers", self.header_timeout))
            self.log.info("%s: request %s not received within %gs; answered 408",
                          _peer(state.conn), part, limit)
            _drain(state.conn.sock)
            with contextlib.suppress(OSError):
                state.conn.sock.send(_TIMEOUT_REPLY)
        self._drop(state)

    def _drop(self, state: _Reading) -> None:
        self._forget(state)
        self.nr_conns -= 1
        state.conn.close()

    def _forget(self, state: _Reading) -> None:
        self._reading.pop(state.conn, None)
        self._buffered -= len(state.buffer.data)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(state.conn.sock)

    # -- a thread's side --------------------------------------------------------------

    def handle_request(self, req: Any, conn: Any) -> bool:
        """Writes time out too (a client that reads nothing); a body that stops coming
        (only on unbuffered requests) is answered 408 instead of logged as an error."""
        conn.sock.settimeout(self.body_timeout)
        try:
            return bool(super().handle_request(req, conn))
        except RequestTimeout:
            self.log.info("%s: request body stalled while a thread read it; answered 408",
                          _peer(conn))
            with contextlib.suppress(OSError):
                conn.sock.sendall(_TIMEOUT_REPLY)
        except TimeoutError:
            self.log.info("%s: the client stopped reading its response; closed", _peer(conn))
        return False


def _prepare_libxml2() -> None:
    """libxml2 sets up its XML Schema built-in types when the first schema is compiled, and
    not thread-safely: two threads compiling their first schemas at once can leave every
    later compilation in the process failing ("the given type is not a built-in type").
    One compiled here, before there are threads, sets them up."""
    etree.XMLSchema(etree.XML(b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>'))


def _drain(sock: socket.socket) -> None:
    """Read what the client already sent, so closing does not reset the 408 away."""
    try:
        while sock.recv(_READ_SIZE):
            pass
    except OSError:
        pass


def _peer(conn: Any) -> str:
    client = conn.client
    return f"{client[0]}:{client[1]}" if isinstance(client, tuple) else str(client)


def configured(*, header_timeout: float, body_timeout: float,
               max_body_bytes: int) -> type[SlowClientWorker]:
    """The worker class with carebridge's settings (gunicorn takes a class as worker_class)."""
    return type("SlowClientWorker", (SlowClientWorker,), {
        "header_timeout": header_timeout, "body_timeout": body_timeout,
        "max_body_bytes": max_body_bytes, "__module__": __name__,
    })
