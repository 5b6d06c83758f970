"""``carebridge facility``: facility accounts and their identifier domains."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from carebridge.cli.common import checked_database
from carebridge.config import Settings


@click.group()
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
@click.option("--mllp-network", "networks", multiple=True, metavar="CIDR",
              help="A network the facility's MLLP senders connect from (10.1.0.0/16); "
                   "repeatable. See also 'facility networks'.")
@click.pass_obj
def facility_add(settings: Settings, name: str, password: str | None, description: str | None,
                 digest: bool, admin: bool, authorities: tuple[str, ...],
                 networks: tuple[str, ...]) -> None:
    """Register facility NAME."""
    from carebridge.store.exceptions import StoreError
    from carebridge.store.facilities import add_facility
    from carebridge.store.networks import add_networks, parse_network

    if password is None:
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
    try:
        for network in networks:
            parse_network(network)  # before the password prompt's answer is used
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    database = checked_database(settings)
    try:
        with database.transaction() as session:
            created = add_facility(session, name, password, description=description,
                                   digest_box=database.secret_box if digest else None,
                                   is_admin=admin, authorities=authorities)
            facility_id = created.id
            add_networks(session, facility_id, networks)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"facility {name!r} added (id {facility_id}){' as admin' if admin else ''}")


@facility.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def facility_list(settings: Settings, as_json: bool) -> None:
    """List registered facilities."""
    from carebridge.store.facilities import authorities_of, list_facilities
    from carebridge.store.networks import networks_of

    with checked_database(settings).transaction() as session:
        rows: list[dict[str, Any]] = [
            {"id": f.id, "name": f.name, "authorities": authorities_of(session, f.id),
             "mllp_networks": networks_of(session, f.id),
             "admin": f.is_admin, "digest": f.digest_secret is not None,
             "enabled": f.enabled, "created": f.created_at.isoformat()}
            for f in list_facilities(session)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    columns = ("id", "name", "authorities", "mllp_networks", "admin", "digest", "enabled",
               "created")
    table = Table(*columns)
    for row in rows:
        table.add_row(*(", ".join(row[k]) if isinstance(row[k], list) else str(row[k])
                        for k in columns))
    Console().print(table)



@facility.command("networks")
@click.argument("name")
@click.option("--add", "added", multiple=True, metavar="CIDR",
              help="Bind this network to the facility's MLLP senders; repeatable.")
@click.option("--remove", "removed", multiple=True, metavar="CIDR", help="Unbind; repeatable.")
@click.pass_obj
def facility_networks(settings: Settings, name: str, added: tuple[str, ...],
                      removed: tuple[str, ...]) -> None:
    """Show (and change) the networks facility NAME's MLLP senders connect from.

    MLLP has no login: a connection from these networks speaks for NAME (where two
    facilities' networks overlap, MSH-4 decides). Changes count within 5 seconds."""
    from carebridge.store.exceptions import StoreError
    from carebridge.store.facilities import find_facility
    from carebridge.store.networks import add_networks, networks_of, remove_networks

    try:
        with checked_database(settings).transaction() as session:
            found = find_facility(session, name)
            if found is None:
                raise click.ClickException(f"no facility {name!r}")
            remove_networks(session, found.id, removed)
            add_networks(session, found.id, added)
            current = networks_of(session, found.id)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("\n".join(current) if current else f"facility {name!r} has no MLLP networks")
