"""The exercise's client threads never die quietly: what they did not expect fails the run.

Once, a reply cut short escaped the client as a raw requests error, one thread
died and 280 messages were never sent, and the load simply shrank. The clients
here talk to a scripted HTTP server on 127.0.0.1 (tests/support/scripted_http.py)
whose answer to one message is a reply without an acknowledgment, which the
client cannot use.
"""

from __future__ import annotations

import dataclasses

import pytest

from carebridge.store.database import Database
from carebridge_lab.chaos import ChaosReport
from carebridge_lab.exercise import ExerciseResult
from carebridge_lab.verify import Summary, summarize
from carebridge_lab.workload import Credentials, LoadReport, build_stories, run_clients
from tests.support.scripted_http import (
    PATIENTS_NS,
    Reply,
    ScriptedServer,
    acknowledgment,
    envelope,
    whole,
)

FACILITY = "EXERCISE HOSPITAL"
NO_ACKNOWLEDGMENT = whole(envelope(f'<tns:submitMessageResponse xmlns:tns="{PATIENTS_NS}"/>'))
CLEAN = Summary(sent=6, acked=6, stored=6, lost=0, duplicated=0, client_errors=0,
                imports_completed=0, imports_partial=0, imports_expected=0, import_retries=0,
                facility_calls=0, facility_failures=0)


def load_with_one_broken_reply() -> tuple[list, LoadReport, list[str], str]:
    """Six messages through one client thread; the first is answered with no acknowledgment."""
    messages = [m for story in build_stories(6, facility=FACILITY, prefix="WA") for m in story]
    broken = messages[0].control_id

    def script(_number: int, body: bytes) -> Reply:
        # MSH-10 between its bars (the MRNs share the prefix, not the bars)
        return NO_ACKNOWLEDGMENT if f"|{broken}|".encode() in body else whole(acknowledgment())

    said: list[str] = []
    with ScriptedServer(script) as server:
        report = run_clients(server.url, Credentials(FACILITY, "pw"), [messages], clients=1,
                             duration=0, timeout=5, facility_every=1000, say=said.append)
    return messages, report, said, broken


def test_an_unexpected_exception_is_counted_and_the_thread_goes_on() -> None:
    messages, report, said, broken = load_with_one_broken_reply()
    assert report.failures == {"AttributeError": 1}
    assert report.sent == {m.control_id for m in messages}  # the five after it were sent
    assert set(report.acked) == {m.control_id for m in messages} - {broken}
    assert len(said) == 1 and "unexpected AttributeError" in said[0] and broken in said[0]


def test_client_failures_and_unsent_messages_fail_the_run(sqlite_db: Database) -> None:
    messages, report, _said, _broken = load_with_one_broken_reply()
    report.sent.discard(messages[-1].control_id)  # as if a thread had stopped before it
    summary = summarize(sqlite_db, FACILITY, messages, report, [], seeded_patients=0)
    assert (summary.client_failures, summary.unsent) == (1, 1)
    assert summary.failure_types == (("AttributeError", 1),)
    result = ExerciseResult(summary, ChaosReport(), 1.0)
    assert "unsent=1 client_failures=1" in result.details()
    assert result.resends().endswith("client failures: 1 x AttributeError")


@pytest.mark.parametrize("change", [{"client_failures": 1}, {"unsent": 1}])
def test_a_summary_with_broken_clients_or_a_shrunk_load_is_not_ok(change: dict) -> None:
    assert CLEAN.ok
    assert not dataclasses.replace(CLEAN, **change).ok
