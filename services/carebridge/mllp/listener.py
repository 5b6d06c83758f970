"""The MLLP listener: an asyncio accept/read loop over many long-lived connections.

Connections cost a few kilobytes each and no thread; only the group committer touches
the database. Per connection, frames are handled in order: the next frame is read after
the previous one's ACK was written. Bounded everywhere: frame size, the time a started
frame may take, idle time (if set), the time a peer may take to read its ACK, the
number of connections. Junk between frames is dropped; a frame cut by a disconnect is
neither stored nor acknowledged. A database that cannot store a message gets no ACK
at all: the connection is closed and the sender resends (to another node).

Connections from the configured balancers begin with a PROXY v2 header naming the real
peer (read byte-exact from the socket, before any TLS handshake); anyone else's are
taken as they come.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import ssl
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from carebridge.config import MllpSettings
from carebridge.hl7 import er7, framing
from carebridge.hl7.exceptions import ParseError
from carebridge.mllp import metrics, proxy_header, replies
from carebridge.mllp.exceptions import ListenerConfigError, NotStored, ProxyHeaderError
from carebridge.mllp.group_commit import GroupCommitter
from carebridge.mllp.header import msa_code, read_header
from carebridge.mllp.senders import Peer, peer_ip

log = logging.getLogger(__name__)

READ_BYTES = 65536
SEND_BUFFER = 64 * 1024
_BATCH_HEADS = (b"FHS", b"BHS")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(eq=False)  # in a set, by identity
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    busy: bool = False  # a frame is being read or answered


class Listener:
    def __init__(self, committer: GroupCommitter, settings: MllpSettings, *,
                 max_frame: int, default_charset: str = "utf-8") -> None:
        self.committer = committer
        self.settings = settings
        self.max_frame = max_frame
        self.default_charset = default_charset
        self.balancers = parse_networks(settings.proxy_from)
        self.tls = tls_context(settings)
        self._connections: set[_Connection] = set()
        self._draining = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    async def serve(self, listening: socket.socket) -> None:
        """Accept until :meth:`drain`; then wait for the connections to finish."""
        loop = asyncio.get_running_loop()
        listening.setblocking(False)
        accept = asyncio.ensure_future(self._accept(loop, listening))
        await self._draining.wait()
        accept.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await accept
        listening.close()
        for connection in list(self._connections):
            if not connection.busy:
                connection.writer.close()  # idle: the sender reconnects elsewhere
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    def drain(self) -> None:
        """Stop accepting, let in-flight frames finish, close every connection."""
        self._draining.set()

    async def _accept(self, loop: asyncio.AbstractEventLoop, listening: socket.socket) -> None:
        while True:
            try:
                sock, address = await loop.sock_accept(listening)
            except OSError as exc:  # EMFILE and the like: back off, keep serving
                log.warning("MLLP accept failed: %s", exc)
                await asyncio.sleep(0.1)
                continue
            if len(self._tasks) >= self.settings.max_connections:
                log.warning("MLLP: %d connections open, refusing one from %s",
                            len(self._connections), address[0])
                sock.close()
                continue
            task = asyncio.ensure_future(self._handle(loop, sock, address[0]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, loop: asyncio.AbstractEventLoop, sock: socket.socket,
                      address: str) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # ACKs are small: a peer that stops reading them fills this in a few hundred, and
        # then waits write_timeout at most (not the minutes an autotuned buffer takes).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        sock.setblocking(False)
        try:
            peer_address, certificate_name = address, None
            if _within(address, self.balancers):
                proxied = await asyncio.wait_for(self._proxy_header(loop, sock),
                                                 self.settings.frame_timeout)
                if proxied.address is not None:
                    peer_address = proxied.address
                certificate_name = proxied.certificate_name
            reader = asyncio.StreamReader(limit=READ_BYTES, loop=loop)
            protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
            transport, _ = await loop.connect_accepted_socket(
                lambda: protocol, sock, ssl=self.tls,
                ssl_handshake_timeout=self.settings.frame_timeout if self.tls else None)
            transport.set_write_buffer_limits(high=SEND_BUFFER)
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        except (TimeoutError, ProxyHeaderError, OSError, ssl.SSLError) as exc:
            log.warning("MLLP connection from %s dropped before its first frame: %s", address,
                        exc or type(exc).__name__)
            sock.close()
            return
        if self.tls is not None:
            certificate_name = _common_name(writer.get_extra_info("peercert")) \
                or certificate_name
        connection = _Connection(reader, writer)
        self._connections.add(connection)
        metrics.connection_opened()
        graceful = False
        try:
            graceful = await self._frames(connection, Peer(peer_address, certificate_name))
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except Exception:  # a fault of ours: this connection ends, the listener goes on
            log.exception("MLLP: the connection from %s failed", peer_address)
        finally:
            self._connections.discard(connection)
            metrics.connection_closed()
            if graceful:
                await _close(writer, self.settings.write_timeout)
            else:
                _abort(writer)

    async def _proxy_header(self, loop: asyncio.AbstractEventLoop,
                            sock: socket.socket) -> proxy_header.ProxiedPeer:
        data = b""
        while True:
            parsed = proxy_header.parse(data)
            if parsed is not None:
                return parsed
            # Never past the header: what follows may be a TLS handshake.
            want = proxy_header.FIXED - len(data) if len(data) < proxy_header.FIXED else \
                proxy_header.FIXED + proxy_header.body_length(data) - len(data)
            chunk = await loop.sock_recv(sock, want)
            if not chunk:
                raise ProxyHeaderError("the balancer closed the connection inside the "
                                       "PROXY header")
            data += chunk

    async def _frames(self, connection: _Connection, peer: Peer) -> bool:
        """Until the connection ends: True if it may close gracefully (EOF, idle, drain),
        False if it is to be reset (a stuck or broken frame, an ACK not written)."""
        decoder = framing.MLLPDecoder(max_frame=self.max_frame)
        reader, writer = connection.reader, connection.writer
        frames: list[bytes] = []
        while True:
            if not frames:
                if self._draining.is_set():
                    return True
                connection.busy = decoder.pending > 0
                timeout = self.settings.frame_timeout if decoder.pending else (
                    self.settings.idle_timeout or None)
                try:
                    data = await asyncio.wait_for(reader.read(READ_BYTES), timeout)
                except TimeoutError:
                    if decoder.pending:
                        log.warning("MLLP: a frame from %s was not completed within %.0fs; "
                                    "closing (nothing stored)", peer.address,
                                    self.settings.frame_timeout)
                        return False
                    return True
                if not data:
                    if decoder.pending:
                        log.info("MLLP: %s disconnected inside a frame (%d bytes, nothing "
                                 "stored)", peer.address, decoder.pending)
                    return True
                connection.busy = True
                try:
                    frames = decoder.feed(data)
                except ParseError as exc:
                    log.warning("MLLP: %s from %s; closing", exc.reason, peer.address)
                    return False
                continue
            frame = frames.pop(0)
            if not await self._answer(writer, peer, frame):
                return False

    async def _answer(self, writer: asyncio.StreamWriter, peer: Peer, frame: bytes) -> bool:
        metrics.frame_received(len(frame))
        if frame.lstrip()[:3] not in _BATCH_HEADS:
            return await self._answer_message(writer, peer, frame)
        try:  # a batch in one frame: each message stored and acknowledged in order
            messages = framing.split_batch(frame).messages
        except ParseError as exc:
            messages = [frame]  # answered AR by the use case, with the parser's location
            log.info("MLLP: a batch from %s cannot be split: %s", peer.address, exc)
        for message in messages:
            if not await self._answer_message(writer, peer, message):
                return False
        return True

    async def _answer_message(self, writer: asyncio.StreamWriter, peer: Peer,
                              frame: bytes) -> bool:
        header = read_header(frame)
        try:
            reply = await asyncio.wrap_future(self.committer.submit(peer, header, frame))
        except NotStored as exc:
            log.warning("MLLP: %s; closing the connection from %s without an ACK", exc,
                        peer.address)
            return False
        if reply.ack_code == "AR" and not reply.message_control_id:
            log.info("MLLP: refused a frame from %s: %s", peer.address,
                     "; ".join(reply.errors))
        charset = er7.charset_of(frame, self.default_charset) if header.encoding == "er7" \
            else "utf-8"
        for ack in replies.acknowledgments(header, reply):
            data = framing.frame(ack.encode(charset, "replace"))
            writer.write(data)
            metrics.ack_sent(msa_code(data) or reply.ack_code, len(data))
        try:
            await asyncio.wait_for(writer.drain(), self.settings.write_timeout)
        except TimeoutError:
            log.warning("MLLP: %s does not read its ACKs; closing", peer.address)
            _abort(writer)
            return False
        return True


async def _close(writer: asyncio.StreamWriter, timeout: float) -> None:
    """Close after what is written left, but never wait longer than ``timeout`` for a peer
    that reads nothing: then the connection is aborted (its unsent ACKs dropped)."""
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), timeout)
    except TimeoutError:
        _abort(writer)
    except Exception:
        pass


def _abort(writer: asyncio.StreamWriter) -> None:
    """Reset the connection now: unsent ACKs are dropped (a plain close would keep the
    socket, and its peer, waiting in FIN-WAIT-1 for a window that never opens)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def parse_networks(text: str) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(part.strip()) for part in text.split(",")
                     if part.strip())
    except ValueError as exc:
        raise ListenerConfigError(f"setting mllp_proxy_from={text!r}: {exc}") from None


def _within(address: str, networks: Iterable[Network]) -> bool:
    ip = peer_ip(address)
    return ip is not None and any(ip in network for network in networks)


def tls_context(settings: MllpSettings) -> ssl.SSLContext | None:
    """TLS with ``tls_cert``/``tls_key``; with ``tls_ca``, client certificates signed by
    it are asked for and checked (a sender without one is known by its network only)."""
    if not settings.tls_cert:
        if settings.tls_key or settings.tls_ca:
            raise ListenerConfigError("mllp_tls_key and mllp_tls_ca need mllp_tls_cert")
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key or None)
        if settings.tls_ca:
            context.load_verify_locations(settings.tls_ca)
            context.verify_mode = ssl.CERT_OPTIONAL
    except (OSError, ssl.SSLError) as exc:
        raise ListenerConfigError(f"MLLP TLS: {exc}") from None
    return context


def _common_name(certificate: object) -> str | None:
    """The subject CN of a verified client certificate (ssl's getpeercert() form)."""
    if not isinstance(certificate, dict):
        return None
    for rdn in certificate.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None
