"""Writing push files exactly as OSCAR's EMR does (CaisiIntegratorUpdateTask).

Full or delta as OSCAR decides: full when forced or when there is no previous
push, otherwise every patient with a record changed since the last push's
currentDate (any exported type; a deleted note or cancelled appointment is a
change too). The push's date is taken before any query, so a change made while
exporting is sent again next time rather than missed.

Layout: ``<base>.1.ser`` holds the header, the facility, providers in chunks of
50, programs and the program delete wrapper; patients follow in ``.2.ser``,
``.3.ser`` ... with a new file before every 500th patient; the last ``.ser``
holds only the footer. The zips are written under temporary names, hashed,
then renamed (Docs zip first), and the push is recorded in IntegratorFileLog.
Everything streams: one patient chunk in memory at a time.

``push_format`` is the class generation the JVM reading the push holds: ``"0.0.4"``
(default) as OSCAR 19 writes, or ``"legacy"`` for an integrator built with the older
wrapper classes; they differ only in ProgramDeleteIdWrapper's serialVersionUID
(``carebridge.oscar.classes.PUSH_FORMATS``, docs/oscar-push-format.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Executable, select, union
from sqlalchemy.orm import Session

from carebridge.emr import filelog
from carebridge.emr import transfer_objects as build
from carebridge.emr.database import EmrDatabase
from carebridge.emr.exceptions import EmrError
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
from carebridge.oscar.archive import checksum
from carebridge.oscar.classes import DEFAULT_PUSH_FORMAT, suid_overrides, write_objects
from carebridge.oscar.javawrite import ObjectStreamWriter

log = logging.getLogger(__name__)

EPOCH = dt.datetime(1970, 1, 1)
PATIENTS_PER_FILE = 500
PROVIDER_CHUNK = 50
QUERY_CHUNK = 500

# One patient's push objects (a transfer object, then lists of cached ones) and documents.
_Block = tuple[list[Any], list[OscarDocument]]


@dataclass(frozen=True)
class ExportResult:
    filename: str
    path: Path
    docs_path: Path | None
    checksum: str
    full: bool
    patients: int
    objects: int
    documents: int
    current_date: dt.datetime
    last_date: dt.datetime
    depends_on: str | None
    push_format: str = DEFAULT_PUSH_FORMAT


def export(db: EmrDatabase, out_dir: Path, document_dir: Path, *, full: bool = False,
           now: dt.datetime | None = None,
           progress: Callable[[int, int], object] | None = None,
           push_format: str = DEFAULT_PUSH_FORMAT) -> ExportResult:
    """Write one push (main zip and, when there are documents, the Docs zip) into ``out_dir``."""
    current = (now or dt.datetime.now()).replace(microsecond=0)  # before any query
    try:
        overrides = suid_overrides(push_format)
    except ValueError as exc:
        raise EmrError(str(exc)) from None
    with db.transaction() as session:
        facility = session.scalars(select(OscarFacility).order_by(OscarFacility.id)).first()
        if facility is None:
            raise EmrError("the EMR database has no Facility row")
        last = filelog.last_push(session)
        if full or last is None:
            full, last_date, depends_on = True, EPOCH, None
        else:
            last_date, depends_on = last.currentDate or EPOCH, last.checksum
        patients = _patients(session, None if full else last_date)
        facility_values = _facility_values(facility)
    base = f"IntegratorPush_{facility_values['id']}_{current:%Y_%m_%d_%H_%M_%S}"
    out_dir.mkdir(parents=True, exist_ok=True)
    if (out_dir / f"{base}.zip").exists():
        raise EmrError(f"{base}.zip already exists: one push per second at most")
    work = out_dir / f".{base}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        writer = _PushWriter(work, base, push_format, overrides)
        header = build.header(last_date, current, depends_on, facility_values)
        with db.transaction() as session:
            writer.write_file(1, _first_file(session, header, facility_values, last_date, full,
                                             current))
        documents = writer.write_patients(db, patients, document_dir, progress)
        writer.write_file(writer.next_number, [build.footer()])
        docs_path = writer.zip_documents(out_dir, document_dir)
        main_path, digest = writer.zip_main(out_dir)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with db.transaction() as session:
        filelog.record_push(session, main_path.name, digest, last_date, current)
    log.info("%s: %s push of %d patients (push format %s)", main_path.name,
             "full" if full else "delta", len(patients), push_format)
    return ExportResult(main_path.name, main_path, docs_path, digest, full, len(patients),
                        writer.objects, documents, current, last_date, depends_on, push_format)


def _facility_values(facility: OscarFacility) -> dict[str, Any]:
    return {c: getattr(facility, c) for c in (
        "id", "name", "description", "contactName", "contactEmail", "contactPhone", "hic",
        "enableIntegratedReferrals", "allowSims", "integratorUser", "lastUpdated")}


def _patients(session: Session, since: dt.datetime | None) -> list[int]:
    """Every patient (full) or those with any exported record changed after ``since``."""
    query: Executable
    if since is None:
        query = select(Demographic.demographic_no)
    else:
        query = union(
            select(Demographic.demographic_no).where(Demographic.lastUpdateDate > since),
            select(CaseManagementNote.demographic_no).where(
                CaseManagementNote.update_date > since),
            select(Appointment.demographic_no).where(Appointment.updatedatetime > since,
                                                     Appointment.demographic_no.is_not(None)),
            select(Admission.client_id).where(Admission.lastUpdateDate > since),
            select(CtlDocument.module_id).join(
                OscarDocument, OscarDocument.document_no == CtlDocument.document_no).where(
                CtlDocument.module == "demographic", OscarDocument.updatedatetime > since),
        )
    return sorted({row[0] for row in session.execute(query)})


def _first_file(session: Session, header: Any, facility: dict[str, Any], since: dt.datetime,
                full: bool, current: dt.datetime) -> Iterator[Any]:
    yield header
    if full or (facility["lastUpdated"] and facility["lastUpdated"] > since):
        yield build.cached_facility(facility, current)
    providers = select(Provider).order_by(Provider.provider_no)
    if not full:
        providers = providers.where(Provider.lastUpdateDate > since)
    chunk: list[Any] = []
    for provider in session.scalars(providers):
        chunk.append(build.provider_transfer(provider))
        if len(chunk) == PROVIDER_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
    programs = list(session.scalars(select(Program).where(Program.facilityId == facility["id"])
                                    .order_by(Program.id)))
    changed = [p for p in programs if full or (p.lastUpdateDate and p.lastUpdateDate > since)]
    if changed:
        yield [build.cached_program(p) for p in changed]
    if programs:
        yield build.program_delete_wrapper([p.id for p in programs])


class _PushWriter:
    def __init__(self, work: Path, base: str, push_format: str,
                 overrides: dict[str, int]) -> None:
        self.work = work
        self.base = base
        self.push_format = push_format
        self.overrides = overrides
        self.next_number = 2
        self.objects = 0
        self.meta_lines: list[str] = []
        self.document_files: list[str] = []

    def write_file(self, number: int, objects: Iterable[Any]) -> None:
        path = self.work / f"{self.base}.{number}.ser"
        with path.open("wb") as stream:
            self.objects += write_objects(stream, objects, push_format=self.push_format)
        self.next_number = max(self.next_number, number + 1)

    def write_patients(self, db: EmrDatabase, patients: list[int], document_dir: Path,
                       progress: Callable[[int, int], object] | None) -> int:
        """Patients in files of 500 (the first file holds 499, as OSCAR's counter does)."""
        count = 0
        out = _SerFile(self.work / f"{self.base}.{self.next_number}.ser", self.overrides)
        self.next_number += 1
        try:
            for start in range(0, len(patients), QUERY_CHUNK):
                numbers = patients[start:start + QUERY_CHUNK]
                with db.transaction() as session:
                    blocks = _patient_blocks(session, numbers)
                for number in numbers:
                    count += 1
                    if count % PATIENTS_PER_FILE == 0:
                        self.objects += out.close()
                        out = _SerFile(self.work / f"{self.base}.{self.next_number}.ser",
                                       self.overrides)
                        self.next_number += 1
                    objects, documents = blocks.get(number, ([], []))
                    for obj in objects:
                        out.writer.write(obj)
                    for document in documents:
                        self.meta_lines.append(
                            f"{document.document_no},{number},{document.docfilename}")
                        if (document_dir / document.docfilename).is_file():
                            self.document_files.append(document.docfilename)
                if progress:
                    progress(min(start + QUERY_CHUNK, len(patients)), len(patients))
        finally:
            self.objects += out.close()
        return len(self.meta_lines)

    def zip_documents(self, out_dir: Path, document_dir: Path) -> Path | None:
        if not self.document_files:
            return None
        temporary = out_dir / f"{self.base}-Docs.zipTemp"
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in self.document_files:
                zf.write(document_dir / name, arcname=name)
        final = out_dir / f"{self.base}-Docs.zip"
        os.replace(temporary, final)
        return final

    def zip_main(self, out_dir: Path) -> tuple[Path, str]:
        meta = self.work / f"{self.base}_documentMeta.txt"
        meta.write_text("".join(line + "\n" for line in self.meta_lines), encoding="utf-8")
        temporary = out_dir / f"{self.base}.zipTemp"
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as zf:
            for number in range(1, self.next_number):
                name = f"{self.base}.{number}.ser"
                zf.write(self.work / name, arcname=name)
            zf.write(meta, arcname=meta.name)
        digest = checksum(temporary)
        final = out_dir / f"{self.base}.zip"
        os.replace(temporary, final)
        return final, digest


class _SerFile:
    """One numbered .ser file: its own Java object stream, written object by object."""

    def __init__(self, path: Path, overrides: dict[str, int]) -> None:
        self._file = path.open("wb")
        self.writer = ObjectStreamWriter(self._file, suid_overrides=overrides)

    def close(self) -> int:
        self.writer.close()
        self._file.close()
        return self.writer.count


def _patient_blocks(session: Session, numbers: list[int]) -> dict[int, _Block]:
    """Each patient's objects in OSCAR's order, and their documents, for one chunk."""
    by_patient: dict[int, _Block] = {}
    demographics = session.scalars(select(Demographic).where(
        Demographic.demographic_no.in_(numbers)))
    for demographic in demographics:
        by_patient[demographic.demographic_no] = ([build.demographic_transfer(demographic)], [])
    notes = session.scalars(select(CaseManagementNote).where(
        CaseManagementNote.demographic_no.in_(numbers), CaseManagementNote.archived.is_(False))
        .order_by(CaseManagementNote.demographic_no, CaseManagementNote.note_id))
    latest: dict[str, CaseManagementNote] = {}
    for note in notes:  # notes are revisions: the newest per uuid counts
        latest[note.uuid] = note
    for note in latest.values():
        _objects(by_patient, note.demographic_no).append([build.cached_note(note)])
    for admission in session.scalars(select(Admission).where(Admission.client_id.in_(numbers))
                                     .order_by(Admission.am_id)):
        _objects(by_patient, admission.client_id).append([build.cached_admission(admission)])
    for appointment in session.scalars(select(Appointment).where(
            Appointment.demographic_no.in_(numbers)).order_by(Appointment.appointment_no)):
        number = cast(int, appointment.demographic_no)  # never None: it is in ``numbers``
        _objects(by_patient, number).append([build.cached_appointment(appointment)])
    documents = session.execute(
        select(CtlDocument.module_id, OscarDocument).join(
            OscarDocument, OscarDocument.document_no == CtlDocument.document_no).where(
            CtlDocument.module == "demographic", CtlDocument.module_id.in_(numbers))
        .order_by(OscarDocument.document_no))
    for number, document in documents:
        _objects(by_patient, number).append(build.cached_document(document, number))
        by_patient[number][1].append(document)
    return by_patient


def _objects(by_patient: dict[int, _Block], number: int) -> list[Any]:
    return by_patient.setdefault(number, ([], []))[0]
