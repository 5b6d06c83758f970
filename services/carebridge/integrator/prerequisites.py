"""Whether a push may be imported now: OSCAR's canProcessFile rule, exactly.

The integrator compares the file with the facility's last COMPLETED import, in
this order (OSCAR's FacilityWs.canProcessFile): no history and no dependsOn ->
OK; no history but a dependsOn -> DEPENDENCY_NOT_MET; same checksum ->
ALREADY_IMPORTED; last interval end after this file's date ->
INTEGRATOR_HAS_NEWER_DATA; a dependsOn other than the last checksum ->
DEPENDENCY_NOT_MET; otherwise OK (a full push, dependsOn null, is always OK).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class Decision(enum.StrEnum):
    OK = "OK"
    DEPENDENCY_NOT_MET = "DEPENDENCY_NOT_MET"
    ALREADY_IMPORTED = "ALREADY_IMPORTED"
    INTEGRATOR_HAS_NEWER_DATA = "INTEGRATOR_HAS_NEWER_DATA"


@dataclass(frozen=True)
class CompletedImport:
    checksum: str
    date_interval_end: dt.datetime | None


def decide(
    last: CompletedImport | None,
    checksum: str,
    end_date: dt.datetime | None,
    depends_on: str | None,
) -> Decision:
    depends_on = depends_on or None
    if last is None:
        return Decision.OK if depends_on is None else Decision.DEPENDENCY_NOT_MET
    if last.checksum == checksum:
        return Decision.ALREADY_IMPORTED
    if (
        last.date_interval_end is not None
        and end_date is not None
        and last.date_interval_end > end_date
    ):
        return Decision.INTEGRATOR_HAS_NEWER_DATA
    if depends_on is not None and depends_on != last.checksum:
        return Decision.DEPENDENCY_NOT_MET
    return Decision.OK
