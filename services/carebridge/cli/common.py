"""What every command shares: the checked database handle, directories, options."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from carebridge.config import Settings

if TYPE_CHECKING:  # imported when called: `carebridge --help` loads no SQLAlchemy
    from carebridge.store.database import Database

log = logging.getLogger("carebridge")

WAIT_OPTION = click.option(
    "--wait-for-database", "wait", default=60.0, show_default=True, type=click.FloatRange(0),
    help="Seconds to keep trying an unreachable database at startup.")


def checked_database(settings: Settings, wait: float = 0.0) -> Database:
    """The database, schema checked. Unreachable: retry for ``wait`` seconds (a node
    started while PostgreSQL restarts comes up when it is back), then a clean error."""
    from sqlalchemy.exc import OperationalError

    from carebridge.store.database import Database
    from carebridge.store.migrate import is_current

    db = Database(settings)
    deadline = time.monotonic() + wait
    while True:
        try:
            current = is_current(db.engine)
            break
        except OperationalError as exc:
            where = db.engine.url.render_as_string(hide_password=True)
            reason = str(exc.orig or exc).strip().splitlines()[0]
            if time.monotonic() >= deadline:
                raise click.ClickException(f"cannot reach the database {where}: {reason}"
                                           ) from None
            log.warning("cannot reach the database %s (%s); retrying", where, reason)
            time.sleep(1.0)
    if not current:
        raise click.ClickException(
            "the database schema is not current: run `carebridge db upgrade` first"
        )
    return db


def check_secret_key(database: Database) -> None:
    """Refuse to start with a key the database's PasswordDigest secrets were not sealed
    with: one line now, instead of every digest login failing later."""
    from carebridge.store.exceptions import StoreError

    try:
        database.secret_box  # noqa: B018 - loads the key and checks its fingerprint
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def make_directories(settings: Settings) -> None:
    """The importer's directories, so a first push can be copied in right away."""
    importer = settings.importer
    for folder in (importer.incoming_dir, importer.archive_dir, importer.work_dir):
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.ClickException(f"cannot create {folder}: {exc.strerror}") from None


def require_lab() -> None:
    """The lab commands need ``carebridge_lab``, which the product does not ship."""
    try:
        import carebridge_lab  # noqa: F401
    except ImportError:
        raise click.ClickException(
            "this command needs the lab (carebridge-lab), which is not installed: "
            "pip install -e ./lab from a carebridge checkout, as `make test` does") from None
