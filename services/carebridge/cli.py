"""The ``carebridge`` command: serve, migrate, manage facilities, import push files."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from carebridge.cli_emr import emr
from carebridge.cli_hl7 import hl7
from carebridge.config import ConfigError, Settings
from carebridge.logs import configure_logging

log = logging.getLogger("carebridge")


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """carebridge: OSCAR integrator file transfer and HL7 v2 processing over SOAP."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(settings.log_level)
    ctx.obj = settings


def _database(settings: Settings, wait: float = 0.0):  # type: ignore[no-untyped-def]
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


def _check_secret_key(database: Any) -> None:
    """Refuse to start with a key the database's PasswordDigest secrets were not sealed
    with: one line now, instead of every digest login failing later."""
    from carebridge.store.exceptions import StoreError

    try:
        database.secret_box  # noqa: B018 - loads the key and checks its fingerprint
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def _make_directories(settings: Settings) -> None:
    """The importer's directories, so a first push can be copied in right away."""
    for folder in (settings.incoming_dir, settings.archive_dir, settings.work_dir):
        try:
            Path(folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.ClickException(f"cannot create {folder}: {exc.strerror}") from None


main.add_command(hl7)
main.add_command(emr)


# -- db -------------------------------------------------------------------------


@main.group()
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


# -- facility -------------------------------------------------------------------


@main.group()
def facility() -> None:
    """Facility accounts (the usernames OSCAR logs in with)."""


@facility.command("add")
@click.argument("name")
@click.option("--password", help="Password; read from stdin when not given.")
@click.option("--description", default=None)
@click.option("--digest/--no-digest", default=True, show_default=True,
              help="Also accept WS-Security PasswordDigest (keeps an encrypted copy).")
@click.option("--admin", is_flag=True, default=False,
              help="May read every facility's data: import logs, patients, alerts.")
@click.option("--authority", "authorities", multiple=True, metavar="AUTHORITY",
              help="An identifier domain (HL7 assigning authority) the facility owns; "
                   "repeatable, the first is the default. Default: NAME.")
@click.pass_obj
def facility_add(settings: Settings, name: str, password: str | None, description: str | None,
                 digest: bool, admin: bool, authorities: tuple[str, ...]) -> None:
    """Register facility NAME."""
    from carebridge.store.exceptions import StoreError
    from carebridge.store.facilities import add_facility

    if password is None:
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    database = _database(settings)
    try:
        with database.transaction() as session:
            created = add_facility(session, name, password, description=description,
                                   digest_box=database.secret_box if digest else None,
                                   is_admin=admin, authorities=authorities)
            facility_id = created.id
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"facility {name!r} added (id {facility_id}){' as admin' if admin else ''}")


