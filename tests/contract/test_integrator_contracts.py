"""Every CAISI Integrator service: the served WSDL equals the checked-in contract, and the
contract says what OSCAR's client stubs say (the facts in contracts/caisi_integrator.json).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from carebridge.config import Settings
from carebridge.contracts import INTEGRATOR_SERVICES, contract_path
from tests.contract.test_wsdl_contract import served_wsdl
from tests.support.wsdl_canon import canonical

TNS = "http://ws.caisi_integrator.oscarehr.org/"
XS = "http://www.w3.org/2001/XMLSchema"
FACTS: dict[str, Any] = json.loads(
    contract_path("wsdl", "FacilityService.wsdl").parent.parent.joinpath(
        "caisi_integrator.json").read_text("utf-8"))
# How many operations each real interface has (OSCAR's stubs; the issue counts them too).
REAL_OPERATIONS = {"FacilityWs": 11, "DemographicWs": 54, "ProgramWs": 4, "ProviderWs": 6,
                   "ReferralWs": 5, "HnrWs": 4}


def _qualified(name: str) -> str:
    prefix, _, local = name.partition(":")
    namespace = XS if prefix == "xs" else FACTS["namespaces"][prefix]
    return f"{{{namespace}}}{local}"


def _expected(elements: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["name"], _qualified(e["type"]), str(e["min"]), str(e["max"])) for e in elements]


def _sequence(particles: list[Any]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for particle in particles:
        if "name" in particle:
            out.append((particle["name"], particle["type"], particle["min"], particle["max"]))
        for key in ("sequence", "complexContent", "extension", "complexType"):
            out += _sequence(particle.get(key, []))
    return out


@pytest.mark.parametrize("port_type", sorted(INTEGRATOR_SERVICES))
def test_served_wsdl_is_the_contract(sqlite_settings: Settings, port_type: str) -> None:
    contract = INTEGRATOR_SERVICES[port_type]
    served = canonical(served_wsdl(sqlite_settings, contract.path))
    assert served == canonical(contract_path("wsdl", contract.wsdl).read_bytes())
    facts = FACTS["services"][port_type]
    assert served["services"] == {
        facts["service"]: {facts["port"]: f"{{{TNS}}}{facts['port']}Binding"}}


@pytest.mark.parametrize("port_type", sorted(INTEGRATOR_SERVICES))
def test_contract_has_every_operation_of_the_real_interface(port_type: str) -> None:
    contract = canonical(contract_path("wsdl", INTEGRATOR_SERVICES[port_type].wsdl).read_bytes())
    facts = FACTS["services"][port_type]
    assert len(facts["operations"]) == REAL_OPERATIONS[port_type]
    names = sorted(o["name"] for o in facts["operations"])
    assert sorted(contract["portTypes"][port_type]) == names
    schema = contract["schemas"][TNS]
    for operation in facts["operations"]:
        for wrapper, elements in ((operation["name"], operation["input"]),
                                  (operation["name"] + "Response", operation["output"])):
            element_type, _ = schema["elements"][wrapper]
            assert element_type == f"{{{TNS}}}{wrapper}"
            assert _sequence(schema["types"].get(wrapper, [])) == _expected(elements), wrapper


def test_hnr_operations_declare_the_real_connect_exception() -> None:
    contract = canonical(contract_path("wsdl", INTEGRATOR_SERVICES["HnrWs"].wsdl).read_bytes())
    for name, operation in contract["portTypes"]["HnrWs"].items():
        assert operation["fault"] == f"{{{TNS}}}ConnectException", name
    assert contract["messages"]["ConnectException"] == [("fault", f"{{{TNS}}}ConnectException")]


@pytest.mark.parametrize("port_type", sorted(INTEGRATOR_SERVICES))
def test_contract_types_are_the_stubs_types(port_type: str) -> None:
    """Every bean in the contract has the stubs' element names, types, order, bounds."""
    contract = canonical(contract_path("wsdl", INTEGRATOR_SERVICES[port_type].wsdl).read_bytes())
    checked = 0
    for qname, fact in FACTS["types"].items():
        prefix, _, local = qname.partition(":")
        schema = contract["schemas"].get(FACTS["namespaces"][prefix], {"types": {}})
        if "fields" not in fact or local not in schema["types"]:
            continue
        assert _sequence(schema["types"][local]) == _expected(fact["fields"]), qname
        checked += 1
    assert checked >= {"FacilityWs": 2, "DemographicWs": 25}.get(port_type, 1)


def test_schema_keeps_jaxb_element_form() -> None:
    for contract in INTEGRATOR_SERVICES.values():
        document = canonical(contract_path("wsdl", contract.wsdl).read_bytes())
        assert {s["elementFormDefault"] for s in document["schemas"].values()} == {"unqualified"}
