"""What every CAISI Integrator service shares: its WSGI application built from the
catalogue, and running a use case for the signed-in facility.

A service module supplies handlers for the operations it implements; the catalogue gives
every other operation of the real interface a precise "not supported" Fault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from spyne import MethodContext
from spyne.server.wsgi import WsgiApplication
from sqlalchemy.orm import Session

from carebridge.contracts import INTEGRATOR_SERVICES, contract_path
from carebridge.integrator.access import Reader
from carebridge.integrator.shared_record import Found
from carebridge.soap import catalogue
from carebridge.soap.app import RequestContext, ServiceEnv, soap_application
from carebridge.store import unit_of_work

T = TypeVar("T")


def reader(ctx: MethodContext) -> Reader:
    """The signed-in facility and the OSCAR provider it calls for (the CAISI header)."""
    request: RequestContext = ctx.udc
    operation = (getattr(ctx, "method_request_string", None) or "?").split("}", 1)[-1]
    return Reader(request.caller.facility_id, request.provider_no, operation)


def call(ctx: MethodContext, fn: Callable[[Session, Reader], T], *, writes: bool = False) -> T:
    """One unit of work around one use case, for the signed-in facility (a read in a read
    transaction); the audit rows it recorded are written before anything is answered."""
    env: ServiceEnv = ctx.app.carebridge
    who = reader(ctx)
    result = unit_of_work.run(env.db, lambda session: fn(session, who), writes=writes)
    env.db.audit_log.write(who.unwritten)
    return result


def from_files_only(port_type: str, *operations: str) -> dict[str, catalogue.Handler]:
    """Handlers for the old SOAP push's record-writing operations: carebridge reads push
    files, and says so."""
    return {name: catalogue.not_supported(
        port_type, name, "records arrive in IntegratorPush files, as OSCAR 19 sends them")
        for name in operations}


def item_key(pk: Any, field: str = "caisiItemId") -> tuple[int | None, str | None]:
    """A received composite key (facilityIdIntegerCompositePk...) as (facility, item key)."""
    if pk is None:
        return None, None
    value = getattr(pk, field, None)
    return getattr(pk, "integratorFacilityId", None), None if value is None else str(value)


def wire(qname: str, found: Found, *, photo: bool = True) -> Any:
    """A pushed record as its wire type. ``photo=False``: lists of patients leave photos
    out (OSCAR fetches one with getDemographicByFacilityIdAndDemographicId), so a reply
    stays small."""
    payload = found.payload if photo else {**found.payload, "photo": None}
    for wire_name, pushed_name in _PUSHED_AS.get(qname, {}).items():
        if payload.get(wire_name) is None and pushed_name in payload:
            payload = {**payload, wire_name: payload[pushed_name]}
    return catalogue.from_payload(qname, payload, found.facility_id)


# Where the push names a field differently from the wire type.
_PUSHED_AS = {
    "tns:cachedAppointment": {"facilityIdIntegerCompositePk": "facilityAppointmentPk"},
    "tns:cachedMeasurement": {"facilityIdIntegerCompositePk": "facilityMeasurementPk"},
    "tns:cachedDemographicNote": {"issues": "noteIssues"},
}


def integrator_wsgi(port_type: str, handlers: Mapping[str, catalogue.Handler],
                    env: ServiceEnv) -> WsgiApplication:
    facts = catalogue.service_facts(port_type)
    contract = INTEGRATOR_SERVICES[port_type]
    return soap_application(
        [catalogue.build_service(port_type, handlers)],
        tns=catalogue.namespace("tns"),
        name=facts.service,
        env=env,
        contract=contract_path("wsdl", contract.wsdl),
        port_names={port_type: facts.port},
    )
