"""Facility accounts: the names OSCAR's integrator client logs in with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carebridge.store.credentials import SecretBox, hash_password
from carebridge.store.exceptions import FacilityExists, StoreError
from carebridge.store.models import Facility


def add_facility(
    session: Session,
    name: str,
    password: str,
    *,
    description: str | None = None,
    digest_box: SecretBox | None = None,
    is_admin: bool = False,
) -> Facility:
    """Register a facility; with ``digest_box`` it may also log in with PasswordDigest.

    An ``is_admin`` facility may read every facility's import log on the status page.
    """
    name = name.strip()
    if not name:
        raise StoreError("facility name must not be empty")
    if not password:
        raise StoreError("facility password must not be empty")
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
    return facility


def find_facility(session: Session, name: str) -> Facility | None:
    return session.scalars(select(Facility).where(Facility.name == name)).one_or_none()


def list_facilities(session: Session) -> list[Facility]:
    return list(session.scalars(select(Facility).order_by(Facility.id)))
