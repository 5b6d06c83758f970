"""Submitting one HL7 message: understand, check, journal, apply, acknowledge.

Parse (ER7 or v2.xml) -> the sender must be the authenticated facility (MSH-4)
-> type, event and version supported -> valid against carebridge's XSDs ->
journal under (MSH-3, MSH-4, MSH-10), which the database keeps unique -> A01/
A04/A08 update the master patient index, A03 closes the encounter and runs the
length-of-stay rule, A40 merges -> commit -> reply. The acknowledgment is stored
with the message in the same transaction, so a resend through any node gets
the original back and changes nothing; only an AA means the message is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carebridge.config import Settings
from carebridge.hl7 import er7, mapping, v2xml
from carebridge.hl7.ack import AckError, Outcome, build_ack
from carebridge.hl7.definitions import structure_for
from carebridge.hl7.exceptions import (
    APPLICATION_INTERNAL_ERROR,
    DUPLICATE_KEY_IDENTIFIER,
    UNSUPPORTED_EVENT_CODE,
    UNSUPPORTED_MESSAGE_TYPE,
    UNSUPPORTED_VERSION_ID,
    HL7Error,
    Location,
)
from carebridge.hl7.validate import schema_for, validate
from carebridge.patients import los, mpi, notify
from carebridge.patients.exceptions import MergeError
from carebridge.patients.records import (
    DischargeRecord,
    Identifier,
    PatientRecord,
    read_discharge,
    read_patient,
)
from carebridge.soap.wsse.authenticate import Caller
from carebridge.store.database import Database
from carebridge.store.models import HL7Message, utcnow

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = frozenset({"2.3", "2.3.1", "2.4", "2.5", "2.5.1"})
ADT_EVENTS = frozenset({"A01", "A02", "A03", "A04", "A05", "A08", "A11", "A13", "A14", "A28",
                        "A31", "A40"})
ATTEMPTS = 3
# Built once and executed with parameters: building a statement per call costs more
# than running it.
_INSERT_MESSAGE = insert(HL7Message.__table__)


@dataclass(frozen=True)
class Reply:
    """What the sender gets back: the acknowledgment's summary and the ACK itself."""

    ack_code: str
    message_control_id: str
    ack_control_id: str
    text: str | None
    errors: list[str] = field(default_factory=list)
    ack: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        return cls(**data)


@dataclass
class _Understood:
    message: er7.Message | None
    outcome: Outcome
    errors: list[AckError]
    text: str | None = None


def submit(db: Database, settings: Settings, caller: Caller, payload: str | bytes,
           encoding: str = "er7", now: dt.datetime | None = None) -> Reply:
    """Process one message; retried when a concurrent submission created the same patient."""
    for attempt in range(ATTEMPTS):
        try:
            return _submit_once(db, settings, caller, payload, encoding, now,
                                check_journal=attempt > 0)
        except IntegrityError:
            # The same message committed first through another request (the journal key),
            # or another message created the same patient meanwhile: try again, and the
            # stored acknowledgment or the new patient will be found.
            if attempt == ATTEMPTS - 1:
                raise
            log.info("concurrent submission of the same key; retrying")
    raise AssertionError("unreachable")


def _submit_once(db: Database, settings: Settings, caller: Caller, payload: str | bytes,
                 encoding: str, now: dt.datetime | None, check_journal: bool) -> Reply:
    """One attempt. The first optimistically inserts (a resend then fails on the key and
    the retry, ``check_journal``, finds the stored reply): new messages pay no lookup."""
    received = now or utcnow()
    body = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
    understood = _understand(payload, encoding, caller, settings)
    plan = _plan(understood)  # everything that can fail on content fails before any write
    digest = _digest(understood.message, payload)
    key = _key(understood.message, digest)
    alert_line = None
    with db.transaction() as session:
        stored = _journal_row(session, key) if check_journal else None
        if stored is not None:
            return _replay(stored, digest, understood, encoding)
        reply = _reply(understood, encoding, received)  # final unless a merge fails below
        message = understood.message
        # A concurrent submission of the same key fails here (unique constraint); submit()
        # retries, and the retry finds the stored row and replays its acknowledgment.
        message_id = session.execute(_INSERT_MESSAGE, {
            "facility_id": caller.facility_id, "sending_application": key[0],
            "sending_facility": key[1], "control_id": key[2], "encoding": encoding,
            "message_type": message.message_type if message else None,
            "event": message.event if message else None, "body_sha256": digest, "raw": body,
            "ack_code": reply.ack_code, "reply": reply.to_json(), "received_at": received,
        }).inserted_primary_key[0]
        if understood.outcome is Outcome.ACCEPTED and plan is not None:
            try:
                alert_line = _apply(session, settings, caller, plan, message_id, received)
            except MergeError as exc:  # MRG-1 names nobody: AE, journaled, nothing merged
                understood.outcome = Outcome.ERROR
                understood.errors.append(_as_ack_error(exc))
                reply = _reply(understood, encoding, received)
                session.execute(update(HL7Message).where(HL7Message.id == message_id)
                                .values(ack_code=reply.ack_code, reply=reply.to_json()))
    if alert_line is not None:
        _append_alert(settings.los_alert_file, alert_line)
        if settings.smtp_url:
            _deliver(db, settings)
    return reply


