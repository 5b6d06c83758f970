"""``carebridge serve``: the SOAP services and the importer loop."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import click

from carebridge.cli.common import WAIT_OPTION, check_secret_key, checked_database, make_directories
from carebridge.config import Settings

log = logging.getLogger("carebridge")


@click.command()
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="HOST:PORT")
@click.option("--workers", default=lambda: (os.cpu_count() or 1) + 1, show_default="cores + 1",
              type=click.IntRange(1, 64))
@click.option("--importer/--no-importer", default=True, show_default=True,
              help="Also run the push-file importer loop.")
@WAIT_OPTION
@click.pass_obj
def serve(settings: Settings, bind: str, workers: int, importer: bool, wait: float) -> None:
    """Serve every SOAP service (gunicorn thread workers) and run the importer loop."""
    from carebridge.web.metrics import multiprocess_dir
    from carebridge.web.server import bind_problem, run_gunicorn

    problem = bind_problem(bind)
    if problem:
        raise click.ClickException(problem)
    database = checked_database(settings, wait)  # refuse to start on an old schema
    check_secret_key(database)
    if database.secret_key_path is not None and database.dialect != "sqlite":
        log.warning("CAREBRIDGE_SECRET_KEY is not set: PasswordDigest secrets use the key file "
                    "%s; every node needs this same key (set CAREBRIDGE_SECRET_KEY on each)",
                    database.secret_key_path)
    database.dispose()
    make_directories(settings)
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


