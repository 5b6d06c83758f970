"""The importer lease on both databases: one holder, expiry, fencing."""

from __future__ import annotations

import time

import pytest

from carebridge.integrator.exceptions import LeaseLost
from carebridge.integrator.lease import Lease
from carebridge.store.database import Database


def test_one_holder_at_a_time_and_takeover_after_expiry(db: Database) -> None:
    first = Lease(db, seconds=1, holder="node-1")
    second = Lease(db, seconds=1, holder="node-2")
    assert first.acquire()
    assert not second.acquire()
    assert first.acquire()  # re-entrant for its holder
    time.sleep(1.2)
    assert second.acquire()  # node-1 went quiet: node-2 takes over
    with pytest.raises(LeaseLost), db.transaction() as session:
        first.renew(session)  # fencing: node-1 cannot commit work any more
    second.release()
    assert first.acquire()


def test_a_live_importer_inside_its_transaction_keeps_the_lease(db: Database) -> None:
    holder = Lease(db, seconds=0.5, holder="busy")
    rival = Lease(db, seconds=0.5, holder="rival")
    assert holder.acquire()
    with db.transaction() as session:
        holder.renew(session)
        time.sleep(0.8)  # the committed expiry has passed, but the holder is alive
        assert not rival.acquire()
        holder.renew(session)
    assert not rival.acquire()
