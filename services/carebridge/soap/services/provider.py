"""ProviderService: the CAISI Integrator's ProviderWs, every facility's pushed providers.

Provider-to-provider communications (add/get/deactivate) are not kept by carebridge and
answer a precise Fault.
"""

from __future__ import annotations

from typing import Any

from spyne import MethodContext

from carebridge.integrator import directory
from carebridge.soap import catalogue
from carebridge.soap.services.demographic import wire
from carebridge.soap.services.integrator import call, from_files_only


def all_providers(ctx: MethodContext) -> list[Any]:
    return [wire("tns:cachedProvider", p) for p in call(ctx, lambda s, _w: directory.providers(s))]


def provider_roles(ctx: MethodContext, pk: Any) -> list[str]:
    facility_id = getattr(pk, "integratorFacilityId", None) if pk is not None else None
    provider_id = getattr(pk, "caisiItemId", None) if pk is not None else None
    return call(ctx, lambda s, _w: directory.provider_roles(s, facility_id, provider_id))


HANDLERS: dict[str, catalogue.Handler] = {
    "getAllProviders": all_providers,
    "getProviderRoles": provider_roles,
    "setCachedProviders": from_files_only,
}
