"""ProgramService: the CAISI Integrator's ProgramWs, every facility's pushed programs."""

from __future__ import annotations

from typing import Any

from spyne import MethodContext

from carebridge.integrator import directory
from carebridge.soap import catalogue
from carebridge.soap.services.integrator import call, from_files_only, wire


def all_programs(ctx: MethodContext) -> list[Any]:
    return [wire("tns:cachedProgram", p) for p in call(ctx, lambda s, _w: directory.programs(s))]


def programs_taking_referrals(ctx: MethodContext) -> list[Any]:
    found = call(ctx, lambda s, who: directory.programs_taking_referrals(s, who.facility_id))
    return [wire("tns:cachedProgram", p) for p in found]


HANDLERS: dict[str, catalogue.Handler] = {
    "getAllPrograms": all_programs,
    "getAllProgramsAllowingIntegratedReferrals": programs_taking_referrals,
    **from_files_only("ProgramWs", "setCachedPrograms", "deleteCachedProgramsMissingFromList"),
}
