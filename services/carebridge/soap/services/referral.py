"""ReferralService: the CAISI Integrator's ReferralWs over ``integrator.referrals``."""

from __future__ import annotations

from typing import Any

from spyne import MethodContext

from carebridge.integrator import referrals
from carebridge.soap import catalogue
from carebridge.soap.services.integrator import call
from carebridge.store.models import Referral


def _wire(row: Referral) -> Any:
    return catalogue.from_payload("tns:referral", referrals.as_wire(row))


def make_referral(ctx: MethodContext, referral: Any) -> None:
    sent = catalogue.to_mapping("tns:referral", referral)
    call(ctx, lambda s, who: referrals.make(s, who, sent), writes=True)


def get_referral(ctx: MethodContext, referral_id: int | None) -> Any:
    row = call(ctx, lambda s, who: _maybe(referrals.get(s, who, referral_id)))
    return row


def _maybe(row: Referral | None) -> Any:
    return _wire(row) if row is not None else None


def to_program(ctx: MethodContext, program_id: int | None) -> list[Any]:
    return call(ctx, lambda s, who: [_wire(r) for r in referrals.to_program(s, who, program_id)])


def linked(ctx: MethodContext, demographic_no: int | None) -> list[Any]:
    return call(ctx, lambda s, who: [_wire(r) for r in referrals.linked(s, who, demographic_no)])


def remove(ctx: MethodContext, referral_id: int | None) -> None:
    call(ctx, lambda s, who: referrals.remove(s, who, referral_id), writes=True)


HANDLERS: dict[str, catalogue.Handler] = {
    "makeReferral": make_referral,
    "getReferral": get_referral,
    "getReferralsToProgram": to_program,
    "getLinkedReferrals": linked,
    "removeReferral": remove,
}
