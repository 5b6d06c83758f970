"""Importing push files: the files themselves, the import log, archiving.

One push takes at most three transactions, each committed or rolled back whole:

1. start: renew the importer lease, find the facility, decide on the prerequisites
   (OSCAR's canProcessFile) and commit the import log row as PROCESSING, so OSCAR's
   status job sees it; a final decision (newer data, a dependency that never came)
   commits the ERROR instead, and that is all;
2. load: ``push_import.import_push``: every record of the file, the document bytes and
   COMPLETED, together;
3. finish, only when something failed after the start (or instead of it): the ERROR.

Each ``.ser`` entry is decoded once: the header read to decide is the object the load
starts from. A crash leaves the row PROCESSING and the file in the incoming directory;
the next run (on any node, once the lease has expired) imports it again from the start
and completes the same row.

A file that fails is logged for the facility that sent it whenever that can be
known, so that facility's status job sees the ERROR: the facility whose incoming
directory holds it (``per_facility_incoming``), else the one its header names,
the header being read on its own when another part of the zip is unsafe. An
ERROR never replaces the COMPLETED row of the same bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from carebridge.config import Settings
from carebridge.integrator import import_log, memory
from carebridge.integrator.exceptions import (
    IntegratorError,
    LeaseLost,
    UnknownFacility,
    WrongFacility,
)
from carebridge.integrator.lease import Lease
from carebridge.integrator.prerequisites import Decision, decide
from carebridge.integrator.progress import ImportObserver, SilentObserver
from carebridge.integrator.push_import import ImportOutcome, Result, import_push
from carebridge.integrator.scanner import facility_dir, facility_of_dir, ready_files, ready_files_in
from carebridge.oscar.archive import (
    Header,
    PushArchive,
    ZipLimits,
    open_push,
    open_zip,
    parse_name,
    peek_header,
)
from carebridge.oscar.archive import checksum as push_checksum
from carebridge.oscar.exceptions import BadFileName, PushFileError
from carebridge.oscar.javaread import DecodeLimits
from carebridge.store.database import Database
from carebridge.store.facilities import find_facility, list_facilities
from carebridge.store.models import Facility

log = logging.getLogger(__name__)

MISPLACED = ("per_facility_incoming is on: a push file belongs in its facility's directory "
             "under the incoming directory, not in the incoming directory itself")


class Importer:
    def __init__(self, db: Database, settings: Settings, lease: Lease | None = None,
                 observer: ImportObserver | None = None) -> None:
        self.db = db
        self.settings = settings
        self.lease = lease or Lease(db, settings.importer.lease_seconds)
        self.observer = observer or SilentObserver()
        self.limits, self.docs_limits = zip_limits(settings)
        self.decode = DecodeLimits(settings.limits.max_array_bytes,
                                   settings.limits.max_object_bytes)
        self._unplaceable: set[str] = set()
        memory.return_large_blocks()
        memory.freeze_loaded_objects()

    # -- the loop ---------------------------------------------------------

    def pending(self) -> list[Path]:
        incoming = self.settings.importer.incoming_dir
        if not self.settings.importer.per_facility_incoming:
            return ready_files(incoming, self.settings.importer.settle_seconds)
        directories = [incoming, *(incoming / d for d in self._facility_dirs())]
        return ready_files_in(directories, self.settings.importer.settle_seconds)

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
                (self.settings.importer.incoming_dir / directory).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                log.warning("cannot create incoming directory %s: %s", directory, exc.strerror)
            directories.append(directory)
        return directories

    def run_once(self) -> list[ImportOutcome]:
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

    def watch(self, stop: Callable[[], bool], sleep: Callable[[float], object]) -> None:
        """Scan every scan interval until ``stop``."""
        while not stop():
            try:
                self.run_once()
            except OperationalError as exc:
                log.error("import scan failed, database unavailable: %s", _one_line(exc))
            sleep(self.settings.importer.scan_interval)

    # -- one file ---------------------------------------------------------

    def import_file(self, path: Path) -> ImportOutcome:
        """Import one push file (and its -Docs.zip); the caller holds the importer lease."""
        name = path.name
        try:
            checksum = push_checksum(path)
        except FileNotFoundError:
            return ImportOutcome(name, Result.RETRY, "the file was moved away (another importer?)")
        misplaced, owner = self._placement(path)
        try:
            push_name = parse_name(name)
        except BadFileName as exc:
            return self._failed(path, None, checksum, exc.reason, None,
                                senders=[owner, self._header_name(path)])
        docs_path = path.with_name(push_name.docs_name)
        if misplaced:
            return self._failed(path, docs_path, checksum, MISPLACED, None,
                                senders=[self._header_name(path)])
        header: Header | None = None
        log_id: int | None = None
        opened = False  # the main zip opened: its header was read (or failed) inside
        try:
            with contextlib.ExitStack() as stack:
                archive = stack.enter_context(open_push(path, self.limits, self.decode))
                opened = True
                header = archive.read_header()
                if owner is not None and header.username != owner:
                    raise WrongFacility(
                        f"the file is in the incoming directory of facility {owner!r} "
                        f"but its header names {header.username!r}")
                with self.db.transaction(writes=True) as session:
                    started = self._start(session, stack, path, docs_path, archive, header,
                                          owner, checksum)
                if isinstance(started, ImportOutcome):
                    outcome = started  # decided in the start transaction: nothing to load
                else:
                    log_id = started.log_id
                    self.observer.file_started(name, len(archive.ser_entries))
                    with memory.bulk_load(), self.db.transaction(writes=True) as session:
                        outcome = import_push(
                            session, archive, log_id, documents=started.documents,
                            renew=lambda s: self.lease.renew(s, name),
                            progress=self.observer.objects_read)
        except (PushFileError, UnknownFacility) as exc:
            # A header that failed inside the archive would fail the same way again.
            return self._failed(path, docs_path, checksum, str(exc), header,
                                owner=owner, senders=self._senders(path, header, opened))
        except LeaseLost as exc:
            log.warning("%s: %s; leaving the file to the new holder", name, exc)
            return ImportOutcome(name, Result.RETRY, str(exc), import_log_id=log_id)
        except OperationalError as exc:
            log.error("%s: database unavailable, will retry: %s", name, _one_line(exc))
            return ImportOutcome(name, Result.RETRY, "database unavailable",
                                 import_log_id=log_id)
        except IntegratorError as exc:
            return self._failed(path, docs_path, checksum, str(exc), header,
                                owner=owner, senders=self._senders(path, header, opened))
        except Exception as exc:
            log.exception("%s: unexpected error while importing", name)
            return self._failed(path, docs_path, checksum,
                                f"internal error: {type(exc).__name__}: {exc}", header,
                                owner=owner, senders=self._senders(path, header, opened))
        return self._finished(path, docs_path, outcome)

    def _start(self, session: Session, stack: contextlib.ExitStack, path: Path,
               docs_path: Path, archive: PushArchive, header: Header, owner: str | None,
               checksum: str) -> ImportOutcome | _Started:
        """The first transaction: the lease, the facility, the prerequisites, PROCESSING.

        An outcome returned here is the file's last word (nothing to load); the -Docs.zip
        is opened (and so checked) before any record is read, read after them.
        """
        name = path.name
        self.lease.renew(session, name)
        facility = _registered(session, owner or header.username)
        last = import_log.last_completed(session, facility.id)
        decision = decide(last, checksum, header.date, header.depends_on)
        if decision is Decision.ALREADY_IMPORTED:
            return ImportOutcome(name, Result.ALREADY_IMPORTED,
                                 "a file with this checksum is already imported",
                                 facility=facility.name)
        if decision is Decision.DEPENDENCY_NOT_MET:
            if _age(path) < self.settings.importer.dependency_wait_seconds:
                return ImportOutcome(name, Result.WAITING,
                                     f"waiting for the push it depends on ({header.depends_on})",
                                     facility=facility.name)
            return self._refused(session, facility, name, checksum, header,
                                 f"DEPENDENCY_NOT_MET: the push it depends on "
                                 f"({header.depends_on}) was never imported")
        if decision is Decision.INTEGRATOR_HAS_NEWER_DATA:
            return self._refused(session, facility, name, checksum, header,
                                 "INTEGRATOR_HAS_NEWER_DATA: the integrator already holds data "
                                 "newer than this file's date")
        meta = archive.document_meta()
        if meta and not docs_path.exists():
            return ImportOutcome(name, Result.WAITING, f"waiting for {docs_path.name}",
                                 facility=facility.name)
        docs = stack.enter_context(open_zip(docs_path, self.docs_limits)) if meta else None
        return _Started(import_log.start(session, facility.id, name, checksum, header), docs)

    @staticmethod
    def _refused(session: Session, facility: Facility, name: str, checksum: str,
                 header: Header, reason: str) -> ImportOutcome:
        """A prerequisite that will never be met: the ERROR, in the start transaction."""
        log_id = import_log.fail(session, facility.id, name, checksum, header, reason)
        return ImportOutcome(name, Result.ERROR, reason, {}, log_id, facility.name)

    def _placement(self, path: Path) -> tuple[bool, str | None]:
        """(misplaced, the facility whose incoming directory holds the file)."""
        if not self.settings.importer.per_facility_incoming:
            return False, None
        if path.parent == self.settings.importer.incoming_dir:
            return True, None
        return False, facility_of_dir(path.parent.name)

    def _header_name(self, path: Path) -> str | None:
        """The facility the header of a file that failed before it was opened names, if any."""
        header = peek_header(path, self.decode)
        return header.username if header else None

    def _senders(self, path: Path, header: Header | None, opened: bool) -> list[str | None]:
        """Who may have sent a file that failed: the facility its header names; the header
        read on its own when the zip could not be opened."""
        if header is not None:
            return [header.username]
        return [] if opened else [self._header_name(path)]

    def _failed(self, path: Path, docs_path: Path | None, checksum: str, reason: str,
                header: Header | None, *, owner: str | None = None,
                senders: Sequence[str | None] = ()) -> ImportOutcome:
        """Record the ERROR (in a transaction of its own) and archive the file.

        It is logged for ``owner``, the facility whose incoming directory holds the file
        (for nobody if that facility is not registered, and then that is the reason), else
        for the first registered facility of ``senders``.
        """
        with self.db.transaction(writes=True) as session:
            if owner is not None:
                facility = find_facility(session, owner)
                if facility is None:
                    reason = str(UnknownFacility(owner))
            else:
                facility = _first_registered(session, senders)
            log_id = import_log.fail(session, facility.id if facility else None, path.name,
                                     checksum, header, reason)
            sender = facility.name if facility else None
        return self._finished(path, docs_path,
                              ImportOutcome(path.name, Result.ERROR, reason, {}, log_id, sender))

    def _finished(self, path: Path, docs_path: Path | None,
                  outcome: ImportOutcome) -> ImportOutcome:
        """Log the file's outcome; archive it unless a later scan is to look at it again."""
        if outcome.result is Result.ERROR:
            log.error("%s: import failed: %s", path.name, outcome.reason)
        elif outcome.result is Result.COMPLETED:
            log.info("%s: imported for facility %s (%d records)", path.name, outcome.facility,
                     sum(outcome.counts.values()))
        if outcome.result not in (Result.WAITING, Result.RETRY):
            self._archive(path, docs_path)
        return outcome

    def _archive(self, path: Path, docs_path: Path | None) -> None:
        archive_dir = self.settings.importer.archive_dir
        archive_dir.mkdir(parents=True, exist_ok=True)
        for source in (docs_path, path):
            if source is None or not source.exists():
                continue
            target = archive_dir / source.name
            if target.exists():
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
                target = archive_dir / f"{source.name}.{stamp}"
            shutil.move(str(source), str(target))


