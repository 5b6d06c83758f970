"""LOS alert e-mail through the outbox, against a local SMTP server (aiosmtpd): stored with
the alert, delivered by the worker loop after commit, never from inside the request."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from carebridge.config import Settings
from carebridge.hl7.make_adt import generate
from carebridge.patients import outbox
from carebridge.store.database import Database
from carebridge.store.models import OutboxMessage
from carebridge_lab.net import free_port
from tests.support.submissions import deliver_outbox, register, submit

FACILITY = "TORONTO GENERAL"
T0 = dt.datetime(2024, 3, 20, 12, 0, tzinfo=dt.UTC)


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def stays(prefix: str) -> list[str]:
    header = "event|mrn|assigning_authority|last_name|first_name|visit_number|admit_time|" \
             "discharge_time"
    rows = [f"A03|{500 + n}|HOSP|PAT|ONE|V{n}|202403010800|"
            f"{'202403030800' if n < 3 else '202403110800'}" for n in range(4)]
    return generate("\n".join([header, *rows]) + "\n", sending_facility=FACILITY,
                    control_id_prefix=prefix, now=dt.datetime(2024, 3, 20, 12)).messages


def test_alert_mail_is_sent_once_and_survives_an_smtp_outage(
    db: Database, settings: Settings, tmp_path: Path, smtp: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp
    caller = register(db, FACILITY, authorities=["HOSP"])
    url = (f"smtp://127.0.0.1:{controller.port}?from=carebridge@example.org"
           "&to=ward@example.org,qa@example.org")
    live = settings.replace(smtp_url=url, los_alert_file=tmp_path / "alerts.jsonl")
    for i, message in enumerate(stays("MAIL")):
        assert submit(db, live, caller, message, now=T0 + dt.timedelta(seconds=i)).ack_code \
            == "AA"
    assert inbox.messages == []  # the request only queued it
    assert deliver_outbox(db, live) == 2  # the e-mail and the alert file's line
    assert len(inbox.messages) == 1
    recipients, mail = inbox.messages[0]
    assert recipients == ["ward@example.org", "qa@example.org"]
    assert "visit V3" in mail["Subject"] and "average 4.00" in mail.get_payload()
    assert mail["Message-ID"].startswith("<carebridge-outbox-")

    # The SMTP server is down for the next alert: nothing is lost, it waits in the outbox.
    down = settings.replace(smtp_url=f"smtp://127.0.0.1:{free_port()}?from=a@example.org"
                                     "&to=b@example.org", los_alert_file=tmp_path / "a.jsonl")
    for i, message in enumerate(stays("DOWN")):
        submit(db, down, caller, message, now=T0 + dt.timedelta(minutes=5, seconds=i))
    assert deliver_outbox(db, down) == 1  # the line; the e-mail fails
    with db.transaction() as session:
        pending = session.scalars(select(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None))).all()
    assert len(pending) == 1 and pending[0].attempts == 1 and pending[0].last_error
    assert pending[0].kind == outbox.ALERT_MAIL
    # Back up: the next delivery round sends it, once; a second round sends nothing.
    assert deliver_outbox(db, live) == 1
    assert deliver_outbox(db, live) == 0
    assert len(inbox.messages) == 2


def test_smtp_url_is_checked() -> None:
    target = outbox.parse_smtp_url("smtps://u%40x:p@mail.example.org?from=a@x.org&to=b@x.org")
    assert (target.host, target.port, target.tls, target.user) == (
        "mail.example.org", 465, True, "u@x")
    with pytest.raises(ValueError, match="from= and to="):
        outbox.parse_smtp_url("smtp://127.0.0.1:25")
