"""``carebridge import`` and ``carebridge import-log``: the push-file importer."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carebridge.cli.common import (
    WAIT_OPTION,
    check_secret_key,
    checked_database,
    iso,
    make_directories,
)
from carebridge.config import Settings

log = logging.getLogger("carebridge")


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

    def file_finished(self, outcome: Any) -> None:
        self.progress.advance(self.files)
        self.progress.console.log(_outcome_line(outcome))


class _LogObserver:
    def file_started(self, filename: str, entries: int) -> None:
        log.info("importing %s (%d .ser entries)", filename, entries)

    def objects_read(self, count: int) -> None:
        pass

    def file_finished(self, outcome: Any) -> None:
        log.info("%s", _outcome_line(outcome))


def _outbox_delivery(database: Any, settings: Settings) -> Any:
    """The outbox (LOS alert lines and e-mails) is delivered on every scan."""
    from carebridge.patients import outbox
    from carebridge.patients.policy import couriers

    ship = couriers(settings)
    holder = f"importer:{os.getpid()}"
    return lambda: outbox.deliver_pending(database, ship, holder)


def _outcome_line(outcome: Any) -> str:
    line = f"{outcome.filename}: {outcome.result}"
    if outcome.counts:
        line += f" ({outcome.records} records)"
    if outcome.reason:
        line += f" - {outcome.reason}"
    return line


@click.command("import")
@click.option("--once", "mode", flag_value="once", default=True, help="Import what is ready, exit.")
@click.option("--watch", "mode", flag_value="watch", help="Keep scanning every scan interval.")
@WAIT_OPTION
@click.pass_obj
def import_command(settings: Settings, mode: str, wait: float) -> None:
    """Import OSCAR push files from the incoming directory."""
    from carebridge.integrator.importer import Importer, Result

    database = checked_database(settings, wait if mode == "watch" else 0.0)
    make_directories(settings)
    if mode == "watch":
        check_secret_key(database)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        importer = Importer(database, settings, observer=_LogObserver())
        log.info("watching %s every %ss", settings.incoming_dir, settings.scan_interval)
        with contextlib.suppress(KeyboardInterrupt):
            importer.watch(stop.is_set, stop.wait, tick=_outbox_delivery(database, settings))
        return
    pending = Importer(database, settings).pending()
    if sys.stderr.isatty():
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), transient=False) as progress:
            outcomes = Importer(database, settings,
                                observer=_ProgressObserver(progress, len(pending))).run_once()
    else:
        outcomes = Importer(database, settings, observer=_LogObserver()).run_once()
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
    from carebridge.integrator import logs
    from carebridge.store.models import Facility

    with checked_database(settings).transaction() as session:
        names = {f.id: f.name for f in session.query(Facility)}
        rows = [
            {
                "id": r.id, "facility": names.get(r.facility_id), "filename": r.filename,
                "checksum": r.checksum, "status": r.status, "reason": r.reason,
                "dependsOn": r.depends_on, "counts": r.counts, "attempts": r.attempts,
                "dateIntervalStart": iso(r.date_interval_start),
                "dateIntervalEnd": iso(r.date_interval_end),
                "dateCreated": iso(r.date_created), "lastUpdated": iso(r.last_updated),
            }
            for r in logs.every(session, limit)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "facility", "file", "status", "records", "reason")
    for row in rows:
        records = sum(v for k, v in (row["counts"] or {}).items() if not k.startswith("deleted:"))
        table.add_row(str(row["id"]), str(row["facility"]), row["filename"], row["status"],
                      str(records), row["reason"] or "")
    Console(width=200).print(table)


