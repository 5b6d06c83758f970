"""Submitting one HL7 message: understand, check, journal, apply, acknowledge.

Parse (ER7 or v2.xml) -> the sender must be the authenticated facility (MSH-4),
with a usable control id, within the size limits; what fails so far is refused
into the rejection log and holds no key -> type, event and version supported ->
valid against carebridge's XSDs, fields and times within bounds -> every
identifier in a domain the facility owns -> journal under (facility, MSH-3,
MSH-10), which the database keeps unique -> A01/A04/A08 update the master
patient index, A03 closes the encounter and runs the length-of-stay rule, A40
merges -> reply. The acknowledgment is stored with the message in the caller's
transaction, so a resend through any node gets the original back and changes
nothing; only an AA, once that transaction committed, means the message is stored.

Transport-free: ``submit_message`` takes an open session, the sender as a
``FacilityRef`` and plain values, and never commits. SOAP runs it in one unit of
work per request (``store.unit_of_work``); MLLP will do the same. What a message
sets off beyond the database (alert file, e-mail) goes to the outbox.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy import Insert, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from carebridge.hl7 import er7, limits, mapping, v2xml
from carebridge.hl7.ack import AckError, Outcome, build_ack
from carebridge.hl7.definitions import require_event, require_version, structure_for
from carebridge.hl7.exceptions import (
    APPLICATION_INTERNAL_ERROR,
    DUPLICATE_KEY_IDENTIFIER,
    UNKNOWN_KEY_IDENTIFIER,
    HL7Error,
    Location,
)
from carebridge.hl7.mapping import DischargeRecord, Identifier, PatientRecord
from carebridge.hl7.validate import schema_for, validate
from carebridge.patients import los, mpi, outbox
from carebridge.patients.exceptions import MergeError
from carebridge.patients.policy import SubmitPolicy
from carebridge.store.models import HL7Message, HL7Rejection, utcnow
from carebridge.tenancy import FacilityRef

_JOURNAL_KEY = ("facility_id", "sending_application", "control_id")


def _journal_insert(dialect: Any) -> Insert:
    """Insert unless the journal key is taken; then it returns no row (a resend, or the
    same message committed meanwhile by another request) and the stored reply is read."""
    statement: Insert = (dialect.insert(HL7Message.__table__)
                         .on_conflict_do_nothing(index_elements=list(_JOURNAL_KEY))
                         .returning(HL7Message.__table__.c.id))
    return statement


# Built once and executed with parameters: building a statement per call costs more
# than running it.
_INSERT_MESSAGE = {"sqlite": _journal_insert(sqlite), "postgresql": _journal_insert(postgresql)}
_INSERT_REJECTION = insert(HL7Rejection.__table__)
# A body that was not accepted is kept only this far (with its length and hash).
KEPT_BODY_CHARS = 64 * 1024


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
        """The reply as the journal keeps it (``asdict``'s keys, built without its deep copy)."""
        return {"ack_code": self.ack_code, "message_control_id": self.message_control_id,
                "ack_control_id": self.ack_control_id, "text": self.text,
                "errors": list(self.errors), "ack": self.ack}

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


def submit_message(session: Session, sender: FacilityRef, payload: str | bytes,
                   policy: SubmitPolicy, *, encoding: str = "er7",
                   received: dt.datetime | None = None) -> Reply:
    """Process one message inside the caller's transaction and return its reply.

    Everything that can fail on content fails before the first write. A resend of a
    stored message gets the stored reply. Two requests with one new key at once: the
    database keeps the key unique, the later one waits for the earlier and replays it.
    """
    return store_message(session, prepare_message(sender, payload, policy, encoding=encoding,
                                                  received=received), policy)


@dataclass
class Prepared:
    """A message understood, checked and planned, with its reply: all of submit_message's
    work that needs no database, done before (and outside) the transaction that stores it.
    Storing it again (a retried transaction) gives the same reply."""

    sender: FacilityRef
    understood: _Understood
    body: str
    digest: str
    encoding: str
    received: dt.datetime
    plan: _Plan | None = None
    reply: Reply | None = None


def prepare_message(sender: FacilityRef, payload: str | bytes, policy: SubmitPolicy, *,
                    encoding: str = "er7", received: dt.datetime | None = None) -> Prepared:
    """The pure half of submit_message (parse, check, validate, plan, the reply)."""
    received = received or utcnow()
    body = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
    understood = _understand(payload, encoding, sender, policy)
    prepared = Prepared(sender, understood, body, _digest(understood.message, payload),
                        encoding, received)
    if not understood.keyed:
        return prepared
    plan = _plan(understood, policy.limits, received)
    prepared.plan = _in_scope(plan, sender, understood) if plan is not None else None
    prepared.reply = _reply(understood, encoding, received)  # final unless a merge fails
    return prepared


def store_message(session: Session, prepared: Prepared, policy: SubmitPolicy) -> Reply:
    """The half of submit_message that writes: journal, then index and monitor."""
    sender, understood, encoding, received = (prepared.sender, prepared.understood,
                                              prepared.encoding, prepared.received)
    body, digest = prepared.body, prepared.digest
    if not understood.keyed or prepared.reply is None:
        return _refuse(session, sender, understood, body, digest, encoding, received)
    message = understood.message
    assert message is not None  # keyed messages were understood
    key = _key(message)
    reply = prepared.reply
    kept = body if reply.ack_code == "AA" else body[:KEPT_BODY_CHARS]
    message_id = session.execute(_INSERT_MESSAGE[_dialect(session)], {
        "facility_id": sender.id, "sending_application": key[0],
        "sending_facility": key[1], "control_id": key[2], "encoding": encoding,
        "message_type": message.message_type, "event": message.event,
        "body_sha256": digest, "raw": kept, "raw_length": len(body),
        "ack_code": reply.ack_code, "reply": reply.to_json(), "received_at": received,
    }).scalar()
    if message_id is None:
        stored = _journal_row(session, sender.id, key)
        if stored is None:  # cannot be: the conflicting insert committed (or we inserted)
            raise RuntimeError("the journal key is taken by no visible message")
        return _replay(stored, digest, understood, encoding)
    if understood.outcome is Outcome.ACCEPTED and prepared.plan is not None:
        try:
            _apply(session, policy, sender, prepared.plan, message_id, received)
        except MergeError as exc:  # MRG-1 names nobody: AE, journaled, nothing merged
            failed = dataclasses.replace(understood, outcome=Outcome.ERROR,
                                         errors=[*understood.errors, _as_ack_error(exc)])
            reply = _reply(failed, encoding, received)
            session.execute(update(HL7Message).where(HL7Message.id == message_id)
                            .values(ack_code=reply.ack_code, reply=reply.to_json()))
    return reply


def unstored_reply(payload: str | bytes, encoding: str, outcome: Outcome, text: str,
                   error: AckError, policy: SubmitPolicy) -> Reply:
    """The reply to a message that is stored nowhere: a sender no facility is bound to
    (AR: nothing may be journaled under another facility's key), or one a fault of
    carebridge's stopped (AE 207, logged by the caller)."""
    try:
        if encoding == "xml":
            message: er7.Message | None = v2xml.from_xml(payload)
        else:
            message = er7.parse(payload, policy.default_charset)
    except HL7Error:
        message = None
    return _reply(_Understood(message, outcome, [error], text, keyed=False), encoding, utcnow())


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _refuse(session: Session, sender: FacilityRef, understood: _Understood, body: str,
            digest: str, encoding: str, received: dt.datetime) -> Reply:
    """AR for a message that cannot be accepted at all: logged under the sender only."""
    reply = _reply(understood, encoding, received)
    message = understood.message
    session.execute(_INSERT_REJECTION, {
        "facility_id": sender.id, "encoding": encoding,
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
            return _Plan(event_time, discharge=mapping.discharge_record(message))
        if message.event == "A40":
            return _Plan(event_time, survivor=_cx(message, "PID", 3),
                         prior=_cx(message, "MRG", 1))
        structure = structure_for(message.version, message.message_type, message.event,
                                  message.structure)
        if structure == "ADT_A01":
            return _Plan(event_time, patient=mapping.patient_record(message))
        return _Plan(event_time)
    except HL7Error as exc:
        understood.outcome = Outcome.ERROR
        understood.errors.append(_as_ack_error(exc))
        understood.text = "message not processed"
        return None


def _in_scope(plan: _Plan, scope: FacilityRef, understood: _Understood) -> _Plan | None:
    """The plan with identifiers sent without an authority placed in the sender's default
    domain; None (and AE 204) if one is in a domain the sender does not own."""
    def place(identifiers: tuple[Identifier, ...]) -> tuple[Identifier, ...]:
        return tuple(i if i.authority else dataclasses.replace(
            i, authority=scope.default_authority) for i in identifiers)

    placed = plan
    if any(not i.authority for _, _, i in _identifiers_of(plan)):
        patient = plan.patient and dataclasses.replace(
            plan.patient, identifiers=place(plan.patient.identifiers))
        discharge = plan.discharge and dataclasses.replace(
            plan.discharge, identifiers=place(plan.discharge.identifiers))
        placed = dataclasses.replace(plan, patient=patient, discharge=discharge,
                                     survivor=place(plan.survivor), prior=place(plan.prior))
    errors = [AckError(UNKNOWN_KEY_IDENTIFIER, Location(segment, 1, number),
                       f"{segment}-{number} holds identifier {ident.value!r} of assigning "
                       f"authority {ident.authority!r}, which facility {scope.name!r} "
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


def _understand(payload: str | bytes, encoding: str, sender: FacilityRef,
                policy: SubmitPolicy) -> _Understood:
    bounds = policy.limits
    try:
        limits.check_size(len(payload), bounds)
        document: etree._Element | bytes | None = None
        if encoding == "xml":
            document = v2xml.parse_xml(payload)  # once: read here, validated below
            message = v2xml.from_xml(document)
        else:
            message = er7.parse(payload, policy.default_charset)
    except HL7Error as exc:
        return _Understood(None, Outcome.REJECTED, [_as_ack_error(exc)], "message not understood",
                           keyed=False)
    sending_facility = message.get("MSH-4.1") or message.get("MSH-4")
    if sending_facility != sender.name:
        error = AckError(APPLICATION_INTERNAL_ERROR, Location("MSH", 1, 4),
                         f"MSH-4 is {sending_facility!r}; this account sends as {sender.name!r}")
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
        if document is None:
            document = v2xml.to_xml(message)
        issues = validate(document, schema_for(message))
    except HL7Error as exc:
        return _Understood(message, Outcome.ERROR, [_as_ack_error(exc)], "invalid message")
    if issues:
        errors = [AckError(i.code, i.location, i.message) for i in issues]
        return _Understood(message, Outcome.ERROR, errors, f"{len(errors)} validation error(s)")
    return _Understood(message, Outcome.ACCEPTED, [])


def _unsupported(message: er7.Message) -> AckError | None:
    try:
        require_version(message.version)
        require_event(message.message_type, message.event)
    except HL7Error as exc:
        return _as_ack_error(exc)
    return None


def _apply(session: Session, policy: SubmitPolicy, scope: FacilityRef, plan: _Plan,
           message_id: int, received: dt.datetime) -> None:
    """The message's effect on the index and the monitor; an alert's effects to the outbox."""
    if plan.discharge is not None:
        record = plan.discharge
        person = mpi.upsert(session, PatientRecord(record.identifiers), plan.event_time)
        decision = los.discharge(session, facility_id=scope.id, person=person,
                                 record=record, message_id=message_id, received_at=received,
                                 window_seconds=policy.los_window_seconds,
                                 factor=policy.los_factor)
        if decision.alert is None:
            return
        alert = decision.alert
        mrn = _medical_record_number(record.identifiers)
        line = json.dumps({
            "facility": scope.name, "visit": alert.visit_number,
            "mrn": mrn.value, "assigning_authority": mrn.authority, "los_days": alert.los_days,
            "window_average": alert.window_average, "window_size": alert.window_size,
            "time": received.isoformat()})
        outbox.enqueue(session, outbox.ALERT_LINE, "length-of-stay alert", line)
        if policy.mail_alerts:
            outbox.enqueue(session, outbox.ALERT_MAIL,
                           f"Excessive length of stay at {scope.name}: "
                           f"visit {alert.visit_number or '(none)'}",
                           f"Length of stay {alert.los_days:.2f} days is more than "
                           f"{policy.los_factor} x the average {alert.window_average:.2f} "
                           f"days of the {alert.window_size} discharge(s) in the last "
                           f"{policy.los_window_seconds:g} s.\n\n{line}\n")
        return
    if plan.prior:
        prior = mpi.find_person(session, plan.prior)  # before the survivor is written
        if prior is None:
            raise MergeError("MRG-1 names no patient in the index")
        survivor = mpi.upsert(session, PatientRecord(plan.survivor), plan.event_time)
        mpi.merge(session, survivor, prior, scope)
        return
    if plan.patient is not None:
        mpi.upsert(session, plan.patient, plan.event_time)


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
