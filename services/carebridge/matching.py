"""Scoring a candidate patient record against search criteria, as the CAISI Integrator does.

The real integrator (``CachedDemographicDao.findMatchingDemographics``) adds points for
each criterion a record meets, comparing case-insensitively as MySQL does::

    HIN equal 22 | last name sounds like 7, contains 2, equal 7 | first name sounds like 6,
    contains 5, equal 6 | birth date equal 15

so an exact first name earns 17, an exact last name 16, and a record equal in all four
criteria 70. Pure: the MPI can score its candidates the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HIN_EQUAL = 22
FIRST_SOUNDS_LIKE, FIRST_CONTAINS, FIRST_EQUAL = 6, 5, 6
LAST_SOUNDS_LIKE, LAST_CONTAINS, LAST_EQUAL = 7, 2, 7
BIRTH_DATE_EQUAL = 15
SOUNDEX_LENGTH = 8  # MySQL's SOUNDEX is not cut at 4; carebridge keeps up to 8

_CODES = {letter: digit for digits, digit in (
    ("BFPV", "1"), ("CGJKQSXZ", "2"), ("DT", "3"), ("L", "4"), ("MN", "5"), ("R", "6"))
    for letter in digits}


def soundex(text: str | None) -> str | None:
    """MySQL's SOUNDEX: the first letter, then the codes of the others, adjacent equal
    codes once, vowels dropped (they separate equal codes), H and W ignored; at least four
    characters. None for text without letters."""
    letters = [c for c in (text or "").upper() if "A" <= c <= "Z"]
    if not letters:
        return None
    out = [letters[0]]
    previous = _CODES.get(letters[0], "")
    for letter in letters[1:]:
        if letter in "HW":
            continue
        code = _CODES.get(letter, "")
        if code and code != previous:
            out.append(code)
        previous = code
    return "".join(out).ljust(4, "0")[:SOUNDEX_LENGTH]


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


@dataclass(frozen=True)
class Criteria:
    """What a search gives; a blank criterion counts for nothing."""

    first_name: str | None = None
    last_name: str | None = None
    birth_date: dt.date | None = None
    hin: str | None = None

    def cleaned(self) -> Criteria:
        return Criteria(_clean(self.first_name), _clean(self.last_name), self.birth_date,
                        _clean(self.hin))

    @property
    def empty(self) -> bool:
        c = self.cleaned()
        return not (c.first_name or c.last_name or c.birth_date or c.hin)


@dataclass(frozen=True)
class Identity:
    """A candidate record's identity fields, as ``shared_demographic`` holds them."""

    first_name: str | None
    last_name: str | None
    birth_date: str | None  # ISO date
    hin: str | None


def _name_points(wanted: str | None, have: str | None, sounds: int, contains: int,
                 equal: int) -> int:
    if not wanted or not have:
        return 0
    points = sounds if soundex(wanted) == soundex(have) else 0
    if wanted.casefold() in have.casefold():
        points += contains
    if wanted.casefold() == have.casefold():
        points += equal
    return points


def score(criteria: Criteria, candidate: Identity) -> int:
    c = criteria.cleaned()
    points = 0
    if c.hin and candidate.hin and c.hin.casefold() == candidate.hin.strip().casefold():
        points += HIN_EQUAL
    points += _name_points(c.first_name, candidate.first_name, FIRST_SOUNDS_LIKE,
                           FIRST_CONTAINS, FIRST_EQUAL)
    points += _name_points(c.last_name, candidate.last_name, LAST_SOUNDS_LIKE,
                           LAST_CONTAINS, LAST_EQUAL)
    if c.birth_date and candidate.birth_date == c.birth_date.isoformat():
        points += BIRTH_DATE_EQUAL
    return points


def best(scored: list[tuple[int, Any]], max_entries: int, min_score: int) -> list[tuple[int, Any]]:
    """Highest first, the first ``max_entries``, then those under ``min_score`` dropped (the
    real integrator cuts before it filters). Ties keep their given order."""
    ranked = sorted(scored, key=lambda pair: -pair[0])[:max(max_entries, 0)]
    return [pair for pair in ranked if pair[0] >= min_score]


def normal_hin(hin: str) -> str:
    """A HIN as ``shared_demographic`` keeps it: trimmed, upper case (the real integrator
    compares HINs case-insensitively, as MySQL does)."""
    return hin.strip().upper()


def identity_row(facility_id: int, payload: Mapping[str, Any]) -> dict[str, Any] | None:
    """A pushed DemographicTransfer's ``shared_demographic`` row (None without a number)."""
    number = payload.get("caisiDemographicId")
    if not isinstance(number, int):
        return None
    first, last = _text(payload.get("firstName"), 255), _text(payload.get("lastName"), 255)
    hin = _text(payload.get("hin"), 64)
    return {
        "facility_id": facility_id, "demographic_no": number,
        "hin": normal_hin(hin) if hin else None, "hin_type": _text(payload.get("hinType"), 64),
        "first_name": first, "last_name": last,
        "first_soundex": soundex(first), "last_soundex": soundex(last),
        "birth_date": _date(payload.get("birthDate")),
    }


def _text(value: Any, limit: int) -> str | None:
    cleaned = _clean(value) if isinstance(value, str) else None
    return cleaned[:limit] if cleaned else None


def _date(value: Any) -> str | None:
    """The calendar date of a pushed birth date (an ISO timestamp, as the importer keeps
    Java Dates), or None."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        return None
