"""The decoder against values a real JVM wrote: dates, numbers, enums, collections."""

from __future__ import annotations

import datetime as dt
import io

from carebridge.oscar.exceptions import TruncatedStream
from carebridge.oscar.javaread import iter_objects

UTC = dt.UTC


def test_values_decode_to_python(jvm_samples: bytes) -> None:
    values = list(iter_objects(io.BytesIO(jvm_samples), "samples.ser"))
    assert values[0] == dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert values[1] == dt.datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC)
    assert values[2].date() == dt.date(2024, 2, 29) or values[2] == dt.datetime(
        2024, 2, 29, tzinfo=UTC)  # java.sql.Date is local midnight of the writing JVM
    assert values[3] == dt.datetime(1970, 1, 1, 1, 0, tzinfo=UTC)
    assert values[4] == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert values[5] == "-12.345"
    assert values[6] == "F"
    assert values[7] == ["Zoë \u2603", 7, -9000000000, True, None, b"\x01\x02\xff"]
    assert values[8] == {"a": 1}


def test_truncation_anywhere_is_reported_never_crashes(jvm_samples: bytes) -> None:
    """A cut inside an object is TruncatedStream; a cut between objects reads a prefix
    (which is why the push format's footer is checked)."""
    full = list(iter_objects(io.BytesIO(jvm_samples), "samples.ser"))
    truncated = clean = 0
    for cut in range(4, len(jvm_samples)):
        try:
            values = list(iter_objects(io.BytesIO(jvm_samples[:cut]), "samples.ser"))
        except TruncatedStream:
            truncated += 1
        else:
            assert values == full[: len(values)] and len(values) < len(full)
            clean += 1
    assert truncated > 100 and clean >= len(full) - 1
