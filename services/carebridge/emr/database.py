"""The EMR's database (OSCAR's schema), opened with the same handle as carebridge's own."""

from __future__ import annotations

from carebridge.emr.schema import EmrBase
from carebridge.store.engine import DatabaseHandle


class EmrDatabase(DatabaseHandle):
    """OSCAR's database at ``url``; only a demo or test database gets its schema from here."""

    def create_demo_schema(self) -> None:
        """Create the mapped OSCAR tables (demo/test databases only; OSCAR owns its own)."""
        EmrBase.metadata.create_all(self.engine)
