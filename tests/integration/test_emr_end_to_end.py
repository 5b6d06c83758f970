"""The EMR side end to end, all real: seed, export, ship, serve imports, check-status.

Then a delta of exactly the changed patients, and a push whose prerequisite never
arrives, which ends ERROR on the integrator and in the EMR's IntegratorFileLog.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select, update

from carebridge.config import Settings
from carebridge.emr.database import EmrDatabase
from carebridge.emr.schema import CaseManagementNote, Demographic, IntegratorFileLog
from carebridge.oscar.archive import HEADER_CLASS, ZipLimits, open_push
from carebridge.oscar.javaread import JavaObject
from carebridge.store.database import Database
from carebridge.store.migrate import upgrade
from carebridge.store.models import CachedRecord
from tests.conftest import add_facilities, make_settings
from tests.support.server import Node, in_terminal, settings_env

LIMITS = ZipLimits(10**9, 10**10, 1000)


def carebridge(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "carebridge", *args],
                          env=settings_env(settings), capture_output=True, text=True,
                          timeout=300)


def push_contents(path: Path) -> tuple[JavaObject, list[int]]:
    """The header and the demographic numbers of a push, read with carebridge's reader."""
    header, patients = None, []
    with open_push(path, LIMITS) as archive:
        for _entry, obj in archive.objects():
            if isinstance(obj, JavaObject) and obj.class_name == HEADER_CLASS:
                header = obj
            elif isinstance(obj, JavaObject) and obj.simple_name == "DemographicTransfer":
                patients.append(obj.get("caisiDemographicId"))
    assert header is not None
    return header, sorted(patients)


def wait_for_status(settings: Settings, emr: EmrDatabase, filename: str, wanted: str) -> None:
    deadline = time.monotonic() + 90
    status = None
    while time.monotonic() < deadline:
        result = carebridge(settings, "emr", "check-status")
        assert result.returncode == 0, result.stderr
        with emr.transaction() as session:
            status = session.scalars(select(IntegratorFileLog.integratorStatus).where(
                IntegratorFileLog.filename == filename)).one()
        if status == wanted:
            return
        time.sleep(0.5)
    raise AssertionError(f"{filename} is {status}, not {wanted}")


def test_full_then_delta_then_missing_prerequisite(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, f"sqlite:///{tmp_path}/integrator.sqlite", scan_interval=0.3,
        dependency_wait_seconds=0, emr_database_url=f"sqlite:///{tmp_path}/emr.sqlite",
        emr_export_dir=tmp_path / "emr-out", emr_document_dir=tmp_path / "emr-docs")
    upgrade(settings.database_url)
    integrator = Database(settings)
    add_facilities(integrator)
    node = Node(settings, importer=True).start()
    emr = EmrDatabase(settings.emr.database_url)
    try:
        seeded = carebridge(settings, "emr", "seed", "--patients", "30",
                            "--integrator-url", node.url + "/caisi_integrator/ws",
                            "--integrator-user", "clinic-a", "--integrator-password", "secret-a")
        assert seeded.returncode == 0, seeded.stderr

        # 1. The first push is full; shipped, imported by `serve`, and reported COMPLETED.
        first = carebridge(settings, "emr", "export")
        assert first.returncode == 0, first.stderr
        (first_zip,) = settings.emr.export_dir.glob("IntegratorPush_*[0-9].zip")
        header, patients = push_contents(first_zip)
        assert header.get("dependsOn") is None and len(patients) == 30
        first_checksum = _checksum(emr, first_zip.name)
        assert carebridge(settings, "emr", "ship", "--to",
                          str(settings.importer.incoming_dir)).returncode == 0
        wait_for_status(settings, emr, first_zip.name, "COMPLETED")

        # 2. Three patients change (demographics, a note, an appointment's patient).
        time.sleep(1.1)  # the next push must be dated after the first
        changed = [1003, 1011, 1024]
        later = dt.datetime.now() + dt.timedelta(seconds=1)
        with emr.transaction() as session:
            session.execute(update(Demographic).where(Demographic.demographic_no == 1003)
                            .values(last_name="Renamed", lastUpdateDate=later))
            session.execute(update(CaseManagementNote).where(
                CaseManagementNote.demographic_no == 1011).values(update_date=later))
            session.execute(update(Demographic).where(Demographic.demographic_no == 1024)
                            .values(phone="416-555-9999", lastUpdateDate=later))
        time.sleep(1.1)
        second = carebridge(settings, "emr", "export")
        assert second.returncode == 0, second.stderr
        second_zip = _newest(settings.emr.export_dir)
        header, patients = push_contents(second_zip)
        assert patients == changed
        assert header.get("dependsOn") == first_checksum
        assert carebridge(settings, "emr", "ship", "--to",
                          str(settings.importer.incoming_dir)).returncode == 0
        wait_for_status(settings, emr, second_zip.name, "COMPLETED")
        with integrator.transaction() as session:
            payload = session.scalars(select(CachedRecord.payload).where(
                CachedRecord.record_type == "DemographicTransfer",
                CachedRecord.record_key == "1003")).one()
        assert payload["lastName"] == "Renamed"

        # 3. A push whose prerequisite never reaches the integrator ends ERROR on both sides.
        touch_patient(emr, 1005)
        assert carebridge(settings, "emr", "export").returncode == 0
        lost = _newest(settings.emr.export_dir)
        lost.rename(tmp_path / lost.name)  # never shipped
        touch_patient(emr, 1006)
        assert carebridge(settings, "emr", "export").returncode == 0
        orphan = _newest(settings.emr.export_dir)
        assert carebridge(settings, "emr", "ship", "--to",
                          str(settings.importer.incoming_dir)).returncode == 0
        wait_for_status(settings, emr, orphan.name, "ERROR")
    finally:
        node.stop()
        emr.dispose()
        integrator.dispose()


