"""The one-pass decoder against javaobj-py3's (javaread) on streams a real JVM wrote."""

from __future__ import annotations

import zipfile
from typing import Any

import pytest

from carebridge.oscar import fastread, javaread
from carebridge.oscar.exceptions import LimitExceeded, TruncatedStream
from carebridge.oscar.javaparse import DecodeLimits
from tests import jvm
from tests.integration.conftest import PushFactory
from tests.unit.test_fastread import outcome


def entries(push: jvm.PushFiles) -> dict[str, bytes]:
    with zipfile.ZipFile(push.main) as zf:
        return {name: zf.read(name) for name in zf.namelist() if name.endswith(".ser")}


def assert_same(data: bytes, limits: DecodeLimits | None = None) -> tuple[list[Any], Any]:
    expected = outcome(javaread, data, limits)
    got = outcome(fastread, data, limits)
    assert len(got[0]) == len(expected[0]) and got[1] == expected[1]
    for index, (mine, theirs) in enumerate(zip(got[0], expected[0], strict=True)):
        assert mine == theirs, index  # value and size
    return expected


def test_every_object_of_a_realistic_push_decodes_the_same(realistic_push: jvm.PushFiles
                                                           ) -> None:
    total = 0
    for data in entries(realistic_push).values():
        values, end = assert_same(data)
        assert end is None
        total += len(values)
    assert total == realistic_push.objects


@pytest.mark.parametrize("options", [
    {"provider_messages": 4, "patients": 6, "seed": 3},
    {"header_version": 2, "patients": 2},
    {"documents": False, "footer": False, "patients": 4, "seed": 11},
    {"truncate_last_ser": 40, "patients": 5},
])
def test_other_pushes_decode_the_same(make_push: PushFactory, options: dict[str, Any]) -> None:
    push = make_push(**options)
    ends = [assert_same(data)[1] for data in entries(push).values()]
    if options.get("truncate_last_ser"):
        assert ends[-1] is not None and ends[-1][0] is TruncatedStream
    else:
        assert ends == [None] * len(ends)


def test_the_samples_decode_the_same(jvm_samples: bytes) -> None:
    values, end = assert_same(jvm_samples)
    assert end is None and len(values) == 9


def test_truncation_anywhere_in_the_samples_is_reported_the_same(jvm_samples: bytes) -> None:
    for cut in range(len(jvm_samples)):
        expected = outcome(javaread, jvm_samples[:cut], None)
        assert outcome(fastread, jvm_samples[:cut], None) == expected, cut


@pytest.mark.parametrize("limits", [
    DecodeLimits(max_array_bytes=4, max_object_bytes=64 * 1024 * 1024),
    DecodeLimits(max_array_bytes=16 * 1024 * 1024, max_object_bytes=6_000),
    DecodeLimits(max_array_bytes=16 * 1024 * 1024, max_object_bytes=1_500),
])
def test_limits_fail_the_same_object(realistic_push: jvm.PushFiles,
                                     limits: DecodeLimits) -> None:
    ends = [assert_same(data, limits)[1] for data in entries(realistic_push).values()]
    assert any(end is not None and end[0] is LimitExceeded for end in ends)
