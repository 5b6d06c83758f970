"""The handle services and commands share: engine, sessions, the digest-secret box."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

from sqlalchemy import text
from sqlalchemy.orm import Session

from carebridge.config import Settings
from carebridge.store.credentials import SecretBox
from carebridge.store.engine import make_engine, make_sessionmaker


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        self.sessions = make_sessionmaker(self.engine)

    @cached_property
    def secret_box(self) -> SecretBox:
        return SecretBox.from_settings(self.settings.secret_key, self.settings.secret_key_file)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error."""
        with self.sessions() as session, session.begin():
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
