"""``carebridge cluster`` and ``carebridge exercise``: the lab (``carebridge_lab``), which
the product does not ship; these commands import it only when run."""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator

import click

from carebridge.cli.common import require_lab


@contextlib.contextmanager
def _cluster_errors() -> Iterator[None]:
    """Install PostgreSQL/HAProxy when missing; cluster errors as one clean line."""
    from carebridge_lab.exceptions import ClusterError
    from carebridge_lab.packages import ensure_installed

    try:
        ensure_installed(say=lambda line: click.echo(line, err=True))
        yield
    except ClusterError as exc:
        raise click.ClickException(exc.message) from None


@click.command()
@click.option("--nodes", default=3, show_default=True, type=click.IntRange(1, 16))
@click.option("--port", default=None, type=int, help="HAProxy's port (default: a free one).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 16))
def cluster(nodes: int, port: int | None, workers: int) -> None:
    """A real cluster on this machine: PostgreSQL, NODES nodes and HAProxy, on 127.0.0.1."""
    require_lab()
    from carebridge_lab.local import LocalCluster

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    local = LocalCluster(nodes, port=port, workers=workers)
    try:
        with _cluster_errors():
            local.start()
        click.echo(f"HAProxy:     {local.url}  (FacilityService: {local.url}"
                   "/caisi_integrator/ws/FacilityService, PatientSubmission: "
                   f"{local.url}/services/PatientSubmission)")
        click.echo(f"MLLP:        127.0.0.1:{local.mllp_port}  (HAProxy, TCP; senders are known by "
                   "address: 'carebridge facility networks NAME --add CIDR')")
        for number, node in enumerate(local.nodes, 1):
            click.echo(f"node{number}:       {node.url}  MLLP 127.0.0.1:{node.mllp_port}")
        assert local.settings is not None  # start() built them
        click.echo(f"PostgreSQL:  {local.settings.database_url}")
        click.echo(f"work files:  {local.root}  (register facilities with CAREBRIDGE_DATABASE_URL"
                   " set to the PostgreSQL URL)")
        click.echo("Ctrl-C stops everything.")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        local.stop()


@click.command()
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
    require_lab()
    from carebridge_lab.exercise import ExerciseOptions, run_exercise

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

