"""PatientSubmissionService over HTTP on a real gunicorn node: zeep and suds-community."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import zeep
from lxml import etree
from zeep.wsse.username import UsernameToken

from carebridge.contracts import contract_path
from carebridge.hl7 import er7, v2xml
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from tests.conftest import module_node
from tests.support.server import Node

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hl7"
TNS = "urn:carebridge:patients:1"
FACILITY, PASSWORD = "TORONTO GENERAL", "tg-secret"


class Hospital:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.endpoint = node.url + "/services/PatientSubmission"

    def zeep(self, password: str = PASSWORD, digest: bool = False,  # type: ignore[no-untyped-def]
             facility: str = FACILITY):
        client = zeep.Client(str(contract_path("wsdl", "PatientSubmission.wsdl")),
                             wsse=UsernameToken(facility, password, use_digest=digest),
                             transport=zeep.Transport(timeout=10, operation_timeout=10))
        return client.create_service(f"{{{TNS}}}PatientSubmissionService", self.endpoint)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hospital(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Hospital]:
    def register(db: Database) -> None:
        with db.transaction() as session:
            add_facility(session, FACILITY, PASSWORD, digest_box=db.secret_box,
                         authorities=["HOSP", "ON"])
            add_facility(session, "OTHER HOSPITAL", "other", digest_box=db.secret_box)

    with module_node(request, tmp_path_factory, "hosp", register) as (_, _, node, _):
        yield Hospital(node)


def corpus(name: str, control_suffix: str) -> str:
    """A corpus message with a control id unique to the calling test."""
    message = er7.parse((CORPUS / name).read_bytes())
    raw = message.to_er7()
    return raw.replace(message.control_id, message.control_id + control_suffix, 1)


@pytest.mark.parametrize("digest", [False, True], ids=["text", "digest"])
def test_zeep_submits_er7_and_gets_the_ack_after_storage(hospital: Hospital, digest: bool
                                                         ) -> None:
    service = hospital.zeep(digest=digest)
    raw = corpus("adt_a01_basic.hl7", f"Z{int(digest)}")
    reply = service.submitMessage(raw)
    assert reply.ackCode == "AA"
    ack = er7.parse(reply.ack)
    assert ack.get("MSA-2") == er7.parse(raw).control_id == reply.messageControlId
    again = service.submitMessage(raw)  # a resend: the same original acknowledgment
    assert (again.ackCode, again.ackControlId) == ("AA", reply.ackControlId)
    patient = service.getPatient("12345", "HOSP")
    assert patient.familyName == "DOE" and patient.identifiers[0].value == "12345"


def test_xml_submission_and_errors_are_acks_not_faults(hospital: Hospital) -> None:
    service = hospital.zeep()
    document = v2xml.to_xml(er7.parse(corpus("adt_a04_register.hl7", "X")))
    element = etree.fromstring(document)
    reply = service.submitMessageXml({"_value_1": element})  # zeep: xs:any content
    assert reply.ackCode == "AA" and "<MSA.1>AA</MSA.1>" in reply.ack
    missing = service.submitMessage(corpus("broken_missing_pid3.hl7", "X"))
    assert missing.ackCode == "AE" and "PID-3" in missing.errors[0]
    err = er7.parse(missing.ack)
    assert (err.get("ERR-1.1"), err.get("ERR-1.3")) == ("PID", "3")
    foreign = corpus("adt_a08_update.hl7", "X").replace(FACILITY, "OTHER HOSPITAL", 1)
    assert service.submitMessage(foreign).ackCode == "AR"


def test_suds_submits_too(hospital: Hospital) -> None:
    from suds.client import Client
    from suds.wsse import Security
    from suds.wsse import UsernameToken as SudsToken

    client = Client(hospital.endpoint + "?wsdl", timeout=10)
    security = Security()
    security.tokens.append(SudsToken(FACILITY, PASSWORD))
    client.set_options(wsse=security)
    reply = client.service.submitMessage(corpus("adt_a03_discharge.hl7", "S"))
    assert reply.ackCode == "AA"


def test_bad_credentials_are_a_fault(hospital: Hospital) -> None:
    service = hospital.zeep(password="wrong")
    with pytest.raises(zeep.exceptions.Fault, match="could not be authenticated"):
        service.submitMessage(corpus("adt_a01_basic.hl7", "F"))


def test_length_of_stay_alerts_are_listed_and_payloads_stay_out_of_logs(hospital: Hospital
                                                                        ) -> None:
    from carebridge.hl7.make_adt import generate

    # Its own facility: the LOS window is per facility, untouched by the other tests.
    service = hospital.zeep(password="other", facility="OTHER HOSPITAL")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    header = "event|mrn|assigning_authority|last_name|first_name|visit_number|admit_time|" \
             "discharge_time"
    rows = [f"A03|{600 + n}|OTHER HOSPITAL|ZZMARKERNAME|ONE|LOS{n}|202403010800|"
            f"{'202403030800' if n < 3 else '202403110800'}" for n in range(4)]
    stays = generate("\n".join([header, *rows]) + "\n", sending_facility="OTHER HOSPITAL",
                     control_id_prefix=f"LOS{os.getpid()}").messages
    assert [service.submitMessage(m).ackCode for m in stays] == ["AA"] * 4
    alerts = service.listLengthOfStayAlerts(since)
    assert [(a.visitNumber, a.lengthOfStayDays, a.windowAverageDays) for a in alerts] == [
        ("LOS3", 10.0, 4.0)]
    assert "ZZMARKERNAME" not in hospital.node.log_text()


def test_hl7_send_submits_a_file_and_reports_each_ack(hospital: Hospital, tmp_path: Path
                                                      ) -> None:
    import subprocess
    import sys

    good = [corpus("adt_a01_basic.hl7", "SEND1"), corpus("adt_a03_discharge.hl7", "SEND1")]
    source = tmp_path / "batch.hl7"
    source.write_text("".join(m + "\n" for m in good))
    args = [sys.executable, "-m", "carebridge", "hl7", "send", str(source), "--url",
            hospital.endpoint, "--user", FACILITY, "--password", PASSWORD]
    sent = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert sent.returncode == 0, sent.stderr
    lines = sent.stdout.splitlines()
    assert [line.split()[1] for line in lines] == ["AA", "AA"]
    resent = subprocess.run([*args, "--xml"], capture_output=True, text=True, timeout=120)
    assert resent.returncode == 0  # the same messages again (as XML): the stored AAs
    bad = tmp_path / "bad.hl7"
    bad.write_text(corpus("broken_missing_pid3.hl7", "SEND1") + "\n")
    failed = subprocess.run([*args[:5], str(bad), *args[6:]], capture_output=True, text=True,
                            timeout=120)
    assert failed.returncode == 1 and " AE " in failed.stdout + " "


def test_the_imported_schemas_are_served(hospital: Hospital) -> None:
    import urllib.error
    import urllib.request

    base = hospital.node.url
    with urllib.request.urlopen(base + "/xsd/hl7v2-any.xsd", timeout=10) as response:
        schema = etree.fromstring(response.read())
    assert schema.get("targetNamespace") == "urn:hl7-org:v2xml"
    for bad in ("/xsd/../wsdl/FacilityService.wsdl", "/xsd/nope.xsd", "/xsd/%2e%2e%2fx.xsd"):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(base + bad, timeout=10)
        assert info.value.code == 404
