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
@WAIT_OPTION
@click.pass_obj
def serve(settings: Settings, bind: str, workers: int, importer: bool, wait: float) -> None:
    """Serve every SOAP service (gunicorn thread workers) and run the importer loop."""
    from carebridge.web.server import bind_problem

    problem = bind_problem(bind)
    if problem:
        raise click.ClickException(problem)
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
