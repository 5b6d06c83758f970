"""A node delivers what a message set off after its acknowledgment: the LOS alert's line in
the alert file and its e-mail, through the outbox worker loop beside the web workers (also
on a node without the importer), never inside the request."""

from __future__ import annotations

import datetime as dt
import json
import time
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import zeep
from aiosmtpd.controller import Controller
from sqlalchemy import select
from zeep.wsse.username import UsernameToken

from carebridge.contracts import contract_path
from carebridge.hl7.make_adt import generate
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.migrate import upgrade
from carebridge.store.models import OutboxMessage
from carebridge_lab.net import free_port
from tests.conftest import make_settings
from tests.support.server import Node

FACILITY, PASSWORD = "TORONTO GENERAL", "tg-secret"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def stays() -> list[str]:
    header = "event|mrn|assigning_authority|last_name|first_name|visit_number|admit_time|" \
             "discharge_time"
    rows = [f"A03|{500 + n}|HOSP|PAT|ONE|V{n}|202403010800|"
            f"{'202403030800' if n < 3 else '202403110800'}" for n in range(4)]
    return generate("\n".join([header, *rows]) + "\n", sending_facility=FACILITY,
                    control_id_prefix="OUT", now=dt.datetime(2024, 3, 20, 12)).messages


def until(check: Any, seconds: float = 15.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    return check()


@pytest.mark.parametrize("importer", [False, True], ids=["no-importer", "importer"])
def test_a_node_delivers_the_alert_line_and_mail_after_the_reply(tmp_path: Path,
                                                                 importer: bool) -> None:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    alerts = tmp_path / "alerts.jsonl"
    url = f"sqlite:///{tmp_path}/carebridge.sqlite"
    settings = make_settings(tmp_path, url, los_alert_file=alerts, outbox_interval=0.2,
                             smtp_url=f"smtp://127.0.0.1:{smtp.port}?from=cb@example.org"
                                      "&to=ward@example.org",
                             los_window_seconds=3600)
    upgrade(url)
    db = Database(settings)
    with db.transaction() as session:
        add_facility(session, FACILITY, PASSWORD, authorities=["HOSP"])
    node = Node(settings, workers=1, log_dir=tmp_path, importer=importer).start()
    try:
        client = zeep.Client(str(contract_path("wsdl", "PatientSubmission.wsdl")),
                             wsse=UsernameToken(FACILITY, PASSWORD))
        service = client.create_service("{urn:carebridge:patients:1}PatientSubmissionService",
                                        node.url + "/services/PatientSubmission")
        assert [service.submitMessage(m).ackCode for m in stays()] == ["AA"] * 4
        lines = until(lambda: alerts.exists() and alerts.read_text().splitlines())
        assert len(lines) == 1 and json.loads(lines[0])["visit"] == "V3"
        assert until(lambda: inbox.messages)
        assert "visit V3" in inbox.messages[0]["Subject"]

        def all_marked() -> bool:
            with db.transaction() as session:
                rows = session.scalars(select(OutboxMessage)).all()
            return len(rows) == 2 and all(row.sent_at is not None for row in rows)

        assert until(all_marked)
        time.sleep(0.5)  # a few more rounds: delivered once, not again
        assert len(alerts.read_text().splitlines()) == 1 and len(inbox.messages) == 1
    finally:
        node.stop()
        smtp.stop()
        db.dispose()
