"""One facility never reaches another's patients or messages (both databases, real node).

GHH owns the domains GHH and GHH-LAB, OTHER its own name; ADMIN is an admin account.
Each test uses its own identifiers and control ids on the shared node.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from carebridge.contracts import PATIENT_SUBMISSION
from carebridge.hl7 import er7
from carebridge.hl7.make_adt import generate
from carebridge.soap.client import ServiceClient
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.models import HL7Message, HL7Rejection
from tests.conftest import module_node
from tests.support.server import Node

PASSWORDS = {"GHH": "ghh-pw", "OTHER": "other-pw", "ADMIN": "admin-pw"}
NOW = dt.datetime(2024, 3, 20, 12, 0)
RUN = os.getpid()
_batches = itertools.count(1)


class Site:
    def __init__(self, node: Node, db: Database) -> None:
        self.node, self.db = node, db
        self._clients: dict[str, ServiceClient] = {}

    def as_(self, facility: str) -> ServiceClient:
        if facility not in self._clients:
            self._clients[facility] = ServiceClient(
                PATIENT_SUBMISSION, self.node.url + PATIENT_SUBMISSION.path, facility,
                PASSWORDS[facility], retries=0)
        return self._clients[facility]

    def submit(self, facility: str, message: str):  # type: ignore[no-untyped-def]
        return self.as_(facility).call("submitMessage", message)

    def patient(self, facility: str, identifier: str, authority: str | None):  # type: ignore[no-untyped-def]
        return self.as_(facility).call("getPatient", identifier, authority)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Site]:
    def register(db: Database) -> None:
        with db.transaction() as session:
            add_facility(session, "GHH", PASSWORDS["GHH"], authorities=["GHH", "GHH-LAB"])
            add_facility(session, "OTHER", PASSWORDS["OTHER"])
            add_facility(session, "ADMIN", PASSWORDS["ADMIN"], is_admin=True)

    with module_node(request, tmp_path_factory, "iso", register) as (_, db, node, _):
        yield Site(node, db)


def adt(facility: str, prefix: str, *rows: str) -> list[str]:
    """Messages with control ids ``<prefix><pid>B<batch>-<n>``: new on every call."""
    header = ("event|mrn|assigning_authority|last_name|first_name|birth_date|sex|"
              "visit_number|admit_time|discharge_time")
    made = generate("\n".join([header, *rows]) + "\n", sending_app="ADT1",
                    sending_facility=facility, now=NOW,
                    control_id_prefix=f"{prefix}{RUN}B{next(_batches)}-")
    assert not made.problems, made.problems
    return made.messages


def err(reply) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    ack = er7.parse(reply.ack)
    return ack.get("ERR-1.1"), ack.get("ERR-1.3"), ack.get("ERR-1.4.1")


def test_a_patient_is_read_only_through_the_callers_own_domains(site: Site) -> None:
    (admit,) = adt("GHH", "R", "A01|1001|GHH|SECRETNAME|ANN|19700101|F|||")
    assert site.submit("GHH", admit).ackCode == "AA"
    own = site.patient("GHH", "1001", "GHH")
    assert own.familyName == "SECRETNAME"
    assert [(i.value, i.assigningAuthority) for i in own.identifiers] == [("1001", "GHH")]
    # Another facility: exactly what an unknown patient looks like.
    assert site.patient("OTHER", "1001", "GHH") is None
    assert site.patient("OTHER", "1001", None) is None
    assert site.patient("OTHER", "424242", "GHH") is None
    assert site.patient("ADMIN", "1001", "GHH").familyName == "SECRETNAME"


def test_another_facility_cannot_change_or_merge_a_patient(site: Site) -> None:
    (admit,) = adt("GHH", "C", "A01|1002|GHH|KEEPME|ANN|19700101|F|||")
    assert site.submit("GHH", admit).ackCode == "AA"
    (update,) = adt("OTHER", "C", "A08|1002|GHH|OVERWRITTEN|ANN|19700101|F|||")
    update = update.replace("EVN|A08|20240320120000", "EVN|A08|20240320180000")
    refused = site.submit("OTHER", update)
    assert refused.ackCode == "AE"
    assert err(refused) == ("PID", "3", "204")
    assert "'OTHER' does not own" in refused.errors[0]
    (own,) = adt("OTHER", "C", "A01|2002|OTHER|MINE|BOB|19700101|M|||")
    assert site.submit("OTHER", own).ackCode == "AA"
    merge = (f"MSH|^~\\&|ADT1|OTHER|||20240320130000||ADT^A40^ADT_A39|CM{RUN}|P|2.3.1\r"
             "EVN|A40|20240320130000\rPID|1||2002^^^OTHER^MR||MINE^BOB\rMRG|1002^^^GHH^MR\r")
    merged = site.submit("OTHER", merge)
    assert merged.ackCode == "AE" and err(merged) == ("MRG", "1", "204")
    kept = site.patient("GHH", "1002", "GHH")
    assert kept.familyName == "KEEPME"
    assert kept.enterpriseId != site.patient("OTHER", "2002", "OTHER").enterpriseId


def test_identifiers_without_an_authority_belong_to_the_senders_default_domain(
        site: Site) -> None:
    (admit,) = adt("GHH", "D", "A01|1003||NOAUTH|ANN|19700101|F|||")
    assert site.submit("GHH", admit).ackCode == "AA"
    found = site.patient("GHH", "1003", None)
    assert [(i.value, i.assigningAuthority) for i in found.identifiers] == [("1003", "GHH")]
    assert site.patient("OTHER", "1003", None) is None
    (lab,) = adt("GHH", "D", "A01|1004|GHH-LAB|LABONLY|ANN|19700101|F|||")
    assert site.submit("GHH", lab).ackCode == "AA"  # a second domain of the same facility
    assert site.patient("GHH", "1004", "GHH-LAB").familyName == "LABONLY"


def test_a_wrong_msh4_never_occupies_the_other_facilitys_key(site: Site) -> None:
    (squat,) = adt("OTHER", "S", "A01|1005|OTHER|SQUAT|ANN|19700101|F|||")
    refused = site.submit("GHH", squat)  # GHH signs in, MSH-4 says OTHER
    assert refused.ackCode == "AR" and err(refused) == ("MSH", "4", "207")
    assert "MSH-4 is 'OTHER'; this account sends as 'GHH'" in refused.errors[0]
    # OTHER's own message with that MSH-3/MSH-10 is new to the journal.
    assert site.submit("OTHER", squat).ackCode == "AA"
    with site.db.transaction() as session:
        ghh_id = session.scalar(select(HL7Rejection.facility_id).where(
            HL7Rejection.control_id == er7.parse(squat).control_id))
        journaled = session.scalars(select(HL7Message.sending_facility).where(
            HL7Message.control_id == er7.parse(squat).control_id)).all()
        ghh = session.scalar(select(func.min(HL7Message.facility_id)).where(
            HL7Message.sending_facility == "GHH"))
    assert journaled == ["OTHER"]
    assert ghh_id == ghh  # the refusal is logged under the caller that sent it


def test_the_same_control_id_of_two_facilities_are_two_messages(site: Site) -> None:
    (ghh,) = adt("GHH", "K", "A01|1006|GHH|ONE|ANN|19700101|F|||")
    (other,) = adt("OTHER", "K", "A01|2006|OTHER|TWO|BOB|19700101|M|||")
    other = other.replace(er7.parse(other).control_id, er7.parse(ghh).control_id)
    assert site.submit("GHH", ghh).ackCode == "AA"
    assert site.submit("OTHER", other).ackCode == "AA"


def test_alerts_are_listed_only_for_the_callers_own_encounters(site: Site) -> None:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    for facility, base in (("GHH", 3000), ("OTHER", 4000)):
        stays = adt(facility, f"L{facility[0]}", *(
            f"A03|{base + n}|{facility}|LOS|PAT|19700101|F|V{facility}{RUN}{n}|202403010800|"
            f"{'202403030800' if n < 3 else '202403110800'}" for n in range(4)))
        assert [site.submit(facility, m).ackCode for m in stays] == ["AA"] * 4
    visits = {facility: {a.visitNumber for a in site.as_(facility).call(
        "listLengthOfStayAlerts", since)} for facility in ("GHH", "OTHER", "ADMIN")}
    assert visits["GHH"] == {f"VGHH{RUN}3"}
    assert visits["OTHER"] == {f"VOTHER{RUN}3"}
    assert visits["ADMIN"] >= {f"VGHH{RUN}3", f"VOTHER{RUN}3"}
