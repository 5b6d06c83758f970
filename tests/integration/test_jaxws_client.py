"""FacilityService called by a real JAX-WS client (the JAX-WS RI, stubs made by wsimport).

StatusCheck (tests/java/jaxws) builds its port as OSCAR's CaisiIntegratorManager does: from
the node's live ``?wsdl``, with the endpoint address that WSDL advertises, a PasswordText
UsernameToken marked mustUnderstand=1 and, optionally, the requestingCaisiProviderNo header.
Each call is one JVM (~0.5 s); independent calls of a test run side by side.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests import jaxws
from tests.conftest import FACILITIES
from tests.integration.conftest import T0, Stack

pytestmark = pytest.mark.jvm

DAY = dt.timedelta(days=1)


@pytest.fixture(scope="session")
def jaxws_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert jaxws.jaxws_available(), (
        "java/javac and the JAX-WS RI jars (Debian libjaxws-java) are required; "
        "tests/system-deps.sh installs them")
    build_dir = tmp_path_factory.mktemp("jaxws")
    jaxws.build_client(build_dir)
    return build_dir


def call(build: Path, stack: Stack, *command: str, user: str = "clinic-a",
         password: str | None = None, provider: str | None = None, trace: bool = False,
         expect_failure: bool = False) -> dict:
    flags = ("--provider", provider) if provider is not None else ()
    if trace:
        flags += ("--trace",)
    return jaxws.run_client(build, *flags, stack.endpoint, user,
                            password if password is not None else FACILITIES[user],
                            *command, expect_failure=expect_failure)


def call_all(build: Path, stack: Stack, calls: Sequence[tuple[tuple[str, ...], dict]]
             ) -> list[dict]:
    """Run several StatusCheck calls at once; results in order (first error raised)."""
    with ThreadPoolExecutor(max_workers=min(len(calls), max(2, os.cpu_count() or 1))) as pool:
        futures = [pool.submit(call, build, stack, *command, **options)
                   for command, options in calls]
        return [future.result() for future in futures]


def when(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def test_by_file_returns_the_logged_row(jaxws_build: Path, stack: Stack) -> None:
    filename, checksum = "IntegratorPush_1_jaxws.zip", "a1" * 16
    log_id = stack.add_log("clinic-a", filename, checksum, start=T0 - DAY, end=T0)
    result = call(jaxws_build, stack, "by-file", filename, checksum, trace=True)
    request = result["trace"].split("--- request ---", 1)[1].split("--- reply ---", 1)[0]
    assert 'mustUnderstand="1"' in request  # what WSS4J sends, and the node must accept
    assert "#PasswordText\">secret-a</wsse:Password>" in request
    # the port's address is the one the live WSDL advertises: OSCAR never overrides it
    assert result["address"] == stack.endpoint
    (log,) = result["logs"]
    assert log["id"] == log_id
    assert log["status"] == "COMPLETED"
    assert log["facilityId"] == stack.ids["clinic-a"]
    assert (log["filename"], log["checksum"]) == (filename, checksum)
    assert log["dependsOn"] is None
    assert when(log["dateIntervalEnd"]) == T0
    assert when(log["dateIntervalStart"]) == T0 - DAY
    assert when(log["dateCreated"]) == T0
    assert when(log["lastUpdatedDate"]) == T0


def test_since_can_process_and_my_facility(jaxws_build: Path, stack: Stack) -> None:
    later = T0 + 3 * DAY
    stack.add_log("clinic-b", "IntegratorPush_9_jaxws_a.zip", "b1" * 16, start=T0, end=T0)
    stack.add_log("clinic-b", "IntegratorPush_9_jaxws_b.zip", "b2" * 16, start=later, end=later)
    # T0 + 1 day written with a -05:00 offset, as a JVM outside UTC would send it
    since = (T0 + DAY).astimezone(dt.timezone(-dt.timedelta(hours=5))).isoformat()
    opts = {"user": "clinic-b"}
    after, everything, imported, ok, newer, facility = call_all(jaxws_build, stack, [
        (("since", since), opts),
        (("since", "-"), opts),
        (("can-process", "x.zip", "b2" * 16, "-", later.isoformat(), "-"), opts),
        (("can-process", "x.zip", "b3" * 16, later.isoformat(),
          (later + dt.timedelta(hours=1)).isoformat(), "b2" * 16), opts),
        (("can-process", "x.zip", "b3" * 16, "-", T0.isoformat(), "-"), opts),
        (("my-facility",), opts),
    ])
    assert [log["filename"] for log in after["logs"]] == ["IntegratorPush_9_jaxws_b.zip"]
    assert {"IntegratorPush_9_jaxws_a.zip", "IntegratorPush_9_jaxws_b.zip"} <= {
        log["filename"] for log in everything["logs"]}
    assert all(log["facilityId"] == stack.ids["clinic-b"] for log in everything["logs"])
    assert imported["result"] == "ALREADY_IMPORTED"
    assert ok["result"] == "OK"
    assert newer["result"] == "INTEGRATOR_HAS_NEWER_DATA"
    assert facility["facility"]["name"] == "clinic-b"
    assert facility["facility"]["integratorFacilityId"] == stack.ids["clinic-b"]


def test_wrong_credentials_fault_without_data(jaxws_build: Path, stack: Stack) -> None:
    filename, checksum = "IntegratorPush_1_jaxws_secret.zip", "c1" * 16
    stack.add_log("clinic-a", filename, checksum)
    results = call_all(jaxws_build, stack, [
        (("by-file", filename, checksum), {"password": "wrong", "expect_failure": True}),
        (("by-file", filename, checksum),
         {"user": "clinic-b", "password": "secret-a", "expect_failure": True}),
    ])
    for result in results:
        assert result["exit"] == 3, result
        assert "could not be authenticated" in result["fault"]
        assert "logs" not in result
        assert filename not in str(result)


def test_requesting_provider_header_is_logged(jaxws_build: Path, stack: Stack) -> None:
    result = call(jaxws_build, stack, "my-facility", provider="777123", trace=True)
    assert result["facility"]["name"] == "clinic-a"
    assert ('<caisi:requestingCaisiProviderNo xmlns:caisi="http://oscarehr.org/caisi">777123'
            in result["trace"])
    deadline = time.monotonic() + 5
    while "for provider 777123" not in stack.node.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "for provider 777123" in stack.node.log_text()


def test_a_facility_does_not_see_another_facilitys_file(jaxws_build: Path,
                                                        stack: Stack) -> None:
    filename, checksum = "IntegratorPush_1_jaxws_private.zip", "d1" * 16
    log_id = stack.add_log("clinic-a", filename, checksum)
    theirs, ours = call_all(jaxws_build, stack, [
        (("by-file", filename, checksum), {"user": "clinic-b"}),
        (("by-file", filename, checksum), {"user": "clinic-a"}),
    ])
    assert theirs["logs"] == []
    assert [log["id"] for log in ours["logs"]] == [log_id]
