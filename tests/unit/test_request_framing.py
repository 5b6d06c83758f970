"""Where a request ends, byte by byte: what the web worker buffers before a thread sees it."""

from __future__ import annotations

import pytest

from carebridge.web.framing import Framing, RequestBuffer

HEAD = b"POST /services/PatientSubmission HTTP/1.1\r\nHost: node\r\n"


def framed(data: bytes, max_body: int = 1000) -> Framing:
    return RequestBuffer(8192, max_body).feed(data)


def byte_by_byte(data: bytes) -> list[Framing]:
    buffer = RequestBuffer(8192, 1000)
    return [buffer.feed(data[n:n + 1]) for n in range(len(data))]


def test_a_fixed_length_request_is_complete_with_its_last_byte() -> None:
    request = HEAD + b"Content-Length: 5\r\n\r\nhello"
    steps = byte_by_byte(request)
    assert steps[:-1] == [Framing.INCOMPLETE] * (len(request) - 1)
    assert steps[-1] is Framing.COMPLETE


def test_requests_without_a_body_and_pipelined_ones() -> None:
    assert framed(b"GET /health HTTP/1.1\r\nHost: node\r\n\r\n") is Framing.COMPLETE
    assert framed(b"\r\nGET /health HTTP/1.1\r\n\r\n") is Framing.COMPLETE  # a stray CRLF first
    two = HEAD + b"Content-Length: 2\r\n\r\nokGET /health HTTP/1.1\r\n\r\n"
    buffer = RequestBuffer(8192, 1000)
    assert buffer.feed(two) is Framing.COMPLETE
    assert bytes(buffer.data) == two  # the next request stays for the parser


def test_a_chunked_body_ends_with_its_last_chunk_and_trailers() -> None:
    head = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    body = b"5;ext=1\r\nhello\r\n10\r\n" + b"x" * 16 + b"\r\n0\r\n"
    assert framed(head + body) is Framing.INCOMPLETE
    assert framed(head + body + b"\r\n") is Framing.COMPLETE
    assert framed(head + body + b"Checksum: 1\r\n") is Framing.INCOMPLETE
    assert framed(head + body + b"Checksum: 1\r\n\r\n") is Framing.COMPLETE
    steps = byte_by_byte(head + body + b"\r\n")
    assert steps.count(Framing.COMPLETE) == 1 and steps[-1] is Framing.COMPLETE


def test_expect_continue_is_noted_for_http_1_1_only() -> None:
    buffer = RequestBuffer(8192, 1000)
    assert buffer.feed(HEAD + b"Expect: 100-continue\r\nContent-Length: 3\r\n\r\n") \
        is Framing.INCOMPLETE
    assert buffer.continue_expected
    old = RequestBuffer(8192, 1000)
    old.feed(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
    assert not old.continue_expected


@pytest.mark.parametrize("request_bytes", [
    HEAD + b"Content-Length: 1001\r\n\r\n",  # over the cap: the thread (and the 413) deal
    HEAD + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFF\r\n",  # a chunk over the cap
    HEAD + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabc",  # for the parser to refuse
    HEAD + b"Content-Length: -3\r\n\r\n",
    HEAD + b"Transfer-Encoding: gzip\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
    HEAD + b"Expect: something\r\n\r\n",
    HEAD + b"X-Folded: a\r\n  b\r\n\r\n",
    b"GET / HTTP/1.1\nHost: node\n\n",  # bare LF
    HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
])
def test_what_the_loop_does_not_frame_goes_on_unbuffered(request_bytes: bytes) -> None:
    assert framed(request_bytes) is Framing.UNBUFFERED


def test_headers_over_the_limit_go_on_unbuffered() -> None:
    buffer = RequestBuffer(100, 1000)
    assert buffer.feed(HEAD) is Framing.INCOMPLETE
    assert buffer.feed(b"X-Long: " + b"a" * 100) is Framing.UNBUFFERED

