"""FacilityService: the part of OSCAR's CAISI Integrator FacilityWs that reports file status.

Thin Spyne adapter over ``integrator.import_log`` and ``integrator.facility_info``; the
contract is ``wsdl/FacilityService.wsdl`` and a contract test keeps Spyne's WSDL equal to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from spyne import (
    Boolean,
    ComplexModel,
    DateTime,
    Integer32,
    Long,
    MethodContext,
    ServiceBase,
    Unicode,
    rpc,
)
from spyne.server.wsgi import WsgiApplication
from sqlalchemy.orm import Session

from carebridge.contracts import FACILITY_SERVICE, contract_path
from carebridge.integrator import facility_info, import_log
from carebridge.soap.app import RequestContext, ServiceEnv, as_utc, soap_application
from carebridge.soap.models import optional, repeated, required
from carebridge.store import unit_of_work
from carebridge.store.models import ImportLog as ImportLogRow

TNS = "http://ws.caisi_integrator.oscarehr.org/"
MOUNT = FACILITY_SERVICE.path

T = TypeVar("T")


class AbstractModel(ComplexModel):
    __namespace__ = TNS
    __type_name__ = "abstractModel"

    class Attributes(ComplexModel.Attributes):
        _abstract = True


class ImportLog(AbstractModel):
    __namespace__ = TNS
    __type_name__ = "importLog"
    _type_info = [
        ("checksum", optional(Unicode)),
        ("dateCreated", optional(DateTime)),
        ("dateIntervalEnd", optional(DateTime)),
        ("dateIntervalStart", optional(DateTime)),
        ("dependsOn", optional(Unicode)),
        ("facilityId", optional(Integer32)),
        ("filename", optional(Unicode)),
        ("id", optional(Long)),
        ("lastUpdatedDate", optional(DateTime)),
        ("status", optional(Unicode)),
    ]

    @classmethod
    def from_row(cls, row: ImportLogRow) -> ImportLog:
        return cls(
            checksum=row.checksum,
            dateCreated=row.date_created,
            dateIntervalEnd=row.date_interval_end,
            dateIntervalStart=row.date_interval_start,
            dependsOn=row.depends_on,
            facilityId=row.facility_id,
            filename=row.filename,
            id=row.id,
            lastUpdatedDate=row.last_updated,
            status=row.status,
        )


class CachedFacility(AbstractModel):
    __namespace__ = TNS
    __type_name__ = "cachedFacility"
    _type_info = [
        ("allowSims", required(Boolean)),
        ("contactEmail", optional(Unicode)),
        ("contactName", optional(Unicode)),
        ("contactPhone", optional(Unicode)),
        ("description", optional(Unicode)),
        ("enableIntegratedReferrals", required(Boolean)),
        ("hic", required(Boolean)),
        ("integratorFacilityId", optional(Integer32)),
        ("lastDataUpdate", optional(DateTime)),
        ("name", optional(Unicode)),
    ]


_IMPORT_LOGS = repeated(ImportLog)


def _call(ctx: MethodContext, fn: Callable[[Session, int], T]) -> T:
    """One unit of work around one use case, for the signed-in facility."""
    env: ServiceEnv = ctx.app.carebridge
    request: RequestContext = ctx.udc
    facility_id = request.caller.facility_id
    return unit_of_work.run(env.db, lambda session: fn(session, facility_id))


class FacilityWs(ServiceBase):
    __service_name__ = "FacilityWsService"
    __port_types__ = ["FacilityWs"]

    @rpc(optional(Unicode), optional(Unicode), _args=("arg0", "arg1"), _returns=_IMPORT_LOGS,
         _out_variable_name="return", _port_type="FacilityWs",
         _operation_name="getImportLogByFilenameAndChecksum",
         _out_message_name="getImportLogByFilenameAndChecksumResponse")
    def get_import_log_by_filename_and_checksum(ctx: MethodContext, arg0: str | None,
                                                arg1: str | None) -> list[ImportLog]:
        rows = _call(ctx, lambda s, fid: import_log.for_file(s, fid, arg0, arg1))
        return [ImportLog.from_row(r) for r in rows]

    @rpc(optional(DateTime), _args=("arg0",), _returns=_IMPORT_LOGS, _out_variable_name="return",
         _port_type="FacilityWs", _operation_name="getImportLogsSince",
         _out_message_name="getImportLogsSinceResponse")
    def get_import_logs_since(ctx: MethodContext, arg0: dt.datetime | None) -> list[ImportLog]:
        rows = _call(ctx, lambda s, fid: import_log.since(s, fid, as_utc(arg0)))
        return [ImportLog.from_row(r) for r in rows]

    @rpc(optional(Unicode), optional(Unicode), optional(DateTime), optional(DateTime),
         optional(Unicode),
         _args=("arg0", "arg1", "arg2", "arg3", "arg4"), _returns=optional(Unicode),
         _out_variable_name="return", _port_type="FacilityWs", _operation_name="canProcessFile",
         _out_message_name="canProcessFileResponse")
    def can_process_file(ctx: MethodContext, arg0: str | None, arg1: str | None,
                         arg2: dt.datetime | None, arg3: dt.datetime | None,
                         arg4: str | None) -> str:
        return _call(
            ctx, lambda s, fid: import_log.can_process_file(s, fid, arg1, as_utc(arg3), arg4)
        )

    @rpc(_returns=CachedFacility.customize(min_occurs=0, nillable=False),
         _out_variable_name="return", _port_type="FacilityWs", _operation_name="getMyFacility",
         _out_message_name="getMyFacilityResponse")
    def get_my_facility(ctx: MethodContext) -> CachedFacility | None:
        info = _call(ctx, facility_info.my_facility)
        if info is None:
            return None
        return CachedFacility(
            allowSims=info.allow_sims,
            contactEmail=info.contact_email,
            contactName=info.contact_name,
            contactPhone=info.contact_phone,
            description=info.description,
            enableIntegratedReferrals=info.enable_integrated_referrals,
            hic=info.hic,
            integratorFacilityId=info.integrator_facility_id,
            lastDataUpdate=info.last_data_update,
            name=info.name,
        )


def facility_wsgi(env: ServiceEnv) -> WsgiApplication:
    return soap_application(
        [FacilityWs],
        tns=TNS,
        name="FacilityWsService",
        env=env,
        contract=contract_path("wsdl", FACILITY_SERVICE.wsdl),
        port_names={"FacilityWs": "FacilityWsPort"},
    )
