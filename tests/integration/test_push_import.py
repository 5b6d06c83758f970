"""``import_push`` called as a plain function: a session, an opened archive, no importer.

It loads inside the caller's transaction and commits nothing itself: what the caller
rolls back is gone, records and COMPLETED alike.
"""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from carebridge.integrator import import_log
from carebridge.integrator.push_import import Result, import_push
from carebridge.oscar.archive import PushArchive, ZipLimits, open_push
from carebridge.oscar.exceptions import PushFormatError
from carebridge.store.database import Database
from carebridge.store.models import CachedRecord, Document, Facility, ImportLog
from tests.support.pushes import T0, BuiltPush, note, patient, write_push

LIMITS = ZipLimits(max_entry_bytes=10_000_000, max_total_bytes=20_000_000, max_ratio=100)
SCAN = b"%PDF-1.4 a scanned letter"


class RolledBack(Exception):
    """Raised to make the caller's transaction roll back."""


def a_push(tmp_path: Path) -> BuiltPush:
    return write_push(tmp_path / "push", "clinic-a",
                      [[patient(1), patient(2)], [note(1, 1, "BP stable")]],
                      documents={7: ("scan.pdf", SCAN)})


def started(db: Database, facility_id: int, push: BuiltPush) -> int:
    with open_push(push.main, LIMITS) as archive, db.transaction() as session:
        return import_log.start(session, facility_id, push.main.name, push.checksum,
                                archive.read_header())


@contextlib.contextmanager
def opened(push: BuiltPush) -> Iterator[tuple[PushArchive, zipfile.ZipFile]]:
    """The push and its -Docs.zip, opened as the importer opens them."""
    assert push.docs is not None
    with open_push(push.main, LIMITS) as archive, zipfile.ZipFile(push.docs) as docs:
        yield archive, docs


def test_import_push_loads_a_push_in_the_callers_transaction(
    db: Database, facilities: dict[str, int], tmp_path: Path
) -> None:
    push = a_push(tmp_path)
    log_id = started(db, facilities["clinic-a"], push)

    with opened(push) as (archive, docs), db.transaction() as session:
        outcome = import_push(session, archive, log_id, documents=docs)

    assert outcome.result == Result.COMPLETED and outcome.facility == "clinic-a"
    assert outcome.import_log_id == log_id and outcome.filename == push.main.name
    assert outcome.counts["DemographicTransfer"] == 2
    assert outcome.counts["CachedDemographicNote"] == 1
    assert outcome.counts["documents_stored"] == 1
    assert outcome.records == 4  # two patients, a note, the document's record
    with db.transaction() as session:
        row = session.get_one(ImportLog, log_id)
        assert row.status == "COMPLETED" and row.counts == outcome.counts
        assert session.scalar(select(func.count()).select_from(CachedRecord)) == 4
        assert session.scalars(select(Document.content)).one() == SCAN
        assert session.get_one(Facility, facilities["clinic-a"]).last_updated == T0
        assert import_log.count_by_status(session) == {"COMPLETED": 1}


def test_what_the_caller_rolls_back_is_not_imported(
    db: Database, facilities: dict[str, int], tmp_path: Path
) -> None:
    push = a_push(tmp_path)
    log_id = started(db, facilities["clinic-a"], push)

    with pytest.raises(RolledBack), opened(push) as (archive, docs), \
            db.transaction() as session:
        assert import_push(session, archive, log_id, documents=docs).result == Result.COMPLETED
        raise RolledBack

    with db.transaction() as session:
        assert import_log.count_by_status(session) == {"PROCESSING": 1}
        assert session.scalar(select(func.count()).select_from(CachedRecord)) == 0
        assert session.scalar(select(func.count()).select_from(Document)) == 0


def test_a_bad_push_raises_and_leaves_the_rollback_to_the_caller(
    db: Database, facilities: dict[str, int], tmp_path: Path
) -> None:
    # 600 patients (a batch of them written), then the footer in an entry before the last.
    bad = write_push(tmp_path / "bad", "clinic-a",
                     [[patient(n) for n in range(1, 601)], [patient(601)]])
    with zipfile.ZipFile(bad.main, "a") as zf:  # an entry after the footer's
        zf.writestr(f"{bad.base}.4.ser", b"\xac\xed\x00\x05")
    log_id = started(db, facilities["clinic-a"], bad)

    with pytest.raises(PushFormatError, match="IntegratorFileFooter before the last"), \
            open_push(bad.main, LIMITS) as archive, db.transaction() as session:
        import_push(session, archive, log_id)

    with db.transaction() as session:
        assert session.get_one(ImportLog, log_id).status == "PROCESSING"
        assert session.scalar(select(func.count()).select_from(CachedRecord)) == 0


def test_a_push_that_lists_documents_needs_its_docs_zip(
    db: Database, facilities: dict[str, int], tmp_path: Path
) -> None:
    push = a_push(tmp_path)
    log_id = started(db, facilities["clinic-a"], push)
    with pytest.raises(ValueError, match=r"-Docs\.zip"), open_push(push.main, LIMITS) as archive, \
            db.transaction() as session:
        import_push(session, archive, log_id)
