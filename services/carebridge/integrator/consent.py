"""Patients' consent to share, and what it lets another facility read.

A facility records its patient's consent (``setCachedDemographicConsent``, or a
``SetConsentTransfer`` in its push); both land in ``cached_record`` as the push keeps
them. The real integrator reads with the newest consent of any linked record, whoever
recorded it, and only when ``require_consent_to_read_data`` is on (off by default).
carebridge always requires consent, and the consent that counts for a record is the one
its facility recorded for that very patient: a reader cannot grant itself access by
recording a consent for its own copy, and one patient's consent opens no other. Consent
is GIVEN, not expired, and not refused for the reader's facility (a facility missing
from the share list is not refused, as in the real integrator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from carebridge.integrator.access import Pk, by_facility
from carebridge.integrator.exceptions import InvalidArgument
from carebridge.integrator.record_writer import put_record
from carebridge.store.models import CachedRecord, Facility, utcnow

CONSENT_TYPE = "SetConsentTransfer"
STATUSES = ("GIVEN", "REVOKED")
_CLASS = "org.oscarehr.caisi_integrator.ws.transfer.SetConsentTransfer"


@dataclass(frozen=True)
class Consent:
    recorded_by: int  # the facility that recorded it
    demographic_no: int
    status: str
    created: dt.datetime | None
    expiry: dt.datetime | None
    exclude_mental_health: bool
    share: Mapping[int, bool]

    def expired(self, now: dt.datetime) -> bool:
        return self.expiry is not None and self.expiry < now

    def allows(self, reader_facility: int, now: dt.datetime) -> bool:
        return (self.status == "GIVEN" and not self.expired(now)
                and self.share.get(reader_facility, True))


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            return _when(dt.datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _consent(facility_id: int, number: int, payload: Mapping[str, Any]) -> Consent:
    share = {}
    for pair in payload.get("consentToShareData") or ():
        if isinstance(pair, Mapping) and isinstance(pair.get("remoteFacilityId"), int):
            share[pair["remoteFacilityId"]] = bool(pair.get("shareData"))
    return Consent(facility_id, number, str(payload.get("consentStatus")),
                   _when(payload.get("createdDate")), _when(payload.get("expiry")),
                   bool(payload.get("excludeMentalHealthData")), share)


def consents(session: Session, pks: Iterable[Pk]) -> dict[Pk, Consent]:
    """The consent recorded for each of ``pks`` that has one."""
    found: dict[Pk, Consent] = {}
    for facility_id, numbers in by_facility(pks).items():
        for start in range(0, len(numbers), 500):
            rows = session.execute(select(CachedRecord.demographic_no, CachedRecord.payload)
                                   .where(CachedRecord.facility_id == facility_id,
                                          CachedRecord.record_type == CONSENT_TYPE,
                                          CachedRecord.demographic_no.in_(
                                              numbers[start:start + 500])))
            for row in rows:
                pk = (facility_id, int(row.demographic_no))
                found[pk] = _consent(pk[0], pk[1], row.payload)
    return found


def allows(found: Mapping[Pk, Consent], pk: Pk, reader_facility: int,
           now: dt.datetime | None = None) -> bool:
    """Whether the consent ``pk``'s facility recorded for that patient lets the reader in."""
    consent = found.get(pk)
    return consent is not None and consent.allows(reader_facility, now or utcnow())


def record(session: Session, facility_id: int, sent: Mapping[str, Any]) -> None:
    """setCachedDemographicConsent: the facility's consent for one of its patients, kept as
    the push keeps a SetConsentTransfer (the newer replaces the older)."""
    number = sent.get("demographicId")
    if not isinstance(number, int):
        raise InvalidArgument("consentTransfer.demographicId is required")
    if sent.get("consentStatus") not in STATUSES:
        raise InvalidArgument(f"consentTransfer.consentStatus must be one of {', '.join(STATUSES)}")
    payload = {
        "@class": _CLASS, "demographicId": number, "consentStatus": sent["consentStatus"],
        "createdDate": _iso(_when(sent.get("createdDate")) or utcnow()),
        "expiry": _iso(_when(sent.get("expiry"))),
        "excludeMentalHealthData": bool(sent.get("excludeMentalHealthData")),
        "consentToShareData": [
            {"remoteFacilityId": p.get("remoteFacilityId"), "shareData": bool(p.get("shareData"))}
            for p in sent.get("consentToShareData") or () if p.get("remoteFacilityId") is not None
        ],
    }
    put_record(session, facility_id, CONSENT_TYPE, str(number), payload, number)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class ConsentState:
    """getConsentState's answer: ALL, SOME or NONE, from whose consent, of when."""

    state: str
    recorded_by: int
    created: dt.datetime | None


def state(session: Session, consent: Consent | None) -> ConsentState | None:
    """The real integrator's summary of a consent: ALL when given without exclusions for
    every facility, NONE when revoked or expired, else SOME."""
    if consent is None:
        return None
    now = utcnow()
    if consent.status != "GIVEN" or consent.expired(now):
        summary = "NONE"
    else:
        facilities = session.scalars(select(Facility.id).where(Facility.enabled.is_(True)))
        everyone = all(consent.share.get(f, True) for f in facilities)
        summary = "ALL" if everyone and not consent.exclude_mental_health else "SOME"
    return ConsentState(summary, consent.recorded_by, consent.created)
