"""Schema and storage basics on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from carebridge.config import Settings
from carebridge.store.database import Database
from carebridge.store.exceptions import FacilityExists
from carebridge.store.facilities import add_facility, find_facility
from carebridge.store.migrate import check, is_current, upgrade
from carebridge.store.models import ImportLog


def test_migrations_and_models_agree(settings: Settings) -> None:
    upgrade(settings.database_url)
    check(settings.database_url)  # `alembic check`: raises if models and migrations drift
    database = Database(settings)
    assert is_current(database.engine)
    database.dispose()


def test_facility_names_are_unique_and_passwords_never_plain(db: Database) -> None:
    with db.transaction() as session:
        facility = add_facility(session, "clinic-z", "pw-123", digest_box=db.secret_box)
        assert facility.password_hash.startswith("scrypt$")
        assert "pw-123" not in facility.password_hash + (facility.digest_secret or "")
    with pytest.raises(FacilityExists), db.transaction() as session:
        add_facility(session, "clinic-z", "other")
    with db.transaction() as session:
        assert find_facility(session, "clinic-z").id == facility.id


def test_datetimes_round_trip_as_utc(db: Database, facilities: dict[str, int]) -> None:
    moment = dt.datetime(2024, 6, 1, 12, 30, 15, 123000,
                         tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    with db.transaction() as session:
        row = ImportLog(facility_id=facilities["clinic-a"], filename="f", checksum="c" * 32,
                        status="COMPLETED", counts={"x": 1}, attempts=1,
                        date_interval_end=moment)
        session.add(row)
        session.flush()
        row_id = row.id
    with db.transaction() as session:
        stored = session.get(ImportLog, row_id)
        assert stored.date_interval_end == moment
        assert stored.date_interval_end.tzinfo == dt.UTC
        assert stored.counts == {"x": 1}


def test_expired_nonces_are_purged(db: Database, facilities: dict[str, int]) -> None:
    from carebridge.soap.wsse import nonces
    from carebridge.store.models import WsseNonce

    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with db.transaction() as session:
        nonces.remember(session, facilities["clinic-a"], b"old", now - dt.timedelta(seconds=1))
        nonces.remember(session, facilities["clinic-a"], b"new", now + dt.timedelta(seconds=60))
    with db.transaction() as session:
        assert nonces.purge_expired(session, now) == 1
        assert [n.nonce for n in session.query(WsseNonce)] == ["bmV3"]
