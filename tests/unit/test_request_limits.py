"""Request bodies before any service: XML media types only, gzip inflated within the caps."""

from __future__ import annotations

import gzip
import io
import os
import tracemalloc
from typing import Any

import pytest

from carebridge.soap.exceptions import RequestTooLarge, UndecodableBody, UnsupportedMedia
from carebridge.web.limits import (
    RATIO_FLOOR_BYTES,
    content_coding,
    gunzip_capped,
    read_capped_body,
    require_xml,
)

TEXT = os.urandom(30_000).hex().encode()  # 60 kB that gzip halves: no ratio concerns


def environ(body: bytes, **headers: str) -> dict[str, Any]:
    return {"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), **headers}


def test_gzip_round_trips_and_members_concatenate() -> None:
    assert gunzip_capped(gzip.compress(TEXT), 10**6, 200) == TEXT
    assert gunzip_capped(gzip.compress(b"ab") + gzip.compress(b"cd"), 100) == b"abcd"


def test_the_decoded_size_is_capped() -> None:
    with pytest.raises(RequestTooLarge, match="decoded request body exceeds 50000 bytes"):
        gunzip_capped(gzip.compress(TEXT), 50_000)
    assert gunzip_capped(gzip.compress(TEXT), len(TEXT)) == TEXT  # exactly at the cap


def test_the_ratio_counts_above_the_floor_only() -> None:
    small = b"<a>" + b" " * (RATIO_FLOOR_BYTES - 10) + b"</a>"  # ~600:1, but small
    assert gunzip_capped(gzip.compress(small), 10**6, 200) == small
    large = b"x" * (RATIO_FLOOR_BYTES * 4)
    with pytest.raises(RequestTooLarge, match="expands more than 200:1"):
        gunzip_capped(gzip.compress(large), 10**6, 200)
    assert gunzip_capped(gzip.compress(large), 10**6, 0) == large  # 0: no ratio limit


def test_a_bomb_is_stopped_without_inflating_it() -> None:
    limit = 1024 * 1024
    bomb = gzip.compress(b"\0" * (200 * limit))  # 200 MiB in ~200 kB
    tracemalloc.start()
    try:
        with pytest.raises(RequestTooLarge):
            gunzip_capped(bomb, limit)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 3 * limit


@pytest.mark.parametrize("data", [
    b"", b"plain text, not gzip", gzip.compress(TEXT)[:-9], gzip.compress(TEXT)[:100],
    gzip.compress(TEXT) + b"trailing garbage",
], ids=["empty", "not-gzip", "no-trailer", "cut", "trailing-garbage"])
def test_what_does_not_decode(data: bytes) -> None:
    with pytest.raises(UndecodableBody, match="gzip body") as info:
        gunzip_capped(data, 10**6)
    assert info.value.http_status == 400


@pytest.mark.parametrize(("value", "coding"), [
    ("", None), ("identity", None), ("gzip", "gzip"), ("x-gzip", "gzip"), ("GZip", "gzip"),
    ("identity, gzip", "gzip"), (" gzip ,", "gzip")])
def test_content_codings_understood(value: str, coding: str | None) -> None:
    assert content_coding({"HTTP_CONTENT_ENCODING": value} if value else {}) == coding


@pytest.mark.parametrize("value", ["br", "deflate", "compress", "zstd", "gzip, gzip", "gzip, br"])
def test_other_content_codings_are_415(value: str) -> None:
    with pytest.raises(UnsupportedMedia, match="use gzip") as info:
        content_coding({"HTTP_CONTENT_ENCODING": value})
    assert info.value.http_status == 415


@pytest.mark.parametrize("value", [
    "text/xml", "text/xml; charset=utf-8", "Text/XML", "application/soap+xml;charset=UTF-8",
    "application/xml", ' text/xml ; action="urn:x"'])
def test_xml_media_types_pass(value: str) -> None:
    require_xml({"CONTENT_TYPE": value})


@pytest.mark.parametrize("value", [None, "", "application/json", "text/plain", "text/xmlx",
                                   "multipart/related; type=text/xml", "x" * 500])
def test_other_media_types_are_415(value: str | None) -> None:
    with pytest.raises(UnsupportedMedia, match="send text/xml") as info:
        require_xml({} if value is None else {"CONTENT_TYPE": value})
    assert info.value.http_status == 415
    assert len(info.value.message) < 120  # a long header is not echoed whole


def test_read_capped_body_re_offers_the_decoded_body() -> None:
    env = environ(gzip.compress(TEXT), HTTP_CONTENT_ENCODING="gzip")
    assert read_capped_body(env, 10**6, 200) == TEXT
    assert env["wsgi.input"].read() == TEXT
    assert env["CONTENT_LENGTH"] == str(len(TEXT))
    assert "HTTP_CONTENT_ENCODING" not in env  # nothing downstream decodes it twice


def test_read_capped_body_caps_the_wire_size_first() -> None:
    with pytest.raises(RequestTooLarge, match="request body exceeds 100 bytes"):
        read_capped_body(environ(b"x" * 101), 100)
    unknown_length = {"wsgi.input": io.BytesIO(b"x" * 101)}
    with pytest.raises(RequestTooLarge):
        read_capped_body(unknown_length, 100)
    assert read_capped_body(environ(b"x" * 100), 100) == b"x" * 100
