"""Which records of other facilities are the same person: the links the integrator keeps.

As in the real integrator (``DemographicLinkDao``), two records are directly linked when a
provider linked them (``demographic_link``, either direction) or when both carry the same
HIN and HIN type (unless one facility gives that HIN to two patients: a placeholder such
as "0000000000" links nobody); the linked set of a record is the transitive closure of direct links,
without the record itself. The closure is bounded (``MAX_LINKED``): a pathological chain
cannot make one read walk the whole index.

A provider links one of its own facility's records to one record of another facility
that its facility may see (the owner's consent); a record is linked to at most one record
of each other facility (by hand or by HIN), so a facility cannot join two different
patients of another facility into one person.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from carebridge.integrator.access import Pk, Reader, record_reads
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
        DemographicLink.facility_id2 == facility_id, DemographicLink.demographic_no2 == number)
    ).limit(MAX_LINKED)
    found.update((int(f), int(d)) for f, d in session.execute(links))
    identity = session.get(SharedDemographic, pk)
    if identity is not None and identity.hin and identity.hin_type:
        same_hin = select(SharedDemographic.facility_id, SharedDemographic.demographic_no).where(
            SharedDemographic.hin == identity.hin, SharedDemographic.hin_type == identity.hin_type
        ).limit(MAX_LINKED)
        holders = [(int(f), int(d)) for f, d in session.execute(same_hin)]
        # A HIN one facility gives two patients is a placeholder ("0000000000"), not an
        # identity: it links nobody.
        if len({f for f, _d in holders}) == len(holders):
            found.update(holders)
    found.discard(pk)
    return found


def closure(session: Session, pk: Pk) -> set[Pk]:
    """Every record linked to ``pk`` directly or through others, ``pk`` left out."""
    seen = {pk}
    frontier = [pk]
    while frontier:
        nxt = []
        for current in frontier:
            for other in sorted(direct(session, current)):
                if len(seen) > MAX_LINKED:
                    seen.discard(pk)
                    return seen
                if other not in seen:
                    seen.add(other)
                    nxt.append(other)
        frontier = nxt
    seen.discard(pk)
    return seen


def exists(session: Session, pk: Pk) -> bool:
    return session.get(SharedDemographic, pk) is not None


def link(session: Session, reader: Reader, provider_id: str | None, mine: int | None,
         other_facility: int | None, other: int | None,
         may_see: Callable[[Pk], bool]) -> None:
    """linkDemographics: the caller's record ``mine`` and another facility's record it may
    see (``may_see``: the owner's consent). A record the caller may not see answers as one
    that does not exist."""
    if not provider_id or mine is None or other_facility is None or other is None:
        raise InvalidArgument("creatorCaisiProviderId, caisiDemographicIdAtCurrentFacility, "
                              "integratorDemographicFacilityIdOnIntegrator and "
                              "caisiDemographicIdOnIntegrator are all required")
    if len(provider_id) > 64:
        raise InvalidArgument("creatorCaisiProviderId is longer than 64 characters")
    first, second = (reader.facility_id, mine), (other_facility, other)
    if other_facility == reader.facility_id:
        raise InvalidArgument("link a record to another facility's record, not to your own")
    if not exists(session, first):
        raise InvalidArgument(f"this facility has pushed no demographic {mine}")
    if (session.get(Facility, other_facility) is None or not exists(session, second)
            or not may_see(second)):
        # Linking to a record nobody pushed would let a facility claim a future patient.
        raise InvalidArgument(f"facility {other_facility} has no demographic {other} "
                              "this facility may link to")
    if _find(session, first, second) is not None:
        return
    for end, far in ((first, second), (second, first)):
        taken = {pk for pk in direct(session, end) if pk[0] == far[0] and pk != far}
        if taken:
            raise InvalidArgument(
                f"facility {end[0]}'s demographic {end[1]} is already linked to another "
                f"record of facility {far[0]}: unlink that first")
    session.add(DemographicLink(
        facility_id1=first[0], demographic_no1=first[1], facility_id2=second[0],
        demographic_no2=second[1], creator_facility_id=reader.facility_id,
        creator_provider_id=provider_id, created_at=utcnow()))
    record_reads(reader, [(second, 0)])


def unlink(session: Session, reader: Reader, mine: int | None, other_facility: int | None,
           other: int | None) -> None:
    """unLinkDemographics: removes a provider-made link (a same-HIN link stays)."""
    if mine is None or other_facility is None or other is None:
        raise InvalidArgument("caisiDemographicIdAtCurrentFacility, integratorDemographicFacility"
                              "IdOnIntegrator and caisiDemographicIdOnIntegrator are required")
    row = _find(session, (reader.facility_id, mine), (other_facility, other))
    if row is not None:
        session.execute(delete(DemographicLink).where(DemographicLink.id == row.id))
        record_reads(reader, [((other_facility, other), 0)])


def _find(session: Session, a: Pk, b: Pk) -> DemographicLink | None:
    def pair(x: Pk, y: Pk) -> ColumnElement[bool]:
        return and_(DemographicLink.facility_id1 == x[0], DemographicLink.demographic_no1 == x[1],
                    DemographicLink.facility_id2 == y[0], DemographicLink.demographic_no2 == y[1])
    return session.scalars(select(DemographicLink).where(or_(pair(a, b), pair(b, a)))).first()
