"""Patient record files to HL7 v2.3.1 ADT messages (test data, demos, load generation).

A record file is UTF-8, pipe-delimited, its first line naming the columns (any
order, any subset of ``COLUMNS``). Values are escaped, so a name holding ``^``
or ``|`` (escaped in the file as ``\\|``) arrives intact. Control ids are the
prefix plus the record's line number: unique per message, and the same for the
same input.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

from carebridge.hl7.escape import escape

COLUMNS = (
    "event", "mrn", "assigning_authority", "last_name", "first_name", "middle_name",
    "birth_date", "sex", "street", "city", "state", "postal_code", "phone", "visit_number",
    "patient_class", "location", "attending_id", "attending_name", "admit_time",
    "discharge_time", "diagnosis_code", "diagnosis_text",
)
REQUIRED = ("event", "mrn", "last_name")
EVENTS = {"A01": "ADT_A01", "A03": "ADT_A03", "A04": "ADT_A01", "A08": "ADT_A01"}
DELIMS = "|^~\\&"
_DATE = re.compile(r"^\d{8}$")
_TIME = re.compile(r"^\d{12}(\d{2})?$")
_SEX = {"M", "F", "O", "U", "A", "N", ""}


@dataclass(frozen=True)
class RecordProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Generated:
    messages: list[str]
    problems: list[RecordProblem]

    @property
    def header_rejected(self) -> bool:
        """The first line names no usable columns: the file was not read, not a record skipped."""
        return any(problem.line == 1 for problem in self.problems)


def _header_problem(reason: str) -> Generated:
    return Generated([], [RecordProblem(1, f"{reason}; the columns are {', '.join(COLUMNS)} "
                                           f"({', '.join(REQUIRED)} required)")])


def default_prefix(text: str) -> str:
    return "CB" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8].upper()


def generate(text: str, *, sending_app: str = "CAREBRIDGE", sending_facility: str = "CAREBRIDGE",
             control_id_prefix: str | None = None, now: dt.datetime | None = None) -> Generated:
    """One ER7 message per good record; bad records become problems with their line."""
    now = now or dt.datetime.now(dt.UTC)
    prefix = control_id_prefix if control_id_prefix is not None else default_prefix(text)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return _header_problem("the first line must name the columns")
    header = [name.strip().lower() for name in _split(lines[0])]
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        return _header_problem(f"unknown column(s): {', '.join(unknown)}")
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return _header_problem(f"missing column(s): {', '.join(missing)}")
    messages: list[str] = []
    problems: list[RecordProblem] = []
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            continue
        values = _split(line)
        if len(values) != len(header):
            problems.append(RecordProblem(number, f"{len(values)} values for {len(header)} "
                                                  "columns"))
            continue
        record = dict(zip(header, (v.strip() for v in values), strict=True))
        reason = _check(record)
        if reason:
            problems.append(RecordProblem(number, reason))
            continue
        control_id = f"{prefix}{number:06d}"
        messages.append(_message(record, control_id, sending_app, sending_facility, now))
    return Generated(messages, problems)


def _split(line: str) -> list[str]:
    """Split on ``|``; ``\\|`` is a literal bar and ``\\\\`` a literal backslash."""
    out, current, i = [], [], 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line) and line[i + 1] in "|\\":
            current.append(line[i + 1])
            i += 2
            continue
        if c == "|":
            out.append("".join(current))
            current = []
        else:
            current.append(c)
        i += 1
    out.append("".join(current))
    return out


def _check(record: dict[str, str]) -> str | None:
    event = record.get("event", "").upper()
    if event not in EVENTS:
        return f"event {event or '(empty)'} is not one of {', '.join(sorted(EVENTS))}"
    if not record.get("mrn"):
        return "mrn is empty"
    if not record.get("last_name"):
        return "last_name is empty"
    if record.get("birth_date") and not _valid_date(record["birth_date"]):
        return "birth_date is not YYYYMMDD"
    for name in ("admit_time", "discharge_time"):
        if record.get(name) and not _valid_time(record[name]):
            return f"{name} is not YYYYMMDDHHMM[SS]"
    if record.get("sex", "").upper() not in _SEX:
        return "sex is not one of M, F, O, U, A, N"
    if event == "A03" and not record.get("discharge_time"):
        return "an A03 needs discharge_time"
    return None


def _valid_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        dt.datetime.strptime(value, "%Y%m%d")
    except ValueError:
        return False
    return True


def _valid_time(value: str) -> bool:
    if not _TIME.match(value):
        return False
    try:
        dt.datetime.strptime(value[:12], "%Y%m%d%H%M")
    except ValueError:
        return False
    return True


def _message(r: dict[str, str], control_id: str, app: str, facility: str,
             now: dt.datetime) -> str:
    def e(name: str) -> str:
        return escape(r.get(name, ""), DELIMS)

    event = r["event"].upper()
    stamp = now.strftime("%Y%m%d%H%M%S")
    family, given = _attending(r.get("attending_name", ""))
    attending = _components(e("attending_id"), escape(family, DELIMS), escape(given, DELIMS))
    pv1 = [""] * 46
    pv1[0], pv1[1], pv1[2], pv1[3] = "PV1", "1", e("patient_class") or "U", e("location")
    pv1[7] = attending
    pv1[19] = e("visit_number")
    pv1[44], pv1[45] = e("admit_time"), e("discharge_time")
    segments = [
        _fields("MSH", DELIMS[1:], escape(app, DELIMS), escape(facility, DELIMS), "", "", stamp,
                "", f"ADT^{event}^{EVENTS[event]}", escape(control_id, DELIMS), "P", "2.3.1"),
        _fields("EVN", event, stamp),
        _fields("PID", "1", "", _components(e("mrn"), "", "", e("assigning_authority"), "MR"),
                "", _components(e("last_name"), e("first_name"), e("middle_name")), "",
                e("birth_date"), r.get("sex", "").upper(), "", "",
                _components(e("street"), "", e("city"), e("state"), e("postal_code")), "",
                e("phone")),
        _fields(*pv1),
    ]
    if r.get("diagnosis_code") or r.get("diagnosis_text"):
        segments.append(_fields("DG1", "1", "", _components(e("diagnosis_code"),
                                                            e("diagnosis_text"), "I10")))
    return "\r".join(segments) + "\r\n"


def _attending(name: str) -> tuple[str, str]:
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip(), given.strip()
    parts = name.split()
    if len(parts) < 2:
        return name.strip(), ""
    return parts[-1], " ".join(parts[:-1])


def _components(*values: str) -> str:
    return "^".join(values).rstrip("^")


def _fields(*values: str) -> str:
    if values[0] == "MSH":
        return "MSH|" + values[1] + "|" + "|".join(values[2:]).rstrip("|")
    return "|".join(values).rstrip("|")
