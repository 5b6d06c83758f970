"""``carebridge import`` and ``carebridge import-log``: the push-file importer."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carebridge.cli.common import (
    WAIT_OPTION,
    check_secret_key,
    checked_database,
    make_directories,
)
from carebridge.config import Settings
from carebridge.integrator.progress import LogObserver

if TYPE_CHECKING:
    from carebridge.integrator.push_import import ImportOutcome

class _ProgressObserver:
    """Rich progress bars on a terminal: files done and objects read."""

    def __init__(self, progress: Progress, total_files: int) -> None:
        self.progress = progress
        self.files = progress.add_task("files", total=total_files)
        self.objects = progress.add_task("objects", total=None)

    def file_started(self, filename: str, entries: int) -> None:
        self.progress.update(self.objects, description=filename)

    def objects_read(self, count: int) -> None:
        self.progress.advance(self.objects, count)

    def file_finished(self, outcome: ImportOutcome) -> None:
        self.progress.advance(self.files)
        self.progress.console.log(outcome.summary())


@click.command("import")
@click.option("--once", "mode", flag_value="once", default=True, help="Import what is ready, exit.")
@click.option("--watch", "mode", flag_value="watch",
              help="Keep scanning every scan interval; also deliver the outbox.")
@WAIT_OPTION
@click.pass_obj
def import_command(settings: Settings, mode: str, wait: float) -> None:
    """Import OSCAR push files from the incoming directory."""
    from carebridge.integrator.importer import Importer
    from carebridge.integrator.push_import import Result

    database = checked_database(settings, wait if mode == "watch" else 0.0)
    make_directories(settings)
    if mode == "watch":
        from carebridge.bootstrap import run_background

        check_secret_key(database)
        run_background(database, settings)  # the importer loop and the outbox worker
        return
    pending = Importer(database, settings).pending()
    if sys.stderr.isatty():
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), transient=False) as progress:
            outcomes = Importer(database, settings,
                                observer=_ProgressObserver(progress, len(pending))).run_once()
    else:
        outcomes = Importer(database, settings, observer=LogObserver()).run_once()
    if not outcomes:
        click.echo("nothing imported" if not pending else "another node is importing")
    if any(o.result == Result.ERROR for o in outcomes):
        sys.exit(1)


@click.command("import-log")
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.pass_obj
def import_log(settings: Settings, as_json: bool, limit: int) -> None:
    """Show the newest import log entries."""
    from carebridge.integrator.import_log import newest_entries

    with checked_database(settings).transaction() as session:
        entries = newest_entries(session, limit)
    if as_json:
        click.echo(json.dumps([entry.as_json() for entry in entries], indent=2))
        return
    table = Table("id", "facility", "file", "status", "records", "reason")
    for entry in entries:
        table.add_row(str(entry.id), str(entry.facility), entry.filename, entry.status,
                      str(entry.records), entry.reason or "")
    Console(width=200).print(table)
