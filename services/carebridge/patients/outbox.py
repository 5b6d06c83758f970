"""What a message sets off after it is stored (the LOS alert's e-mail and its line in the
alert file), through an outbox so none is lost and none slows the request.

The use case writes each effect to ``notification_outbox`` in the same transaction as
the alert. A worker loop (``deliver_pending``, run by every node's background process)
claims due rows for a while, delivers them and marks them done. A node that dies after
delivering but before marking lets its claim expire, and the effect is delivered again:
an e-mail with the same Message-ID, which mail systems use to drop the duplicate; an
alert line once more (the file is a node-local export, the alert table is the truth).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from carebridge.store.database import Database
from carebridge.store.models import OutboxMessage, utcnow
from carebridge.store.rows import changed

log = logging.getLogger(__name__)

ALERT_MAIL = "los_alert"  # subject and body of an e-mail
ALERT_LINE = "los_alert_line"  # body: one JSON line for the alert file


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool
    user: str | None
    password: str | None
    sender: str
    recipients: tuple[str, ...]


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp[s]://[user:password@]host[:port]?from=ADDR&to=ADDR[,ADDR]``."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("CAREBRIDGE_SMTP_URL must look like smtp://host:port?from=A&to=B")
    query = parse_qs(parts.query)
    sender = (query.get("from") or [""])[0]
    recipients = tuple(r for value in query.get("to", []) for r in value.split(",") if r)
    if not sender or not recipients:
        raise ValueError("CAREBRIDGE_SMTP_URL needs from= and to= addresses")
    return SmtpTarget(parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25),
                      parts.scheme == "smtps", unquote(parts.username) if parts.username
                      else None, unquote(parts.password) if parts.password else None,
                      sender, recipients)


@dataclass(frozen=True)
class Couriers:
    """Where this node delivers each kind of effect; a kind without one waits."""

    smtp: SmtpTarget | None = None
    alert_file: Path | None = None

    def kinds(self) -> tuple[str, ...]:
        return tuple(kind for kind, courier in ((ALERT_MAIL, self.smtp),
                                                (ALERT_LINE, self.alert_file)) if courier)


def work(db: Database, couriers: Couriers, holder: str, stopped: Callable[[], bool],
         wait: Callable[[float], object], interval: float) -> None:
    """The outbox worker loop: a round every ``interval`` seconds until ``stopped``. A
    database that is away is one warning a round; the rows wait for it."""
    while not stopped():
        try:
            deliver_pending(db, couriers, holder)
        except SQLAlchemyError as exc:
            log.warning("outbox delivery skipped a round: %s", type(exc).__name__)
        wait(interval)


def enqueue(session: Session, kind: str, subject: str, body: str) -> None:
    session.add(OutboxMessage(kind=kind, subject=subject, body=body, attempts=0))


def deliver_pending(db: Database, couriers: Couriers, holder: str, *,
                    claim_seconds: float = 60.0, limit: int = 50) -> int:
    """Deliver what is due; returns how many were delivered. Trouble leaves rows pending:
    after the first failure of a kind, the rest of that kind waits for the next round."""
    delivered = 0
    failed: set[str] = set()
    for row_id in _claim(db, holder, couriers.kinds(), claim_seconds, limit):
        with db.transaction() as session:
            row = session.get_one(OutboxMessage, row_id)
            kind, subject, body = row.kind, row.subject, row.body
        if kind in failed:
            _release(db, row_id, holder, None)
            continue
        try:
            _deliver(couriers, kind, row_id, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("outbox message %d (%s) not delivered: %s", row_id, kind, exc)
            _release(db, row_id, holder, str(exc)[:500])
            failed.add(kind)
            continue
        with db.transaction() as session:
            session.execute(update(OutboxMessage).where(
                OutboxMessage.id == row_id, OutboxMessage.claimed_by == holder).values(
                sent_at=utcnow(), attempts=OutboxMessage.attempts + 1, last_error=None))
        delivered += 1
    return delivered


def _release(db: Database, row_id: int, holder: str, error: str | None) -> None:
    """Give the row back: counted as an attempt when ``error`` says why it failed."""
    values: dict[str, object] = {"claimed_by": None, "claimed_until": None}
    if error is not None:
        values.update(attempts=OutboxMessage.attempts + 1, last_error=error)
    with db.transaction() as session:
        session.execute(update(OutboxMessage).where(
            OutboxMessage.id == row_id, OutboxMessage.claimed_by == holder).values(**values))


def _deliver(couriers: Couriers, kind: str, row_id: int, subject: str, body: str) -> None:
    if kind == ALERT_MAIL and couriers.smtp is not None:
        _send(couriers.smtp, row_id, subject, body)
    elif kind == ALERT_LINE and couriers.alert_file is not None:
        _append(couriers.alert_file, body)
    else:
        raise AssertionError(f"claimed an outbox message of kind {kind!r} with no courier")


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _claim(db: Database, holder: str, kinds: tuple[str, ...], claim_seconds: float,
           limit: int) -> list[int]:
    if not kinds:
        return []
    now = utcnow()
    with db.transaction() as session:
        due = list(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.kind.in_(kinds),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
            .order_by(OutboxMessage.id).limit(limit)))
    claimed = []
    until = now + dt.timedelta(seconds=claim_seconds)
    for row_id in due:
        with db.transaction() as session:
            result = session.execute(update(OutboxMessage).where(
                OutboxMessage.id == row_id, OutboxMessage.sent_at.is_(None),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now))
                .values(claimed_by=holder, claimed_until=until))
            if changed(result) == 1:
                claimed.append(row_id)
    return claimed


def _send(target: SmtpTarget, row_id: int, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = target.sender
    message["To"] = ", ".join(target.recipients)
    message["Subject"] = subject
    message["Message-ID"] = f"<carebridge-outbox-{row_id}@carebridge.invalid>"
    message.set_content(body)
    connection = smtplib.SMTP_SSL if target.tls else smtplib.SMTP
    with connection(target.host, target.port, timeout=10) as smtp:
        if target.user:
            smtp.login(target.user, target.password or "")
        smtp.send_message(message)
