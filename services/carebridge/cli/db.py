"""``carebridge db``: the database schema."""

from __future__ import annotations

import click

from carebridge.config import Settings


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Apply the Alembic migrations up to the newest schema."""
    from carebridge.store.migrate import current_revision, upgrade

    before = current_revision(settings.database_url)
    upgrade(settings.database_url)
    after = current_revision(settings.database_url)
    if before == after:
        click.echo(f"database schema is current ({after})")
    else:
        click.echo(f"database schema upgraded from {before or 'nothing'} to {after}")

