"""Importing push files: prerequisites, one transaction per file, the import log, archiving.

The import log row is committed as PROCESSING first (so OSCAR's status job sees
it); every record of the file, the document bytes and the COMPLETED status are
then written in one transaction. A crash leaves the row PROCESSING and the
file in the incoming directory; the next run (on any node, once the lease has
expired) imports it again from the start and completes the same row.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from carebridge.config import Settings
from carebridge.integrator import logs
from carebridge.integrator.exceptions import (
    BadFileName,
    IntegratorError,
    LeaseLost,
    PushFileError,
    UnknownFacility,
)
from carebridge.integrator.lease import Lease
from carebridge.integrator.prerequisites import Decision, decide
from carebridge.integrator.pushfile import (
    FOOTER_CLASS,
    HEADER_CLASS,
    DocumentMeta,
    Header,
    PushArchive,
    ZipLimits,
    open_push,
    open_zip,
    parse_name,
)
from carebridge.integrator.pushfile import checksum as push_checksum
from carebridge.integrator.record_writer import RecordWriter
from carebridge.integrator.records import operations_for
from carebridge.integrator.scanner import ready_files
from carebridge.store.database import Database
from carebridge.store.facilities import find_facility
from carebridge.store.models import Facility, ImportLog, ImportStatus, utcnow

log = logging.getLogger(__name__)

# Renew the lease (and report progress) every this many objects.
RENEW_EVERY_OBJECTS = 2000


class Result(enum.StrEnum):
    """What became of one file in one scan."""

    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ALREADY_IMPORTED = "ALREADY_IMPORTED"
    WAITING = "WAITING"  # its dependency or its -Docs.zip has not arrived: next scan
    RETRY = "RETRY"  # database trouble or lost lease: next scan, possibly another node


@dataclass
class Outcome:
    filename: str
    result: Result
    reason: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    import_log_id: int | None = None
    facility: str | None = None

    @property
    def records(self) -> int:
        return sum(v for k, v in self.counts.items() if not k.startswith(("deleted:", "documents")))


class ImportObserver(Protocol):
    def file_started(self, filename: str, entries: int) -> None: ...
    def objects_read(self, count: int) -> None: ...
    def file_finished(self, outcome: Outcome) -> None: ...


class _Silent:
    def file_started(self, filename: str, entries: int) -> None:
        pass

    def objects_read(self, count: int) -> None:
        pass

    def file_finished(self, outcome: Outcome) -> None:
        pass


class Importer:
    def __init__(self, db: Database, settings: Settings, lease: Lease | None = None,
                 observer: ImportObserver | None = None) -> None:
        self.db = db
        self.settings = settings
        self.lease = lease or Lease(db, settings.lease_seconds)
        self.observer = observer or _Silent()
        self.limits = ZipLimits(
            settings.max_entry_bytes, settings.max_total_bytes, settings.max_compression_ratio
        )

    # -- the loop ---------------------------------------------------------

    def pending(self) -> list[Path]:
        return ready_files(self.settings.incoming_dir, self.settings.settle_seconds)

    def run_once(self) -> list[Outcome]:
        """Import every ready file, if this node gets the lease; [] otherwise."""
        files = self.pending()
        if not files:
            return []
        if not self.lease.acquire():
            log.info("another node holds the importer lease; %d file(s) left to it", len(files))
            return []
        outcomes = []
        try:
            for path in files:
                if not path.exists():
                    continue
                if not self.lease.acquire(path.name):
                    break
                outcome = self.import_file(path)
                outcomes.append(outcome)
                self.observer.file_finished(outcome)
                if outcome.result == Result.RETRY:
                    break  # the database is unwell; try again next scan
        finally:
            try:
                self.lease.release()
            except OperationalError:
                log.warning("could not release the importer lease; it will expire")
        return outcomes

    def watch(self, stop: Callable[[], bool], sleep: Callable[[float], object],
              tick: Callable[[], object] | None = None) -> None:
        """Scan until ``stop``; ``tick`` runs after each scan (the node's other chores)."""
        while not stop():
            try:
                self.run_once()
                if tick is not None:
                    tick()
            except OperationalError as exc:
                log.error("import scan failed, database unavailable: %s", _one_line(exc))
            sleep(self.settings.scan_interval)

    # -- one file ---------------------------------------------------------

    def import_file(self, path: Path) -> Outcome:
        name = path.name
        try:
            checksum = push_checksum(path)
        except FileNotFoundError:
            return Outcome(name, Result.RETRY, "the file was moved away (another importer?)")
        try:
            push_name = parse_name(name)
        except BadFileName as exc:
            return self._final_error(path, None, checksum, None, exc.reason, None)
        docs_path = path.with_name(push_name.docs_name)
        facility: Facility | None = None
        header: Header | None = None
        log_id: int | None = None
        try:
            with open_push(path, self.limits) as archive:
                header = archive.read_header()
                facility = self._facility(header.username)
                with self.db.transaction() as session:
                    last = logs.last_completed(session, facility.id)
                decision = decide(last, checksum, header.date, header.depends_on)
                if decision is Decision.ALREADY_IMPORTED:
                    self._archive(path, docs_path)
                    return Outcome(name, Result.ALREADY_IMPORTED,
                                   "a file with this checksum is already imported",
                                   facility=facility.name)
                if decision is Decision.DEPENDENCY_NOT_MET:
                    if _age(path) < self.settings.dependency_wait_seconds:
                        return Outcome(name, Result.WAITING,
                                       f"waiting for the push it depends on ({header.depends_on})",
                                       facility=facility.name)
                    return self._final_error(
                        path, facility, checksum, header,
                        f"DEPENDENCY_NOT_MET: the push it depends on ({header.depends_on}) was "
                        "never imported", docs_path)
                if decision is Decision.INTEGRATOR_HAS_NEWER_DATA:
                    return self._final_error(
                        path, facility, checksum, header,
                        "INTEGRATOR_HAS_NEWER_DATA: the integrator already holds data newer "
                        "than this file's date", docs_path)
                meta = archive.document_meta()
                if meta and not docs_path.exists():
                    return Outcome(name, Result.WAITING, f"waiting for {docs_path.name}",
                                   facility=facility.name)
                self.observer.file_started(name, len(archive.ser_entries))
                log_id = self._start_log(facility, name, checksum, header)
                counts = self._load(archive, docs_path, meta, facility, log_id, header, name)
        except PushFileError as exc:
            return self._final_error(path, facility, checksum, header, exc.args[0], docs_path)
        except UnknownFacility as exc:
            return self._final_error(path, None, checksum, header, str(exc), docs_path)
        except LeaseLost as exc:
            log.warning("%s: %s; leaving the file to the new holder", name, exc)
            return Outcome(name, Result.RETRY, str(exc), import_log_id=log_id)
        except OperationalError as exc:
            log.error("%s: database unavailable, will retry: %s", name, _one_line(exc))
            return Outcome(name, Result.RETRY, "database unavailable", import_log_id=log_id)
        except IntegratorError as exc:
            return self._final_error(path, facility, checksum, header, str(exc), docs_path)
        except Exception as exc:
            log.exception("%s: unexpected error while importing", name)
            return self._final_error(path, facility, checksum, header,
                                     f"internal error: {type(exc).__name__}: {exc}", docs_path)
        self._archive(path, docs_path)
        log.info("%s: imported for facility %s (%d records)", name, facility.name,
                 sum(counts.values()))
        return Outcome(name, Result.COMPLETED, None, counts, log_id, facility.name)

    def _facility(self, username: str | None) -> Facility:
        with self.db.transaction() as session:
            facility = find_facility(session, username) if username else None
        if facility is None:
            raise UnknownFacility(username)
        return facility

    def _start_log(self, facility: Facility, name: str, checksum: str, header: Header) -> int:
        """PROCESSING, committed: reuse the row of an earlier attempt at the same file."""
        now = utcnow()
        with self.db.transaction() as session:
            row = _existing_log(session, facility.id, checksum)
            if row is None:
                row = ImportLog(facility_id=facility.id, checksum=checksum, date_created=now)
                session.add(row)
            row.filename = name
            row.status = ImportStatus.PROCESSING
            row.reason = None
            row.counts = {}
            row.attempts = (row.attempts or 0) + 1
            row.depends_on = header.depends_on
            row.date_interval_start = header.last_date
            row.date_interval_end = header.date
            row.last_updated = now
            session.flush()
            return row.id

    def _load(self, archive: PushArchive, docs_path: Path, meta: list[DocumentMeta],
              facility: Facility, log_id: int, header: Header, name: str) -> dict[str, int]:
        with self.db.transaction() as session:
            self.lease.renew(session, name)
            writer = RecordWriter(session, facility.id, log_id)
            seen = 0
            for _entry, obj in archive.objects():
                seen += 1
                if seen == 1 or _is_class(obj, FOOTER_CLASS) or _is_class(obj, HEADER_CLASS):
                    continue
                for operation in operations_for(obj):
                    writer.apply(operation)
                if seen % RENEW_EVERY_OBJECTS == 0:
                    writer.flush()
                    self.lease.renew(session, name)
                    self.observer.objects_read(RENEW_EVERY_OBJECTS)
            writer.flush()
            self.observer.objects_read(seen % RENEW_EVERY_OBJECTS)
            if meta:
                self._load_documents(writer, docs_path, meta)
            counts = dict(writer.counts)
            row = session.get(ImportLog, log_id)
            if row is None or row.status != ImportStatus.PROCESSING:
                raise LeaseLost(f"import log {log_id} changed under this importer")
            row.status = ImportStatus.COMPLETED
            row.counts = counts
            row.last_updated = utcnow()
            db_facility = session.get(Facility, facility.id)
            if db_facility is not None and header.date is not None:
                db_facility.last_updated = header.date
            self.lease.renew(session, name)
        return counts

    def _load_documents(self, writer: RecordWriter, docs_path: Path,
                        meta: list[DocumentMeta]) -> None:
        with open_zip(docs_path, self.limits) as zf:
            names = set(zf.namelist())
            for doc in meta:
                if doc.file_name not in names:
                    writer.counts["documents_missing"] += 1
                    log.warning("%s: document %d is listed but not in the zip",
                                docs_path.name, doc.doc_id)
                    continue
                writer.link_document(str(doc.doc_id), zf.read(doc.file_name))

    def _final_error(self, path: Path, facility: Facility | None, checksum: str,
                     header: Header | None, reason: str, docs_path: Path | None) -> Outcome:
        """Record ERROR with its reason (in a fresh transaction) and archive the file."""
        now = utcnow()
        log.error("%s: import failed: %s", path.name, reason)
        with self.db.transaction() as session:
            row = _existing_log(session, facility.id, checksum) if facility else None
            if row is None:
                row = ImportLog(facility_id=facility.id if facility else None,
                                checksum=checksum, date_created=now, attempts=1, counts={})
                session.add(row)
            row.filename = path.name
            row.status = ImportStatus.ERROR
            row.reason = reason
            row.counts = {}
            row.last_updated = now
            if header is not None:
                row.depends_on = header.depends_on
                row.date_interval_start = header.last_date
                row.date_interval_end = header.date
            session.flush()
            log_id = row.id
        self._archive(path, docs_path)
        return Outcome(path.name, Result.ERROR, reason, {}, log_id,
                       facility.name if facility else None)

    def _archive(self, path: Path, docs_path: Path | None) -> None:
        archive_dir = self.settings.archive_dir
        archive_dir.mkdir(parents=True, exist_ok=True)
        for source in (docs_path, path):
            if source is None or not source.exists():
                continue
            target = archive_dir / source.name
            if target.exists():
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
                target = archive_dir / f"{source.name}.{stamp}"
            shutil.move(str(source), str(target))


def _age(path: Path) -> float:
    return time.time() - path.stat().st_mtime


def _existing_log(session: Session, facility_id: int, checksum: str) -> ImportLog | None:
    return session.scalars(
        select(ImportLog).where(ImportLog.facility_id == facility_id,
                                ImportLog.checksum == checksum)
    ).first()


def _is_class(obj: object, class_name: str) -> bool:
    return getattr(obj, "class_name", None) == class_name


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
