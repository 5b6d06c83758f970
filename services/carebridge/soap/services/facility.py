"""FacilityService: the part of OSCAR's CAISI Integrator FacilityWs that reports file status.

Thin Spyne adapter over ``integrator.import_log`` and ``integrator.facility_info``; the
contract is ``wsdl/FacilityService.wsdl`` and a contract test keeps Spyne's WSDL equal to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from spyne import (
    Boolean,
    ComplexModel,
    DateTime,
    Integer32,
    Long,
    ServiceBase,
    Unicode,
    rpc,
)
from spyne.server.wsgi import WsgiApplication
from sqlalchemy.orm import Session

from carebridge.contracts import FACILITY_SERVICE, contract_path
from carebridge.integrator import facility_info, import_log
from carebridge.soap.app import RequestContext, ServiceEnv, as_utc, soap_application
from carebridge.store.models import ImportLog as ImportLogRow

TNS = "http://ws.caisi_integrator.oscarehr.org/"
MOUNT = FACILITY_SERVICE.path

T = TypeVar("T")


def _opt(kind):  # type: ignore[no-untyped-def]
    return kind(min_occurs=0, nillable=False)


def _req(kind):  # type: ignore[no-untyped-def]
    return kind(min_occurs=1, nillable=False)


class AbstractModel(ComplexModel):
    __namespace__ = TNS
    __type_name__ = "abstractModel"

    class Attributes(ComplexModel.Attributes):
        _abstract = True


class ImportLog(AbstractModel):
    __namespace__ = TNS
    __type_name__ = "importLog"
    _type_info = [
        ("checksum", _opt(Unicode)),
        ("dateCreated", _opt(DateTime)),
        ("dateIntervalEnd", _opt(DateTime)),
        ("dateIntervalStart", _opt(DateTime)),
        ("dependsOn", _opt(Unicode)),
        ("facilityId", _opt(Integer32)),
        ("filename", _opt(Unicode)),
        ("id", _opt(Long)),
        ("lastUpdatedDate", _opt(DateTime)),
        ("status", _opt(Unicode)),
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
        ("allowSims", _req(Boolean)),
        ("contactEmail", _opt(Unicode)),
        ("contactName", _opt(Unicode)),
        ("contactPhone", _opt(Unicode)),
        ("description", _opt(Unicode)),
        ("enableIntegratedReferrals", _req(Boolean)),
        ("hic", _req(Boolean)),
        ("integratorFacilityId", _opt(Integer32)),
        ("lastDataUpdate", _opt(DateTime)),
        ("name", _opt(Unicode)),
    ]


_IMPORT_LOGS = ImportLog.customize(min_occurs=0, max_occurs="unbounded", nillable=False)


def _call(ctx, fn: Callable[[Session, int], T]) -> T:  # type: ignore[no-untyped-def]
    env: ServiceEnv = ctx.app.carebridge
    request: RequestContext = ctx.udc
    with env.db.transaction() as session:
        return fn(session, request.caller.facility_id)


class FacilityWs(ServiceBase):
    __service_name__ = "FacilityWsService"
    __port_types__ = ["FacilityWs"]

    @rpc(_opt(Unicode), _opt(Unicode), _args=("arg0", "arg1"), _returns=_IMPORT_LOGS,
         _out_variable_name="return", _port_type="FacilityWs",
         _operation_name="getImportLogByFilenameAndChecksum",
         _out_message_name="getImportLogByFilenameAndChecksumResponse")
    def get_import_log_by_filename_and_checksum(ctx, arg0, arg1):  # type: ignore[no-untyped-def]
        rows = _call(ctx, lambda s, fid: import_log.for_file(s, fid, arg0, arg1))
        return [ImportLog.from_row(r) for r in rows]

    @rpc(_opt(DateTime), _args=("arg0",), _returns=_IMPORT_LOGS, _out_variable_name="return",
         _port_type="FacilityWs", _operation_name="getImportLogsSince",
         _out_message_name="getImportLogsSinceResponse")
    def get_import_logs_since(ctx, arg0):  # type: ignore[no-untyped-def]
        rows = _call(ctx, lambda s, fid: import_log.since(s, fid, as_utc(arg0)))
        return [ImportLog.from_row(r) for r in rows]

    @rpc(_opt(Unicode), _opt(Unicode), _opt(DateTime), _opt(DateTime), _opt(Unicode),
         _args=("arg0", "arg1", "arg2", "arg3", "arg4"), _returns=_opt(Unicode),
         _out_variable_name="return", _port_type="FacilityWs", _operation_name="canProcessFile",
         _out_message_name="canProcessFileResponse")
    def can_process_file(ctx, arg0, arg1, arg2, arg3, arg4):  # type: ignore[no-untyped-def]
        return _call(
            ctx, lambda s, fid: import_log.can_process_file(s, fid, arg1, as_utc(arg3), arg4)
        )

    @rpc(_returns=CachedFacility.customize(min_occurs=0, nillable=False),
         _out_variable_name="return", _port_type="FacilityWs", _operation_name="getMyFacility",
         _out_message_name="getMyFacilityResponse")
    def get_my_facility(ctx):  # type: ignore[no-untyped-def]
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
