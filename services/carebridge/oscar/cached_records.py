"""What each object of a push means for the store: upserts, deletions, document bytes.

Pure. OSCAR's importer dispatches on the class of each object; so does
``operations_for``. Keys drop ``integratorFacilityId`` (the EMR leaves it null;
the facility comes from the authenticated header) and keep the item part of the
composite key, so a later push of the same item replaces it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from carebridge.oscar.javaread import JavaObject

_PM = "org.oscarehr.PMmodule.caisi_integrator."
_DAO = "org.oscarehr.caisi_integrator.dao."
_TRANSFER = "org.oscarehr.caisi_integrator.ws.transfer."

FACILITY_TYPE = "CachedFacility"
PROVIDER_TYPE = "CachedProvider"
PROGRAM_TYPE = "CachedProgram"
DOCUMENT_TYPE = "CachedDemographicDocument"
DEMOGRAPHIC_TYPE = "DemographicTransfer"

# Classes OSCAR's EMR writes as data records (simple names in the dao package).
KNOWN_DAO_RECORDS = frozenset(
    {
        "CachedFacility",
        "CachedProgram",
        "CachedProvider",
        "CachedDemographicIssue",
        "CachedDemographicNote",
        "CachedDemographicDrug",
        "CachedAdmission",
        "CachedAppointment",
        "CachedMeasurement",
        "CachedMeasurementExt",
        "CachedMeasurementType",
        "CachedMeasurementMap",
        "CachedDxresearch",
        "CachedBillingOnItem",
        "CachedEformData",
        "CachedEformValue",
        "CachedDemographicAllergy",
        "CachedDemographicPrevention",
        "CachedDemographicDocument",
        "CachedDemographicForm",
        "CachedDemographicLabResult",
        "CachedDemographicHL7LabResult",
    }
)


# Their full names (the facility aside: its key is fixed), for the common case at once.
_DAO_RECORDS = {_DAO + name: name for name in KNOWN_DAO_RECORDS if name != FACILITY_TYPE}


@dataclass(frozen=True)
class Upsert:
    record_type: str
    key: str
    demographic_no: int | None
    payload: dict[str, Any]
    known: bool = True


@dataclass(frozen=True)
class DeleteMissing:
    """Delete the facility's records of a type (for one patient) whose key is not kept."""

    record_type: str
    demographic_no: int | None
    keep: frozenset[str]


@dataclass(frozen=True)
class DocumentBytes:
    """Contents for the CachedDemographicDocument just before it (OSCAR's ByteWrapper)."""

    data: bytes


Operation = Upsert | DeleteMissing | DocumentBytes


def operations_for(obj: Any) -> Iterator[Operation]:
    """The store operations one top-level object of a push stands for."""
    if isinstance(obj, list):
        for item in obj:
            yield from operations_for(item)
        return
    if not isinstance(obj, JavaObject):
        # A bare value at top level (a string, a number): keep it, never drop it.
        payload = {"value": to_json(obj)}
        yield Upsert("java.lang." + type(obj).__name__, _content_key(payload), None, payload, False)
        return
    name = obj.class_name
    simple = _DAO_RECORDS.get(name)
    if simple is not None:  # most objects: one pass for the key and the patient
        payload = to_json(obj)
        pk = _pk_field(obj)
        key = _content_key(payload) if pk is None else composite_key(pk)
        number = obj.fields.get("caisiDemographicId")
        if number is None and pk is not None:
            number = pk.fields.get("caisiDemographicId")
        yield Upsert(simple, key, number if isinstance(number, int) else None, payload)
        return
    if name == _PM + "ProgramDeleteIdWrapper":
        yield DeleteMissing(PROGRAM_TYPE, None, _keys(obj.get("ids")))
    elif name == _PM + "DeleteCachedDemographicIssuesWrapper":
        keys = frozenset(composite_key(k) for k in obj.get("keys") or [] if k is not None)
        yield DeleteMissing("CachedDemographicIssue", obj.get("demographicNo"), keys)
    elif name == _PM + "DeleteCachedDemographicPreventionsWrapper":
        yield DeleteMissing(
            "CachedDemographicPrevention", obj.get("demographicNo"), _keys(obj.get("nonDeletedIds"))
        )
    elif name == _PM + "ByteWrapper":
        yield DocumentBytes(obj.get("data") or b"")
    elif name == _TRANSFER + "ProviderTransfer":
        provider = obj.get("cachedProvider")
        if isinstance(provider, JavaObject):
            payload = to_json(provider)
            payload["roles"] = to_json(obj.get("roles") or [])
            yield Upsert(PROVIDER_TYPE, record_key(provider), None, payload)
    elif name == _TRANSFER + "DemographicTransfer":
        number = obj.get("caisiDemographicId")
        yield Upsert(DEMOGRAPHIC_TYPE, str(number), number, to_json(obj))
    elif name == _TRANSFER + "SetConsentTransfer":
        number = obj.get("demographicId")
        yield Upsert("SetConsentTransfer", str(number), number, to_json(obj))
    elif name == _DAO + FACILITY_TYPE:
        yield Upsert(FACILITY_TYPE, "facility", None, to_json(obj))
    elif name.startswith(_DAO) and obj.simple_name in KNOWN_DAO_RECORDS:
        yield Upsert(obj.simple_name, record_key(obj), demographic_of(obj), to_json(obj))
    else:
        payload = to_json(obj)
        key = record_key(obj) if _pk_field(obj) is not None else _content_key(payload)
        yield Upsert(name, key, demographic_of(obj), payload, known=False)


def record_key(obj: JavaObject) -> str:
    pk = _pk_field(obj)
    if pk is None:
        return _content_key(to_json(obj))
    return composite_key(pk)


def composite_key(pk: Any) -> str:
    if not isinstance(pk, JavaObject):
        return str(pk)
    parts = [str(v) for k, v in pk.fields.items() if k != "integratorFacilityId"]
    return ":".join(parts)


def demographic_of(obj: JavaObject) -> int | None:
    number = obj.get("caisiDemographicId")
    if number is None:
        pk = _pk_field(obj)
        if isinstance(pk, JavaObject):
            number = pk.get("caisiDemographicId")
    return number if isinstance(number, int) else None


def _pk_field(obj: JavaObject) -> JavaObject | None:
    for value in obj.fields.values():
        if isinstance(value, JavaObject) and value.class_name.endswith("Pk"):
            return value
    return None


def _keys(values: Any) -> frozenset[str]:
    return frozenset(str(v) for v in values or [] if v is not None)


def _content_key(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_PLAIN = frozenset({str, int, bool, type(None)})  # JSON as they are


def to_json(value: Any) -> Any:
    """A JSON-ready copy: objects as field dicts, dates ISO 8601, bytes Base64."""
    kind = type(value)
    if kind in _PLAIN:  # most fields; a JavaObject's own loop skips the call
        return value
    if kind is JavaObject:
        out = {"@class": value.class_name}
        for k, v in value.fields.items():
            kind = type(v)
            if kind in _PLAIN:
                out[k] = v
            elif kind is dt.datetime:
                out[k] = v.isoformat()
            else:
                out[k] = to_json(v)
        return out
    if isinstance(value, JavaObject):
        out = {"@class": value.class_name}
        for k, v in value.fields.items():
            out[k] = to_json(v)
        return out
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return {"@base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value
