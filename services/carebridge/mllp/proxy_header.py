"""The PROXY protocol v2 header (HAProxy's ``send-proxy-v2``): the real peer of a
connection a load balancer opened. Pure: bytes in, the peer out.

Only connections from configured balancer addresses may carry one; anyone else's
bytes are never read as a header, so a sender cannot claim another address.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from carebridge.mllp.exceptions import ProxyHeaderError

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
FIXED = 16  # signature, version/command, family/protocol, length
_MAX_BODY = 4096  # addresses and TLVs; HAProxy sends far less
_LOCAL, _PROXY = 0x0, 0x1
_TCP4, _TCP6 = 0x11, 0x21
_PP2_TYPE_SSL, _PP2_SUBTYPE_SSL_CN = 0x20, 0x22
_PP2_CLIENT_CERT = 0x02 | 0x04  # a certificate on this connection or this session


def body_length(data: bytes) -> int:
    """The length the fixed part announces (``data`` holds at least FIXED bytes)."""
    return int(struct.unpack_from("!H", data, 14)[0])


@dataclass(frozen=True)
class ProxiedPeer:
    """Where the connection really comes from; None for a LOCAL header (the balancer's own
    health check), which keeps the balancer's address."""

    address: str | None
    port: int | None
    header_length: int
    # The CN of a client certificate the balancer verified (``send-proxy-v2-ssl-cn``).
    certificate_name: str | None = None


def parse(data: bytes) -> ProxiedPeer | None:
    """The header at the start of ``data``, or None while it is incomplete."""
    if len(data) < FIXED:
        if not SIGNATURE.startswith(data[:len(SIGNATURE)]):
            raise ProxyHeaderError("the connection does not begin with a PROXY v2 header")
        return None
    if not data.startswith(SIGNATURE):
        raise ProxyHeaderError("the connection does not begin with a PROXY v2 header")
    version_command, family, length = struct.unpack_from("!BBH", data, 12)
    if version_command >> 4 != 2:
        raise ProxyHeaderError(f"PROXY header version {version_command >> 4}, not 2")
    if length > _MAX_BODY:
        raise ProxyHeaderError(f"PROXY header of {length} bytes")
    total = FIXED + length
    if len(data) < total:
        return None
    command = version_command & 0x0F
    if command == _LOCAL:
        return ProxiedPeer(None, None, total)
    if command != _PROXY:
        raise ProxyHeaderError(f"PROXY header command {command:#x}")
    body = data[FIXED:total]
    if family == _TCP4 and length >= 12:
        source, port, tlvs = str(ipaddress.IPv4Address(body[:4])), body[8:10], body[12:]
    elif family == _TCP6 and length >= 36:
        source, port, tlvs = str(ipaddress.IPv6Address(body[:16])), body[32:34], body[36:]
    else:
        raise ProxyHeaderError(f"PROXY header address family {family:#x} is not TCP over IPv4/6")
    return ProxiedPeer(source, struct.unpack("!H", port)[0], total, _certificate_name(tlvs))


def _tlvs(data: bytes) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    pos = 0
    while pos + 3 <= len(data):
        kind, size = data[pos], struct.unpack_from("!H", data, pos + 1)[0]
        if pos + 3 + size > len(data):
            raise ProxyHeaderError("a PROXY header TLV runs past the header")
        found.setdefault(kind, data[pos + 3:pos + 3 + size])
        pos += 3 + size
    return found


def _certificate_name(tlvs: bytes) -> str | None:
    """PP2_TYPE_SSL: client flags (1 byte), verify result (4 bytes, 0 = verified), then
    sub-TLVs; the CN only counts for a certificate the balancer verified."""
    ssl_info = _tlvs(tlvs).get(_PP2_TYPE_SSL)
    if ssl_info is None or len(ssl_info) < 5:
        return None
    client, verify = ssl_info[0], struct.unpack_from("!I", ssl_info, 1)[0]
    if not client & _PP2_CLIENT_CERT or verify != 0:
        return None
    name = _tlvs(ssl_info[5:]).get(_PP2_SUBTYPE_SSL_CN)
    return name.decode("utf-8", "replace") if name else None


def build(source: str, port: int, destination: str, destination_port: int,
          certificate_name: str | None = None) -> bytes:
    """A PROXY v2 header as a balancer sends it (tests use it)."""
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    if src.version != dst.version:
        raise ValueError("source and destination must be of one IP version")
    family = _TCP4 if src.version == 4 else _TCP6
    body = src.packed + dst.packed + struct.pack("!HH", port, destination_port)
    if certificate_name is not None:
        cn = certificate_name.encode()
        sub = struct.pack("!BH", _PP2_SUBTYPE_SSL_CN, len(cn)) + cn
        ssl_info = struct.pack("!BI", 0x01 | 0x02, 0) + sub
        body += struct.pack("!BH", _PP2_TYPE_SSL, len(ssl_info)) + ssl_info
    return SIGNATURE + struct.pack("!BBH", 0x20 | _PROXY, family, len(body)) + body
