"""``carebridge mllp``: the MLLP listener alone, without the web services."""

from __future__ import annotations

import signal
import threading

import click

from carebridge.cli.common import WAIT_OPTION, checked_database
from carebridge.config import Settings


@click.command()
@click.option("--bind", default=None, help="HOST:PORT (default: CAREBRIDGE_MLLP_BIND, else "
              "127.0.0.1:2575).")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Listener processes (default: CAREBRIDGE_MLLP_WORKERS, 1).")
@WAIT_OPTION
@click.pass_obj
def mllp(settings: Settings, bind: str | None, workers: int | None, wait: float) -> None:
    """Receive HL7 v2 over MLLP until SIGTERM or Ctrl-C, then drain."""
    from carebridge import bootstrap
    from carebridge.mllp.exceptions import ListenerConfigError
    from carebridge.mllp.node import check_listener, run_listener

    bind = bind or settings.mllp.bind or "127.0.0.1:2575"
    settings = settings.replace(mllp_bind=bind, mllp_workers=workers or settings.mllp.workers)
    try:
        check_listener(settings, bind)
    except ListenerConfigError as exc:
        raise click.ClickException(str(exc)) from None
    checked_database(settings, wait).dispose()  # refuse to start on an old schema
    click.echo(f"MLLP listening on {bind}", err=True)
    if settings.mllp.workers == 1:
        run_listener(settings, bind)
        return
    with bootstrap.mllp_listeners(settings):
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.wait(3600):
            pass
