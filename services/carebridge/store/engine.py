"""Engine and session factory: SQLite (WAL, busy timeout) or PostgreSQL via psycopg."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

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


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their directory created and WAL mode."""
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
        # pysqlite's own transaction handling defers BEGIN; take it over so that
        # a transaction starts where SQLAlchemy says it does (IMMEDIATE when asked).
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # No pre-ping (a round trip per transaction): a connection that died with its server
    # fails one request, which the client retries, and the pool replaces it.
    return create_engine(url, pool_recycle=3600, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get(SQLITE_BEGIN, "")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)