@dataclass(frozen=True)
class _Plan:
    """What an accepted message will do, worked out before the transaction."""

    event_time: str
    patient: PatientRecord | None = None
    discharge: DischargeRecord | None = None
    survivor: tuple[Identifier, ...] = ()
    prior: tuple[Identifier, ...] = ()


def _plan(understood: _Understood) -> _Plan | None:
    message = understood.message
    if understood.outcome is not Outcome.ACCEPTED or message is None:
        return None
    try:
        event_time = _event_time(message)
        if message.event == "A03":
            return _Plan(event_time, discharge=read_discharge(mapping.discharge_element(message)))
        if message.event == "A40":
            return _Plan(event_time, survivor=_cx(message, "PID", 3),
                         prior=_cx(message, "MRG", 1))
        structure = structure_for(message.version, message.message_type, message.event,
                                  message.structure)
        if structure == "ADT_A01":
            return _Plan(event_time, patient=read_patient(mapping.patient_element(message)))
        return _Plan(event_time)
    except HL7Error as exc:
        understood.outcome = Outcome.ERROR
        understood.errors.append(_as_ack_error(exc))
        understood.text = "message not processed"
        return None


def _journal_row(session: Session, key: tuple[str, str, str]) -> HL7Message | None:
    return session.scalars(select(HL7Message).where(
        HL7Message.sending_application == key[0], HL7Message.sending_facility == key[1],
        HL7Message.control_id == key[2])).first()


def _digest(message: er7.Message | None, payload: str | bytes) -> str:
    """The body's identity: the message as canonical ER7, whichever encoding carried it
    (a resend as v2.xml, or with other line ends, is the same message); raw bytes else."""
    if message is not None:
        data = message.to_er7().encode("utf-8")
    else:
        data = payload if isinstance(payload, bytes) else payload.encode("utf-8", "replace")
    return hashlib.sha256(data).hexdigest()


def _key(message: er7.Message | None, digest: str) -> tuple[str, str, str]:
    if message is None:
        return ("", "", "unparsed:" + digest)
    return (message.get("MSH-3")[:255], message.get("MSH-4")[:255], message.control_id[:199])


def _understand(payload: str | bytes, encoding: str, caller: Caller,
                settings: Settings) -> _Understood:
    try:
        if encoding == "xml":
            message = v2xml.from_xml(payload)
            document = payload if isinstance(payload, bytes) else payload.encode("utf-8")
        else:
            message = er7.parse(payload, settings.hl7_default_charset)
            document = None
    except HL7Error as exc:
        return _Understood(None, Outcome.REJECTED, [_as_ack_error(exc)], "message not understood")
    sender = message.get("MSH-4.1") or message.get("MSH-4")
    if sender != caller.facility_name:
        error = AckError(APPLICATION_INTERNAL_ERROR, Location("MSH", 1, 4),
                         "MSH-4 is not the authenticated facility")
        return _Understood(message, Outcome.REJECTED, [error], "sending facility not allowed")
    problem = _unsupported(message)
    if problem is not None:
        return _Understood(message, Outcome.REJECTED, [problem], problem.text)
    try:
        document = document or v2xml.to_xml(message)
        issues = validate(document, schema_for(message))
    except HL7Error as exc:
        return _Understood(message, Outcome.ERROR, [_as_ack_error(exc)], "invalid message")
    if issues:
        errors = [AckError(i.code, i.location, i.message) for i in issues]
        return _Understood(message, Outcome.ERROR, errors, f"{len(errors)} validation error(s)")
    return _Understood(message, Outcome.ACCEPTED, [])


def _unsupported(message: er7.Message) -> AckError | None:
    if message.version not in SUPPORTED_VERSIONS:
        return AckError(UNSUPPORTED_VERSION_ID, Location("MSH", 1, 12),
                        f"HL7 version {message.version or '(none)'} is not supported")
    if message.message_type != "ADT":
        return AckError(UNSUPPORTED_MESSAGE_TYPE, Location("MSH", 1, 9),
                        f"message type {message.message_type or '(none)'} is not supported")
    if message.event not in ADT_EVENTS:
        return AckError(UNSUPPORTED_EVENT_CODE, Location("MSH", 1, 9),
                        f"event {message.event or '(none)'} is not supported")
    return None


