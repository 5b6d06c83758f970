"""The whole story: a push lands in incoming, the node imports it, OSCAR's status call sees it."""

from __future__ import annotations

import time
from pathlib import Path

import zeep
from zeep.wsse.username import UsernameToken

from carebridge.contracts import contract_path
from carebridge.store.database import Database
from tests.conftest import add_facilities, make_settings
from tests.integration.conftest import BINDING, PATH, PushFactory, deliver
from tests.support.server import Node


def test_serve_imports_and_reports_status(tmp_path: Path, make_push: PushFactory) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/e2e.sqlite", scan_interval=0.3)
    from carebridge.store.migrate import upgrade

    upgrade(settings.database_url)
    db = Database(settings)
    add_facilities(db)
    node = Node(settings, importer=True).start()
    try:
        push = make_push(patients=12)
        deliver(push, settings.importer.incoming_dir)
        client = zeep.Client(str(contract_path("wsdl", "FacilityService.wsdl")),
                             wsse=UsernameToken("clinic-a", "secret-a"))
        service = client.create_service(BINDING, node.url + PATH)
        deadline = time.monotonic() + 60
        logs: list = []
        while time.monotonic() < deadline:
            logs = service.getImportLogByFilenameAndChecksum(push.main.name, push.checksum)
            if logs and logs[0].status == "COMPLETED":
                break
            time.sleep(0.3)
        assert [(log.filename, log.status) for log in logs] == [(push.main.name, "COMPLETED")]
        assert (settings.importer.archive_dir / push.main.name).exists()
    finally:
        node.stop()
        db.dispose()
    assert "imported for facility clinic-a" in node.log_text()


def test_sigterm_drains_before_stopping(tmp_path: Path) -> None:
    import signal
    import urllib.request

    from carebridge_lab.net import wait_http_ok

    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/drain.sqlite", drain_seconds=3)
    from carebridge.store.migrate import upgrade

    upgrade(settings.database_url)
    node = Node(settings).start()
    node.process.send_signal(signal.SIGTERM)
    # Out of the load balancer (503) within 2 s, still answering.
    wait_http_ok(node.url + "/health", timeout=2, status=503)
    with urllib.request.urlopen(node.url + "/caisi_integrator/ws/FacilityService?wsdl",
                                timeout=2) as response:
        assert response.status == 200  # requests still served while draining
    assert node.process.wait(timeout=30) == 0
    assert "draining" in node.log_text()
