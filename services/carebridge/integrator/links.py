"""Which records of other facilities are the same person: the links the integrator keeps.

As in the real integrator (``DemographicLinkDao``), two records are directly linked when a
provider linked them (``demographic_link``, either direction) or when both carry the same
HIN and HIN type; the linked set of a record is the transitive closure of direct links,
without the record itself. The closure is bounded (``MAX_LINKED``): a pathological chain
cannot make one read walk the whole index.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from carebridge.integrator.access import Pk, Reader
from carebridge.integrator.exceptions import InvalidArgument
from carebridge.store.models import DemographicLink, Facility, SharedDemographic, utcnow

MAX_LINKED = 200


def direct(session: Session, pk: Pk) -> set[Pk]:
    """Records one link away: provider-made links both ways, and the same HIN."""
    facility_id, number = pk
    found: set[Pk] = set()
    links = select(DemographicLink.facility_id2, DemographicLink.demographic_no2).where(
        DemographicLink.facility_id1 == facility_id, DemographicLink.demographic_no1 == number
    ).union_all(select(DemographicLink.facility_id1, DemographicLink.demographic_no1).where(
        DemographicLink.facility_id2 == facility_id, DemographicLink.demographic_no2 == number))
    found.update((int(f), int(d)) for f, d in session.execute(links))
    identity = session.get(SharedDemographic, pk)
    if identity is not None and identity.hin and identity.hin_type:
        same_hin = select(SharedDemographic.facility_id, SharedDemographic.demographic_no).where(
            SharedDemographic.hin == identity.hin, SharedDemographic.hin_type == identity.hin_type
        ).limit(MAX_LINKED)
        found.update((int(f), int(d)) for f, d in session.execute(same_hin))
    found.discard(pk)
    return found


def closure(session: Session, pk: Pk) -> set[Pk]:
    """Every record linked to ``pk`` directly or through others, ``pk`` left out."""
    seen = {pk}
    frontier = [pk]
    while frontier and len(seen) <= MAX_LINKED:
        nxt = []
        for current in frontier:
            for other in direct(session, current):
                if other not in seen:
                    seen.add(other)
                    nxt.append(other)
        frontier = nxt
    seen.discard(pk)
    return seen


def exists(session: Session, pk: Pk) -> bool:
    return session.get(SharedDemographic, pk) is not None


def link(session: Session, reader: Reader, provider_id: str | None, mine: int | None,
         other_facility: int | None, other: int | None) -> None:
    """linkDemographics: the caller's record ``mine`` and another facility's record."""
    if not provider_id or mine is None or other_facility is None or other is None:
        raise InvalidArgument("creatorCaisiProviderId, caisiDemographicIdAtCurrentFacility, "
                              "integratorDemographicFacilityIdOnIntegrator and "
                              "caisiDemographicIdOnIntegrator are all required")
    if len(provider_id) > 64:
        raise InvalidArgument("creatorCaisiProviderId is longer than 64 characters")
    first, second = (reader.facility_id, mine), (other_facility, other)
    if first == second:
        raise InvalidArgument("a record cannot be linked to itself")
    if session.get(Facility, other_facility) is None or not exists(session, second):
        # Linking to a record nobody pushed would let a facility claim a future patient.
        raise InvalidArgument(f"facility {other_facility} has no demographic {other}")
    if _find(session, first, second) is None:
        session.add(DemographicLink(
            facility_id1=first[0], demographic_no1=first[1], facility_id2=second[0],
            demographic_no2=second[1], creator_facility_id=reader.facility_id,
            creator_provider_id=provider_id, created_at=utcnow()))


def unlink(session: Session, reader: Reader, mine: int | None, other_facility: int | None,
           other: int | None) -> None:
    """unLinkDemographics: removes a provider-made link (a same-HIN link stays)."""
    if mine is None or other_facility is None or other is None:
        raise InvalidArgument("caisiDemographicIdAtCurrentFacility, integratorDemographicFacility"
                              "IdOnIntegrator and caisiDemographicIdOnIntegrator are required")
    row = _find(session, (reader.facility_id, mine), (other_facility, other))
    if row is not None:
        session.execute(delete(DemographicLink).where(DemographicLink.id == row.id))


def _find(session: Session, a: Pk, b: Pk) -> DemographicLink | None:
    def pair(x: Pk, y: Pk) -> ColumnElement[bool]:
        return and_(DemographicLink.facility_id1 == x[0], DemographicLink.demographic_no1 == x[1],
                    DemographicLink.facility_id2 == y[0], DemographicLink.demographic_no2 == y[1])
    return session.scalars(select(DemographicLink).where(or_(pair(a, b), pair(b, a)))).first()
