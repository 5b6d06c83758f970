"""The bounded Java stream parser: limits before allocation, what back-references reach."""

from __future__ import annotations

import datetime as dt
import io
import struct

import pytest
from javaobj.modifiedutf8 import decode_modified_utf8 as javaobj_decode

from carebridge.oscar.classes import encode, java_object
from carebridge.oscar.exceptions import LimitExceeded, TruncatedStream
from carebridge.oscar.javaparse import DecodeLimits, decode_modified_utf8
from carebridge.oscar.javaread import iter_objects, iter_sized
from carebridge.oscar.javawrite import modified_utf8

MAGIC = b"\xac\xed\x00\x05"
KIB = 1024
SMALL = DecodeLimits(max_array_bytes=64 * KIB, max_object_bytes=1024 * KIB)


def decode(data: bytes, limits: DecodeLimits = SMALL) -> list:
    return list(iter_objects(io.BytesIO(data), "e.ser", limits))


def long_string(text: str) -> bytes:
    data = modified_utf8(text)
    return b"\x7c" + struct.pack(">q", len(data)) + data


def byte_array(size: int, first: bool) -> bytes:
    """A byte[] of ``size``; the first one declares [B (handle 0x7e0001 after a string)."""
    desc = (b"\x72" + struct.pack(">H", 2) + b"[B" + struct.pack(">qBH", -5984413125824719648,
                                                                     2, 0) + b"\x78\x70"
            if first else struct.pack(">BI", 0x71, 0x7E0001))
    return b"\x75" + desc + struct.pack(">i", size) + bytes(size)


@pytest.mark.parametrize("text", ["plain", "", "caf\u00e9", "\u65e5\u672c", "nul\x00here",
                                  "emoji \U0001f600 and \u20ac", "\U00010348" * 3])
def test_modified_utf8_decodes_as_javaobj_does(text: str) -> None:
    data = modified_utf8(text)
    assert decode_modified_utf8(data) == text
    assert javaobj_decode(data)[0] == text


def test_a_lone_surrogate_is_an_error() -> None:
    with pytest.raises(UnicodeDecodeError):
        decode_modified_utf8(b"\xed\xa0\x80x")


@pytest.mark.parametrize(("body", "what"), [
    (byte_array(70 * KIB, True), f"a byte[] of {70 * KIB} bytes"),
    (long_string("x" * (70 * KIB)), f"a String of {70 * KIB} bytes"),
])
def test_a_value_over_max_array_bytes_is_refused_before_it_is_read(body: bytes, what: str
                                                                   ) -> None:
    # The value's bytes are cut off: only its declared length is ever looked at.
    with pytest.raises(LimitExceeded) as info:
        decode(MAGIC + body[:200])
    assert str(info.value) == f"e.ser: {what} exceeds max_array_bytes={64 * KIB} (object #0)"
    assert info.value.setting == "max_array_bytes" and info.value.limit == 64 * KIB


def test_a_false_length_under_the_limit_is_truncation() -> None:
    with pytest.raises(TruncatedStream):
        decode(MAGIC + byte_array(60 * KIB, True)[:1000])


def test_sizes_count_repeated_values_each_time() -> None:
    [(value, size)] = list(iter_sized(io.BytesIO(encode([["same-short-string"] * 100])), "e"))
    assert value == ["same-short-string"] * 100
    assert size >= 100 * len("same-short-string")


def test_shared_strings_and_enums_reach_across_the_whole_entry() -> None:
    """carebridge's writer shares short strings stream-wide; enums are shared by every
    writer: both must still resolve after far more data than the back-reference window."""
    def program(number: int, filler: str) -> object:
        pk = java_object("FacilityIdIntegerCompositePk", integratorFacilityId=None,
                         caisiItemId=number)
        return java_object("CachedProgram", facilityIdIntegerCompositePk=pk, name="Shared Name",
                           gender="F", description=filler)

    objects = [program(n, f"{n:05d}" + "x" * 3000) for n in range(600)]  # 1.8 MB of text
    values = decode(encode(objects))
    assert len(values) == 600
    assert {v.get("name") for v in values} == {"Shared Name"}
    assert {v.get("gender") for v in values} == {"F"}
    assert values[-1].get("description").startswith("00599")


def test_a_reference_past_the_window_names_the_limit() -> None:
    # A 50 KiB string (handle 0x7e0000), 4 MiB of byte[] after it, then a reference to it.
    stream = MAGIC + long_string("s" * (50 * KIB)) + byte_array(60 * KIB, True)
    stream += b"".join(byte_array(60 * KIB, False) for _ in range(70))
    stream += struct.pack(">BI", 0x71, 0x7E0000)
    with pytest.raises(LimitExceeded, match=r"back-reference to object 0x7e0000.*max_object"):
        decode(stream)
    roomy = DecodeLimits(max_array_bytes=64 * KIB, max_object_bytes=64 * 1024 * KIB)
    assert decode(stream, roomy)[-1] == "s" * (50 * KIB)


def test_many_small_objects_stop_at_max_object_bytes() -> None:
    with pytest.raises(LimitExceeded, match="needs more than max_object_bytes"):
        decode(encode([list(range(20_000))]))
    assert len(decode(encode([list(range(500))]))[0]) == 500


def test_dates_and_photos_still_decode() -> None:
    when = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
    photo = bytes(range(256)) * 100
    (value,) = decode(encode([java_object("DemographicTransfer", caisiDemographicId=4,
                                          birthDate=when, photo=photo, removeId=False)]))
    assert value.get("birthDate") == when and value.get("photo") == photo


def test_a_list_of_nulls_is_charged_as_it_is_read() -> None:
    with pytest.raises(LimitExceeded, match="needs more than max_object_bytes"):
        decode(encode([[None] * 100_000]))
