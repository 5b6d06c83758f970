"""Migration 0006 on existing data, and the facility commands that register domains."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from carebridge.config import Settings
from carebridge.store.database import Database
from carebridge.store.migrate import upgrade
from carebridge.store.models import FacilityAuthority, HL7Message, HL7Rejection


def test_existing_facilities_own_their_name_and_refusals_leave_the_journal(
        settings: Settings) -> None:
    url = settings.database_url
    upgrade(url, "0005")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO facility (id, name, password_hash, enabled, is_admin, created_at) "
            "VALUES (1, 'GHH', 'x', true, false, '2024-01-01 00:00:00'),"
            " (2, 'OTHER', 'x', true, false, '2024-01-01 00:00:00')"))
        for row_id, control, reply in (
                (1, "OK1", '{"errors": []}'),
                (2, "SQ1", '{"errors": ["MSH-4: MSH-4 is not the authenticated facility (207)"]}'),
                (3, "unparsed:abc", '{"errors": ["message: not HL7 (100)"]}')):
            conn.execute(sa.text(
                "INSERT INTO hl7_message (id, facility_id, sending_application, "
                "sending_facility, control_id, encoding, body_sha256, raw, ack_code, reply, "
                "received_at) VALUES (:id, 1, 'ADT1', :fac, :control, 'er7', 'h', :raw, :ack,"
                " :reply, '2024-01-01 00:00:00')"),
                {"id": row_id, "fac": "OTHER" if control == "SQ1" else "GHH",
                 "control": control, "raw": "R" * 100_000, "reply": reply,
                 "ack": "AA" if control == "OK1" else "AR"})
    engine.dispose()
    upgrade(url)
    db = Database(settings)
    with db.transaction() as session:
        owners = session.execute(sa.select(FacilityAuthority.facility_id,
                                           FacilityAuthority.authority)).all()
        journal = session.scalars(sa.select(HL7Message.control_id)).all()
        moved = session.execute(sa.select(HL7Rejection.control_id, HL7Rejection.body_length,
                                          sa.func.length(HL7Rejection.body_prefix))
                                .order_by(HL7Rejection.id)).all()
    db.dispose()
    assert sorted(owners) == [(1, "GHH"), (2, "OTHER")]
    assert journal == ["OK1"]
    assert [tuple(m) for m in moved] == [("SQ1", 100_000, 65536), (None, 100_000, 65536)]


def run(tmp_path: Path, *args: str, stdin: str = "pw\n") -> subprocess.CompletedProcess[str]:
    env = {"CAREBRIDGE_DATABASE_URL": f"sqlite:///{tmp_path}/cb.sqlite",
           "CAREBRIDGE_SECRET_KEY": "k" * 32, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "carebridge", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)


def test_facility_add_registers_authorities_and_refuses_a_taken_one(tmp_path: Path) -> None:
    assert run(tmp_path, "db", "upgrade").returncode == 0
    added = run(tmp_path, "facility", "add", "GHH", "--authority", "GHH",
                "--authority", "GHH-LAB")
    assert added.returncode == 0, added.stderr
    assert run(tmp_path, "facility", "add", "OTHER").returncode == 0
    taken = run(tmp_path, "facility", "add", "THIRD", "--authority", "GHH-LAB")
    assert taken.returncode == 1
    assert "assigning authority 'GHH-LAB' already belongs to facility 'GHH'" in taken.stderr
    listed = json.loads(run(tmp_path, "facility", "list", "--json").stdout)
    assert [(f["name"], f["authorities"]) for f in listed] == [
        ("GHH", ["GHH", "GHH-LAB"]), ("OTHER", ["OTHER"])]
