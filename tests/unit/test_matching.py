"""The real integrator's matching rule (CachedDemographicDao.findMatchingDemographics)."""

from __future__ import annotations

import datetime as dt

from carebridge.matching import Criteria, Identity, best, identity_row, score, soundex

JANE = Identity("Jane", "Tremblay", "1980-05-04", "1234567890")


def test_soundex_is_mysqls() -> None:
    # MySQL: SOUNDEX('Quadratically') = 'Q36324' (not cut at four); H and W are ignored.
    assert soundex("Quadratically") == "Q36324"
    assert soundex("Robert") == soundex("Rupert") == "R163"
    assert soundex("Lee") == "L000"
    assert soundex("Ashcraft") == "A2613"
    assert soundex("  ") is None and soundex("123") is None


def test_every_criterion_adds_its_points() -> None:
    assert score(Criteria(hin="1234567890"), JANE) == 22
    assert score(Criteria(first_name="jane"), JANE) == 6 + 5 + 6
    assert score(Criteria(last_name="TREMBLAY"), JANE) == 7 + 2 + 7
    assert score(Criteria(birth_date=dt.date(1980, 5, 4)), JANE) == 15
    assert score(Criteria("Jane", "Tremblay", dt.date(1980, 5, 4), "1234567890"), JANE) == 70


def test_partial_names_earn_part_of_the_points() -> None:
    assert score(Criteria(last_name="Trem"), JANE) == 2  # contains, sounds different
    assert score(Criteria(last_name="Tremblai"), JANE) == 7  # sounds like only
    assert score(Criteria(first_name=" ", hin=""), JANE) == 0


def test_cut_to_max_entries_before_the_minimum_applies() -> None:
    scored = [(10, "a"), (70, "b"), (5, "c"), (40, "d")]
    assert best(scored, 3, 0) == [(70, "b"), (40, "d"), (10, "a")]
    assert best(scored, 2, 50) == [(70, "b")]
    assert best(scored, 0, 0) == []


def test_identity_row_from_a_pushed_demographic() -> None:
    row = identity_row(3, {"caisiDemographicId": 7, "firstName": " Ann ", "lastName": "Lee",
                           "hin": "99", "hinType": "ON",
                           "birthDate": "1970-01-02T05:00:00+00:00"})
    assert row == {"facility_id": 3, "demographic_no": 7, "hin": "99", "hin_type": "ON",
                   "first_name": "Ann", "last_name": "Lee", "first_soundex": "A500",
                   "last_soundex": "L000", "birth_date": "1970-01-02"}
    assert identity_row(3, {"firstName": "x"}) is None
    assert identity_row(3, {"caisiDemographicId": 1, "birthDate": "garbage"})["birth_date"] is None
