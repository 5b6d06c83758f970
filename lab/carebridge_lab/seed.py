"""A demo OSCAR database with realistic synthetic patients (for make run, demos, benchmarks).

Deterministic for a given seed. Document files are written to the document
directory, as OSCAR keeps them on disk (DOCUMENT_DIR) and only their metadata
in the ``document`` table. Seeding a database that is already seeded adds nothing
(the demo clinic is one Facility row); its integrator account can still be changed.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from carebridge.emr.database import EmrDatabase
from carebridge.emr.schema import (
    Admission,
    Appointment,
    CaseManagementNote,
    CtlDocument,
    Demographic,
    OscarDocument,
    OscarFacility,
    Program,
    Provider,
)

FIRST = ["Jane", "John", "Amir", "Mei", "Olga", "Kwame", "Sofia", "Liam", "Aroha", "Zoë",
         "Chidi", "Hannah", "José", "Priya", "Noah", "Fatima", "Seán", "Yuki", "Ines", "Omar"]
LAST = ["Doe", "Smith", "Nguyen", "Singh", "O'Brien", "García", "Kowalski", "Tremblay",
        "Okafor", "Müller", "Chen", "Haddad", "Rossi", "Ivanova", "Kim", "Dubois"]
STREETS = ["Main St", "King St W", "Queen St E", "Bloor St", "Dundas St", "College St"]
CITIES = [("Toronto", "ON"), ("Ottawa", "ON"), ("Hamilton", "ON"), ("Kingston", "ON")]
NOTES = ["Patient seen for follow-up; vitals stable.", "Discussed medication adherence.",
         "Reports improved sleep | plan unchanged.", "Referred to diabetes education.",
         "BP 128/82, continue current regimen ^ recheck in 3 months."]
PROGRAMS = [(10, "Family Practice", "Service"), (11, "Diabetes Education", "Service"),
            (12, "Transitional Housing", "Bed")]
CHUNK = 500
DEMO_FACILITY_ID = 1


@dataclass(frozen=True)
class Seeded:
    added: bool  # False: the database was seeded before and nothing was added
    patients: int  # patients in the database now


def seed(db: EmrDatabase, patients: int, document_dir: Path, *, seed: int = 1,
         now: dt.datetime | None = None) -> Seeded:
    """Fill an empty demo database with ``patients`` patients and their records."""
    rng = random.Random(seed)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    db.create_demo_schema()
    with db.transaction() as session:
        if session.get(OscarFacility, DEMO_FACILITY_ID) is not None:
            return Seeded(False, _patient_count(session))
    document_dir.mkdir(parents=True, exist_ok=True)
    providers = [str(1001 + i) for i in range(3 + patients // 25)]
    with db.transaction() as session:
        session.add(OscarFacility(id=DEMO_FACILITY_ID, name="Carebridge Demo Clinic",
                                  description="Synthetic family health team",
                                  contactName="Clinic Manager",
                                  contactEmail="manager@clinic.example",
                                  contactPhone="416-555-0100", lastUpdated=now,
                                  integratorEnabled=True))
        session.execute(insert(Provider), [
            {"provider_no": p, "last_name": rng.choice(LAST), "first_name": rng.choice(FIRST),
             "specialty": "Family Medicine", "work_phone": _phone(rng), "lastUpdateDate": now}
            for p in providers])
        session.execute(insert(Program), [
            {"id": pid, "facilityId": 1, "name": name, "type": kind, "description": name,
             "lastUpdateDate": now} for pid, name, kind in PROGRAMS])
    for start in range(0, patients, CHUNK):
        rows = _chunk(rng, start, min(patients, start + CHUNK), providers, now, document_dir)
        with db.transaction() as session:
            for model, values in rows.items():
                if values:
                    session.execute(insert(model), values)
    return Seeded(True, patients)


def set_integrator(db: EmrDatabase, *, url: str | None = None, user: str | None = None,
                   password: str | None = None) -> list[str]:
    """Point the demo clinic at an integrator (the values OSCAR's admin page sets);
    ``None`` leaves a value alone. The names of the columns that changed."""
    wanted = {"integratorUrl": url, "integratorUser": user, "integratorPassword": password}
    changed = []
    with db.transaction() as session:
        facility = session.get_one(OscarFacility, DEMO_FACILITY_ID)
        for column, value in wanted.items():
            if value is not None and getattr(facility, column) != value:
                setattr(facility, column, value)
                changed.append(column)
    return changed


def _patient_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Demographic)) or 0


def _chunk(rng: random.Random, start: int, stop: int, providers: list[str], now: dt.datetime,
           document_dir: Path) -> dict[type, list[Any]]:
    rows: dict[type, list[Any]] = {Demographic: [], Admission: [], CaseManagementNote: [],
                                   Appointment: [], OscarDocument: [], CtlDocument: []}
    for i in range(start, stop):
        number = 1000 + i
        city, province = rng.choice(CITIES)
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
        doctor = rng.choice(providers)
        rows[Demographic].append({
            "demographic_no": number, "last_name": rng.choice(LAST),
            "first_name": rng.choice(FIRST), "address": f"{rng.randrange(1, 999)} "
            f"{rng.choice(STREETS)}", "city": city, "province": province,
            "postal": f"M{rng.randrange(1, 9)}A {rng.randrange(1, 9)}B{rng.randrange(1, 9)}",
            "phone": _phone(rng), "year_of_birth": f"{born.year:04d}",
            "month_of_birth": f"{born.month:02d}", "date_of_birth": f"{born.day:02d}",
            "hin": f"{rng.randrange(10**9, 10**10)}", "ver": "AB", "hc_type": "ON",
            "sex": rng.choice("MF"), "provider_no": doctor, "lastUpdateUser": doctor,
            "lastUpdateDate": now - dt.timedelta(days=rng.randrange(1, 400)),
        })
        admitted = now - dt.timedelta(days=rng.randrange(30, 900))
        rows[Admission].append({
            "client_id": number, "program_id": PROGRAMS[i % 3][0], "provider_no": doctor,
            "admission_date": admitted, "admission_status": "current",
            "admission_notes": "Intake completed", "lastUpdateDate": admitted})
        for n in range(2):
            written = now - dt.timedelta(days=rng.randrange(1, 300), minutes=n)
            rows[CaseManagementNote].append({
                "update_date": written, "observation_date": written, "demographic_no": number,
                "provider_no": doctor, "note": rng.choice(NOTES), "signing_provider_no": doctor,
                "encounter_type": "face to face encounter with client",
                "program_no": str(PROGRAMS[i % 3][0]), "reporter_caisi_role": "1",
                "uuid": str(uuid.UUID(int=rng.getrandbits(128)))})
        for n in range(2):
            day = (now - dt.timedelta(days=rng.randrange(0, 365))).date()
            hour = 9 + (i + n) % 8
            rows[Appointment].append({
                "provider_no": doctor, "appointment_date": day,
                "start_time": dt.time(hour, 0), "end_time": dt.time(hour, 15),
                "name": "", "demographic_no": number, "program_id": PROGRAMS[i % 3][0],
                "reason": "Follow-up", "location": "Clinic", "type": "Office",
                "status": "t" if n == 0 else "C", "createdatetime": now,
                "updatedatetime": now - dt.timedelta(days=rng.randrange(1, 200))})
        if i % 5 == 0:
            document_no = 5000 + i
            filename = f"doc_{document_no}.pdf"
            (document_dir / filename).write_bytes(_pdf(document_no))
            rows[OscarDocument].append({
                "document_no": document_no, "doctype": "lab", "docdesc": "Lab report",
                "docfilename": filename, "doccreator": doctor, "responsible": doctor,
                "contenttype": "application/pdf", "number_of_pages": 1,
                "updatedatetime": now - dt.timedelta(days=rng.randrange(1, 200)),
                "observationdate": (now - dt.timedelta(days=3)).date()})
            rows[CtlDocument].append({"module": "demographic", "module_id": number,
                                      "document_no": document_no, "status": "A"})
    return rows


def _phone(rng: random.Random) -> str:
    return f"416-555-{rng.randrange(0, 10000):04d}"


def _pdf(document_no: int) -> bytes:
    return (b"%PDF-1.4\n% carebridge synthetic document " + str(document_no).encode()
            + b"\n%%EOF\n")
