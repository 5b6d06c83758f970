"""ProviderService: the CAISI Integrator's ProviderWs: every facility's pushed providers,
and messages between providers of different facilities (``integrator.communications``)."""

from __future__ import annotations

from typing import Any

from spyne import MethodContext

from carebridge.integrator import communications, directory
from carebridge.soap import catalogue
from carebridge.soap.services.integrator import call, from_files_only, item_key, wire


def all_providers(ctx: MethodContext) -> list[Any]:
    return [wire("tns:cachedProvider", p) for p in call(ctx, lambda s, _w: directory.providers(s))]


def provider_roles(ctx: MethodContext, pk: Any) -> list[str]:
    facility_id, provider_id = item_key(pk)
    return call(ctx, lambda s, _w: directory.provider_roles(s, facility_id, provider_id))


def add_communication(ctx: MethodContext, transfer: Any) -> None:
    sent = catalogue.to_mapping("tns:providerCommunicationTransfer", transfer)
    call(ctx, lambda s, who: communications.add(s, who, sent), writes=True)


def communications_for(ctx: MethodContext, provider_id: str | None, kind: str | None,
                       active: bool | None) -> list[Any]:
    return call(ctx, lambda s, who: [
        catalogue.from_payload("tns:providerCommunicationTransfer", communications.as_wire(r))
        for r in communications.for_provider(s, who, provider_id, kind, active)])


def deactivate_communication(ctx: MethodContext, communication_id: int | None) -> None:
    call(ctx, lambda s, who: communications.deactivate(s, who, communication_id), writes=True)


HANDLERS: dict[str, catalogue.Handler] = {
    "getAllProviders": all_providers,
    "getProviderRoles": provider_roles,
    "addProviderComunication": add_communication,
    "getProviderCommunications": communications_for,
    "deactivateProviderCommunication": deactivate_communication,
    **from_files_only("ProviderWs", "setCachedProviders"),
}
