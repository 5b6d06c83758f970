"""``submit_message`` as a plain use case: a session, a FacilityRef, a payload, a policy.

No transport, no Spyne: the caller owns the unit of work, and the journal key alone
decides between a new message and a resend, also when two transactions race for it.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from carebridge.config import Settings
from carebridge.patients.policy import submit_policy
from carebridge.patients.submit import submit_message
from carebridge.store.database import Database
from carebridge.store.models import HL7Message, OutboxMessage, Patient
from tests.support.submissions import register

NOW = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)
A01 = ("MSH|^~\\&|ADT1|GHH|||20240320120000||ADT^A01|{control}|P|2.5\r"
       "EVN|A01|20240320120000\rPID|1||{mrn}^^^GHH^MR||DOE^ANN||19700101|F\rPV1|1|I\r")


def rows(db: Database, model: type) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_caller_owns_the_unit_of_work(db: Database, settings: Settings) -> None:
    ghh = register(db, "GHH")
    policy = submit_policy(settings)
    try:
        with db.transaction(writes=True) as session:
            reply = submit_message(session, ghh, A01.format(control="C1", mrn="1"), policy,
                                   received=NOW)
            assert reply.ack_code == "AA"
            raise RuntimeError("the transport failed before it could commit")
    except RuntimeError:
        pass
    # Rolled back with the caller's transaction: no journal row, no patient, no AA held.
    assert rows(db, HL7Message) == 0 and rows(db, Patient) == 0
    with db.transaction(writes=True) as session:
        first = submit_message(session, ghh, A01.format(control="C1", mrn="1"), policy)
    with db.transaction(writes=True) as session:
        again = submit_message(session, ghh, A01.format(control="C1", mrn="1"), policy)
    assert again == first and rows(db, HL7Message) == 1


def test_a_refusal_is_logged_in_the_same_unit_of_work(db: Database, settings: Settings) -> None:
    ghh = register(db, "GHH")
    with db.transaction(writes=True) as session:
        reply = submit_message(session, ghh, "not HL7 at all", submit_policy(settings))
    assert reply.ack_code == "AR" and rows(db, HL7Message) == 0
    assert rows(db, OutboxMessage) == 0


def test_two_transactions_racing_for_one_key_store_it_once(db: Database,
                                                          settings: Settings) -> None:
    """The first holds its uncommitted journal row while the second submits the same
    message: the second waits on the key and replays the first's reply."""
    ghh = register(db, "GHH")
    policy = submit_policy(settings)
    message = A01.format(control="RACE", mrn="7")
    inserted, release = threading.Event(), threading.Event()
    replies: dict[str, object] = {}

    def first() -> None:
        with db.transaction(writes=True) as session:
            replies["first"] = submit_message(session, ghh, message, policy, received=NOW)
            inserted.set()
            release.wait(10)

    def second() -> None:
        with db.transaction(writes=True) as session:
            replies["second"] = submit_message(session, ghh, message, policy, received=NOW)

    one = threading.Thread(target=first)
    one.start()
    assert inserted.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive()  # waiting for the first transaction, not storing a second copy
    release.set()
    one.join(10)
    two.join(10)
    assert replies["second"] == replies["first"]
    assert rows(db, HL7Message) == 1 and rows(db, Patient) == 1
