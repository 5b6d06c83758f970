"""``carebridge emr ...``: the EMR side (export, ship, status check) against OSCAR's tables."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from carebridge.cli.common import require_lab
from carebridge.config import EMR_PUSH_FORMATS, Settings

if TYPE_CHECKING:
    from carebridge.emr.database import EmrDatabase


def _emr(settings: Settings) -> EmrDatabase:
    from carebridge.emr.database import EmrDatabase

    return EmrDatabase(settings.emr.database_url)


@click.group("emr")
def emr() -> None:
    """The EMR side of OSCAR's integrator transfer."""


DEFAULT_INTEGRATOR_URL = "http://127.0.0.1:8080/caisi_integrator/ws"
DEFAULT_INTEGRATOR_USER = "clinic-a"


@emr.command("seed")
@click.option("--patients", default=100, show_default=True, type=click.IntRange(0))
@click.option("--seed", "seed_value", default=1, show_default=True)
@click.option("--integrator-url", default=None,
              help=f"The integrator's URL.  [default: {DEFAULT_INTEGRATOR_URL}]")
@click.option("--integrator-user", default=None,
              help="The facility name registered on the integrator (`carebridge facility "
                   f"add NAME`).  [default: {DEFAULT_INTEGRATOR_USER}]")
@click.option("--integrator-password", default=None,
              help="That facility's password (stored as OSCAR stores it).")
@click.pass_obj
def seed_command(settings: Settings, patients: int, seed_value: int, integrator_url: str | None,
                 integrator_user: str | None, integrator_password: str | None) -> None:
    """Fill an empty demo EMR database with synthetic patients.

    Run again on a seeded database, it adds nothing and only changes the integrator
    options given.
    """
    require_lab()
    from carebridge_lab.seed import seed, set_integrator

    db = _emr(settings)
    seeded = seed(db, patients, settings.emr.document_dir, seed=seed_value)
    if seeded.added:
        set_integrator(db, url=integrator_url or DEFAULT_INTEGRATOR_URL,
                       user=integrator_user or DEFAULT_INTEGRATOR_USER,
                       password=integrator_password)
        click.echo(f"seeded {patients} patients into {settings.emr.database_url} "
                   f"(integrator user {integrator_user or DEFAULT_INTEGRATOR_USER!r})")
        return
    changed = set_integrator(db, url=integrator_url, user=integrator_user,
                             password=integrator_password)
    line = f"the EMR database already has {seeded.patients} patients; added nothing"
    if changed:
        words = {"integratorUrl": f"integrator URL {integrator_url}",
                 "integratorUser": f"integrator user {integrator_user!r}",
                 "integratorPassword": "integrator password"}
        line += f"; set the {', '.join(words[c] for c in changed)}"
    click.echo(line)


@emr.command("export")
@click.option("--full", is_flag=True, help="Send everything, not just what changed.")
@click.option("--push-format", type=click.Choice(EMR_PUSH_FORMATS), default=None,
              help="The class generation the integrator's JVM holds: 0.0.4 as OSCAR 19 "
                   "writes, or legacy (older ProgramDeleteIdWrapper).  "
                   "[default: the emr_push_format setting, 0.0.4]")
@click.pass_obj
def export_command(settings: Settings, full: bool, push_format: str | None) -> None:
    """Write a push (full or delta, as OSCAR decides) into the export directory."""
    from carebridge.emr.exporter import export

    db = _emr(settings)
    push_format = push_format or settings.emr.push_format
    if sys.stderr.isatty():
        with Progress(TextColumn("patients"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bar:
            task = bar.add_task("patients", total=None)
            result = export(db, settings.emr.export_dir, settings.emr.document_dir, full=full,
                            progress=lambda done, total: bar.update(task, completed=done,
                                                                    total=total),
                            push_format=push_format)
    else:
        result = export(db, settings.emr.export_dir, settings.emr.document_dir, full=full,
                        push_format=push_format)
    kind = "full" if result.full else f"delta (dependsOn {result.depends_on})"
    click.echo(f"{result.filename}: {kind}, {result.patients} patients, "
               f"{result.documents} documents, checksum {result.checksum}, "
               f"push format {result.push_format}")


@emr.command("ship")
@click.option("--to", "destination", required=True, type=click.Path(path_type=Path),
              help="The integrator's incoming directory (a mounted path; created when it is "
                   "this machine's configured incoming directory).")
@click.pass_obj
def ship_command(settings: Settings, destination: Path) -> None:
    """Copy pending pushes (Docs zip first) atomically into DESTINATION."""
    from carebridge.emr.exceptions import ShipError
    from carebridge.emr.shipper import ship

    incoming = Path(settings.importer.incoming_dir).resolve()
    try:
        shipped = ship(settings.emr.export_dir, destination,
                       create=destination.resolve() == incoming)
    except ShipError as exc:
        raise click.ClickException(str(exc)) from None
    for item in shipped:
        click.echo(f"{item.name}: {'copied' if item.copied else 'already there'}")
    if not shipped:
        click.echo("nothing to ship")


@emr.command("check-status")
@click.option("--url", default=None, help="Integrator URL (default: Facility.integratorUrl).")
@click.option("--user", default=None, help="Default: Facility.integratorUser.")
@click.option("--password", default=None, help="Default: Facility.integratorPassword.")
@click.option("--digest", is_flag=True, help="Send a PasswordDigest instead of the text.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds per call.")
@click.option("--retries", default=3, show_default=True, type=click.IntRange(0),
              help="Retries (with doubling backoff) when the integrator does not answer.")
@click.option("--every", default=None, type=float, help="Keep checking every SECONDS.")
@click.pass_obj
def check_status_command(settings: Settings, url: str | None, user: str | None,
                         password: str | None, digest: bool, timeout: float, retries: int,
                         every: float | None) -> None:
    """Ask the integrator about every push not yet COMPLETED; update IntegratorFileLog."""
    from carebridge.emr.exceptions import IntegratorUnavailable
    from carebridge.emr.schema import OscarFacility
    from carebridge.emr.status_check import IntegratorClient, check_status

    db = _emr(settings)
    with db.transaction() as session:
        facility = session.get(OscarFacility, 1)
        url = url or (facility.integratorUrl if facility else None)
        user = user or (facility.integratorUser if facility else None)
        password = password or (facility.integratorPassword if facility else None)
    if not (url and user and password):
        raise click.ClickException("integrator URL, user and password are needed "
                                   "(options, or the EMR's Facility row)")
    client = IntegratorClient(url, user, password, timeout=timeout, retries=retries,
                              digest=digest)
    while True:
        try:
            report = check_status(db, client)
        except IntegratorUnavailable as exc:
            if every is None:
                raise click.ClickException(str(exc)) from None
            click.echo(f"error: {exc}", err=True)
        else:
            summary = ", ".join(f"{k} {v}" for k, v in sorted(report.statuses.items()))
            click.echo(f"checked {report.checked}, updated {report.updated}"
                       + (f" ({summary})" if summary else ""))
        if every is None:
            return
        time.sleep(every)
