"""The six services of the CAISI Integrator, mounted where OSCAR looks for them
(``/caisi_integrator/ws/<Name>Service``)."""

from __future__ import annotations

from spyne.server.wsgi import WsgiApplication

from carebridge.contracts import INTEGRATOR_SERVICES
from carebridge.soap.app import ServiceEnv
from carebridge.soap.services import demographic, facility, hnr, program, provider, referral
from carebridge.soap.services.integrator import integrator_wsgi

_HANDLERS = {
    "FacilityWs": facility.HANDLERS,
    "DemographicWs": demographic.HANDLERS,
    "ProgramWs": program.HANDLERS,
    "ProviderWs": provider.HANDLERS,
    "ReferralWs": referral.HANDLERS,
    "HnrWs": hnr.HANDLERS,
}


def integrator_mounts(env: ServiceEnv) -> dict[str, WsgiApplication]:
    return {contract.path: integrator_wsgi(port_type, _HANDLERS[port_type], env)
            for port_type, contract in INTEGRATOR_SERVICES.items()}
