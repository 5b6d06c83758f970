"""The EMR's database (OSCAR's schema): engine, sessions, and the demo schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from carebridge.emr.schema import EmrBase
from carebridge.store.engine import make_engine, make_sessionmaker


class EmrDatabase:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = make_sessionmaker(self.engine)

    def create_demo_schema(self) -> None:
        """Create the mapped OSCAR tables (demo/test databases only; OSCAR owns its own)."""
        EmrBase.metadata.create_all(self.engine)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
