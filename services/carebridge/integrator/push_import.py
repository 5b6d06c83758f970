"""Loading one push into the store: the import use case, free of files and transports.

``import_push`` takes an open session and an opened push archive and writes, inside the
caller's transaction, every record of the push, its documents, and the COMPLETED status
of its import log row (started as PROCESSING before, in a transaction of its own, so
OSCAR's status job sees it). It never commits: the records and COMPLETED become visible
together or not at all. The importer lease, when given, is renewed inside the same
transaction, so an importer that lost the lease rolls back instead of committing.
"""

from __future__ import annotations

import enum
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from carebridge.integrator import import_log
from carebridge.integrator.exceptions import LeaseLost
from carebridge.integrator.record_writer import RecordWriter
from carebridge.oscar.archive import FOOTER_CLASS, HEADER_CLASS, DocumentMeta, PushArchive
from carebridge.oscar.cached_records import operations_for
from carebridge.store.models import Facility

log = logging.getLogger(__name__)

# Renew the lease (and report progress) every this many objects.
RENEW_EVERY_OBJECTS = 2000
# Write pending records once the objects they came from add up to this much JSON.
FLUSH_EVERY_BYTES = 8 * 1024 * 1024

# Extends the importer lease inside the given transaction; LeaseLost if it is not ours.
Renew = Callable[[Session], None]
# Told how many more objects have been read.
Progress = Callable[[int], object]


class Result(enum.StrEnum):
    """What became of one file in one scan."""

    COMPLETED = "COMPLETED"
    ERROR = "ERROR"
    ALREADY_IMPORTED = "ALREADY_IMPORTED"
    WAITING = "WAITING"  # its dependency or its -Docs.zip has not arrived: next scan
    RETRY = "RETRY"  # database trouble or lost lease: next scan, possibly another node


@dataclass
class ImportOutcome:
    """One push file's import, as the importer reports it (not an HL7 ack's outcome)."""

    filename: str
    result: Result
    reason: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    import_log_id: int | None = None
    facility: str | None = None

    @property
    def records(self) -> int:
        return import_log.record_count(self.counts)

    def summary(self) -> str:
        """``<file>: <result> (<n> records) - <reason>``, the line an operator reads."""
        line = f"{self.filename}: {self.result}"
        if self.counts:
            line += f" ({self.records} records)"
        if self.reason:
            line += f" - {self.reason}"
        return line


def import_push(session: Session, archive: PushArchive, log_id: int, *,
                documents: zipfile.ZipFile | None = None, renew: Renew | None = None,
                progress: Progress | None = None) -> ImportOutcome:
    """Load the push into the facility its PROCESSING import log row ``log_id`` names.

    ``documents`` is the opened -Docs.zip, needed when the push lists documents. Raises
    the push's PushFileError for a bad file (the caller rolls back and records the
    ERROR), LeaseLost if the row or the lease changed under this importer.
    """
    if renew is not None:
        renew(session)
    row = import_log.processing(session, log_id)
    facility_id, filename = row.facility_id, row.filename
    if facility_id is None:
        raise LeaseLost(f"import log {log_id} names no facility")
    meta = archive.document_meta()
    if meta and documents is None:
        raise ValueError(f"{archive.name} lists documents: its -Docs.zip must be given")
    header = archive.read_header()
    writer = RecordWriter(session, facility_id, log_id)
    _load_records(archive, writer, renew, progress)
    if documents is not None:
        _load_documents(writer, documents, meta)
    counts = dict(writer.counts)
    import_log.complete(session, log_id, counts)
    facility = session.get(Facility, facility_id)
    if facility is not None and header.date is not None:
        facility.last_updated = header.date
    if renew is not None:
        renew(session)
    return ImportOutcome(filename, Result.COMPLETED, None, counts, log_id,
                         facility.name if facility is not None else None)


def _load_records(archive: PushArchive, writer: RecordWriter, renew: Renew | None,
                  progress: Progress | None) -> None:
    seen = 0
    unwritten = 0
    for _entry, obj, size in archive.sized_objects():
        seen += 1
        if seen == 1 or _is_class(obj, FOOTER_CLASS) or _is_class(obj, HEADER_CLASS):
            continue  # the header (already read), the footer: nothing to store
        for operation in operations_for(obj):
            writer.apply(operation)
        del obj
        unwritten += size
        if unwritten >= FLUSH_EVERY_BYTES:
            writer.flush()
            unwritten = 0
        if seen % RENEW_EVERY_OBJECTS == 0:
            writer.flush()
            if renew is not None:
                renew(writer.session)
            if progress is not None:
                progress(RENEW_EVERY_OBJECTS)
    writer.flush()
    if progress is not None:
        progress(seen % RENEW_EVERY_OBJECTS)


def _load_documents(writer: RecordWriter, docs: zipfile.ZipFile,
                    meta: list[DocumentMeta]) -> None:
    names = set(docs.namelist())
    for doc in meta:
        if doc.file_name not in names:
            writer.counts["documents_missing"] += 1
            log.warning("%s: document %d is listed but not in the zip",
                        Path(str(docs.filename)).name, doc.doc_id)
            continue
        writer.link_document(str(doc.doc_id), docs.read(doc.file_name))
    writer.flush_documents()


def _is_class(obj: Any, class_name: str) -> bool:
    return getattr(obj, "class_name", None) == class_name