def _apply(session: Session, settings: Settings, caller: Caller, plan: _Plan,
           message_id: int, received: dt.datetime) -> str | None:
    """The message's effect on the index and the monitor; the LOS alert line, if any."""
    if plan.discharge is not None:
        record = plan.discharge
        person = mpi.upsert(session, PatientRecord(record.identifiers), plan.event_time)
        decision = los.discharge(session, facility_id=caller.facility_id, person=person,
                                 record=record, message_id=message_id, received_at=received,
                                 window_seconds=settings.los_window_seconds,
                                 factor=settings.los_factor)
        if decision.alert is None:
            return None
        alert = decision.alert
        line = json.dumps({
            "facility": caller.facility_name, "visit": alert.visit_number,
            "patient": alert.patient_enterprise_id, "los_days": alert.los_days,
            "window_average": alert.window_average, "window_size": alert.window_size,
            "time": received.isoformat()})
        if settings.smtp_url:
            notify.enqueue(session, "los_alert",
                           f"Excessive length of stay at {caller.facility_name}: "
                           f"visit {alert.visit_number or '(none)'}",
                           f"Length of stay {alert.los_days:.2f} days is more than "
                           f"{settings.los_factor} x the average {alert.window_average:.2f} "
                           f"days of the {alert.window_size} discharge(s) in the last "
                           f"{settings.los_window_seconds:g} s.\n\n{line}\n")
        return line
    if plan.prior:
        prior = mpi.find_person(session, plan.prior)  # before the survivor is written
        if prior is None:
            raise MergeError("MRG-1 names no patient in the index")
        survivor = mpi.upsert(session, PatientRecord(plan.survivor), plan.event_time)
        mpi.merge(session, survivor, prior)
        return None
    if plan.patient is not None:
        mpi.upsert(session, plan.patient, plan.event_time)
    return None


def _cx(message: er7.Message, segment: str, number: int) -> tuple[Identifier, ...]:
    seg = message.segment(segment)
    if seg is None:
        raise HL7Error(f"the message has no {segment} segment", Location(segment, 1), "100")
    count = seg.raw(number).count(message.delimiters[2]) + 1
    out = []
    for rep in range(1, count + 1):
        value = message.get(f"{segment}-{number}[{rep}].1")
        if value:
            out.append(Identifier(value, message.get(f"{segment}-{number}[{rep}].4.1"),
                                  message.get(f"{segment}-{number}[{rep}].5") or None))
    if not out:
        raise HL7Error(f"{segment}-{number} holds no identifier",
                       Location(segment, 1, number), "101")
    return tuple(out)


def _event_time(message: er7.Message) -> str:
    text = message.get("EVN-2.1") or message.get("MSH-7.1")
    digits = "".join(c for c in text.split("+")[0].split("-")[0] if c.isdigit())
    return digits[:14].ljust(14, "0")


def _replay(stored: HL7Message, digest: str, understood: _Understood, encoding: str) -> Reply:
    """A resend gets the original acknowledgment; a reused control id gets AR 205."""
    if stored.body_sha256 == digest and stored.reply:
        return Reply.from_json(stored.reply)
    error = AckError(DUPLICATE_KEY_IDENTIFIER, Location("MSH", 1, 10),
                     "this control id was already used for a different message")
    return _reply(_Understood(understood.message, Outcome.REJECTED, [error],
                              "duplicate control id"), encoding, utcnow())


def _reply(understood: _Understood, encoding: str, now: dt.datetime) -> Reply:
    code = {Outcome.ACCEPTED: "AA", Outcome.ERROR: "AE", Outcome.REJECTED: "AR"}[
        understood.outcome]
    ack_id = uuid.uuid4().hex[:20].upper()
    ack = build_ack(understood.message, code, control_id=ack_id, text=understood.text,
                    errors=understood.errors, now=now)
    text = v2xml.to_xml(ack).decode("utf-8") if encoding == "xml" else ack.to_er7()
    control = understood.message.control_id if understood.message else ""
    return Reply(code, control, ack_id, understood.text,
                 [f"{e.location}: {e.text} ({e.code})" for e in understood.errors], text)


def _as_ack_error(exc: Exception) -> AckError:
    if isinstance(exc, HL7Error):
        return AckError.from_exception(exc)
    return AckError(APPLICATION_INTERNAL_ERROR, Location("MRG", 1, 1), str(exc))


def _deliver(db: Database, settings: Settings) -> None:
    """Best effort right after commit; what fails here waits in the outbox for the next try."""
    try:
        notify.deliver_pending(db, notify.parse_smtp_url(settings.smtp_url), _HOLDER)
    except Exception:
        log.exception("e-mail delivery of LOS alerts failed; they stay in the outbox")


_HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def _append_alert(path: Path, line: str) -> None:
    """The node-local alert file: an export of the alert table, written after commit."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    except OSError as exc:
        log.error("could not append to the LOS alert file %s: %s", path, exc.strerror)
