"""The ``carebridge`` command. One module per command group, each thin over the use cases;
the lab commands load ``carebridge_lab`` only when they run."""

from __future__ import annotations

import click

from carebridge.cli import db, emr, facility, hl7, imports, lab, mllp, serve
from carebridge.config import ConfigError, Settings
from carebridge.logs import configure_logging


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


for command in (db.db, facility.facility, imports.import_command, imports.import_log,
                serve.serve, mllp.mllp, lab.cluster, lab.exercise, hl7.hl7, emr.emr):
    main.add_command(command)
