"""``carebridge serve``: the SOAP services and the importer loop."""

from __future__ import annotations

import logging

import click

from carebridge import bootstrap
from carebridge.cli.common import WAIT_OPTION, check_secret_key, checked_database, make_directories
from carebridge.config import Settings

log = logging.getLogger("carebridge")


@click.command()
@click.option("--bind", default=bootstrap.DEFAULT_BIND, show_default=True, help="HOST:PORT")
@click.option("--workers", default=bootstrap.default_workers, show_default="cores + 1",
              type=click.IntRange(1, 64))
@click.option("--importer/--no-importer", default=True, show_default=True,
              help="Also run the push-file importer loop.")
@click.option("--mllp", "mllp_bind", default=None, metavar="HOST:PORT",
              help="Also receive HL7 v2 over MLLP here (default: CAREBRIDGE_MLLP_BIND; "
                   "none when empty).")
@WAIT_OPTION
@click.pass_obj
def serve(settings: Settings, bind: str, workers: int, importer: bool, mllp_bind: str | None,
          wait: float) -> None:
    """Serve every SOAP service (gunicorn thread workers), the MLLP listener when
    configured, and run the importer loop."""
    from carebridge.mllp.exceptions import ListenerConfigError
    from carebridge.mllp.node import check_listener
    from carebridge.web.server import bind_problem

    problem = bind_problem(bind)
    if problem:
        raise click.ClickException(problem)
    if mllp_bind is not None:
        settings = settings.replace(mllp_bind=mllp_bind)
    if settings.mllp.bind:
        try:
            check_listener(settings, settings.mllp.bind)
        except ListenerConfigError as exc:
            raise click.ClickException(str(exc)) from None
        log.info("MLLP on %s (%d listener process(es))", settings.mllp.bind,
                 settings.mllp.workers)
    database = checked_database(settings, wait)  # refuse to start on an old schema
    check_secret_key(database)
    if database.secret_key_path is not None and database.dialect != "sqlite":
        log.warning("CAREBRIDGE_SECRET_KEY is not set: PasswordDigest secrets use the key file "
                    "%s; every node needs this same key (set CAREBRIDGE_SECRET_KEY on each)",
                    database.secret_key_path)
    database.dispose()  # before the fork of the importer and the workers
    make_directories(settings)
    # The same Settings object, not the environment again, reaches the workers and the
    # importer loop.
    bootstrap.serve(settings, bind=bind, workers=workers, importer=importer)
