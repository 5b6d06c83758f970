"""OSCAR's own call sequences against carebridge, through a JAX-WS client whose stubs carry
the real stubs' annotations (tests/oscar_stubs.py), OSCAR's WS-Security header and ports
made from the live ``?wsdl`` (tests/java/oscar: OscarSequences).

The stage is three facilities' JVM-written pushes (tests/support/shared_record.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from carebridge_lab.haproxy import HAProxy, render_config
from carebridge_lab.net import free_port, wait_http_ok
from tests import jaxws
from tests.support.server import Node
from tests.support.shared_record import PASSWORDS, Shared

pytestmark = pytest.mark.jvm


@pytest.fixture(scope="session")
def oscar_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert jaxws.jaxws_available(), "the JAX-WS RI jars (Debian libjaxws-java) are required"
    build = tmp_path_factory.mktemp("oscar-client")
    jaxws.build_oscar_client(build)
    return build


def oscar(build: Path, shared: Shared, facility: str, *sequence: str,
          provider: str = "999998", base: str | None = None) -> dict:
    return jaxws.run_oscar(build, "--provider", provider,
                           (base or shared.node.url) + "/caisi_integrator/ws", facility,
                           PASSWORDS[facility], *sequence)


def test_push_cycle_and_status_page(oscar_build: Path, shared: Shared) -> None:
    push = shared.pushes["clinic-a"]
    cycle = oscar(oscar_build, shared, "clinic-a", "push-cycle", push.main.name, push.checksum)
    assert cycle == {"cachedFacilityId": shared.ids["clinic-a"],
                     "cachedFacilityName": cycle["cachedFacilityName"],
                     "statuses": ["COMPLETED"], "exit": 0}
    page = oscar(oscar_build, shared, "clinic-b", "status-page")
    assert {f["id"]: f["mine"] for f in page["facilities"]} == {
        i: name == "clinic-b" for name, i in shared.ids.items()}


def test_chart_consent_and_linking_as_oscar_does(oscar_build: Path, shared: Shared) -> None:
    a_number = shared.demographics("clinic-a")[0].demographic_no
    b_number = shared.demographics("clinic-b")[0].demographic_no
    before = oscar(oscar_build, shared, "clinic-a", "chart", str(a_number))
    assert before["metadata"] == before["notes"] == before["drugs"] == 0
    # clinic-b's OSCAR records its patient's consent (pushConsent), then reads the state.
    given = oscar(oscar_build, shared, "clinic-b", "consent", str(b_number), "GIVEN")
    assert given["consentState"] == "ALL"
    chart = oscar(oscar_build, shared, "clinic-a", "chart", str(a_number))
    assert chart["metadata"] == chart["notes"] > 0 and chart["firstNote"]
    assert chart["noteFacility"] == shared.ids["clinic-b"]
    assert chart["drugs"] > 0 and chart["documents"] > 0 and chart["documentBytes"] > 0
    screen = oscar(oscar_build, shared, "clinic-a", "link-screen", str(a_number))
    assert [(d["facility"], d["demographic"]) for d in screen["direct"]] == [
        (shared.ids["clinic-b"], b_number)]
    assert screen["direct"][0]["facilityName"]
    revoked = oscar(oscar_build, shared, "clinic-b", "consent", str(b_number), "REVOKED")
    assert revoked["consentState"] == "NONE"
    assert oscar(oscar_build, shared, "clinic-a", "chart", str(a_number))["notes"] == 0


def test_link_and_unlink_from_the_linking_screen(oscar_build: Path, shared: Shared) -> None:
    a_number = shared.demographics("clinic-a")[2].demographic_no
    c_number = shared.demographics("clinic-c")[1].demographic_no
    oscar(oscar_build, shared, "clinic-c", "consent", str(c_number), "GIVEN")
    linked = oscar(oscar_build, shared, "clinic-a", "link-screen", str(a_number),
                   str(shared.ids["clinic-c"]), str(c_number))
    assert [(d["facility"], d["demographic"]) for d in linked["linked"]] == [
        (shared.ids["clinic-c"], c_number)]
    assert oscar(oscar_build, shared, "clinic-a", "chart", str(a_number))["notes"] > 0
    oscar(oscar_build, shared, "clinic-a", "unlink", str(a_number), str(shared.ids["clinic-c"]),
          str(c_number))
    assert oscar(oscar_build, shared, "clinic-a", "link-screen", str(a_number))["linked"] == []


def test_matching_search(oscar_build: Path, shared: Shared) -> None:
    a = shared.demographics("clinic-a")[1]
    b = shared.demographics("clinic-b")[1]
    oscar(oscar_build, shared, "clinic-b", "consent", str(b.demographic_no), "GIVEN")
    assert a.first_name and a.last_name and a.birth_date and a.hin
    found = oscar(oscar_build, shared, "clinic-a", "match", a.first_name, a.last_name,
                  a.birth_date, a.hin)
    assert {"facility": shared.ids["clinic-b"], "demographic": b.demographic_no,
            "score": 70} in found["matches"]
    assert all(m["facility"] != shared.ids["clinic-a"] for m in found["matches"])


def test_hnr_offline_as_oscar_sees_it(oscar_build: Path, shared: Shared) -> None:
    """The ConnectException Fault arrives as the stubs' checked ConnectException_Exception."""
    assert oscar(oscar_build, shared, "clinic-a", "hnr", "1") == {
        "hnr": "offline", "message": "HNR Server unavailable.", "exit": 0}


def test_directory_and_unsupported_fault(oscar_build: Path, shared: Shared) -> None:
    directory = oscar(oscar_build, shared, "clinic-a", "directory")
    assert directory["programs"] > 0 and directory["providers"] > 0
    assert directory["referralPrograms"] < directory["programs"]


def test_through_haproxy_in_front_of_two_nodes(oscar_build: Path, shared: Shared,
                                              tmp_path: Path) -> None:
    """OSCAR pointed at the balancer: the WSDLs advertise the balancer, every call goes
    through it and either node answers."""
    second = Node(shared.settings).start()
    port = free_port()
    proxy = HAProxy(render_config(f"127.0.0.1:{port}", [
        ("node1", f"127.0.0.1:{shared.node.port}"), ("node2", f"127.0.0.1:{second.port}")]),
        tmp_path).start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http_ok(base + "/health", timeout=30)
        page = oscar(oscar_build, shared, "clinic-a", "status-page", base=base)
        assert page["address"] == base + "/caisi_integrator/ws/FacilityService"
        assert len(page["facilities"]) == len(shared.ids)
        b_number = shared.demographics("clinic-b")[1].demographic_no
        oscar(oscar_build, shared, "clinic-b", "consent", str(b_number), "GIVEN", base=base)
        a_number = shared.demographics("clinic-a")[1].demographic_no
        for _ in range(2):  # round robin: one chart from each node
            chart = oscar(oscar_build, shared, "clinic-a", "chart", str(a_number), base=base)
            assert chart["notes"] > 0 and chart["noteFacility"] == shared.ids["clinic-b"]
    finally:
        proxy.stop()
        second.stop()
