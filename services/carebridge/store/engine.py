"""Engines and the one database handle: SQLite (WAL, busy timeout) or PostgreSQL via psycopg.

``DatabaseHandle`` is the handle class of both databases carebridge opens: its own
(``store.database.Database`` adds the digest-secret key) and the EMR's
(``emr.database.EmrDatabase`` adds OSCAR's demo schema). Units of work, SQLite's write
lock and the pool are written here once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 60_000
# Execution option naming how a SQLite transaction begins ("IMMEDIATE": write lock now).
SQLITE_BEGIN = "carebridge_sqlite_begin"
# Connections per process. A web worker runs ``worker_threads`` request threads (1 by
# default, up to 32 sensibly) and a request may take a second connection for a moment, so
# up to twice that may be checked out at once; a smaller cap would leave threads waiting
# (30 s, then an error) for connections held by threads that wait too. Only POOL_SIZE
# stay open idle.
POOL_SIZE = 5
MAX_OVERFLOW = 64


def make_engine(url: str, writer_lock: threading.Lock | None = None) -> Engine:
    """An engine for ``url``; SQLite files get their directory created and WAL mode, and
    IMMEDIATE transactions take ``writer_lock`` first (this process's writers queue on it,
    woken at once, rather than in SQLite's busy handler, which polls with sleeps of up to
    100 ms)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        pool: dict[str, int] = {}  # an in-memory database keeps its one connection
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            pool = {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **pool,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        begin = _SqliteBegin(writer_lock)
        event.listen(engine, "begin", begin.begin)
        event.listen(engine, "commit", begin.end)
        event.listen(engine, "rollback", begin.end)
        return engine
    # No pre-ping (a round trip per transaction): a connection that died with its server
    # fails one request, which the client retries, and the pool replaces it.
    return create_engine(url, pool_recycle=3600, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)


class _SqliteBegin:
    """Takes over pysqlite's deferred BEGIN so that a transaction starts where SQLAlchemy
    says it does, IMMEDIATE when asked; an IMMEDIATE one first takes ``writer_lock`` (when
    given), held until its COMMIT or ROLLBACK."""

    def __init__(self, writer_lock: threading.Lock | None) -> None:
        self.writer_lock = writer_lock

    def begin(self, conn: Connection) -> None:
        immediate = conn.get_execution_options().get(SQLITE_BEGIN, "") == "IMMEDIATE"
        lock = self.writer_lock if immediate else None
        if lock is not None:
            lock.acquire()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            if lock is not None:  # no transaction: no COMMIT or ROLLBACK will release it
                lock.release()
            raise
        if lock is not None:
            conn.info[_HOLDS_WRITER_LOCK] = True

    def end(self, conn: Connection) -> None:
        if conn.info.pop(_HOLDS_WRITER_LOCK, False) and self.writer_lock is not None:
            self.writer_lock.release()


_HOLDS_WRITER_LOCK = "carebridge_holds_writer_lock"


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class DatabaseHandle:
    """One database: its engine, its sessions and its units of work."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, writer_lock=threading.Lock())
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Same pool and events; its transactions begin IMMEDIATE on SQLite.
        self._writer_sessions = sessionmaker(
            self.engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}),
            expire_on_commit=False)

    @contextmanager
    def transaction(self, *, writes: bool = False) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error.

        ``writes``: it reads, then writes. On SQLite such a transaction takes the write
        lock at BEGIN (IMMEDIATE), waiting out the busy timeout; a deferred one would fail
        at once with "database is locked" whenever another writer committed after its
        first read. PostgreSQL needs nothing of the kind.
        """
        opened = self._writer_sessions if writes else self.sessions
        # Begun at the first statement: a use case first does its pure work (parse,
        # validate) with the session in hand, and holds no lock meanwhile.
        with opened() as session, session.begin():
            yield session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
