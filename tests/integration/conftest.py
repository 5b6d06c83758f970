"""Pushes written by a real JVM, shared by the integration tests."""

from __future__ import annotations

import datetime as dt
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import zeep
from zeep.wsse.username import UsernameToken

from carebridge.config import Settings
from carebridge.contracts import contract_path
from carebridge.store.database import Database
from carebridge.store.models import ImportLog
from tests import jvm
from tests.conftest import FACILITIES, add_facilities, module_node
from tests.support.pushes import deliver  # noqa: F401 - the integration tests' import
from tests.support.server import Node
from tests.support.shared_record import shared  # noqa: F401 - three facilities' shared record

T0 = dt.datetime(2024, 3, 1, 9, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def jvm_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert jvm.java_available(), "javac/java are required (tests/system-deps.sh installs them)"
    return jvm.build_classes(tmp_path_factory.mktemp("jvm"))


@pytest.fixture(scope="session")
def jvm_samples(jvm_build: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A stream of sample values a JVM wrote (carebridge.testkit.WriteSamples)."""
    out = tmp_path_factory.mktemp("samples") / "samples.ser"
    subprocess.run(["java", "-cp", str(jvm_build / "classes"), "carebridge.testkit.WriteSamples",
                    str(out)], check=True, capture_output=True)
    return out.read_bytes()


@pytest.fixture(scope="session")
def realistic_push(jvm_build: Path, tmp_path_factory: pytest.TempPathFactory) -> jvm.PushFiles:
    """A first (full) push of 220 patients with notes, appointments and documents."""
    return jvm.make_push(jvm_build, tmp_path_factory.mktemp("push"), username="clinic-a",
                         patients=220, date=T0, last_date=None, seed=7)


class PushFactory:
    def __init__(self, build: Path, root: Path) -> None:
        self.build = build
        self.root = root
        self.count = 0

    def __call__(self, **kwargs: object) -> jvm.PushFiles:
        self.count += 1
        kwargs.setdefault("username", "clinic-a")
        kwargs.setdefault("patients", 3)
        kwargs.setdefault("date", T0)
        out = self.root / f"push{self.count}"
        out.mkdir(parents=True)
        return jvm.make_push(self.build, out, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def make_push(jvm_build: Path, tmp_path: Path) -> PushFactory:
    return PushFactory(jvm_build, tmp_path / "pushes")


TNS = "http://ws.caisi_integrator.oscarehr.org/"
BINDING = f"{{{TNS}}}FacilityWsPortBinding"
PATH = "/caisi_integrator/ws/FacilityService"


class Stack:
    def __init__(self, settings: Settings, db: Database, node: Node, ids: dict[str, int]):
        self.settings, self.db, self.node, self.ids = settings, db, node, ids

    @property
    def endpoint(self) -> str:
        return self.node.url + PATH

    def zeep_client(self, facility: str = "clinic-a", password: str | None = None,
                    digest: bool = False) -> zeep.Client:
        token = UsernameToken(facility, password or FACILITIES[facility], use_digest=digest)
        return zeep.Client(str(contract_path("wsdl", "FacilityService.wsdl")), wsse=token,
                           transport=zeep.Transport(timeout=10, operation_timeout=10))

    def zeep(self, facility: str = "clinic-a", password: str | None = None,
             digest: bool = False) -> zeep.proxy.ServiceProxy:
        return self.zeep_client(facility, password, digest).create_service(BINDING,
                                                                            self.endpoint)

    def add_log(self, facility: str, filename: str, checksum: str, status: str = "COMPLETED",
                start: dt.datetime = T0, end: dt.datetime = T0) -> int:
        with self.db.transaction() as session:
            row = ImportLog(facility_id=self.ids[facility], filename=filename, checksum=checksum,
                            status=status, date_interval_start=start, date_interval_end=end,
                            counts={}, attempts=1, date_created=end, last_updated=end)
            session.add(row)
            session.flush()
            return row.id

    def post(self, body: bytes, content_type: str = "text/xml; charset=utf-8"):
        request = urllib.request.Request(self.endpoint, data=body, method="POST",
                                         headers={"Content-Type": content_type,
                                                  "SOAPAction": '""'})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Stack]:
    with module_node(request, tmp_path_factory, "svc", add_facilities,
                     max_request_bytes=200_000) as (settings, db, node, ids):
        yield Stack(settings, db, node, ids)


