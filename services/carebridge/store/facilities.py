"""Facility accounts (the names OSCAR's integrator client logs in with) and the
identifier domains each owns."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carebridge.store.credentials import SecretBox, hash_password
from carebridge.store.exceptions import AuthorityTaken, FacilityExists, StoreError
from carebridge.store.models import Facility, FacilityAuthority
from carebridge.store.ttl_cache import TtlCache, database_of
from carebridge.tenancy import FacilityRef

MAX_AUTHORITY_LENGTH = 128


def add_facility(
    session: Session,
    name: str,
    password: str,
    *,
    description: str | None = None,
    digest_box: SecretBox | None = None,
    is_admin: bool = False,
    authorities: Iterable[str] = (),
) -> Facility:
    """Register a facility; with ``digest_box`` it may also log in with PasswordDigest.

    ``authorities`` are the identifier domains it owns (default: its own name; the first
    is where identifiers sent without an assigning authority go). An ``is_admin``
    facility reads every facility's data (status page, index, alerts).
    """
    name = name.strip()
    if not name:
        raise StoreError("facility name must not be empty")
    if not password:
        raise StoreError("facility password must not be empty")
    domains = _clean_authorities(list(authorities) or [name])
    facility = Facility(
        name=name,
        description=description,
        password_hash=hash_password(password),
        digest_secret=digest_box.seal(name, password) if digest_box else None,
        is_admin=is_admin,
    )
    session.add(facility)
    try:
        session.flush()
    except IntegrityError as exc:
        raise FacilityExists(f"facility {name!r} already exists") from exc
    _add_authorities(session, facility, domains)
    return facility


def _add_authorities(session: Session, facility: Facility, authorities: list[str]) -> None:
    """Give a new ``facility`` its (cleaned) domains; AuthorityTaken if another owns one."""
    for authority in authorities:
        owner = session.scalars(select(Facility).join(FacilityAuthority).where(
            FacilityAuthority.authority == authority)).one_or_none()
        if owner is not None:
            raise AuthorityTaken(f"assigning authority {authority!r} already belongs to "
                                 f"facility {owner.name!r}")
        session.add(FacilityAuthority(facility_id=facility.id, authority=authority))
        session.flush()


def _clean_authorities(authorities: Iterable[str]) -> list[str]:
    out: list[str] = []
    for raw in authorities:
        authority = raw.strip()
        if not authority:
            raise StoreError("an assigning authority must not be empty")
        if len(authority) > MAX_AUTHORITY_LENGTH:
            raise StoreError(f"assigning authority {authority[:40]!r}... is longer than "
                             f"{MAX_AUTHORITY_LENGTH} characters")
        if authority not in out:
            out.append(authority)
    return out


def authorities_of(session: Session, facility_id: int) -> list[str]:
    """The facility's domains, the default (first registered) first."""
    return list(session.scalars(select(FacilityAuthority.authority).where(
        FacilityAuthority.facility_id == facility_id).order_by(FacilityAuthority.id)))


_FACILITY_REF = (select(Facility.name, Facility.is_admin, FacilityAuthority.authority)
             .outerjoin(FacilityAuthority, FacilityAuthority.facility_id == Facility.id)
             .where(Facility.id == bindparam("facility_id")).order_by(FacilityAuthority.id))
# Read for every message and query: a new authority or admin flag counts within 5 s.
_refs: TtlCache[tuple[str, int], FacilityRef] = TtlCache()


def facility_ref(session: Session, facility_id: int) -> FacilityRef:
    """The facility and its domains, as every use case takes them (cached for 5 s)."""
    return _refs.get((database_of(session), facility_id),
                     lambda: _load_ref(session, facility_id))


def _load_ref(session: Session, facility_id: int) -> FacilityRef:
    rows = session.execute(_FACILITY_REF, {"facility_id": facility_id}).all()
    if not rows:
        raise StoreError(f"no facility with id {facility_id}")
    return FacilityRef(facility_id, rows[0][0],
                 tuple(r[2] for r in rows if r[2] is not None), bool(rows[0][1]))


def find_facility(session: Session, name: str) -> Facility | None:
    return session.scalars(select(Facility).where(Facility.name == name)).one_or_none()


def list_facilities(session: Session) -> list[Facility]:
    return list(session.scalars(select(Facility).order_by(Facility.id)))
