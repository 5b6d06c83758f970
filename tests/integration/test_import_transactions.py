"""A push is imported in at most three transactions (start, load, finish) and each of its
.ser entries is decoded once, on SQLite and PostgreSQL, with JVM-written pushes.

Transactions are counted by an SQLAlchemy ``begin`` listener on the database's own engine
and zip entry reads by a wrapper around ``zipfile.ZipFile.open``: both only observe.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import Connection, event, select

from carebridge.config import Settings
from carebridge.integrator.importer import Importer
from carebridge.integrator.push_import import ImportOutcome, Result
from carebridge.store.database import Database
from carebridge.store.models import ImportLog
from tests.integration.conftest import T0, PushFactory, deliver

MAX_TRANSACTIONS = 3


@contextlib.contextmanager
def transactions(db: Database) -> Iterator[list[int]]:
    """One entry per transaction begun on ``db``'s engine while the block runs."""
    begun: list[int] = []

    def on_begin(conn: Connection) -> None:
        begun.append(id(conn))

    event.listen(db.engine, "begin", on_begin)
    try:
        yield begun
    finally:
        event.remove(db.engine, "begin", on_begin)


def import_counted(db: Database, settings: Settings, path: Path) -> tuple[ImportOutcome, int]:
    """Import one delivered file as the scan loop does (lease held), counting transactions."""
    importer = Importer(db, settings)
    assert importer.lease.acquire()
    try:
        with transactions(db) as begun:
            outcome = importer.import_file(path)
    finally:
        importer.lease.release()
    return outcome, len(begun)


def only_log(db: Database) -> ImportLog:
    with db.transaction() as session:
        (row,) = session.scalars(select(ImportLog))
        return row


@pytest.mark.parametrize("documents", [False, True], ids=["records", "with-documents"])
def test_a_good_push_takes_at_most_three_transactions(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory,
    documents: bool,
) -> None:
    push = make_push(patients=30, documents=documents)
    assert (push.docs is not None) == documents
    outcome, count = import_counted(db, settings, deliver(push, settings.importer.incoming_dir))

    assert outcome.result == Result.COMPLETED, outcome.reason
    assert outcome.records == push.records
    assert outcome.counts.get("documents_stored", 0) == push.documents
    assert count <= MAX_TRANSACTIONS, f"{count} transactions"
    row = only_log(db)
    assert row.status == "COMPLETED" and row.attempts == 1
    assert (settings.importer.archive_dir / push.main.name).exists()


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        ({"footer": False}, "does not end with IntegratorFileFooter"),  # fails in the load
        ({"truncate_last_ser": 40}, "ends in the middle of an object"),
        ({"username": "nobody-registered"}, "no facility named 'nobody-registered'"),
    ],
)
def test_a_push_that_fails_final_takes_at_most_three_transactions(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory,
    variant: dict[str, Any], reason: str,
) -> None:
    push = make_push(patients=30, **variant)
    outcome, count = import_counted(db, settings, deliver(push, settings.importer.incoming_dir))

    assert outcome.result == Result.ERROR and reason in (outcome.reason or "")
    assert count <= MAX_TRANSACTIONS, f"{count} transactions"
    row = only_log(db)
    assert row.status == "ERROR" and reason in (row.reason or "")
    assert (settings.importer.archive_dir / push.main.name).exists()


def test_a_refused_push_and_a_repeated_one_take_one_transaction_each(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory,
) -> None:
    newer = make_push(patients=2, date=T0 + dt.timedelta(days=2))
    older = make_push(patients=2, date=T0, seed=5)
    first, _ = import_counted(db, settings, deliver(newer, settings.importer.incoming_dir))
    assert first.result == Result.COMPLETED

    refused, count = import_counted(db, settings, deliver(older, settings.importer.incoming_dir))
    assert refused.result == Result.ERROR and "INTEGRATOR_HAS_NEWER_DATA" in (refused.reason or "")
    assert count == 1  # decided and recorded in the start transaction
    again, count = import_counted(db, settings, deliver(newer, settings.importer.incoming_dir))
    assert again.result == Result.ALREADY_IMPORTED
    assert count == 1


@contextlib.contextmanager
def entry_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[tuple[str, str]]]:
    """(zip file name, entry) -> how many times it was opened for reading."""
    reads: Counter[tuple[str, str]] = Counter()
    real_open = zipfile.ZipFile.open

    def counting_open(self: zipfile.ZipFile, name: Any, mode: str = "r",
                      pwd: bytes | None = None, **kwargs: Any) -> IO[bytes]:
        entry = name.filename if isinstance(name, zipfile.ZipInfo) else str(name)
        if mode == "r":
            reads[(Path(str(self.filename)).name, entry)] += 1
        return real_open(self, name, mode, pwd, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(zipfile.ZipFile, "open", counting_open)
        yield reads


def test_each_ser_entry_is_read_once(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    push = make_push(patients=30)
    path = deliver(push, settings.importer.incoming_dir)
    with zipfile.ZipFile(path) as zf:
        ser_entries = [n for n in zf.namelist() if n.endswith(".ser")]
    assert len(ser_entries) > 1

    with entry_reads(monkeypatch) as reads:
        outcome, _ = import_counted(db, settings, path)

    assert outcome.result == Result.COMPLETED, outcome.reason
    assert {entry: reads[(path.name, entry)] for entry in ser_entries} == dict.fromkeys(
        ser_entries, 1)