@dataclass(frozen=True)
class _Started:
    """A start transaction that committed PROCESSING: the row, the opened -Docs.zip."""

    log_id: int
    documents: zipfile.ZipFile | None


def _registered(session: Session, name: str | None) -> Facility:
    facility = find_facility(session, name) if name else None
    if facility is None:
        raise UnknownFacility(name)
    return facility


def _first_registered(session: Session, names: Sequence[str | None]) -> Facility | None:
    for name in names:
        facility = find_facility(session, name) if name else None
        if facility is not None:
            return facility
    return None


def zip_limits(settings: Settings) -> tuple[ZipLimits, ZipLimits]:
    """Limits for a main push zip and for its -Docs.zip; max_entry_bytes and
    max_total_bytes bound both, the narrower settings below them apply."""
    limits = settings.limits

    def narrower(a: str, b: str) -> tuple[int, str]:
        # The names are the limits' fields, which are also the settings' outside names.
        va, vb = getattr(limits, a), getattr(limits, b)
        return (va, a) if va <= vb else (vb, b)

    entry, entry_name = narrower("max_ser_entry_bytes", "max_entry_bytes")
    total, total_name = narrower("max_push_bytes", "max_total_bytes")
    document, document_name = narrower("max_document_bytes", "max_entry_bytes")
    ratio = limits.max_compression_ratio
    return (ZipLimits(entry, total, ratio, entry_name, total_name),
            ZipLimits(document, limits.max_total_bytes, ratio, document_name,
                      "max_total_bytes"))


def _age(path: Path) -> float:
    return time.time() - path.stat().st_mtime


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
