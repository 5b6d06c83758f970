"""FacilityService: the CAISI Integrator's FacilityWs, every operation of the real one.

Thin handlers over ``integrator.import_log`` and ``integrator.facility_info``; the types
and operations come from the catalogue (``soap.catalogue``), the contract is
``wsdl/FacilityService.wsdl``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from spyne import MethodContext

from carebridge.contracts import FACILITY_SERVICE
from carebridge.integrator import facility_info, import_log
from carebridge.soap import catalogue
from carebridge.soap.app import as_utc
from carebridge.soap.services.integrator import call
from carebridge.store.models import ImportLog as ImportLogRow
from carebridge.store.models import ImportStatus

MOUNT = FACILITY_SERVICE.path


def import_log_model(row: ImportLogRow) -> Any:
    return catalogue.model("tns:importLog")(
        checksum=row.checksum, dateCreated=row.date_created,
        dateIntervalEnd=row.date_interval_end, dateIntervalStart=row.date_interval_start,
        dependsOn=row.depends_on, facilityId=row.facility_id, filename=row.filename,
        id=row.id, lastUpdatedDate=row.last_updated, status=row.status,
    )


def _facility(info: facility_info.FacilityInfo) -> Any:
    return catalogue.from_payload("tns:cachedFacility", info.as_wire())


def get_import_log_by_filename_and_checksum(ctx: MethodContext, filename: str | None,
                                            checksum: str | None) -> list[Any]:
    rows = call(ctx, lambda s, who: import_log.for_file(s, who.facility_id, filename, checksum))
    return [import_log_model(r) for r in rows]


def get_import_logs_since(ctx: MethodContext, start: dt.datetime | None) -> list[Any]:
    rows = call(ctx, lambda s, who: import_log.since(s, who.facility_id, as_utc(start)))
    return [import_log_model(r) for r in rows]


def can_process_file(ctx: MethodContext, _filename: str | None, checksum: str | None,
                     _start: dt.datetime | None, end: dt.datetime | None,
                     depends_on: str | None) -> str:
    return call(ctx, lambda s, who: import_log.can_process_file(
        s, who.facility_id, checksum, as_utc(end), depends_on))


def create_import_log(ctx: MethodContext, filename: str | None, checksum: str | None,
                      start: dt.datetime | None, end: dt.datetime | None,
                      depends_on: str | None, status: str | None = ImportStatus.PROCESSING
                      ) -> Any:
    return call(ctx, lambda s, who: import_log_model(import_log.create(
        s, who.facility_id, filename, checksum, as_utc(start), as_utc(end), depends_on,
        status)), writes=True)


def _set_status(status: ImportStatus) -> catalogue.Handler:
    def handler(ctx: MethodContext, log_id: int | None) -> Any:
        return call(ctx, lambda s, who: import_log_model(
            import_log.set_status(s, who.facility_id, log_id, status)), writes=True)
    return handler


def get_my_facility(ctx: MethodContext) -> Any:
    info = call(ctx, lambda s, who: facility_info.my_facility(s, who.facility_id))
    return _facility(info) if info is not None else None


def get_all_facility(ctx: MethodContext) -> list[Any]:
    return [_facility(i) for i in call(
        ctx, lambda s, who: facility_info.all_facilities(s, who.facility_id))]


def set_my_facility(ctx: MethodContext, facility: Any) -> None:
    sent = catalogue.to_mapping("tns:cachedFacility", facility)
    call(ctx, lambda s, who: facility_info.set_my_facility(s, who.facility_id, sent),
         writes=True)


def update_my_facility_last_update_date(ctx: MethodContext, when: dt.datetime | None) -> None:
    call(ctx, lambda s, who: facility_info.update_last_data_update(
        s, who.facility_id, as_utc(when)), writes=True)


HANDLERS: dict[str, catalogue.Handler] = {
    "getImportLogByFilenameAndChecksum": get_import_log_by_filename_and_checksum,
    "getImportLogsSince": get_import_logs_since,
    "canProcessFile": can_process_file,
    "createImportLog": create_import_log,
    "createImportLogWithStatus": create_import_log,
    "completeImportLog": _set_status(ImportStatus.COMPLETED),
    "errorImportLog": _set_status(ImportStatus.ERROR),
    "getMyFacility": get_my_facility,
    "getAllFacility": get_all_facility,
    "setMyFacility": set_my_facility,
    "updateMyFacilityLastUpdateDate": update_my_facility_last_update_date,
}

