"""E-mail for length-of-stay alerts, through an outbox so none is lost or sent twice.

The alert's e-mail is written to ``notification_outbox`` in the same transaction as
the alert. After commit (and on every importer scan, for leftovers) a node claims
pending rows for a while, sends them, and marks them sent. A node that dies after
sending but before marking lets its claim expire, and the message is sent again
with the same Message-ID, which mail systems use to drop the duplicate.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from carebridge.store.database import Database
from carebridge.store.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)


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


def enqueue(session: Session, kind: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(kind=kind, subject=subject, body=body, attempts=0)
    session.add(message)
    return message


def deliver_pending(db: Database, target: SmtpTarget, holder: str, *,
                    claim_seconds: float = 60.0, limit: int = 50) -> int:
    """Send what is due; returns how many were sent. SMTP trouble leaves rows pending."""
    sent = 0
    for row_id in _claim(db, holder, claim_seconds, limit):
        with db.transaction() as session:
            row = session.get(OutboxMessage, row_id)
            subject, body = row.subject, row.body
        try:
            _send(target, row_id, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("outbox message %d not sent: %s", row_id, exc)
            with db.transaction() as session:
                session.execute(update(OutboxMessage).where(
                    OutboxMessage.id == row_id, OutboxMessage.claimed_by == holder).values(
                    attempts=OutboxMessage.attempts + 1, last_error=str(exc)[:500],
                    claimed_by=None, claimed_until=None))
            break  # the server is unwell: leave the rest for the next round
        with db.transaction() as session:
            session.execute(update(OutboxMessage).where(
                OutboxMessage.id == row_id, OutboxMessage.claimed_by == holder).values(
                sent_at=utcnow(), attempts=OutboxMessage.attempts + 1, last_error=None))
        sent += 1
    return sent


def _claim(db: Database, holder: str, claim_seconds: float, limit: int) -> list[int]:
    now = utcnow()
    with db.transaction() as session:
        due = list(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.sent_at.is_(None),
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
            if result.rowcount == 1:
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
