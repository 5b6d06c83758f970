"""Bounds on what one message may hold, each breach a located error.

A receiver that stores whatever arrives can be made to keep megabytes per name
or freeze a record with a date in year 9999. The defaults are far above any real
feed; encapsulated data (an OBX-5 of type ED, a whole PDF) is bounded by the
message size alone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from carebridge.hl7.er7 import Message
from carebridge.hl7.exceptions import (
    APPLICATION_INTERNAL_ERROR,
    DATA_TYPE_ERROR,
    REQUIRED_FIELD_MISSING,
    HL7Error,
    Location,
)
from carebridge.hl7.mapping import parse_timestamp

# MSH-10's length in HL7 v2.5 (ST, 199 characters; 20 in v2.3.1, which senders exceed).
MAX_CONTROL_ID = 199
# Fields whose value may be encapsulated data when their segment's value type says so.
_ENCAPSULATED = {("OBX", 5): 2}
# Times checked against the plausible window: (segment, field, what it is, its path).
_TIMES = tuple((segment, number, what, f"{segment}-{number}.1") for segment, number, what in (
    ("MSH", 7, "message time"), ("EVN", 2, "event time"), ("EVN", 6, "event occurred time"),
    ("PID", 7, "birth date"), ("PV1", 44, "admit time"), ("PV1", 45, "discharge time")))
_MAX_FIELD_ERRORS = 10


@dataclass(frozen=True)
class Limits:
    """The bounds in force (their defaults are the settings': ``hl7_max_*`` and so on)."""

    max_message_bytes: int
    max_segments: int
    max_field_chars: int
    earliest_year: int
    max_future: dt.timedelta


def check_size(length: int, limits: Limits) -> None:
    """Before parsing: the whole message."""
    if length > limits.max_message_bytes:
        raise HL7Error(f"the message is {length} bytes; at most {limits.max_message_bytes} "
                       "are accepted", Location("MSH", 1), APPLICATION_INTERNAL_ERROR)


def check_envelope(message: Message, limits: Limits) -> None:
    """What a message needs before it can be journaled: a usable control id and a sane
    number of segments."""
    count = len(message.segments)
    if count > limits.max_segments:
        first_over = message.segments[limits.max_segments].id
        occurrence = 1 + sum(1 for s in message.segments[:limits.max_segments]
                             if s.id == first_over)
        raise HL7Error(f"the message has {count} segments; at most {limits.max_segments} "
                       "are accepted", Location(first_over, occurrence),
                       APPLICATION_INTERNAL_ERROR)
    control_id = message.control_id
    if not control_id:
        raise HL7Error("MSH-10 (message control id) is empty", Location("MSH", 1, 10),
                       REQUIRED_FIELD_MISSING)
    if len(control_id) > MAX_CONTROL_ID:
        raise HL7Error(f"MSH-10 is {len(control_id)} characters; HL7 allows at most "
                       f"{MAX_CONTROL_ID}", Location("MSH", 1, 10), DATA_TYPE_ERROR)


def field_errors(message: Message, limits: Limits) -> list[HL7Error]:
    """Fields longer than the limit (raw text, escapes included), at most ten reported."""
    errors: list[HL7Error] = []
    sequence: dict[str, int] = {}
    for segment in message.segments:
        seq = sequence[segment.id] = sequence.get(segment.id, 0) + 1
        if max(map(len, segment.fields), default=0) <= limits.max_field_chars:
            continue  # the usual segment: nothing to look at field by field
        for number, text in enumerate(segment.fields[1:], start=1):
            if len(text) <= limits.max_field_chars or _encapsulated(message, segment.fields,
                                                                        number):
                continue
            errors.append(HL7Error(
                f"{segment.id}-{number} is {len(text)} characters; at most "
                f"{limits.max_field_chars} are accepted", Location(segment.id, seq, number),
                DATA_TYPE_ERROR))
            if len(errors) == _MAX_FIELD_ERRORS:
                return errors
    return errors


def _encapsulated(message: Message, fields: list[str], number: int) -> bool:
    type_field = _ENCAPSULATED.get((fields[0], number))
    return type_field is not None and len(fields) > type_field and (
        fields[type_field].split(message.delimiters[1])[0] == "ED")


def time_errors(message: Message, limits: Limits, now: dt.datetime) -> list[HL7Error]:
    """Event, visit and birth times outside [earliest year, now + max future].

    A time without an offset is the sender's local time, so it is compared as if it
    were UTC: the day of future slack covers every time zone.
    """
    latest = now.astimezone(dt.UTC).replace(tzinfo=None) + limits.max_future
    errors = []
    for segment_id, number, what, path in _TIMES:
        text = message.get(path).strip()
        if not text or text == '""':
            continue
        try:
            when, _ = parse_timestamp(text)
        except ValueError:
            continue  # a malformed time is the schema's (or the mapping's) to report
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        if when.year < limits.earliest_year or when > latest:
            errors.append(HL7Error(
                f"{segment_id}-{number} ({what}) {text} is outside the accepted window "
                f"({limits.earliest_year} to {latest:%Y-%m-%d %H:%M} UTC)",
                Location(segment_id, 1, number), DATA_TYPE_ERROR))
    return errors
