"""The service contracts: the top-level ``wsdl/`` and ``xsd/``, linked into the package as
``contracts/wsdl`` and ``contracts/xsd`` (so the WSDLs' ``../xsd/`` imports resolve) and the
schemas also as ``hl7/xsd``, which ``carebridge.hl7`` locates itself (it imports nothing
else of carebridge); ``contract_path`` asks it for schemas."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from carebridge.hl7.validate import schema_path


@dataclass(frozen=True)
class ServiceContract:
    """A carebridge service as both sides see it: WSDL file, binding, path on a node."""

    wsdl: str
    binding: str
    path: str


_CAISI = "http://ws.caisi_integrator.oscarehr.org/"


def _integrator(name: str) -> ServiceContract:
    """One of the CAISI Integrator's services, named as OSCAR's stubs name it."""
    return ServiceContract(f"{name}Service.wsdl", f"{{{_CAISI}}}{name}WsPortBinding",
                           f"/caisi_integrator/ws/{name}Service")


# The six services of the CAISI Integrator, by port type (``DemographicWs``...).
INTEGRATOR_SERVICES = {
    f"{name}Ws": _integrator(name)
    for name in ("Facility", "Demographic", "Program", "Provider", "Referral", "Hnr")
}
FACILITY_SERVICE = INTEGRATOR_SERVICES["FacilityWs"]
PATIENT_SUBMISSION = ServiceContract(
    "PatientSubmission.wsdl", "{urn:carebridge:patients:1}PatientSubmissionService",
    "/services/PatientSubmission")


def contract_path(kind: str, name: str) -> Path:
    """Path of ``wsdl/<name>`` or ``xsd/<name>`` inside the installed package."""
    if kind == "xsd":
        return schema_path(name)
    if kind != "wsdl":
        raise ValueError(f"unknown contract kind {kind!r}")
    path = Path(str(files("carebridge.contracts") / kind / name))
    if not path.is_file():
        raise FileNotFoundError(f"contract {kind}/{name} is not installed with carebridge")
    return path
