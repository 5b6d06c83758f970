"""The one-pass decoder against javaobj-py3's (javaread): same values, sizes and errors."""

from __future__ import annotations

import datetime as dt
import importlib.machinery
import importlib.util
import io
import os
import random
import struct
from pathlib import Path
from typing import Any

import pytest

from carebridge.oscar import fastread, javaread
from carebridge.oscar.classes import encode, enum_constant, java_object
from carebridge.oscar.exceptions import JavaStreamError, LimitExceeded, TruncatedStream
from carebridge.oscar.javaparse import SHARED_STRINGS, DecodeLimits
from carebridge.oscar.javawrite import modified_utf8

MAGIC = b"\xac\xed\x00\x05"
KIB = 1024
SMALL = DecodeLimits(max_array_bytes=64 * KIB, max_object_bytes=1024 * KIB)
WHEN = dt.datetime(2024, 3, 1, 9, 30, 15, 250000, tzinfo=dt.UTC)


def outcome(module: Any, data: bytes, limits: DecodeLimits | None = SMALL,
            **options: Any) -> tuple[list[Any], Any]:
    """Every (value, size) a decoder yields, and how it stopped (None, or the error's
    class, object index and setting)."""
    got: list[Any] = []
    try:
        for item in module.iter_sized(io.BytesIO(data), "e.ser", limits, **options):
            got.append(item)
    except (JavaStreamError, LimitExceeded) as exc:
        return got, (type(exc), exc.object_index, getattr(exc, "setting", None))
    return got, None


def same(data: bytes, limits: DecodeLimits = SMALL) -> tuple[list[Any], Any]:
    expected = outcome(javaread, data, limits)
    assert outcome(fastread, data, limits) == expected
    return expected


def program(number: int, text: str) -> Any:
    pk = java_object("FacilityIdIntegerCompositePk", integratorFacilityId=None,
                     caisiItemId=number)
    return java_object("CachedProgram", facilityIdIntegerCompositePk=pk, name="Shared Name",
                       gender="F", description=text)


def records() -> list[Any]:
    """One of each kind of value carebridge's writer produces."""
    note = java_object(
        "CachedDemographicNote", caisiDemographicId=7, note="caf\u00e9 \U0001f600 nul\x00",
        observationDate=WHEN, noteIssues={"ICD9.250", "ICD9.401", "ICD10.E11", "x", "y"},
        issues=[])
    transfer = java_object("DemographicTransfer", caisiDemographicId=4, birthDate=WHEN,
                           photo=bytes(range(256)) * 40, removeId=False, firstName="Zo\u00eb")
    return [
        note, transfer, [program(n, "d" * n) for n in range(5)], ["same-short"] * 50,
        [1, -2, 2**40, 1.5, True, None, "x" * 300, b"\x00\xff", WHEN],
        # set elements unique to the set: javaread orders a string shared with an earlier
        # object (a Kept, hashed by identity) by its address
        {"set-b", "set-a", "set-c", "set-dd", "set-ee", "set-f", "set-g"},
        enum_constant("Role", "DOCTOR"),
        [enum_constant("Role", "DOCTOR"), enum_constant("Role", "RN")], "top-level",
        "\u65e5\u672c" * 40, None, 12, [[[[]]]], program(99, "z" * 70_000),
    ]


def test_carebridge_streams_decode_the_same() -> None:
    data = encode(records())
    values, end = same(data, DecodeLimits())
    assert end is None and len(values) == len(records())
    assert values[0][0].get("noteIssues") and values[1][0].get("birthDate") == WHEN


@pytest.mark.parametrize("options", [{}, {"share_strings_up_to": 0}])
def test_many_objects_and_shared_strings_decode_the_same(options: dict[str, Any]) -> None:
    data = encode([program(n, f"{n:05d}" + "x" * 300) for n in range(400)], **options)
    values, end = same(data)
    assert end is None and len(values) == 400


def test_a_reference_past_the_window_names_the_limit_in_both() -> None:
    stream = MAGIC + long_string("s" * (50 * KIB)) + byte_array(60 * KIB, True)
    stream += b"".join(byte_array(60 * KIB, False) for _ in range(70))
    stream += struct.pack(">BI", 0x71, 0x7E0000)
    _, end = same(stream)
    assert end == (LimitExceeded, 72, "max_object_bytes")
    roomy = DecodeLimits(max_array_bytes=64 * KIB, max_object_bytes=64 * 1024 * KIB)
    values, end = same(stream, roomy)
    assert end is None and values[-1][0] == "s" * (50 * KIB)


@pytest.mark.parametrize("limits", [
    DecodeLimits(max_array_bytes=100, max_object_bytes=1024 * KIB),
    DecodeLimits(max_array_bytes=64 * KIB, max_object_bytes=20 * KIB),
    DecodeLimits(max_array_bytes=64 * KIB, max_object_bytes=4 * KIB),
])
def test_limits_stop_at_the_same_object(limits: DecodeLimits) -> None:
    _, end = same(encode(records()), limits)
    assert end is not None and end[0] is LimitExceeded


