"""carebridge's database and the EMR's share one handle: the same units of work on both."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from carebridge.emr.database import EmrDatabase
from carebridge.emr.schema import IntegratorFileLog
from carebridge.store.database import Database
from carebridge.store.engine import DatabaseHandle
from carebridge.store.migrate import upgrade
from carebridge.store.models import ServiceSetting
from tests.conftest import make_settings


@dataclass
class Handle:
    """A handle and a row it can write (and count) in its own schema."""

    db: DatabaseHandle
    add_row: Callable[[Session], None]
    row_type: type[ServiceSetting] | type[IntegratorFileLog]

    def rows(self) -> int:
        with self.db.transaction() as session:
            return session.scalar(select(func.count()).select_from(self.row_type)) or 0


def _carebridge(root: Path, url: str) -> Handle:
    upgrade(url)
    db = Database(make_settings(root, url))
    return Handle(db, lambda s: s.add(ServiceSetting(name="probe", value="1")), ServiceSetting)


def _emr(_root: Path, url: str) -> Handle:
    db = EmrDatabase(url)
    db.create_demo_schema()
    return Handle(db, lambda s: s.add(IntegratorFileLog(filename="probe")), IntegratorFileLog)


KINDS = pytest.mark.parametrize("kind", [_carebridge, _emr], ids=["carebridge", "emr"])


@pytest.fixture
def handle(kind: Callable[[Path, str], Handle], tmp_path: Path,
           database_url: str) -> Iterator[Handle]:
    opened = kind(tmp_path, database_url)
    yield opened
    opened.db.dispose()


@pytest.fixture
def sqlite_handle(kind: Callable[[Path, str], Handle], tmp_path: Path) -> Iterator[Handle]:
    opened = kind(tmp_path, f"sqlite:///{tmp_path}/handle.sqlite")
    yield opened
    opened.db.dispose()


class Refused(Exception):
    pass


@KINDS
@pytest.mark.parametrize("writes", [False, True])
def test_a_failed_transaction_leaves_nothing_behind(handle: Handle, writes: bool) -> None:
    with pytest.raises(Refused), handle.db.transaction(writes=writes) as session:
        handle.add_row(session)
        session.flush()  # the row reached the database, inside the transaction
        raise Refused
    assert handle.rows() == 0
    with handle.db.transaction(writes=writes) as session:
        handle.add_row(session)
    assert handle.rows() == 1
    assert handle.db.ping()


def _other_writer_refused(database: str) -> bool:
    """Whether another connection, not waiting at all, is refused SQLite's write lock."""
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    finally:
        other.close()
    return False


@KINDS
def test_a_sqlite_write_transaction_holds_the_write_lock_from_its_first_statement(
    sqlite_handle: Handle,
) -> None:
    """Not before it: a use case parses and validates with the session in hand."""
    database = make_url(str(sqlite_handle.db.engine.url)).database
    assert database
    with sqlite_handle.db.transaction(writes=True) as session:
        assert not _other_writer_refused(database)  # no statement yet: no lock
        session.execute(text("SELECT 1"))  # the first statement, a read, begins IMMEDIATE
        assert _other_writer_refused(database)
    with sqlite_handle.db.transaction():  # deferred: a reader takes no write lock
        assert not _other_writer_refused(database)
    assert not _other_writer_refused(database)


@KINDS
def test_this_process_sqlite_writers_queue_before_they_begin(sqlite_handle: Handle) -> None:
    """A second writer waits on the handle's lock, not in SQLite's busy handler (it polls)."""
    order: list[tuple[str, str]] = []

    def sent(_conn: Connection, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("BEGIN"):  # recorded before SQLite could make it wait
            order.append((statement, threading.current_thread().name))

    def committed(_conn: Connection) -> None:
        order.append(("COMMIT", threading.current_thread().name))

    event.listen(sqlite_handle.db.engine, "before_cursor_execute", sent)
    event.listen(sqlite_handle.db.engine, "commit", committed)
    entered, release = threading.Event(), threading.Event()

    def first() -> None:
        with sqlite_handle.db.transaction(writes=True) as session:
            session.execute(text("SELECT 1"))
            entered.set()
            release.wait(10)

    def second() -> None:
        with sqlite_handle.db.transaction(writes=True) as session:
            sqlite_handle.add_row(session)

    threads = [threading.Thread(target=first, name="first"),
               threading.Thread(target=second, name="second")]
    try:
        threads[0].start()
        assert entered.wait(10)
        threads[1].start()
        threads[1].join(0.2)
        assert threads[1].is_alive()
        assert order == [("BEGIN IMMEDIATE", "first")]  # the second has not even begun
    finally:
        release.set()
        for thread in threads:
            if thread.ident is not None:  # started
                thread.join(10)
    assert order == [("BEGIN IMMEDIATE", "first"), ("COMMIT", "first"),
                     ("BEGIN IMMEDIATE", "second"), ("COMMIT", "second")]
    assert sqlite_handle.rows() == 1


@KINDS
def test_a_failed_sqlite_writer_gives_the_lock_back(sqlite_handle: Handle) -> None:
    with pytest.raises(RuntimeError), sqlite_handle.db.transaction(writes=True) as session:
        sqlite_handle.add_row(session)
        raise RuntimeError("the use case failed")
    done = threading.Event()

    def next_writer() -> None:
        with sqlite_handle.db.transaction(writes=True) as session:
            sqlite_handle.add_row(session)
        done.set()

    threading.Thread(target=next_writer, daemon=True).start()
    assert done.wait(10)  # a leaked lock would keep it waiting
    assert sqlite_handle.rows() == 1
