"""What every CAISI Integrator service shares: its WSGI application built from the
catalogue, and running a use case for the signed-in facility.

A service module supplies handlers for the operations it implements; the catalogue gives
every other operation of the real interface a precise "not supported" Fault.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from spyne import MethodContext
from spyne.model.fault import Fault
from spyne.server.wsgi import WsgiApplication
from sqlalchemy.orm import Session

from carebridge.contracts import INTEGRATOR_SERVICES, contract_path
from carebridge.integrator.access import Reader
from carebridge.soap import catalogue
from carebridge.soap.app import RequestContext, ServiceEnv, soap_application
from carebridge.store import unit_of_work

T = TypeVar("T")
log = logging.getLogger(__name__)


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


def from_files_only(ctx: MethodContext, *args: Any) -> Any:
    """The old SOAP push's record-writing operations: carebridge reads push files."""
    service = getattr(ctx.service_class, "__port_types__", ["?"])[0]
    log.info("%s.%s called: records come from push files only", service, reader(ctx).operation)
    raise Fault("Server", f"{service}.{reader(ctx).operation} is not supported by this "
                          "integrator: records arrive in IntegratorPush files, as OSCAR 19 "
                          "sends them")


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
