import datetime as dt

import pytest

from carebridge.integrator.prerequisites import CompletedImport, Decision, decide

T1 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
LAST = CompletedImport(checksum="a" * 32, date_interval_end=T1)


@pytest.mark.parametrize(
    ("last", "checksum", "end", "depends_on", "expected"),
    [
        (None, "b" * 32, T2, None, Decision.OK),
        (None, "b" * 32, T2, "a" * 32, Decision.DEPENDENCY_NOT_MET),
        (LAST, "a" * 32, T2, None, Decision.ALREADY_IMPORTED),
        # the checksum is compared before anything else
        (LAST, "a" * 32, T2 - dt.timedelta(days=5), "x", Decision.ALREADY_IMPORTED),
        (LAST, "b" * 32, T1 - dt.timedelta(seconds=1), "a" * 32,
         Decision.INTEGRATOR_HAS_NEWER_DATA),
        (LAST, "b" * 32, T2, "c" * 32, Decision.DEPENDENCY_NOT_MET),
        (LAST, "b" * 32, T2, "a" * 32, Decision.OK),
        (LAST, "b" * 32, T1, "a" * 32, Decision.OK),  # equal end is not newer
        (LAST, "b" * 32, T2, None, Decision.OK),  # a full push is always accepted
        (LAST, "b" * 32, T2, "", Decision.OK),  # empty dependsOn is no dependency
    ],
)
def test_oscar_rule_order(last, checksum, end, depends_on, expected) -> None:
    assert decide(last, checksum, end, depends_on) is expected
