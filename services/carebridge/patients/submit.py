"""Submitting one HL7 message: understand, check, journal, apply, acknowledge.

Parse (ER7 or v2.xml) -> the sender must be the authenticated facility (MSH-4),
with a usable control id, within the size limits; what fails so far is refused
into the rejection log and holds no key -> type, event and version supported ->
valid against carebridge's XSDs, fields and times within bounds -> every
identifier in a domain the facility owns -> journal under (facility, MSH-3,
MSH-10), which the database keeps unique -> A01/A04/A08 update the master
patient index, A03 closes the encounter and runs the length-of-stay rule, A40
merges -> commit -> reply. The acknowledgment is stored with the message in the
same transaction, so a resend through any node gets the original back and
changes nothing; only an AA means the message is stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import socket
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carebridge.config import Settings
from carebridge.hl7 import er7, limits, mapping, v2xml
from carebridge.hl7.ack import AckError, Outcome, build_ack
from carebridge.hl7.definitions import structure_for
from carebridge.hl7.exceptions import (
    APPLICATION_INTERNAL_ERROR,
    DUPLICATE_KEY_IDENTIFIER,
    UNKNOWN_KEY_IDENTIFIER,
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
from carebridge.store.database import Database
from carebridge.store.facilities import Scope, scope_of
from carebridge.store.models import HL7Message, HL7Rejection, utcnow

log = logging.getLogger(__name__)

SUPPORTED_VERSIONS = frozenset({"2.3", "2.3.1", "2.4", "2.5", "2.5.1"})
ADT_EVENTS = frozenset({"A01", "A02", "A03", "A04", "A05", "A08", "A11", "A13", "A14", "A28",
                        "A31", "A40"})
ATTEMPTS = 3
# Built once and executed with parameters: building a statement per call costs more
# than running it.
_INSERT_MESSAGE = insert(HL7Message.__table__)
_INSERT_REJECTION = insert(HL7Rejection.__table__)
# A body that was not accepted is kept only this far (with its length and hash).
KEPT_BODY_CHARS = 64 * 1024


class Sender(Protocol):
    """The authenticated facility a message came from (any transport's caller)."""

    @property
    def facility_id(self) -> int: ...

    @property
    def facility_name(self) -> str: ...


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
    # False: refused before acceptance (rejection log, no journal key).
    keyed: bool = True


def limits_of(settings: Settings) -> limits.Limits:
    return limits.Limits(settings.hl7_max_message_bytes, settings.hl7_max_segments,
                         settings.hl7_max_field_chars, settings.hl7_earliest_year,
                         dt.timedelta(seconds=settings.hl7_max_future_seconds))


def submit(db: Database, settings: Settings, caller: Sender, payload: str | bytes,
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


def _submit_once(db: Database, settings: Settings, caller: Sender, payload: str | bytes,
                 encoding: str, now: dt.datetime | None, check_journal: bool) -> Reply:
    """One attempt. The first optimistically inserts (a resend then fails on the key and
    the retry, ``check_journal``, finds the stored reply): new messages pay no lookup."""
    received = now or utcnow()
    body = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
    bounds = limits_of(settings)
    understood = _understand(payload, encoding, caller, settings, bounds)
    digest = _digest(understood.message, payload)
    if not understood.keyed:
        return _refuse(db, caller, understood, body, digest, encoding, received)
    # Everything that can fail on content fails before any write.
    plan = _plan(understood, bounds, received)
    scope = None
    if plan is not None:  # outside the write transaction: cached, and pure after that
        with db.sessions() as reader:
            scope = scope_of(reader, caller.facility_id)
        plan = _in_scope(plan, scope, understood)
    message = understood.message
    assert message is not None  # keyed messages were understood
    key = _key(message)
    alert_line = None
    with db.transaction(writes=True) as session:
        stored = _journal_row(session, caller.facility_id, key) if check_journal else None
        if stored is not None:
            return _replay(stored, digest, understood, encoding)
        reply = _reply(understood, encoding, received)  # final unless a merge fails below
        kept = body if reply.ack_code == "AA" else body[:KEPT_BODY_CHARS]
        # A concurrent submission of the same key fails here (unique constraint); submit()
        # retries, and the retry finds the stored row and replays its acknowledgment.
        message_id = session.execute(_INSERT_MESSAGE, {
            "facility_id": caller.facility_id, "sending_application": key[0],
            "sending_facility": key[1], "control_id": key[2], "encoding": encoding,
            "message_type": message.message_type, "event": message.event,
            "body_sha256": digest, "raw": kept, "raw_length": len(body),
            "ack_code": reply.ack_code, "reply": reply.to_json(), "received_at": received,
        }).inserted_primary_key[0]
        if understood.outcome is Outcome.ACCEPTED and plan is not None and scope is not None:
            try:
                alert_line = _apply(session, settings, scope, plan, message_id, received)
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


def _refuse(db: Database, caller: Sender, understood: _Understood, body: str, digest: str,
            encoding: str, received: dt.datetime) -> Reply:
    """AR for a message that cannot be accepted at all: logged under the caller only."""
    reply = _reply(understood, encoding, received)
    message = understood.message
    with db.transaction() as session:
        session.execute(_INSERT_REJECTION, {
            "facility_id": caller.facility_id, "encoding": encoding,
            "control_id": message.control_id[:limits.MAX_CONTROL_ID] if message else None,
            "reason": "; ".join(reply.errors) or (reply.text or "refused"),
            "body_length": len(body), "body_sha256": digest,
            "body_prefix": body[:KEPT_BODY_CHARS], "reply": reply.to_json(),
            "received_at": received})
    return reply


@dataclass(frozen=True)
class _Plan:
    """What an accepted message will do, worked out before the transaction."""

    event_time: str
    patient: PatientRecord | None = None
    discharge: DischargeRecord | None = None
    survivor: tuple[Identifier, ...] = ()
    prior: tuple[Identifier, ...] = ()


def _plan(understood: _Understood, bounds: limits.Limits, now: dt.datetime) -> _Plan | None:
    message = understood.message
    if understood.outcome is not Outcome.ACCEPTED or message is None:
        return None
    implausible = limits.time_errors(message, bounds, now)
    if implausible:
        understood.outcome = Outcome.ERROR
        understood.errors.extend(_as_ack_error(e) for e in implausible)
        understood.text = "implausible date or time"
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


def _in_scope(plan: _Plan, scope: Scope, understood: _Understood) -> _Plan | None:
    """The plan with identifiers sent without an authority placed in the sender's default
    domain; None (and AE 204) if one is in a domain the sender does not own."""
    def place(identifiers: tuple[Identifier, ...]) -> tuple[Identifier, ...]:
        return tuple(i if i.authority else dataclasses.replace(
            i, authority=scope.default_authority) for i in identifiers)

    patient = plan.patient and dataclasses.replace(
        plan.patient, identifiers=place(plan.patient.identifiers))
    discharge = plan.discharge and dataclasses.replace(
        plan.discharge, identifiers=place(plan.discharge.identifiers))
    placed = dataclasses.replace(plan, patient=patient, discharge=discharge,
                                 survivor=place(plan.survivor), prior=place(plan.prior))
    errors = [AckError(UNKNOWN_KEY_IDENTIFIER, Location(segment, 1, number),
                       f"{segment}-{number} holds identifier {ident.value!r} of assigning "
                       f"authority {ident.authority!r}, which facility {scope.facility_name!r} "
                       f"does not own (its domains: {', '.join(scope.authorities) or 'none'})")
              for segment, number, ident in _identifiers_of(placed)
              if not scope.owns(ident.authority)]
    if not errors:
        return placed
    understood.outcome = Outcome.ERROR
    understood.errors.extend(errors)
    understood.text = "identifier outside the facility's domains"
    return None


def _identifiers_of(plan: _Plan) -> list[tuple[str, int, Identifier]]:
    found = [("PID", 3, i) for i in plan.survivor] + [("MRG", 1, i) for i in plan.prior]
    for record in (plan.patient, plan.discharge):
        if record is not None:
            found.extend(("PID", 3, i) for i in record.identifiers)
    return found


def _journal_row(session: Session, facility_id: int,
                 key: tuple[str, str, str]) -> HL7Message | None:
    return session.scalars(select(HL7Message).where(
        HL7Message.facility_id == facility_id, HL7Message.sending_application == key[0],
        HL7Message.control_id == key[2])).first()


def _digest(message: er7.Message | None, payload: str | bytes) -> str:
    """The body's identity: the message as canonical ER7, whichever encoding carried it
    (a resend as v2.xml, or with other line ends, is the same message); raw bytes else."""
    if message is not None:
        data = message.to_er7().encode("utf-8")
    else:
        data = payload if isinstance(payload, bytes) else payload.encode("utf-8", "replace")
    return hashlib.sha256(data).hexdigest()


def _key(message: er7.Message) -> tuple[str, str, str]:
    """(MSH-3, MSH-4, MSH-10); the control id's length was checked on the way in."""
    return (message.get("MSH-3")[:255], message.get("MSH-4")[:255], message.control_id)


def _understand(payload: str | bytes, encoding: str, caller: Sender, settings: Settings,
                bounds: limits.Limits) -> _Understood:
    try:
        limits.check_size(len(payload), bounds)
        if encoding == "xml":
            message = v2xml.from_xml(payload)
            document = payload if isinstance(payload, bytes) else payload.encode("utf-8")
        else:
            message = er7.parse(payload, settings.hl7_default_charset)
            document = None
    except HL7Error as exc:
        return _Understood(None, Outcome.REJECTED, [_as_ack_error(exc)], "message not understood",
                           keyed=False)
    sender = message.get("MSH-4.1") or message.get("MSH-4")
    if sender != caller.facility_name:
        error = AckError(APPLICATION_INTERNAL_ERROR, Location("MSH", 1, 4),
                         f"MSH-4 is {sender!r}; this account sends as {caller.facility_name!r}")
        return _Understood(message, Outcome.REJECTED, [error], "sending facility not allowed",
                           keyed=False)
    try:
        limits.check_envelope(message, bounds)
    except HL7Error as exc:
        return _Understood(message, Outcome.REJECTED, [_as_ack_error(exc)], exc.reason,
                           keyed=False)
    too_long = limits.field_errors(message, bounds)
    if too_long:
        return _Understood(message, Outcome.ERROR, [_as_ack_error(e) for e in too_long],
                           "field too long")
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


def _apply(session: Session, settings: Settings, scope: Scope, plan: _Plan,
           message_id: int, received: dt.datetime) -> str | None:
    """The message's effect on the index and the monitor; the LOS alert line, if any."""
    if plan.discharge is not None:
        record = plan.discharge
        person = mpi.upsert(session, PatientRecord(record.identifiers), plan.event_time)
        decision = los.discharge(session, facility_id=scope.facility_id, person=person,
                                 record=record, message_id=message_id, received_at=received,
                                 window_seconds=settings.los_window_seconds,
                                 factor=settings.los_factor)
        if decision.alert is None:
            return None
        alert = decision.alert
        mrn = _medical_record_number(record.identifiers)
        line = json.dumps({
            "facility": scope.facility_name, "visit": alert.visit_number,
            "mrn": mrn.value, "assigning_authority": mrn.authority, "los_days": alert.los_days,
            "window_average": alert.window_average, "window_size": alert.window_size,
            "time": received.isoformat()})
        if settings.smtp_url:
            notify.enqueue(session, "los_alert",
                           f"Excessive length of stay at {scope.facility_name}: "
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
        mpi.merge(session, survivor, prior, scope)
        return None
    if plan.patient is not None:
        mpi.upsert(session, plan.patient, plan.event_time)
    return None


def _medical_record_number(identifiers: tuple[Identifier, ...]) -> Identifier:
    """How an alert names the patient to people: the MRN (type MR) or the first id."""
    return next((i for i in identifiers if i.type == "MR"),
                identifiers[0] if identifiers else Identifier("", ""))


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
