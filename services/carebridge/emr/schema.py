"""The OSCAR tables the exporter reads, with OSCAR's own table and column names.

Only the columns the push needs are mapped, so the same models read a real
OSCAR MySQL database (point ``CAREBRIDGE_EMR_DATABASE_URL`` at it) and create a
small demo database for ``carebridge emr seed``. Times are OSCAR's local
DATETIMEs, naive; carebridge treats them as UTC when it writes Java Dates.
The metadata is separate from carebridge's own: this is the EMR's database.
Attribute names are OSCAR's column names, camelCase where OSCAR's are.
Classes whose OSCAR name is also one of carebridge's own models (Facility,
document) are called ``OscarFacility`` and ``OscarDocument``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class EmrBase(DeclarativeBase):
    metadata = MetaData()


class OscarFacility(EmrBase):
    """OSCAR's Facility table (not carebridge's ``store.models.Facility``)."""

    __tablename__ = "Facility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str | None] = mapped_column(String(150))
    contactName: Mapped[str | None] = mapped_column(String(255))
    contactEmail: Mapped[str | None] = mapped_column(String(255))
    contactPhone: Mapped[str | None] = mapped_column(String(255))
    hic: Mapped[bool] = mapped_column(Boolean, default=False)
    enableIntegratedReferrals: Mapped[bool] = mapped_column(Boolean, default=True)
    allowSims: Mapped[bool] = mapped_column(Boolean, default=True)
    integratorEnabled: Mapped[bool] = mapped_column(Boolean, default=False)
    integratorUrl: Mapped[str | None] = mapped_column(String(255))
    integratorUser: Mapped[str | None] = mapped_column(String(255))
    integratorPassword: Mapped[str | None] = mapped_column(String(255))
    lastUpdated: Mapped[dt.datetime] = mapped_column(DateTime)


class Provider(EmrBase):
    __tablename__ = "provider"

    provider_no: Mapped[str] = mapped_column(String(6), primary_key=True)
    last_name: Mapped[str] = mapped_column(String(30))
    first_name: Mapped[str] = mapped_column(String(30))
    provider_type: Mapped[str] = mapped_column(String(15), default="doctor")
    specialty: Mapped[str] = mapped_column(String(40), default="")
    work_phone: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str | None] = mapped_column(String(1), default="1")
    lastUpdateDate: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class Program(EmrBase):
    __tablename__ = "program"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facilityId: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(70))
    description: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str | None] = mapped_column(String(50))
    programStatus: Mapped[str] = mapped_column(String(8), default="active")
    address: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    lastUpdateDate: Mapped[dt.datetime] = mapped_column(DateTime)


class Demographic(EmrBase):
    __tablename__ = "demographic"

    demographic_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_name: Mapped[str] = mapped_column(String(30), default="")
    first_name: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str | None] = mapped_column(String(60))
    city: Mapped[str | None] = mapped_column(String(50))
    province: Mapped[str | None] = mapped_column(String(20))
    postal: Mapped[str | None] = mapped_column(String(9))
    phone: Mapped[str | None] = mapped_column(String(20))
    phone2: Mapped[str | None] = mapped_column(String(20))
    year_of_birth: Mapped[str | None] = mapped_column(String(4))
    month_of_birth: Mapped[str | None] = mapped_column(String(2))
    date_of_birth: Mapped[str | None] = mapped_column(String(2))
    hin: Mapped[str | None] = mapped_column(String(20))
    ver: Mapped[str | None] = mapped_column(String(3))
    hc_type: Mapped[str | None] = mapped_column(String(20))
    sex: Mapped[str] = mapped_column(String(1), default="")
    sin: Mapped[str | None] = mapped_column(String(15))
    provider_no: Mapped[str | None] = mapped_column(String(250))
    lastUpdateUser: Mapped[str | None] = mapped_column(String(6))
    lastUpdateDate: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class Admission(EmrBase):
    __tablename__ = "admission"

    am_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                       primary_key=True)
    client_id: Mapped[int] = mapped_column(Integer, index=True)
    program_id: Mapped[int] = mapped_column(Integer)
    provider_no: Mapped[str] = mapped_column(String(6))
    admission_date: Mapped[dt.datetime | None] = mapped_column(DateTime)
    discharge_date: Mapped[dt.datetime | None] = mapped_column(DateTime)
    admission_notes: Mapped[str | None] = mapped_column(Text)
    discharge_notes: Mapped[str | None] = mapped_column(Text)
    admission_status: Mapped[str | None] = mapped_column(String(24))
    lastUpdateDate: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class CaseManagementNote(EmrBase):
    __tablename__ = "casemgmt_note"

    note_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    update_date: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    observation_date: Mapped[dt.datetime] = mapped_column(DateTime)
    demographic_no: Mapped[int] = mapped_column(Integer, index=True)
    provider_no: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    signed: Mapped[bool] = mapped_column(Boolean, default=True)
    signing_provider_no: Mapped[str] = mapped_column(String(20), default="")
    encounter_type: Mapped[str] = mapped_column(String(100), default="")
    program_no: Mapped[str] = mapped_column(String(20), default="")
    reporter_caisi_role: Mapped[str] = mapped_column(String(20), default="")
    locked: Mapped[str | None] = mapped_column(String(1), default="0")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    uuid: Mapped[str] = mapped_column(String(36), index=True)


class Appointment(EmrBase):
    __tablename__ = "appointment"

    appointment_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_no: Mapped[str] = mapped_column(String(6))
    appointment_date: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    name: Mapped[str | None] = mapped_column(String(50))
    demographic_no: Mapped[int | None] = mapped_column(Integer, index=True)
    program_id: Mapped[int | None] = mapped_column(Integer, default=0)
    notes: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(String(80))
    location: Mapped[str | None] = mapped_column(String(30))
    resources: Mapped[str | None] = mapped_column(String(255))
    type: Mapped[str | None] = mapped_column(String(50))
    style: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str | None] = mapped_column(String(2))
    createdatetime: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updatedatetime: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    remarks: Mapped[str | None] = mapped_column(String(50))


class OscarDocument(EmrBase):
    """OSCAR's document table (not carebridge's ``store.models.Document``)."""

    __tablename__ = "document"

    document_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctype: Mapped[str | None] = mapped_column(String(60))
    docdesc: Mapped[str] = mapped_column(String(255), default="")
    docxml: Mapped[str | None] = mapped_column(Text)
    docfilename: Mapped[str] = mapped_column(String(255))
    doccreator: Mapped[str] = mapped_column(String(30), default="")
    responsible: Mapped[str] = mapped_column(String(30), default="")
    source: Mapped[str | None] = mapped_column(String(60))
    program_id: Mapped[int | None] = mapped_column(Integer)
    updatedatetime: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    status: Mapped[str] = mapped_column(String(1), default="A")
    contenttype: Mapped[str] = mapped_column(String(60), default="application/pdf")
    public1: Mapped[int] = mapped_column(Integer, default=0)
    observationdate: Mapped[dt.date | None] = mapped_column(Date)
    reviewer: Mapped[str | None] = mapped_column(String(30))
    reviewdatetime: Mapped[dt.datetime | None] = mapped_column(DateTime)
    number_of_pages: Mapped[int] = mapped_column(Integer, default=0)
    appointment_no: Mapped[int | None] = mapped_column(Integer)


class CtlDocument(EmrBase):
    """Links a document to a patient: module 'demographic', module_id = demographic_no."""

    __tablename__ = "ctl_document"

    module: Mapped[str] = mapped_column(String(30), primary_key=True)
    module_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_no: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    status: Mapped[str | None] = mapped_column(String(1), default="A")


class IntegratorFileLog(EmrBase):
    __tablename__ = "IntegratorFileLog"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str | None] = mapped_column(String(255))
    checksum: Mapped[str | None] = mapped_column(String(255))
    lastDateUpdated: Mapped[dt.datetime | None] = mapped_column(DateTime)
    currentDate: Mapped[dt.datetime | None] = mapped_column(DateTime)
    integratorStatus: Mapped[str | None] = mapped_column(String(100))
    dateCreated: Mapped[dt.datetime] = mapped_column(DateTime, default=dt.datetime.now)
