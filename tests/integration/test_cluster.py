"""A real cluster on loopback: PostgreSQL, two nodes, HAProxy; a node dies, nothing is lost."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from sqlalchemy import func, select

from carebridge.cluster.haproxy import haproxy_binary
from carebridge.cluster.local import LocalCluster
from carebridge.hl7.make_adt import generate
from carebridge.soap.client import ServiceClient
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.models import HL7Message

ROOT = Path(__file__).resolve().parents[2]
FACILITY, PASSWORD = "TORONTO GENERAL", "tg-secret"


def test_the_deploy_haproxy_config_is_valid() -> None:
    checked = subprocess.run([haproxy_binary(), "-c", "-f", str(ROOT / "deploy/haproxy.cfg")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_requests_fail_over_when_a_node_is_killed(tmp_path: Path) -> None:
    cluster = LocalCluster(2, root=tmp_path).start()
    try:
        db = Database(cluster.settings)
        with db.transaction() as session:
            add_facility(session, FACILITY, PASSWORD)
        header = "event|mrn|assigning_authority|last_name|first_name"
        messages = generate("\n".join([header] + [f"A01|{n}|HOSP|FAIL|OVER" for n in range(20)])
                            + "\n", sending_facility=FACILITY, control_id_prefix="HA",
                            now=dt.datetime(2024, 3, 20)).messages
        # A client as the contract expects: resend the same message on a connection error.
        client = ServiceClient("PatientSubmission.wsdl",
                               "{urn:carebridge:patients:1}PatientSubmissionService",
                               cluster.url + "/services/PatientSubmission", FACILITY, PASSWORD,
                               timeout=30, retries=5, backoff=0.2)
        codes = [client.call("submitMessage", m).ackCode for m in messages[:10]]
        cluster.nodes[0].kill()  # no drain: a crash
        codes += [client.call("submitMessage", m).ackCode for m in messages[10:]]
        assert codes == ["AA"] * 20
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(HL7Message)) == 20
        db.dispose()
    finally:
        cluster.stop()
