"""Kill the importer in the middle of a file: the next run finishes it, nothing doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from carebridge.config import Settings
from carebridge.store.database import Database
from carebridge.store.models import CachedRecord, ImportLog
from tests.conftest import make_settings
from tests.integration.conftest import PushFactory, deliver
from tests.support.server import carebridge, settings_env


def _log_rows(db: Database) -> list[ImportLog]:
    with db.transaction() as session:
        return list(session.scalars(select(ImportLog)))


def _records(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(CachedRecord))


def test_importer_killed_mid_file_is_completed_by_the_next_run(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory,
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, settings.database_url, lease_seconds=2)
    push = make_push(patients=1500)
    deliver(push, settings.importer.incoming_dir)

    victim = subprocess.Popen([sys.executable, "-m", "carebridge", "import", "--once"],
                              env=settings_env(settings), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            r.status == "PROCESSING" for r in _log_rows(db)):
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the file's transaction now
    assert victim.poll() is None, "the import finished before it could be killed"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()

    (row,) = _log_rows(db)
    assert row.status == "PROCESSING"
    assert _records(db) == 0  # nothing of the half-read file is visible
    assert (settings.importer.incoming_dir / push.main.name).exists()

    time.sleep(2.2)  # the dead importer's lease expires
    done = carebridge("import", "--once", settings=settings)
    assert done.returncode == 0, done.stderr

    (row,) = _log_rows(db)
    assert row.status == "COMPLETED" and row.attempts == 2
    assert _records(db) == push.records
    assert (settings.importer.archive_dir / push.main.name).exists()
    assert not (settings.importer.incoming_dir / push.main.name).exists()
