"""Fixtures: clean environment, settings per test, SQLite and a throwaway PostgreSQL."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from carebridge.config import Settings
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.migrate import upgrade
from carebridge_lab.postgres import PostgresServer
from tests.support.server import Node

T = TypeVar("T")
_database_numbers = itertools.count()
SECRET_KEY = "test-secret-key-shared-by-all-nodes"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CAREBRIDGE_* variable of the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("CAREBRIDGE_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer().start()
    yield server
    server.stop()


def make_settings(root: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "incoming_dir": root / "incoming",
        "archive_dir": root / "archive",
        "work_dir": root / "work",
        "secret_key": SECRET_KEY,
        "settle_seconds": 0,
        "lease_seconds": 30,
        "scan_interval": 0.5,
        "drain_seconds": 0,  # nodes stop at once in tests; the drain itself is tested
    }
    values.update(overrides)
    settings = Settings.build(values)
    importer = settings.importer
    for folder in (importer.incoming_dir, importer.archive_dir, importer.work_dir):
        Path(folder).mkdir(parents=True, exist_ok=True)
    return settings


def module_database_url(request: pytest.FixtureRequest, root: Path, prefix: str) -> str:
    """For module-scoped service fixtures parametrized over ``sqlite``/``postgresql``."""
    if request.param == "sqlite":
        return f"sqlite:///{root}/carebridge.sqlite"
    module = request.module.__name__.rsplit(".", 1)[-1]
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"{prefix}_{os.getpid()}_{module}")


@contextlib.contextmanager
def module_node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                prefix: str, register: Callable[[Database], T], **overrides: object
                ) -> Iterator[tuple[Settings, Database, Node, T]]:
    """A migrated database of the module's own, ``register``'s accounts and one node on it."""
    root = tmp_path_factory.mktemp(prefix)
    url = module_database_url(request, root, prefix)
    settings = make_settings(root, url, **overrides)
    upgrade(url)
    db = Database(settings)
    registered = register(db)
    node = Node(settings).start()
    try:
        yield settings, db, node, registered
    finally:
        node.stop()
        db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Storage and service tests run once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/carebridge.sqlite"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"cb_{os.getpid()}_{next(_database_numbers)}")


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path, database_url)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, f"sqlite:///{tmp_path}/carebridge.sqlite")


def _migrated(settings: Settings) -> Iterator[Database]:
    upgrade(settings.database_url)
    database = Database(settings)
    yield database
    database.dispose()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    yield from _migrated(settings)


@pytest.fixture
def sqlite_db(sqlite_settings: Settings) -> Iterator[Database]:
    yield from _migrated(sqlite_settings)


FACILITIES = {"clinic-a": "secret-a", "clinic-b": "secret-b"}


def add_facilities(database: Database) -> dict[str, int]:
    ids = {}
    with database.transaction() as session:
        for name, password in FACILITIES.items():
            ids[name] = add_facility(session, name, password, digest_box=database.secret_box).id
    return ids


@pytest.fixture
def facilities(db: Database) -> dict[str, int]:
    return add_facilities(db)
