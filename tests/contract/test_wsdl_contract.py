"""The served WSDL and the checked-in contract can never drift apart."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

from carebridge.config import Settings
from carebridge.contracts import contract_path
from carebridge.web.app import CarebridgeApp
from tests.support.wsdl_canon import canonical

ROOT = Path(__file__).resolve().parents[2]


def served_wsdl(settings: Settings, path: str, app: CarebridgeApp | None = None) -> bytes:
    app = app or CarebridgeApp(settings)
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "wsdl",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "HTTP_HOST": "127.0.0.1:8080",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""),
    }
    status = []
    body = b"".join(app(environ, lambda s, h: status.append(s)))
    assert status == ["200 OK"], body[:500]
    return body


def test_facility_service_wsdl_matches_the_contract(sqlite_settings: Settings) -> None:
    served = canonical(served_wsdl(sqlite_settings, "/caisi_integrator/ws/FacilityService"))
    contract = canonical(contract_path("wsdl", "FacilityService.wsdl").read_bytes())
    assert served == contract
    # The OSCAR client looks these names up; they are the heart of the contract.
    assert contract["services"] == {
        "FacilityWsService": {"FacilityWsPort": "{http://ws.caisi_integrator.oscarehr.org/}"
                                                "FacilityWsPortBinding"}}
    schema = contract["schemas"]["http://ws.caisi_integrator.oscarehr.org/"]
    assert schema["elementFormDefault"] == "unqualified"
    assert [e["name"] for e in schema["types"]["importLog"][0]["sequence"]] == [
        "checksum", "dateCreated", "dateIntervalEnd", "dateIntervalStart", "dependsOn",
        "facilityId", "filename", "id", "lastUpdatedDate", "status"]


def test_canonical_form_notices_a_change() -> None:
    original = contract_path("wsdl", "FacilityService.wsdl").read_bytes()
    reordered = original.replace(
        b'<xs:element name="checksum" type="xs:string" minOccurs="0"/>\n', b"", 1
    ).replace(b'<xs:element name="status" type="xs:string" minOccurs="0"/>',
              b'<xs:element name="status" type="xs:string" minOccurs="0"/>'
              b'<xs:element name="checksum" type="xs:string" minOccurs="0"/>', 1)
    assert canonical(reordered) != canonical(original)


def test_built_wheel_ships_the_contracts(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("carebridge-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "carebridge/contracts/wsdl/FacilityService.wsdl" in names
    assert any(n.startswith("carebridge/store/migrations/versions/0001") for n in names)


def test_patient_submission_wsdl_matches_the_contract(sqlite_settings: Settings) -> None:
    served = canonical(served_wsdl(sqlite_settings, "/services/PatientSubmission"))
    contract = canonical(contract_path("wsdl", "PatientSubmission.wsdl").read_bytes())
    assert served == contract
    assert contract["targetNamespace"] == "urn:carebridge:patients:1"
    operations = contract["portTypes"]["PatientSubmissionService"]
    assert sorted(operations) == ["getPatient", "listLengthOfStayAlerts", "submitMessage",
                                  "submitMessageXml"]