def test_truncation_at_every_offset() -> None:
    data = encode(records()[:9])
    for cut in range(len(data)):
        values, end = outcome(fastread, data[:cut])
        assert end is None or end[0] in (TruncatedStream, JavaStreamError), cut
        if cut % 7 == 0 or cut < 40:  # javaread is slow: compare with it at a stride
            assert (values, end) == outcome(javaread, data[:cut]), cut
    assert outcome(fastread, data[:-1])[1][0] is TruncatedStream


def test_random_corruption_never_raises_anything_else() -> None:
    data = encode(records()[:9])
    rng = random.Random(5)
    for _ in range(1500):
        corrupt = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            corrupt[rng.randrange(4, len(corrupt))] = rng.randrange(256)
        outcome(fastread, bytes(corrupt))  # raises nothing but the decoder's errors


def long_string(text: str) -> bytes:
    data = modified_utf8(text)
    return b"\x7c" + struct.pack(">q", len(data)) + data


def byte_array(size: int, first: bool, declared: int | None = None) -> bytes:
    desc = (b"\x72" + struct.pack(">H", 2) + b"[B" + struct.pack(">qBH", -5984413125824719648,
                                                                     2, 0) + b"\x78\x70"
            if first else struct.pack(">BI", 0x71, 0x7E0001))
    return b"\x75" + desc + struct.pack(">i", size if declared is None else declared) + bytes(
        size)


@pytest.mark.parametrize(("body", "what"), [
    (MAGIC + byte_array(0, True, declared=2**31 - 1), f"a byte[] of {2**31 - 1} bytes"),
    (MAGIC + b"\x7c" + struct.pack(">q", 2**62), f"a String of {2**62} bytes"),
    (MAGIC + b"\x7a" + struct.pack(">i", 2**31 - 1), f"a block of data of {2**31 - 1} bytes"),
])
def test_huge_declared_lengths_are_refused_before_allocating(body: bytes, what: str) -> None:
    with pytest.raises(LimitExceeded) as info:
        list(fastread.iter_objects(io.BytesIO(body), "e.ser", SMALL))
    assert info.value.setting == "max_array_bytes" and what in str(info.value)
    assert outcome(javaread, body) == outcome(fastread, body)


def nested_lists(depth: int) -> bytes:
    """ArrayList inside ArrayList ``depth`` deep, written by hand."""
    desc = (b"\x72" + struct.pack(">H", 19) + b"java.util.ArrayList"
            + struct.pack(">qBH", 8683452581122892189, 3, 1) + b"I" + struct.pack(">H", 4)
            + b"size" + b"\x78\x70")
    ref = struct.pack(">BI", 0x71, 0x7E0000)
    out = [MAGIC]
    for level in range(depth):
        out.append(b"\x73" + (desc if level == 0 else ref) + struct.pack(">i", 1)
                   + b"\x77\x04" + struct.pack(">i", 1))
    out.append(b"\x70" + b"\x78" * depth)
    return b"".join(out)


def test_nesting() -> None:
    values, end = same(nested_lists(150))
    assert end is None
    inner, levels = values[0][0], 1
    while inner != [None]:
        inner, levels = inner[0], levels + 1
    assert levels == 150
    for depth in (fastread.MAX_DEPTH + 1, 100_000):
        with pytest.raises(JavaStreamError, match="nested too deeply"):
            list(fastread.iter_objects(io.BytesIO(nested_lists(depth)), "e.ser",
                                       DecodeLimits()))


@pytest.mark.parametrize(("body", "match"), [
    (struct.pack(">BI", 0x71, 0x7E0005), "Invalid reference handle"),
    (struct.pack(">BI", 0x71, 0x12), "Invalid reference handle"),
    (b"\x55", "Unknown type code"),
    (b"\x78", "Unknown type code"),
    (b"\x73\x7d" + struct.pack(">i", 1) + struct.pack(">H", 5) + b"a.b.C\x78\x70", "proxy"),
    (b"\x7b", "exception"),
    (b"\x73\x70", "Object without class description"),
])
def test_bad_streams_are_java_stream_errors(body: bytes, match: str) -> None:
    with pytest.raises(JavaStreamError, match=match) as info:
        list(fastread.iter_objects(io.BytesIO(MAGIC + body), "e.ser", SMALL))
    assert not isinstance(info.value, TruncatedStream) and info.value.object_index == 0
    assert info.value.entry == "e.ser"


@pytest.mark.parametrize("data", [b"", b"\xac", MAGIC[:3], b"\x00\x00\x00\x05", MAGIC[:2] +
                                  b"\x00\x04"])
def test_bad_or_short_headers(data: bytes) -> None:
    assert outcome(javaread, data)[1][0] is outcome(fastread, data)[1][0]


def test_a_bad_back_reference_after_objects_names_its_index() -> None:
    data = encode(["a", "b"]) + struct.pack(">BI", 0x71, 0x7E9999)
    values, end = same(data)
    assert [v for v, _ in values] == ["a", "b"] and end == (JavaStreamError, 2, None)