def touch_patient(emr: EmrDatabase, number: int) -> None:
    """A change to one patient, dated after the last push and before the next one."""
    time.sleep(1.1)
    with emr.transaction() as session:
        session.execute(update(Demographic).where(Demographic.demographic_no == number)
                        .values(lastUpdateDate=dt.datetime.now() + dt.timedelta(seconds=1)))
    time.sleep(1.1)


def _checksum(emr: EmrDatabase, filename: str) -> str:
    with emr.transaction() as session:
        return session.scalars(select(IntegratorFileLog.checksum).where(
            IntegratorFileLog.filename == filename)).one()


def _newest(folder: Path) -> Path:
    mains = [p for p in folder.glob("IntegratorPush_*.zip") if not p.name.endswith("-Docs.zip")]
    return max(mains, key=lambda p: p.name)


def exported_to_nowhere(tmp_path: Path) -> Settings:
    """An EMR with one push, whose integrator URL points at a closed loopback port."""
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/i.sqlite",
                             emr_database_url=f"sqlite:///{tmp_path}/emr.sqlite",
                             emr_export_dir=tmp_path / "emr-out",
                             emr_document_dir=tmp_path / "emr-docs")
    assert carebridge(settings, "emr", "seed", "--patients", "3", "--integrator-url",
                      "http://127.0.0.1:9/caisi_integrator/ws", "--integrator-user", "clinic-a",
                      "--integrator-password", "x").returncode == 0
    assert carebridge(settings, "emr", "export").returncode == 0
    return settings


def test_unreachable_integrator_changes_nothing(tmp_path: Path) -> None:
    settings = exported_to_nowhere(tmp_path)
    result = carebridge(settings, "emr", "check-status", "--timeout", "1")
    assert result.returncode == 1
    assert "did not answer" in result.stderr and "Traceback" not in result.stderr
    emr = EmrDatabase(settings.emr.database_url)
    with emr.transaction() as session:
        assert session.scalars(select(IntegratorFileLog.integratorStatus)).all() == [None]
    emr.dispose()


def test_check_status_every_keeps_going_through_outages(tmp_path: Path) -> None:
    settings = exported_to_nowhere(tmp_path)
    job = subprocess.Popen([sys.executable, "-m", "carebridge", "emr", "check-status",
                            "--timeout", "0.5", "--retries", "0", "--every", "0.2"],
                           env=settings_env(settings),
                           stderr=subprocess.PIPE, text=True)
    time.sleep(6)
    job.terminate()
    _, stderr = job.communicate(timeout=30)
    assert stderr.count("error: the integrator") >= 2  # still scheduled after failures


def test_export_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/i.sqlite",
                             emr_database_url=f"sqlite:///{tmp_path}/emr.sqlite",
                             emr_export_dir=tmp_path / "emr-out",
                             emr_document_dir=tmp_path / "emr-docs")
    assert carebridge(settings, "emr", "seed", "--patients", "600").returncode == 0
    code, text = in_terminal(["emr", "export"], settings)
    assert code == 0
    assert "━" in text and "600/600" in text and "full, 600 patients" in text