@facility.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def facility_list(settings: Settings, as_json: bool) -> None:
    """List registered facilities."""
    from carebridge.store.facilities import authorities_of, list_facilities

    with _database(settings).transaction() as session:
        rows = [
            {"id": f.id, "name": f.name, "authorities": authorities_of(session, f.id),
             "admin": f.is_admin, "digest": f.digest_secret is not None,
             "enabled": f.enabled, "created": f.created_at.isoformat()}
            for f in list_facilities(session)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    columns = ("id", "name", "authorities", "admin", "digest", "enabled", "created")
    table = Table(*columns)
    for row in rows:
        table.add_row(*(", ".join(row[k]) if k == "authorities" else str(row[k])
                        for k in columns))
    Console().print(table)


# -- import ---------------------------------------------------------------------


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
    """Leftover LOS e-mails (their first delivery failed) are retried on every scan."""
    if not settings.smtp_url:
        return None
    from carebridge.patients import notify

    target = notify.parse_smtp_url(settings.smtp_url)
    holder = f"importer:{os.getpid()}"
    return lambda: notify.deliver_pending(database, target, holder)


def _outcome_line(outcome: Any) -> str:
    line = f"{outcome.filename}: {outcome.result}"
    if outcome.counts:
        line += f" ({outcome.records} records)"
    if outcome.reason:
        line += f" - {outcome.reason}"
    return line


_WAIT_OPTION = click.option(
    "--wait-for-database", "wait", default=60.0, show_default=True, type=click.FloatRange(0),
    help="Seconds to keep trying an unreachable database at startup.")


@main.command("import")
@click.option("--once", "mode", flag_value="once", default=True, help="Import what is ready, exit.")
@click.option("--watch", "mode", flag_value="watch", help="Keep scanning every scan interval.")
@_WAIT_OPTION
@click.pass_obj
def import_command(settings: Settings, mode: str, wait: float) -> None:
    """Import OSCAR push files from the incoming directory."""
    from carebridge.integrator.importer import Importer, Result

    database = _database(settings, wait if mode == "watch" else 0.0)
    _make_directories(settings)
    if mode == "watch":
        _check_secret_key(database)
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


@main.command("import-log")
@click.option("--json", "as_json", is_flag=True)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@click.pass_obj
def import_log(settings: Settings, as_json: bool, limit: int) -> None:
    """Show the newest import log entries."""
    from carebridge.integrator import logs
    from carebridge.store.models import Facility

    with _database(settings).transaction() as session:
        names = {f.id: f.name for f in session.query(Facility)}
        rows = [
            {
                "id": r.id, "facility": names.get(r.facility_id), "filename": r.filename,
                "checksum": r.checksum, "status": r.status, "reason": r.reason,
                "dependsOn": r.depends_on, "counts": r.counts, "attempts": r.attempts,
                "dateIntervalStart": _iso(r.date_interval_start),
                "dateIntervalEnd": _iso(r.date_interval_end),
                "dateCreated": _iso(r.date_created), "lastUpdated": _iso(r.last_updated),
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


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# -- serve ----------------------------------------------------------------------


@main.command()
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="HOST:PORT")
@click.option("--workers", default=lambda: (os.cpu_count() or 1) + 1, show_default="cores + 1",
              type=click.IntRange(1, 64))
@click.option("--importer/--no-importer", default=True, show_default=True,
              help="Also run the push-file importer loop.")
@_WAIT_OPTION
@click.pass_obj
def serve(settings: Settings, bind: str, workers: int, importer: bool, wait: float) -> None:
    """Serve every SOAP service (gunicorn thread workers) and run the importer loop."""
    from carebridge.web.metrics import multiprocess_dir
    from carebridge.web.server import bind_problem, run_gunicorn

    problem = bind_problem(bind)
    if problem:
        raise click.ClickException(problem)
    database = _database(settings, wait)  # refuse to start on an old schema
    _check_secret_key(database)
    if database.secret_key_path is not None and database.dialect != "sqlite":
        log.warning("CAREBRIDGE_SECRET_KEY is not set: PasswordDigest secrets use the key file "
                    "%s; every node needs this same key (set CAREBRIDGE_SECRET_KEY on each)",
                    database.secret_key_path)
    database.dispose()
    _make_directories(settings)
    child = None
    if importer:
        child = subprocess.Popen([sys.executable, "-m", "carebridge", "import", "--watch",
                                  "--wait-for-database", str(wait)], env=os.environ.copy())
    try:
        with multiprocess_dir():  # set before any worker forks
            run_gunicorn(bind=bind, workers=workers, settings=settings)
    finally:
        if child is not None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()


@contextlib.contextmanager
def _cluster_errors() -> Any:
    """Install PostgreSQL/HAProxy when missing; cluster errors as one clean line."""
    from carebridge.cluster.exceptions import ClusterError
    from carebridge.cluster.packages import ensure_installed

    try:
        ensure_installed(say=lambda line: click.echo(line, err=True))
        yield
    except ClusterError as exc:
        raise click.ClickException(exc.message) from None


@main.command()
@click.option("--nodes", default=3, show_default=True, type=click.IntRange(1, 16))
@click.option("--port", default=None, type=int, help="HAProxy's port (default: a free one).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 16))
def cluster(nodes: int, port: int | None, workers: int) -> None:
    """A real cluster on this machine: PostgreSQL, NODES nodes and HAProxy, on 127.0.0.1."""
    from carebridge.cluster.local import LocalCluster

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    local = LocalCluster(nodes, port=port, workers=workers)
    try:
        with _cluster_errors():
            local.start()
        click.echo(f"HAProxy:     {local.url}  (FacilityService: {local.url}"
                   "/caisi_integrator/ws/FacilityService, PatientSubmission: "
                   f"{local.url}/services/PatientSubmission)")
        for number, node in enumerate(local.nodes, 1):
            click.echo(f"node{number}:       {node.url}")
        click.echo(f"PostgreSQL:  {local.settings.database_url}")
        click.echo(f"work files:  {local.root}  (register facilities with CAREBRIDGE_DATABASE_URL"
                   " set to the PostgreSQL URL)")
        click.echo("Ctrl-C stops everything.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        local.stop()


@main.command()
@click.option("--nodes", default=3, show_default=True, type=click.IntRange(2, 16))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 16),
              help="gunicorn workers per node.")
@click.option("--messages", default=2000, show_default=True, type=click.IntRange(1))
@click.option("--clients", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--duration", default=60.0, show_default=True,
              help="Seconds the load is spread over at least; it also lasts until every "
                   "kind of chaos event has happened once.")
@click.option("--interval", default=3.0, show_default=True,
              help="Seconds between chaos events.")
@click.option("--push-patients", default=600, show_default=True, type=click.IntRange(1))
@click.option("--pushes", default=2, show_default=True, type=click.IntRange(0, 20),
              help="Push files: one full push, then deltas.")
@click.option("--postgres-restart/--no-postgres-restart", default=True, show_default=True)
@click.option("--seed", "seed_value", default=1, show_default=True)
def exercise(nodes: int, workers: int, messages: int, clients: int, duration: float,
             interval: float, push_patients: int, pushes: int, postgres_restart: bool,
             seed_value: int) -> None:
    """The failover exercise: load through HAProxy while nodes are killed; count everything.

    Exits non-zero if any message was lost, duplicated or never acknowledged, or a
    push was not imported completely.
    """
    from carebridge.cluster.exercise import ExerciseOptions, run_exercise

    # Every resend would be a warning; the summary counts them as client_errors.
    logging.getLogger("carebridge.soap.client").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with _cluster_errors():
        result = run_exercise(ExerciseOptions(
            nodes=nodes, workers=workers, messages=messages, clients=clients,
            duration=duration, interval=interval, push_patients=push_patients, pushes=pushes,
            postgres_restart=postgres_restart, seed=seed_value),
            say=lambda line: click.echo(line, err=True))
    click.echo(result.resends(), err=True)
    click.echo(result.details())
    click.echo(result.summary.line())
    if not result.summary.ok:
        sys.exit(1)
