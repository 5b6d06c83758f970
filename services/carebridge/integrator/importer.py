"""Importing push files: prerequisites, one transaction per file, the import log, archiving.

The import log row is committed as PROCESSING first (so OSCAR's status job sees
it); every record of the file, the document bytes and the COMPLETED status are
then written in one transaction. A crash leaves the row PROCESSING and the
file in the incoming directory; the next run (on any node, once the lease has
expired) imports it again from the start and completes the same row.

A file that fails is logged for the facility that sent it whenever that can be
known, so that facility's status job sees the ERROR: the facility whose incoming
directory holds it (``per_facility_incoming``), else the one its header names,
the header being read on its own when another part of the zip is unsafe. An
ERROR never replaces the COMPLETED row of the same bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import logging
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from carebridge.config import Settings
from carebridge.integrator import logs, memory
from carebridge.integrator.exceptions import (
    IntegratorError,
    LeaseLost,
    UnknownFacility,
    WrongFacility,
)
from carebridge.integrator.lease import Lease
from carebridge.integrator.prerequisites import Decision, decide
from carebridge.integrator.record_writer import RecordWriter
from carebridge.integrator.scanner import facility_dir, facility_of_dir, ready_files, ready_files_in
from carebridge.oscar.archive import (
    FOOTER_CLASS,
    HEADER_CLASS,
    DocumentMeta,
    Header,
    PushArchive,
    ZipLimits,
    open_push,
    open_zip,
    parse_name,
    peek_header,
)
from carebridge.oscar.archive import checksum as push_checksum
from carebridge.oscar.cached_records import operations_for
from carebridge.oscar.exceptions import BadFileName, PushFileError
from carebridge.oscar.javaread import DecodeLimits
from carebridge.store.database import Database
from carebridge.store.facilities import find_facility, list_facilities
from carebridge.store.models import Facility, ImportLog, ImportStatus, utcnow

log = logging.getLogger(__name__)

# Renew the lease (and report progress) every this many objects.
RENEW_EVERY_OBJECTS = 2000
# Write pending records once the objects they came from add up to this much JSON.
FLUSH_EVERY_BYTES = 8 * 1024 * 1024
MISPLACED = ("per_facility_incoming is on: a push file belongs in its facility's directory "
             "under the incoming directory, not in the incoming directory itself")


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
        self.limits, self.docs_limits = zip_limits(settings)
        self.decode = DecodeLimits(settings.max_array_bytes, settings.max_object_bytes)
        self._unplaceable: set[str] = set()
        memory.return_large_blocks()

    # -- the loop ---------------------------------------------------------

    def pending(self) -> list[Path]:
        incoming = self.settings.incoming_dir
        if not self.settings.per_facility_incoming:
            return ready_files(incoming, self.settings.settle_seconds)
        directories = [incoming, *(incoming / d for d in self._facility_dirs())]
        return ready_files_in(directories, self.settings.settle_seconds)

    def _facility_dirs(self) -> list[str]:
        """Every registered facility's incoming directory name (created when missing)."""
        with self.db.transaction() as session:
            names = [f.name for f in list_facilities(session)]
        directories = []
        for name in names:
            directory = facility_dir(name)
            if directory is None:
                if name not in self._unplaceable:
                    self._unplaceable.add(name)
                    log.warning("facility %r: name too long for an incoming directory", name)
                continue
            try:
                (self.settings.incoming_dir / directory).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                log.warning("cannot create incoming directory %s: %s", directory, exc.strerror)
            directories.append(directory)
        return directories

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
                memory.trim()
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
        misplaced, expected = self._placement(path)
        owner = self._known_facility(expected)
        try:
            push_name = parse_name(name)
        except BadFileName as exc:
            return self._final_error(path, owner or self._sender(path), checksum, None,
                                     exc.reason, None)
        docs_path = path.with_name(push_name.docs_name)
        if misplaced:
            return self._final_error(path, self._sender(path), checksum, None, MISPLACED,
                                     docs_path)
        if expected is not None and owner is None:
            return self._final_error(path, None, checksum, None, str(UnknownFacility(expected)),
                                     docs_path)
        facility: Facility | None = None
        header: Header | None = None
        log_id: int | None = None
        opened = False  # the main zip opened: its header was read (or failed) inside
        try:
            with contextlib.ExitStack() as stack:
                archive = stack.enter_context(open_push(path, self.limits, self.decode))
                opened = True
                header = archive.read_header()
                if owner is not None and header.username != owner.name:
                    raise WrongFacility(
                        f"the file is in the incoming directory of facility {owner.name!r} "
                        f"but its header names {header.username!r}")
                facility = owner or self._facility(header.username)
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
                # Opened (and so checked) before any record is read, read after them.
                docs = stack.enter_context(open_zip(docs_path, self.docs_limits)) if meta \
                    else None
                self.observer.file_started(name, len(archive.ser_entries))
                log_id = self._start_log(facility, name, checksum, header)
                counts = self._load(archive, docs, meta, facility, log_id, header, name)
        except PushFileError as exc:
            # A header that failed inside the archive would fail the same way again.
            sender = facility or owner or (None if opened else self._sender(path))
            return self._final_error(path, sender, checksum, header, exc.args[0], docs_path)
        except UnknownFacility as exc:
            return self._final_error(path, owner, checksum, header, str(exc), docs_path)
        except LeaseLost as exc:
            log.warning("%s: %s; leaving the file to the new holder", name, exc)
            return Outcome(name, Result.RETRY, str(exc), import_log_id=log_id)
        except OperationalError as exc:
            log.error("%s: database unavailable, will retry: %s", name, _one_line(exc))
            return Outcome(name, Result.RETRY, "database unavailable", import_log_id=log_id)
        except IntegratorError as exc:
            return self._final_error(path, facility or owner, checksum, header, str(exc),
                                     docs_path)
        except Exception as exc:
            log.exception("%s: unexpected error while importing", name)
            return self._final_error(path, facility or owner, checksum, header,
                                     f"internal error: {type(exc).__name__}: {exc}", docs_path)
        self._archive(path, docs_path)
        log.info("%s: imported for facility %s (%d records)", name, facility.name,
                 sum(counts.values()))
        return Outcome(name, Result.COMPLETED, None, counts, log_id, facility.name)

    def _facility(self, username: str | None) -> Facility:
        facility = self._known_facility(username)
        if facility is None:
            raise UnknownFacility(username)
        return facility

    def _known_facility(self, name: str | None) -> Facility | None:
        if not name:
            return None
        with self.db.transaction() as session:
            return find_facility(session, name)

    def _placement(self, path: Path) -> tuple[bool, str | None]:
        """(misplaced, the facility whose incoming directory holds the file)."""
        if not self.settings.per_facility_incoming:
            return False, None
        if path.parent == self.settings.incoming_dir:
            return True, None
        return False, facility_of_dir(path.parent.name)

    def _sender(self, path: Path) -> Facility | None:
        """Who sent a file that failed before its header was read, if its header tells."""
        header = peek_header(path, self.decode)
        return self._known_facility(header.username) if header else None

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

    def _load(self, archive: PushArchive, docs: zipfile.ZipFile | None, meta: list[DocumentMeta],
              facility: Facility, log_id: int, header: Header, name: str) -> dict[str, int]:
        with self.db.transaction() as session:
            self.lease.renew(session, name)
            writer = RecordWriter(session, facility.id, log_id)
            seen = 0
            unwritten = 0
            for _entry, obj, size in archive.sized_objects():
                seen += 1
                if seen == 1 or _is_class(obj, FOOTER_CLASS) or _is_class(obj, HEADER_CLASS):
                    continue
                for operation in operations_for(obj):
                    writer.apply(operation)
                del obj
                unwritten += size
                if unwritten >= FLUSH_EVERY_BYTES:
                    writer.flush()
                    unwritten = 0
                if seen % RENEW_EVERY_OBJECTS == 0:
                    writer.flush()
                    self.lease.renew(session, name)
                    self.observer.objects_read(RENEW_EVERY_OBJECTS)
            writer.flush()
            self.observer.objects_read(seen % RENEW_EVERY_OBJECTS)
            if docs is not None:
                self._load_documents(writer, docs, meta)
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

    def _load_documents(self, writer: RecordWriter, docs: zipfile.ZipFile,
                        meta: list[DocumentMeta]) -> None:
        names = set(docs.namelist())
        for doc in meta:
            if doc.file_name not in names:
                writer.counts["documents_missing"] += 1
                log.warning("%s: document %d is listed but not in the zip",
                            Path(str(docs.filename)).name, doc.doc_id)
                continue
            writer.link_document(str(doc.doc_id), docs.read(doc.file_name))

    def _final_error(self, path: Path, facility: Facility | None, checksum: str,
                     header: Header | None, reason: str, docs_path: Path | None) -> Outcome:
        """Record ERROR with its reason (in a fresh transaction) and archive the file."""
        log.error("%s: import failed: %s", path.name, reason)
        with self.db.transaction() as session:
            log_id = self._error_row(session, facility, checksum, header, path.name, reason)
        self._archive(path, docs_path)
        return Outcome(path.name, Result.ERROR, reason, {}, log_id,
                       facility.name if facility else None)

    @staticmethod
    def _error_row(session: Session, facility: Facility | None, checksum: str,
                   header: Header | None, filename: str, reason: str) -> int:
        now = utcnow()
        row = _existing_log(session, facility.id, checksum) if facility else None
        if row is not None and row.status == ImportStatus.COMPLETED:
            return row.id  # the same bytes were imported before: that import stands
        if row is None:
            row = ImportLog(facility_id=facility.id if facility else None,
                            checksum=checksum, date_created=now, attempts=1, counts={})
            session.add(row)
        row.filename = filename
        row.status = ImportStatus.ERROR
        row.reason = reason
        row.counts = {}
        row.last_updated = now
        if header is not None:
            row.depends_on = header.depends_on
            row.date_interval_start = header.last_date
            row.date_interval_end = header.date
        session.flush()
        return row.id

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


def zip_limits(settings: Settings) -> tuple[ZipLimits, ZipLimits]:
    """Limits for a main push zip and for its -Docs.zip; max_entry_bytes and
    max_total_bytes bound both, the narrower settings below them apply."""
    def narrower(a: str, b: str) -> tuple[int, str]:
        va, vb = getattr(settings, a), getattr(settings, b)
        return (va, a) if va <= vb else (vb, b)

    entry, entry_name = narrower("max_ser_entry_bytes", "max_entry_bytes")
    total, total_name = narrower("max_push_bytes", "max_total_bytes")
    document, document_name = narrower("max_document_bytes", "max_entry_bytes")
    ratio = settings.max_compression_ratio
    return (ZipLimits(entry, total, ratio, entry_name, total_name),
            ZipLimits(document, settings.max_total_bytes, ratio, document_name,
                      "max_total_bytes"))


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
