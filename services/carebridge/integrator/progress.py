"""What the importer tells whoever watches it: files started and finished, objects read.

Light on purpose (no database, no codec): the CLI imports it when it starts.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from carebridge.integrator.push_import import ImportOutcome

log = logging.getLogger("carebridge.integrator.importer")


class ImportObserver(Protocol):
    def file_started(self, filename: str, entries: int) -> None: ...
    def objects_read(self, count: int) -> None: ...
    def file_finished(self, outcome: ImportOutcome) -> None: ...


class SilentObserver:
    def file_started(self, filename: str, entries: int) -> None:
        pass

    def objects_read(self, count: int) -> None:
        pass

    def file_finished(self, outcome: ImportOutcome) -> None:
        pass


class LogObserver:
    """The importer's progress as log lines (``carebridge import``, the node's loop)."""

    def file_started(self, filename: str, entries: int) -> None:
        log.info("importing %s (%d .ser entries)", filename, entries)

    def objects_read(self, count: int) -> None:
        pass

    def file_finished(self, outcome: ImportOutcome) -> None:
        log.info("%s", outcome.summary())
