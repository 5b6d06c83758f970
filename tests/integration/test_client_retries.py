"""ServiceClient resends whatever breaks on the wire, and only that.

A node killed mid-response leaves a reply cut short; every operation is idempotent,
so the client resends it like a refused connection, and a real Fault stays final.
The server is a scripted HTTP server on 127.0.0.1 (tests/support/scripted_http.py):
it writes the broken bytes a dying node would.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from carebridge.contracts import PATIENT_SUBMISSION
from carebridge.soap.client import ServiceClient
from carebridge.soap.exceptions import ServiceRefused, ServiceUnreachable
from tests.support.scripted_http import (
    Reply,
    ScriptedServer,
    acknowledgment,
    close_delimited_truncated,
    cut_chunked,
    cut_short,
    empty_ok,
    fault,
    garbled_gzip,
    in_turn,
    reset_mid_body,
    whole,
)

ER7 = "MSH|^~\\&|APP|CLINIC A|||20240301090000||ADT^A01|MSG1|P|2.3.1\rPID|||1^^^CLINIC A"
UNREADABLE = "HTTP 200 with an unreadable reply"


def client(server: ScriptedServer, reasons: list[str], retries: int = 3) -> ServiceClient:
    return ServiceClient(PATIENT_SUBMISSION, server.url + PATIENT_SUBMISSION.path, "CLINIC A",
                         "pw", timeout=5, retries=retries, backoff=0, on_retry=reasons.append)


# Each way a reply breaks, and the reasons the client may give for resending it.
BROKEN: dict[Callable[[bytes], Reply], set[str]] = {
    cut_short: {"ChunkedEncodingError"},
    cut_chunked: {"ChunkedEncodingError"},
    # The reset may land while the head is still unread: either way it is resent.
    reset_mid_body: {"ChunkedEncodingError", "ConnectionError"},
    garbled_gzip: {"ContentDecodingError"},
    close_delimited_truncated: {UNREADABLE},
    empty_ok: {UNREADABLE},
}


@pytest.mark.parametrize("broken", list(BROKEN), ids=lambda broken: broken.__name__)
def test_a_reply_broken_on_the_way_is_resent(broken: Callable[[bytes], Reply]) -> None:
    reasons: list[str] = []
    with ScriptedServer(in_turn([broken(acknowledgment()), whole(acknowledgment())])) as server:
        answer = client(server, reasons).call("submitMessage", ER7)
    assert (answer.ackCode, answer.messageControlId) == ("AA", "MSG1")
    assert len(reasons) == 1 and reasons[0] in BROKEN[broken], reasons
    assert len(server.requests) == 2 and server.requests[0] == server.requests[1]


def test_a_reply_cut_short_every_time_ends_in_service_unreachable() -> None:
    reasons: list[str] = []
    with ScriptedServer(in_turn([cut_short(acknowledgment())])) as server, \
            pytest.raises(ServiceUnreachable, match="3 attempts: ChunkedEncodingError"):
        client(server, reasons, retries=2).call("submitMessage", ER7)
    assert reasons == ["ChunkedEncodingError"] * 3
    assert len(server.requests) == 3


def test_a_fault_from_the_server_is_final() -> None:
    reasons: list[str] = []
    refusal = whole(fault("Client.SchemaValidationError", "no"), "500 Internal Server Error")
    with ScriptedServer(in_turn([refusal, whole(acknowledgment())])) as server, \
            pytest.raises(ServiceRefused, match="refused the request: no"):
        client(server, reasons).call("submitMessage", ER7)
    assert reasons == [] and len(server.requests) == 1


def test_an_unavailable_fault_is_resent() -> None:
    reasons: list[str] = []
    busy = whole(fault("Server.Unavailable", "database away"), "500 Internal Server Error")
    with ScriptedServer(in_turn([busy, whole(acknowledgment())])) as server:
        assert client(server, reasons).call("submitMessage", ER7).ackCode == "AA"
    assert reasons == ["service temporarily unavailable"]


def test_an_http_error_that_resending_would_not_cure_is_final() -> None:
    reasons: list[str] = []
    with ScriptedServer(in_turn([whole(b"", "404 Not Found")])) as server, \
            pytest.raises(ServiceRefused, match="HTTP 404"):
        client(server, reasons).call("submitMessage", ER7)
    assert reasons == [] and len(server.requests) == 1
