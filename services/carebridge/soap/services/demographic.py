"""DemographicService: the CAISI Integrator's DemographicWs, over the shared record.

Thin handlers over ``integrator.shared_record``, ``links`` and ``consent``: the reads
OSCAR's chart, search and linking screens make, links, and consent. The record-writing
operations of the old SOAP push (``setCachedXxx``, ``addCachedXxx``...) answer a precise
Fault: carebridge takes records from IntegratorPush files, as OSCAR 19 sends them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from spyne import MethodContext

from carebridge import matching
from carebridge.integrator import consent, links, shared_record
from carebridge.integrator.shared_record import Found
from carebridge.soap import catalogue
from carebridge.soap.app import as_utc
from carebridge.soap.services.integrator import call, from_files_only, item_key, wire

# getLinkedCachedDemographicNoteMetaData leaves out the text and what was done to it.
_NOTE_METADATA = ("cachedDemographicNoteCompositePk", "caisiDemographicId", "caisiProgramId",
                  "observationCaisiProviderId", "observationDate", "role")


def _linked(record_type: str, qname: str) -> catalogue.Handler:
    def handler(ctx: MethodContext, demographic_no: int | None) -> list[Any]:
        found = call(ctx, lambda s, who: shared_record.linked_records(
            s, who, demographic_no, record_type))
        return [wire(qname, f) for f in found]
    return handler


def note_metadata(ctx: MethodContext, demographic_no: int | None) -> list[Any]:
    found = call(ctx, lambda s, who: shared_record.linked_records(
        s, who, demographic_no, "CachedDemographicNote"))
    return [wire("tns:cachedDemographicNote",
                 Found(f.facility_id, f.demographic_no,
                       {k: v for k, v in f.payload.items() if k in _NOTE_METADATA}))
            for f in found]


def linked_forms(ctx: MethodContext, demographic_no: int | None, form_name: str | None
                 ) -> list[Any]:
    found = call(ctx, lambda s, who: shared_record.linked_records(
        s, who, demographic_no, "CachedDemographicForm",
        lambda f: form_name is None or f.payload.get("formName") == form_name))
    return [wire("tns:cachedDemographicForm", f) for f in found]


def _by_key(record_type: str, qname: str, field: str = "caisiItemId") -> catalogue.Handler:
    def handler(ctx: MethodContext, pk: Any) -> Any:
        facility_id, key = item_key(pk, field)
        found = call(ctx, lambda s, who: shared_record.by_key(
            s, who, record_type, facility_id, key))
        return wire(qname, found) if found is not None else None
    return handler


def document_contents(ctx: MethodContext, pk: Any) -> Any:
    facility_id, key = item_key(pk)

    def read(session: Any, who: Any) -> bytes | None:
        found = shared_record.by_key(session, who, "CachedDemographicDocument", facility_id,
                                     key, audited=False)
        data = shared_record.document_bytes(session, found) if found is not None else None
        if found is not None and data is not None:
            shared_record.audit(who, [found])
        return data

    data = call(ctx, read)
    if data is None:
        return None
    return catalogue.model("tns:cachedDemographicDocumentContents")(
        facilityIntegerCompositePk=catalogue.from_payload(
            "tns:facilityIdIntegerCompositePk", {"caisiItemId": int(key or 0)}, facility_id),
        fileContents=[data])


def notes_by_ids(ctx: MethodContext, pks: list[Any] | None) -> list[Any]:
    wanted = [(f, k) for f, k in (item_key(pk, "uuid") for pk in pks or ())
              if f is not None and k is not None]
    found = call(ctx, lambda s, who: shared_record.by_keys(
        s, who, "CachedDemographicNote", wanted))
    return [wire("tns:cachedDemographicNote", f) for f in found]


def demographic(ctx: MethodContext, facility_id: int | None, demographic_no: int | None) -> Any:
    found = call(ctx, lambda s, who: shared_record.demographic(
        s, who, facility_id, demographic_no))
    return wire("tns:demographicTransfer", found) if found is not None else None


def _linked_demographics(directly: bool) -> catalogue.Handler:
    def handler(ctx: MethodContext, demographic_no: int | None) -> list[Any]:
        found = call(ctx, lambda s, who: shared_record.linked_demographics(
            s, who, demographic_no, directly=directly))
        return [wire("tns:demographicTransfer", f, photo=False) for f in found]
    return handler


def matching_demographics(ctx: MethodContext, parameters: Any) -> list[Any]:
    sent = catalogue.to_mapping("tns:matchingDemographicParameters", parameters)
    born = sent.get("birthDate")
    criteria = matching.Criteria(sent.get("firstName"), sent.get("lastName"),
                                 born.date() if isinstance(born, dt.datetime) else None,
                                 sent.get("hin"))
    hits = call(ctx, lambda s, who: shared_record.matching_demographics(
        s, who, criteria, sent.get("maxEntriesToReturn") or 0, sent.get("minScore") or 0))
    score_type = catalogue.model("tns:matchingDemographicTransferScore")
    return [score_type(demographicTransfer=wire("tns:demographicTransfer", found, photo=False),
                       score=points) for points, found in hits]


def link(ctx: MethodContext, provider_id: str | None, mine: int | None,
         other_facility: int | None, other: int | None) -> None:
    call(ctx, lambda s, who: shared_record.link(s, who, provider_id, mine, other_facility,
                                                other), writes=True)


def unlink(ctx: MethodContext, mine: int | None, other_facility: int | None,
           other: int | None) -> None:
    call(ctx, lambda s, who: links.unlink(s, who, mine, other_facility, other), writes=True)


def set_consent(ctx: MethodContext, transfer: Any) -> None:
    sent = catalogue.to_mapping("tns:setConsentTransfer", transfer)
    call(ctx, lambda s, who: consent.record(s, who.facility_id, sent), writes=True)


def consent_state(ctx: MethodContext, pk: Any) -> Any:
    facility_id, key = item_key(pk)

    def read(session: Any, who: Any) -> consent.ConsentState | None:
        if facility_id is None or key is None:
            return None
        return shared_record.consent_of(session, who, (facility_id, int(key)))

    summary = call(ctx, read)
    if summary is None:
        return None
    return catalogue.model("tns:getConsentTransfer")(
        consentDate=summary.created, consentState=summary.state,
        integratorFacilityId=summary.recorded_by)


def pushed_after(ctx: MethodContext, since: dt.datetime | None) -> list[Any]:
    found = call(ctx, lambda s, who: shared_record.pushed_since(s, who, as_utc(since)))
    kind = catalogue.model("tns:demographicPushDate")
    return [kind(id=catalogue.from_payload("tns:facilityIdIntegerCompositePk",
                                           {"caisiItemId": number}, facility_id),
                 lastPushDate=when) for (facility_id, number), when in found]


def own_ids_pushed_after(ctx: MethodContext, since: dt.datetime | None) -> list[int]:
    return call(ctx, lambda s, who: shared_record.own_ids_changed_since(s, who, as_utc(since)))


HANDLERS: dict[str, catalogue.Handler] = {
    "getDemographicsPushedAfterDate": pushed_after,
    "getDemographicIdPushedAfterDateByRequestingFacility": own_ids_pushed_after,
    "getLinkedCachedDemographicNotes": _linked("CachedDemographicNote",
                                               "tns:cachedDemographicNote"),
    "getLinkedCachedDemographicNoteMetaData": note_metadata,
    "getLinkedCachedDemographicNotesByIds": notes_by_ids,
    "getLinkedCachedDemographicIssuesByDemographicId": _linked("CachedDemographicIssue",
                                                               "tns:cachedDemographicIssue"),
    "getLinkedCachedDemographicPreventionsByDemographicId": _linked(
        "CachedDemographicPrevention", "tns:cachedDemographicPrevention"),
    "getLinkedCachedDemographicDrugsByDemographicId": _linked("CachedDemographicDrug",
                                                              "tns:cachedDemographicDrug"),
    "getLinkedCachedDemographicAllergies": _linked("CachedDemographicAllergy",
                                                   "tns:cachedDemographicAllergy"),
    "getLinkedCachedDemographicDocuments": _linked("CachedDemographicDocument",
                                                   "tns:cachedDemographicDocument"),
    "getLinkedCachedDemographicLabResults": _linked("CachedDemographicLabResult",
                                                    "tns:cachedDemographicLabResult"),
    "getLinkedCachedDemographicMeasurementByDemographicId": _linked("CachedMeasurement",
                                                                    "tns:cachedMeasurement"),
    "getLinkedCachedAppointments": _linked("CachedAppointment", "tns:cachedAppointment"),
    "getLinkedCachedAdmissionsByDemographicId": _linked("CachedAdmission",
                                                        "tns:cachedAdmission"),
    "getLinkedCachedDemographicForms": linked_forms,
    "getCachedDemographicDocument": _by_key("CachedDemographicDocument",
                                            "tns:cachedDemographicDocument"),
    "getCachedDemographicDocumentContents": document_contents,
    "getCachedDemographicForm": _by_key("CachedDemographicForm", "tns:cachedDemographicForm"),
    "getCachedDemographicLabResult": _by_key("CachedDemographicLabResult",
                                             "tns:cachedDemographicLabResult", "labResultId"),
    "getCachedDemographicPreventionsByPreventionId": _by_key(
        "CachedDemographicPrevention", "tns:cachedDemographicPrevention"),
    "getDemographicByFacilityIdAndDemographicId": demographic,
    "getLinkedDemographicsByDemographicId": _linked_demographics(directly=False),
    "getDirectlyLinkedDemographicsByDemographicId": _linked_demographics(directly=True),
    "getMatchingDemographics": matching_demographics,
    "linkDemographics": link,
    "unLinkDemographics": unlink,
    "setCachedDemographicConsent": set_consent,
    "getConsentState": consent_state,
}
HANDLERS.update(from_files_only("DemographicWs", *(
    operation.name for operation in catalogue.service_facts("DemographicWs").operations
    if operation.name.startswith(("setCached", "addCached", "deleteCached", "setDemographic",
                                  "setLastPushDate"))
    and operation.name not in HANDLERS)))
