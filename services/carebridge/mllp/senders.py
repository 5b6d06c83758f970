"""Which facility a connection speaks for. MLLP has no login: a client certificate's
subject (CN) names the facility, or the peer address falls in networks a facility
registered (MSH-4 picks among facilities whose networks overlap). A facility with both
needs both. Anything else is refused (AR), and nothing is stored under any facility."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from carebridge.mllp.header import Header
from carebridge.store.facilities import facility_ref
from carebridge.store.models import Facility
from carebridge.store.networks import BoundNetwork, bound_networks
from carebridge.store.ttl_cache import TtlCache, database_of
from carebridge.tenancy import FacilityRef


@dataclass(frozen=True)
class Peer:
    """The sending end of one connection (after any PROXY header)."""

    address: str | None
    certificate_name: str | None = None


@dataclass(frozen=True)
class _Directory:
    networks: tuple[BoundNetwork, ...]
    facilities: dict[str, tuple[int, bool]]  # name -> (id, enabled)


class Senders:
    """The table of facilities, their networks and names (re-read every ``ttl`` seconds:
    a new network or a disabled facility counts within that time)."""

    def __init__(self, ttl: float = 5.0) -> None:
        self._directories: TtlCache[str, _Directory] = TtlCache(ttl, size=16)

    def identify(self, session: Session, peer: Peer, header: Header) -> FacilityRef | str:
        """The facility, or why the sender is refused (text for the AR)."""
        directory = self._directories.get(database_of(session), lambda: _load(session))
        address = peer_ip(peer.address)
        if peer.certificate_name is not None:
            found = directory.facilities.get(peer.certificate_name)
            if found is None or not found[1]:
                return (f"the client certificate names {peer.certificate_name!r}, which is no "
                        "enabled facility")
            own = [n.network for n in directory.networks if n.facility_id == found[0]]
            if own and (address is None or not any(address in n for n in own)):
                return (f"facility {peer.certificate_name!r} sends only from its registered "
                        f"networks, not from {peer.address}")
            return facility_ref(session, found[0])
        if address is None:
            return "the connection's source address is unknown"
        bound: dict[int, str] = {}
        for n in directory.networks:
            if n.enabled and address in n.network:
                bound.setdefault(n.facility_id, n.facility_name)
        if not bound:
            return f"no facility is bound to source address {peer.address}"
        if len(bound) == 1:
            return facility_ref(session, next(iter(bound)))
        chosen = [i for i, name in bound.items() if name == header.sending_facility]
        if not chosen:
            return (f"source address {peer.address} is bound to facilities "
                    f"{', '.join(sorted(bound.values()))}; MSH-4 "
                    f"{header.sending_facility!r} names none of them")
        return facility_ref(session, chosen[0])


def _load(session: Session) -> _Directory:
    facilities = {name: (fid, bool(enabled)) for fid, name, enabled in session.execute(
        select(Facility.id, Facility.name, Facility.enabled))}
    return _Directory(tuple(bound_networks(session)), facilities)


def peer_ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a peer connected from (``::ffff:10.1.2.3`` as ``10.1.2.3``), or None."""
    if text is None:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:10.1.2.3 on a dual-stack socket
    return address