def test_reset_between_objects_forgets_handles() -> None:
    first = encode(["shared-string-value"])
    data = first + b"\x79" + struct.pack(">BI", 0x71, 0x7E0000)
    values, end = same(data)
    assert values[0][0] == "shared-string-value" and end == (JavaStreamError, 1, None)


@pytest.mark.parametrize("read_size", [4, 5, 13])
def test_objects_across_buffer_refills_decode_the_same(read_size: int) -> None:
    """With a tiny buffer every object runs past its end, is rolled back and parsed again."""
    data = encode(records())
    expected = outcome(javaread, data, DecodeLimits())
    assert outcome(fastread, data, DecodeLimits(), read_size=read_size) == expected
    for cut in range(0, len(data), 97):
        assert outcome(fastread, data[:cut]) == outcome(javaread, data[:cut]), cut


def test_a_reset_inside_an_object() -> None:
    """TC_RESET in an ArrayList's elements forgets every handle, also when the object has
    to be parsed again after a refill."""
    desc = (b"\x72" + struct.pack(">H", 19) + b"java.util.ArrayList"
            + struct.pack(">qBH", 8683452581122892189, 3, 1) + b"I" + struct.pack(">H", 4)
            + b"size" + b"\x78\x70")
    first = encode(["before"])
    body = (b"\x73" + desc + struct.pack(">i", 3) + b"\x77\x04" + struct.pack(">i", 3)
            + b"\x74\x00\x01a" + b"\x79" + b"\x74\x00\x01b"
            + struct.pack(">BI", 0x71, 0x7E0000) + b"\x78")
    for tail, stops in [(b"", None), (struct.pack(">BI", 0x71, 0x7E0000), None),
                        (struct.pack(">BI", 0x71, 0x7E0001), JavaStreamError)]:
        data = first + body + tail
        expected = outcome(javaread, data)
        assert (expected[1] or (None,))[0] is stops
        assert expected[0][1][0] == ["a", "b", "b"]
        if tail and stops is None:
            assert expected[0][2][0] == "b"  # the handle after the reset, as a kept string
        assert outcome(fastread, data) == expected
        assert outcome(fastread, data, read_size=3) == expected


SOURCE = Path(fastread.__file__).with_name("fastread.py")


def test_the_installed_decoder_is_compiled_from_the_current_source() -> None:
    """setup.py compiles fastread with mypyc: a missing build would quietly halve the
    import's speed, a stale one would run other code than the source shows."""
    if os.environ.get("CAREBRIDGE_PURE_PYTHON") == "1":
        assert Path(fastread.__file__) == SOURCE
        return
    assert fastread.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), (
        f"{fastread.__file__} is not compiled: reinstall (make, or pip install -e .)")
    assert Path(fastread.__file__).stat().st_mtime >= SOURCE.stat().st_mtime, (
        "fastread.py changed after it was compiled: reinstall (make, or pip install -e .)")


def test_the_uncompiled_source_decodes_the_same() -> None:
    """The same source, interpreted (CAREBRIDGE_PURE_PYTHON=1), against javaread."""
    spec = importlib.util.spec_from_file_location("carebridge.oscar._fastread_source", SOURCE)
    assert spec is not None and spec.loader is not None
    source = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(source)
    data = encode(records())
    expected = outcome(javaread, data, DecodeLimits())
    assert outcome(source, data, DecodeLimits()) == expected
    assert outcome(source, data, DecodeLimits(), read_size=5) == expected
    for cut in range(0, len(data), 97):
        assert outcome(source, data[:cut]) == outcome(javaread, data[:cut]), cut
    body = nested_lists(fastread.MAX_DEPTH + 1)
    stopped = outcome(source, body, DecodeLimits())[1]
    assert stopped == outcome(fastread, body, DecodeLimits())[1]
    assert stopped == (JavaStreamError, 0, None)


def test_shared_strings_are_kept_least_recently_used_first() -> None:
    """Past SHARED_STRINGS short strings the least recently used goes first: a string
    referred to again stays, its neighbour written just after it is dropped; the same in
    both decoders, also when an object's parse is rolled back after a refill."""
    def ref(index: int) -> bytes:
        return struct.pack(">BI", 0x71, 0x7E0000 + index)

    parts = [MAGIC]
    for index in range(SHARED_STRINGS + 10):
        parts.append(b"\x74" + struct.pack(">H", 6) + f"{index:06d}".encode())
        if index == 100:
            parts.append(ref(0))  # touched: now younger than 1..100
    kept = b"".join(parts) + ref(0) + ref(101)
    values, end = same(kept, DecodeLimits())
    assert end is None and values[-2][0] == "000000" and values[-1][0] == "000101"
    dropped = b"".join(parts) + ref(0) + ref(1)
    values, end = same(dropped, DecodeLimits())
    assert values[-1][0] == "000000" and end == (LimitExceeded, len(values), "max_object_bytes")
    assert outcome(fastread, dropped, DecodeLimits(), read_size=7) == (values, end)
