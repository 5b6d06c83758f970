"""Three facilities' JVM-written pushes imported into one database, served by one node: the
stage for the shared-record tests (zeep) and OSCAR's call sequences (JAX-WS).

clinic-a and clinic-b push the same first two patients (same seed: same names, HINs), so
those are linked implicitly by HIN; clinic-c's patients are its own until a provider links
one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zeep
from sqlalchemy import select
from zeep.wsse.username import UsernameToken

from carebridge.config import Settings
from carebridge.contracts import INTEGRATOR_SERVICES, contract_path
from carebridge.integrator.importer import Importer
from carebridge.integrator.push_import import Result
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.migrate import upgrade
from carebridge.store.models import SharedDemographic
from tests import jvm
from tests.conftest import make_settings, module_database_url
from tests.support.pushes import T0, deliver
from tests.support.server import Node

PASSWORDS = {"clinic-a": "secret-a", "clinic-b": "secret-b", "clinic-c": "secret-c"}
CAISI = "http://oscarehr.org/caisi"


class Shared:
    def __init__(self, settings: Settings, db: Database, node: Node, ids: dict[str, int],
                 pushes: dict[str, jvm.PushFiles]) -> None:
        self.settings, self.db, self.node, self.ids, self.pushes = (
            settings, db, node, ids, pushes)

    def client(self, port_type: str, facility: str = "clinic-a") -> Any:
        contract = INTEGRATOR_SERVICES[port_type]
        client = zeep.Client(str(contract_path("wsdl", contract.wsdl)),
                             wsse=UsernameToken(facility, PASSWORDS[facility]),
                             transport=zeep.Transport(timeout=20, operation_timeout=20))
        return client, client.create_service(contract.binding, self.node.url + contract.path)

    def service(self, port_type: str, facility: str = "clinic-a") -> Any:
        return self.client(port_type, facility)[1]

    def demographics(self, facility: str) -> list[SharedDemographic]:
        with self.db.transaction() as session:
            return list(session.scalars(select(SharedDemographic).where(
                SharedDemographic.facility_id == self.ids[facility])
                .order_by(SharedDemographic.demographic_no)))

    def consent(self, facility: str, demographic_no: int, status: str = "GIVEN",
                share: dict[int, bool] | None = None) -> None:
        client, service = self.client("DemographicWs", facility)
        pair = client.get_type("ns0:facilityConsentPair")
        transfer = client.get_type("ns0:setConsentTransfer")(
            consentStatus=status, demographicId=demographic_no, excludeMentalHealthData=False,
            createdDate=dt.datetime.now(dt.UTC),
            consentToShareData=[pair(remoteFacilityId=f, shareData=v)
                                for f, v in (share or {}).items()])
        service.setCachedDemographicConsent(transfer)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           jvm_build: Path) -> Iterator[Shared]:
    root = tmp_path_factory.mktemp("shared")
    url = module_database_url(request, root, "shared")
    settings = make_settings(root, url)
    upgrade(url)
    db = Database(settings)
    with db.transaction() as session:
        ids = {name: add_facility(session, name, password, digest_box=db.secret_box).id
               for name, password in PASSWORDS.items()}
    pushes = {
        "clinic-a": jvm.make_push(jvm_build, root / "a", username="clinic-a", patients=4,
                                  date=T0, seed=11),
        "clinic-b": jvm.make_push(jvm_build, root / "b", username="clinic-b", patients=2,
                                  date=T0, seed=11, emr_facility_id=2),
        "clinic-c": jvm.make_push(jvm_build, root / "c", username="clinic-c", patients=2,
                                  date=T0, seed=12, emr_facility_id=3),
    }
    for push in pushes.values():
        deliver(push, settings.importer.incoming_dir)
    outcomes = Importer(db, settings).run_once()
    assert [o.result for o in outcomes] == [Result.COMPLETED] * 3, [o.reason for o in outcomes]
    node = Node(settings).start()
    try:
        yield Shared(settings, db, node, ids, pushes)
    finally:
        node.stop()
        db.dispose()
