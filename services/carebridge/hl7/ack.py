"""Acknowledgments: the MSA answer and one ERR per problem, located and coded (table 0357).

Original mode answers AA/AE/AR. When the sender asks for enhanced mode (MSH-15
or MSH-16 present), the accept acknowledgment uses CA/CE/CR and the
application acknowledgment stays AA/AE/AR. The ACK mirrors the sender and
receiver, keeps the version, processing id and delimiters, and gets its own
control id.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from carebridge.hl7.er7 import Message, Segment
from carebridge.hl7.escape import escape
from carebridge.hl7.exceptions import CODE_TEXT, HL7Error, Location


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    ERROR = "error"  # understood but not processed: AE / CE
    REJECTED = "rejected"  # not understood or not allowed: AR / CR


_ORIGINAL = {Outcome.ACCEPTED: "AA", Outcome.ERROR: "AE", Outcome.REJECTED: "AR"}
_ENHANCED_ACCEPT = {Outcome.ACCEPTED: "CA", Outcome.ERROR: "CE", Outcome.REJECTED: "CR"}


@dataclass(frozen=True)
class AckError:
    code: str  # HL7 table 0357
    location: Location
    text: str
    severity: str = "E"

    @classmethod
    def from_exception(cls, error: HL7Error) -> AckError:
        return cls(error.code, error.location, error.reason)


def is_enhanced(message: Message) -> bool:
    return bool(message.raw("MSH-15") or message.raw("MSH-16"))


def ack_code(message: Message | None, outcome: Outcome, accept_level: bool = False) -> str:
    """MSA-1 for this outcome: CA/CE/CR for an enhanced-mode accept ack, else AA/AE/AR."""
    if accept_level and message is not None and is_enhanced(message):
        return _ENHANCED_ACCEPT[outcome]
    return _ORIGINAL[outcome]


def build_ack(
    message: Message | None,
    code: str,
    *,
    control_id: str,
    text: str | None = None,
    errors: Iterable[AckError] = (),
    now: dt.datetime | None = None,
    version: str = "2.3.1",
) -> Message:
    """The ACK for ``message`` (or, when it could not be parsed at all, a bare one)."""
    now = now or dt.datetime.now(dt.UTC)
    delims = message.delimiters if message is not None else "|^~\\&"
    c, s = delims[1], delims[4:5]  # no subcomponent separator when MSH-2 has three
    if message is not None:
        version = message.version or version
        original = message.msh
        sender = [original.raw(5), original.raw(6), original.raw(3), original.raw(4)]
        processing = original.raw(11) or "P"
        event = message.raw("MSH-9.2")
        version_field = _trim_version(original.raw(12), c) or version
        original_id = message.raw("MSH-10")
    else:
        sender = ["", "", "", ""]
        processing, event, version_field, original_id = "P", "", version, ""
    message_type = f"ACK{c}{event}" if event else "ACK"
    if event and _has_structure_component(version):
        message_type += f"{c}ACK"
    msh = ["MSH", delims[0], delims[1:], *sender, now.strftime("%Y%m%d%H%M%S%z"), "",
           message_type, escape(control_id, delims), processing, version_field]
    msa = ["MSA", code, original_id]
    if text:
        msa.append(escape(text, delims))
    segments = [Segment(_trim(msh)), Segment(msa)]
    for error in errors:
        segments.append(Segment(_err(error, version, delims, c, s)))
    return Message(segments, delims, message.charset if message is not None else "utf-8")


def _err(error: AckError, version: str, delims: str, c: str, s: str) -> list[str]:
    loc = error.location
    where = c.join([loc.segment or "", str(loc.sequence or 1) if loc.segment else "",
                    str(loc.field) if loc.field is not None else ""]).rstrip(c)
    label = escape(CODE_TEXT.get(error.code, error.text), delims)
    detail = escape(error.text, delims)
    if _version_tuple(version) >= (2, 5):
        # v2.5: ERR-2 location (ERL), ERR-3 code (CWE), ERR-4 severity, ERR-8 user message.
        code = c.join([error.code, label, "HL70357"])
        return ["ERR", "", where, code, error.severity, "", "", "", detail]
    # v2.3.1/2.4: ERR-1 is segment^sequence^field^code&text&table (ELD); without a
    # subcomponent separator only the code can be written.
    code = s.join([error.code, detail or label, "HL70357"]) if s else error.code
    return ["ERR", c.join([loc.segment or "", str(loc.sequence or 1) if loc.segment else "",
                           str(loc.field) if loc.field is not None else "", code])]


def _trim(fields: list[str]) -> list[str]:
    while len(fields) > 3 and not fields[-1]:
        fields.pop()
    return fields


def _trim_version(raw: str, c: str) -> str:
    """MSH-12 with its version id trimmed: ``"2.5 "`` is 2.5 (as Message.version reads it)."""
    version, sep, rest = raw.partition(c)
    return version.strip() + sep + rest


def _version_tuple(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def _has_structure_component(version: str) -> bool:
    return _version_tuple(version) >= (2, 3, 1)
