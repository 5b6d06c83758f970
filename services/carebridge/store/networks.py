"""The source networks each facility's MLLP senders connect from.

MLLP has no login; a facility is bound to the listener by the networks (CIDR) its
interface engines send from, and MSH-4 picks the facility where networks overlap.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from carebridge.store.exceptions import StoreError
from carebridge.store.models import Facility, FacilityNetwork

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class BoundNetwork:
    """One facility's network, as the listener matches peers against it."""

    facility_id: int
    facility_name: str
    enabled: bool
    network: Network


def parse_network(text: str) -> Network:
    """A CIDR network (``10.1.0.0/16``) or one address; host bits are an error, so a typo
    (``10.1.2.3/16``) does not silently bind a whole network."""
    try:
        return ipaddress.ip_network(text.strip())
    except ValueError as exc:
        raise StoreError(f"{text!r} is not a network (CIDR such as 10.1.0.0/16): {exc}") from None


def add_networks(session: Session, facility_id: int, networks: Iterable[str]) -> list[str]:
    """Bind these networks to the facility; those it has already are left as they are."""
    have = set(networks_of(session, facility_id))
    added = []
    for text in networks:
        network = str(parse_network(text))
        if network not in have:
            session.add(FacilityNetwork(facility_id=facility_id, network=network))
            have.add(network)
            added.append(network)
    session.flush()
    return added


def remove_networks(session: Session, facility_id: int, networks: Iterable[str]) -> None:
    wanted = [str(parse_network(text)) for text in networks]
    session.execute(delete(FacilityNetwork).where(FacilityNetwork.facility_id == facility_id,
                                                  FacilityNetwork.network.in_(wanted)))


def networks_of(session: Session, facility_id: int) -> list[str]:
    return list(session.scalars(select(FacilityNetwork.network).where(
        FacilityNetwork.facility_id == facility_id).order_by(FacilityNetwork.id)))


def bound_networks(session: Session) -> list[BoundNetwork]:
    """Every facility's networks, for the listener's table of senders."""
    rows = session.execute(select(Facility.id, Facility.name, Facility.enabled,
                                  FacilityNetwork.network)
                           .join(FacilityNetwork, FacilityNetwork.facility_id == Facility.id)
                           .order_by(FacilityNetwork.id)).all()
    return [BoundNetwork(r[0], r[1], bool(r[2]), ipaddress.ip_network(r[3])) for r in rows]
