"""The importer against JVM-written pushes, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from carebridge.config import Settings
from carebridge.integrator.importer import Importer, Result
from carebridge.integrator.scanner import ready_files
from carebridge.store.database import Database
from carebridge.store.models import CachedRecord, Document, ImportLog
from tests.integration.conftest import T0, PushFactory, deliver
from tests.jvm import PushFiles


def record_counts(db: Database, facility_id: int) -> dict[str, int]:
    with db.transaction() as session:
        rows = session.execute(
            select(CachedRecord.record_type, func.count())
            .where(CachedRecord.facility_id == facility_id)
            .group_by(CachedRecord.record_type)
        ).all()
    return dict(rows)


def import_logs(db: Database) -> list[ImportLog]:
    with db.transaction() as session:
        return list(session.scalars(select(ImportLog).order_by(ImportLog.id)))


def test_realistic_push_is_imported_completely(
    db: Database, settings: Settings, facilities: dict[str, int], realistic_push: PushFiles
) -> None:
    deliver(realistic_push, settings.incoming_dir)
    (outcome,) = Importer(db, settings).run_once()

    assert outcome.result == Result.COMPLETED, outcome.reason
    assert outcome.records == realistic_push.records
    counts = record_counts(db, facilities["clinic-a"])
    assert counts["DemographicTransfer"] == 220
    assert counts["CachedDemographicNote"] == 440
    assert counts["CachedAppointment"] == 440
    assert counts["CachedProgram"] == 3
    assert counts["CachedFacility"] == 1
    assert counts["CachedDemographicDocument"] == realistic_push.documents
    assert not any(k.startswith("unknown:") for k in outcome.counts)
    assert record_counts(db, facilities["clinic-b"]) == {}

    (row,) = import_logs(db)
    assert row.status == "COMPLETED" and row.checksum == realistic_push.checksum
    assert row.facility_id == facilities["clinic-a"]
    assert row.date_interval_end == T0
    assert row.counts["DemographicTransfer"] == 220

    # Every document is stored once, content addressed, and linked to its record.
    with db.transaction() as session:
        linked = session.execute(
            select(CachedRecord.record_key, Document.sha256, Document.content)
            .join(Document, Document.sha256 == CachedRecord.document_sha256)
            .where(CachedRecord.record_type == "CachedDemographicDocument")
        ).all()
    assert len(linked) == realistic_push.documents > 0
    assert all(hashlib.sha256(content).hexdigest() == sha for _, sha, content in linked)

    # Both zips moved to the archive; nothing left behind, nothing deleted.
    assert sorted(p.name for p in settings.archive_dir.iterdir()) == sorted(
        [realistic_push.main.name, realistic_push.docs.name])
    assert list(settings.incoming_dir.iterdir()) == []


def test_delta_waits_for_its_dependency_without_blocking_others(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory
) -> None:
    first = make_push(patients=4, date=T0)
    delta = make_push(patients=2, date=T0 + dt.timedelta(hours=1), last_date=T0,
                      depends_on=first.checksum, seed=2)
    other = make_push(username="clinic-b", patients=3, date=T0, emr_facility_id=9)

    deliver(delta, settings.incoming_dir)
    deliver(other, settings.incoming_dir)
    outcomes = {o.filename: o for o in Importer(db, settings).run_once()}
    assert outcomes[delta.main.name].result == Result.WAITING
    assert outcomes[other.main.name].result == Result.COMPLETED
    assert (settings.incoming_dir / delta.main.name).exists()  # left for the next scan

    deliver(first, settings.incoming_dir)
    outcomes = {o.filename: o for o in Importer(db, settings).run_once()}
    assert outcomes[first.main.name].result == Result.COMPLETED
    assert outcomes[delta.main.name].result == Result.COMPLETED
    rows = {r.filename: r for r in import_logs(db)}
    assert rows[delta.main.name].depends_on == first.checksum
    assert rows[delta.main.name].date_interval_start == T0


def test_same_file_again_is_already_imported_and_changes_nothing(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory
) -> None:
    push = make_push(patients=3)
    deliver(push, settings.incoming_dir)
    Importer(db, settings).run_once()
    before = record_counts(db, facilities["clinic-a"])

    deliver(push, settings.incoming_dir)
    (outcome,) = Importer(db, settings).run_once()
    assert outcome.result == Result.ALREADY_IMPORTED
    assert record_counts(db, facilities["clinic-a"]) == before
    assert len(import_logs(db)) == 1
    assert list(settings.incoming_dir.iterdir()) == []
    assert len(list(settings.archive_dir.iterdir())) == 4  # both copies kept, renamed


def test_a_later_full_push_replaces_records_instead_of_adding(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory
) -> None:
    first = make_push(patients=5, seed=3)
    second = make_push(patients=5, seed=3, date=T0 + dt.timedelta(days=1))
    seen = []
    for push in (first, second):
        deliver(push, settings.incoming_dir)
        (outcome,) = Importer(db, settings).run_once()
        assert outcome.result == Result.COMPLETED
        seen.append(record_counts(db, facilities["clinic-a"]))
    assert seen[0] == seen[1]
    assert seen[0]["DemographicTransfer"] == 5
    assert sum(seen[0].values()) == first.records


def test_unknown_classes_are_kept_and_counted(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory
) -> None:
    push = make_push(patients=2, provider_messages=3)
    deliver(push, settings.incoming_dir)
    (outcome,) = Importer(db, settings).run_once()
    assert outcome.result == Result.COMPLETED
    unknown = "org.oscarehr.caisi_integrator.ws.ProviderCommunicationTransfer"
    assert outcome.counts["unknown:" + unknown] == 3
    assert record_counts(db, facilities["clinic-a"])[unknown] == 3
    assert outcome.records == push.records
    (row,) = import_logs(db)
    assert row.counts["unknown:" + unknown] == 3


def test_older_file_after_newer_data_is_an_error(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory
) -> None:
    newer = make_push(patients=2, date=T0 + dt.timedelta(days=2))
    older = make_push(patients=2, date=T0, seed=5)
    deliver(newer, settings.incoming_dir)
    Importer(db, settings).run_once()
    deliver(older, settings.incoming_dir)
    (outcome,) = Importer(db, settings).run_once()
    assert outcome.result == Result.ERROR
    assert "INTEGRATOR_HAS_NEWER_DATA" in outcome.reason
    assert (settings.archive_dir / older.main.name).exists()


@pytest.mark.parametrize(
    ("variant", "reason"),
    [
        ({"footer": False}, "does not end with IntegratorFileFooter"),
        ({"truncate_last_ser": 40}, "ends in the middle of an object"),
        ({"header_version": 2}, "IntegratorFileHeader"),
        ({"username": "nobody-registered"}, "no facility named 'nobody-registered'"),
    ],
)
def test_broken_pushes_are_errors_and_nothing_stays_imported(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory,
    variant: dict, reason: str,
) -> None:
    push = make_push(patients=30, **variant)
    deliver(push, settings.incoming_dir)
    (outcome,) = Importer(db, settings).run_once()
    assert outcome.result == Result.ERROR
    assert reason in outcome.reason
    assert record_counts(db, facilities["clinic-a"]) == {}
    (row,) = import_logs(db)
    assert row.status == "ERROR" and reason in row.reason
    assert (settings.archive_dir / push.main.name).exists()


def test_hostile_zips_are_refused(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory,
    tmp_path: Path,
) -> None:
    push = make_push(patients=2)
    slip = settings.incoming_dir / push.main.name
    shutil.copy(push.main, slip)
    with zipfile.ZipFile(slip, "a") as zf:
        zf.writestr("../../outside.txt", b"escape")
    bomb = settings.incoming_dir / push.main.name.replace("_00.zip", "_01.zip")
    shutil.copy(push.main, bomb)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("padding.bin", b"\0" * 50_000_000)
    bad_name = settings.incoming_dir / "IntegratorPush_clinic_today.zip"
    shutil.copy(push.main, bad_name)

    outcomes = {o.filename: o for o in Importer(db, settings).run_once()}
    assert "climbs out" in outcomes[slip.name].reason
    assert "compression ratio" in outcomes[bomb.name].reason
    assert "does not match IntegratorPush_" in outcomes[bad_name.name].reason
    assert all(o.result == Result.ERROR for o in outcomes.values())
    assert not (tmp_path / "outside.txt").exists()
    assert record_counts(db, facilities["clinic-a"]) == {}
    assert list(settings.incoming_dir.iterdir()) == []


def test_files_still_being_written_are_left_alone(sqlite_settings: Settings, tmp_path: Path):
    incoming = sqlite_settings.incoming_dir
    (incoming / "IntegratorPush_1_2024_03_01_09_00_00.zip").write_bytes(b"still copying")
    (incoming / "IntegratorPush_1_2024_03_01_09_00_00.zip.part").write_bytes(b"x")
    (incoming / "IntegratorPush_1_2024_03_01_09_00_00-Docs.zip").write_bytes(b"x")
    assert ready_files(incoming, settle_seconds=60) == []
    assert [p.name for p in ready_files(incoming, settle_seconds=0)] == [
        "IntegratorPush_1_2024_03_01_09_00_00.zip"]


def test_a_dependency_that_never_arrives_ends_in_error(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory
) -> None:
    orphan = make_push(patients=2, depends_on="f" * 32)
    deliver(orphan, settings.incoming_dir)
    (waiting,) = Importer(db, settings).run_once()
    assert waiting.result == Result.WAITING
    impatient = settings.replace(dependency_wait_seconds=0)
    (outcome,) = Importer(db, impatient).run_once()
    assert outcome.result == Result.ERROR and outcome.reason.startswith("DEPENDENCY_NOT_MET")
    (row,) = import_logs(db)
    assert row.status == "ERROR" and row.depends_on == "f" * 32
    assert (settings.archive_dir / orphan.main.name).exists()
