"""The Java transfer objects of a push, built from OSCAR rows (OSCAR's classes and fields).

Primary keys carry only the item part; ``integratorFacilityId`` stays null, as
OSCAR leaves it for the integrator to fill in from the authenticated facility.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from carebridge.emr.schema import (
    Admission,
    Appointment,
    CaseManagementNote,
    Demographic,
    OscarDocument,
    Program,
    Provider,
)
from carebridge.oscar.classes import java_object

_GENDERS = {"M": "M", "F": "F", "T": "T", "O": "O"}


def utc(value: dt.datetime | dt.date | None) -> dt.datetime | None:
    """OSCAR's naive local times, read as UTC; dates at midnight."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _int_pk(item: int) -> Any:
    return java_object("FacilityIdIntegerCompositePk", integratorFacilityId=None,
                       caisiItemId=item)


def header(last_date: dt.datetime, date: dt.datetime, depends_on: str | None,
           facility: dict[str, Any]) -> Any:
    return java_object("IntegratorFileHeader", lastDate=utc(last_date), date=utc(date),
                       dependsOn=depends_on, cachedFacilityId=None,
                       cachedFacilityName=facility["name"], username=facility["integratorUser"])


def footer() -> Any:
    return java_object("IntegratorFileFooter", checksum=-1)


def cached_facility(facility: dict[str, Any], current: dt.datetime) -> Any:
    return java_object(
        "CachedFacility", integratorFacilityId=None, name=facility["name"],
        description=facility["description"], contactName=facility["contactName"],
        contactEmail=facility["contactEmail"], contactPhone=facility["contactPhone"],
        hic=bool(facility["hic"]),
        enableIntegratedReferrals=bool(facility["enableIntegratedReferrals"]),
        allowSims=bool(facility["allowSims"]), lastDataUpdate=utc(current))


def provider_transfer(provider: Provider) -> Any:
    cached = java_object(
        "CachedProvider",
        facilityIdStringCompositePk=java_object("FacilityIdStringCompositePk",
                                                integratorFacilityId=None,
                                                caisiItemId=provider.provider_no),
        firstName=provider.first_name, lastName=provider.last_name,
        specialty=provider.specialty, workPhone=provider.work_phone)
    role = "DOCTOR" if (provider.provider_type or "doctor") == "doctor" else "RN"
    return java_object("ProviderTransfer", cachedProvider=cached, roles=[role])


def cached_program(program: Program) -> Any:
    return java_object(
        "CachedProgram", facilityIdIntegerCompositePk=_int_pk(program.id), name=program.name,
        description=program.description, type=program.type, status=program.programStatus,
        gender=None, firstNation=False, minAge=0, maxAge=200,
        bedProgramAffiliated=program.type == "Bed", alcohol=False, abstinenceSupport=None,
        physicalHealth=False, mentalHealth=False, housing=program.type == "Bed",
        address=program.address, phone=program.phone, fax=None, url=None, email=program.email,
        emergencyNumber=None)


def program_delete_wrapper(program_ids: list[int]) -> Any:
    return java_object("ProgramDeleteIdWrapper", ids=list(program_ids))


def demographic_transfer(d: Demographic) -> Any:
    return java_object(
        "DemographicTransfer", integratorFacilityId=None, caisiDemographicId=d.demographic_no,
        caisiProviderId=d.provider_no, firstName=d.first_name, lastName=d.last_name,
        birthDate=_birth_date(d), gender=_GENDERS.get((d.sex or "").upper(), "U"), hin=d.hin,
        hinType=d.hc_type, hinVersion=d.ver, hinValidStart=None, hinValidEnd=None, sin=d.sin,
        province=d.province, city=d.city, streetAddress=d.address, phone1=d.phone,
        phone2=d.phone2, lastUpdateUser=d.lastUpdateUser, lastUpdateDate=utc(d.lastUpdateDate),
        photoUpdateDate=None, photo=None, removeId=False)


def _birth_date(d: Demographic) -> dt.datetime | None:
    try:
        return utc(dt.date(int(d.year_of_birth or ""), int(d.month_of_birth or ""),
                           int(d.date_of_birth or "")))
    except ValueError:
        return None


def cached_note(note: CaseManagementNote) -> Any:
    program = int(note.program_no) if (note.program_no or "").isdigit() else 0
    return java_object(
        "CachedDemographicNote",
        cachedDemographicNoteCompositePk=java_object(
            "CachedDemographicNoteCompositePk", integratorFacilityId=None,
            uuid=f"{note.uuid}:{note.demographic_no}"),
        updateDate=utc(note.update_date), observationDate=utc(note.observation_date),
        caisiDemographicId=note.demographic_no, observationCaisiProviderId=note.provider_no,
        signingCaisiProviderId=note.signing_provider_no, encounterType=note.encounter_type,
        caisiProgramId=program, note=note.note, role=note.reporter_caisi_role,
        noteIssues=set(), issues=set())


def cached_admission(a: Admission) -> Any:
    return java_object(
        "CachedAdmission", facilityIdIntegerCompositePk=_int_pk(a.am_id),
        caisiDemographicId=a.client_id, caisiProgramId=a.program_id,
        admissionDate=utc(a.admission_date), dischargeDate=utc(a.discharge_date),
        admissionNotes=a.admission_notes, dischargeNotes=a.discharge_notes)


def cached_appointment(a: Appointment) -> Any:
    day = a.appointment_date
    return java_object(
        "CachedAppointment", facilityAppointmentPk=_int_pk(a.appointment_no),
        caisiDemographicId=a.demographic_no, caisiProviderId=a.provider_no,
        appointmentDate=utc(day),
        startTime=utc(dt.datetime.combine(day, a.start_time)) if a.start_time else None,
        endTime=utc(dt.datetime.combine(day, a.end_time)) if a.end_time else None,
        notes=a.notes, reason=a.reason, location=a.location, resources=a.resources, type=a.type,
        style=a.style, status=a.status, createDatetime=utc(a.createdatetime),
        updateDatetime=utc(a.updatedatetime), remarks=a.remarks)


def cached_document(d: OscarDocument, demographic_no: int) -> Any:
    return java_object(
        "CachedDemographicDocument", facilityIntegerPk=_int_pk(d.document_no),
        caisiDemographicId=demographic_no, docType=d.doctype, docXml=d.docxml,
        docFilename=d.docfilename, docCreator=d.doccreator, responsible=d.responsible,
        source=d.source, programId=d.program_id, updateDateTime=utc(d.updatedatetime),
        status=d.status, contentType=d.contenttype, public1=d.public1,
        observationDate=utc(d.observationdate), reviewer=d.reviewer,
        reviewDateTime=utc(d.reviewdatetime), numberOfPages=d.number_of_pages,
        appointmentNo=d.appointment_no or 0, description=d.docdesc)
