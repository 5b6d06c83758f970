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
from carebridge.integrator.importer import Importer
from carebridge.integrator.push_import import Result
from carebridge.integrator.scanner import ready_files
from carebridge.oscar.archive import checksum as push_checksum
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.models import CachedRecord, Document, ImportLog
from tests.integration.conftest import T0, PushFactory, Stack, deliver
from tests.jvm import PushFiles
from tests.support.pushes import patient, write_push


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
    deliver(realistic_push, settings.importer.incoming_dir)
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
    assert sorted(p.name for p in settings.importer.archive_dir.iterdir()) == sorted(
        [realistic_push.main.name, realistic_push.docs.name])
    assert list(settings.importer.incoming_dir.iterdir()) == []


def test_delta_waits_for_its_dependency_without_blocking_others(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory
) -> None:
    first = make_push(patients=4, date=T0)
    delta = make_push(patients=2, date=T0 + dt.timedelta(hours=1), last_date=T0,
                      depends_on=first.checksum, seed=2)
    other = make_push(username="clinic-b", patients=3, date=T0, emr_facility_id=9)

    deliver(delta, settings.importer.incoming_dir)
    deliver(other, settings.importer.incoming_dir)
    outcomes = {o.filename: o for o in Importer(db, settings).run_once()}
    assert outcomes[delta.main.name].result == Result.WAITING
    assert outcomes[other.main.name].result == Result.COMPLETED
    assert (settings.importer.incoming_dir / delta.main.name).exists()  # left for the next scan

    deliver(first, settings.importer.incoming_dir)
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
    deliver(push, settings.importer.incoming_dir)
    Importer(db, settings).run_once()
    before = record_counts(db, facilities["clinic-a"])

    deliver(push, settings.importer.incoming_dir)
    (outcome,) = Importer(db, settings).run_once()
    assert outcome.result == Result.ALREADY_IMPORTED
    assert record_counts(db, facilities["clinic-a"]) == before
    assert len(import_logs(db)) == 1
    assert list(settings.importer.incoming_dir.iterdir()) == []
    assert len(list(settings.importer.archive_dir.iterdir())) == 4  # both copies kept, renamed


def test_a_later_full_push_replaces_records_instead_of_adding(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory
) -> None:
    first = make_push(patients=5, seed=3)
    second = make_push(patients=5, seed=3, date=T0 + dt.timedelta(days=1))
    seen = []
    for push in (first, second):
        deliver(push, settings.importer.incoming_dir)
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
    deliver(push, settings.importer.incoming_dir)
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
    deliver(newer, settings.importer.incoming_dir)
    Importer(db, settings).run_once()
    deliver(older, settings.importer.incoming_dir)
    (outcome,) = Importer(db, settings).run_once()
    assert outcome.result == Result.ERROR
    assert "INTEGRATOR_HAS_NEWER_DATA" in outcome.reason
    assert (settings.importer.archive_dir / older.main.name).exists()


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
    deliver(push, settings.importer.incoming_dir)
    (outcome,) = Importer(db, settings).run_once()
    assert outcome.result == Result.ERROR
    assert reason in outcome.reason
    assert record_counts(db, facilities["clinic-a"]) == {}
    (row,) = import_logs(db)
    assert row.status == "ERROR" and reason in row.reason
    assert (settings.importer.archive_dir / push.main.name).exists()


def test_hostile_zips_are_refused(
    db: Database, settings: Settings, facilities: dict[str, int], make_push: PushFactory,
    tmp_path: Path,
) -> None:
    push = make_push(patients=2)
    slip = settings.importer.incoming_dir / push.main.name
    shutil.copy(push.main, slip)
    with zipfile.ZipFile(slip, "a") as zf:
        zf.writestr("../../outside.txt", b"escape")
    bomb = settings.importer.incoming_dir / push.main.name.replace("_00.zip", "_01.zip")
    shutil.copy(push.main, bomb)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("padding.bin", b"\0" * 50_000_000)
    bad_name = settings.importer.incoming_dir / "IntegratorPush_clinic_today.zip"
    shutil.copy(push.main, bad_name)

    outcomes = {o.filename: o for o in Importer(db, settings).run_once()}
    assert "climbs out" in outcomes[slip.name].reason
    assert "compression ratio" in outcomes[bomb.name].reason
    assert "does not match IntegratorPush_" in outcomes[bad_name.name].reason
    assert all(o.result == Result.ERROR for o in outcomes.values())
    assert not (tmp_path / "outside.txt").exists()
    assert record_counts(db, facilities["clinic-a"]) == {}
    assert list(settings.importer.incoming_dir.iterdir()) == []


def test_files_still_being_written_are_left_alone(sqlite_settings: Settings, tmp_path: Path):
    incoming = sqlite_settings.importer.incoming_dir
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
    deliver(orphan, settings.importer.incoming_dir)
    (waiting,) = Importer(db, settings).run_once()
    assert waiting.result == Result.WAITING
    impatient = settings.replace(dependency_wait_seconds=0)
    (outcome,) = Importer(db, impatient).run_once()
    assert outcome.result == Result.ERROR and outcome.reason.startswith("DEPENDENCY_NOT_MET")
    (row,) = import_logs(db)
    assert row.status == "ERROR" and row.depends_on == "f" * 32
    assert (settings.importer.archive_dir / orphan.main.name).exists()


# -- attribution of failed pushes, per-facility incoming directories ------------------------


def test_unsafe_pushes_are_reported_to_the_facility_that_sent_them(
    stack: Stack, tmp_path: Path
) -> None:
    """OSCAR's status job asks as the sending facility: an unsafe push must be its ERROR."""
    incoming = stack.settings.importer.incoming_dir
    slip = write_push(tmp_path / "slip", "clinic-a", [[patient(1)]], emr_facility_id=11,
                      extra={"../../outside.txt": b"escape"})
    bomb = write_push(tmp_path / "bomb", "clinic-a", [[patient(1)]], emr_facility_id=12,
                      extra={"padding.bin": bytes(50_000_000)})
    unreadable = incoming / "IntegratorPush_13_2024_03_01_09_00_00.zip"
    for push in (slip, bomb):
        shutil.copy(push.main, incoming / push.main.name)
    unreadable.write_bytes(b"PK\x03\x04 not really a zip")
    garbage = push_checksum(unreadable)

    outcomes = {o.filename: o for o in Importer(stack.db, stack.settings).run_once()}

    assert {o.result for o in outcomes.values()} == {Result.ERROR}
    clinic_a, clinic_b = stack.zeep("clinic-a"), stack.zeep("clinic-b")
    for push, reason in ((slip, "climbs out"), (bomb, "compression ratio")):
        assert outcomes[push.main.name].facility == "clinic-a"
        (log,) = clinic_a.getImportLogByFilenameAndChecksum(push.main.name, push.checksum)
        assert log.status == "ERROR" and log.facilityId == stack.ids["clinic-a"]
        assert clinic_b.getImportLogByFilenameAndChecksum(push.main.name, push.checksum) == []
        with stack.db.transaction() as session:
            row = session.get(ImportLog, log.id)
            assert row is not None and reason in row.reason
    # Nothing in it names a sender: logged for no facility, as before.
    assert outcomes[unreadable.name].facility is None
    assert clinic_a.getImportLogByFilenameAndChecksum(unreadable.name, garbage) == []


def per_facility(settings: Settings) -> Settings:
    return settings.replace(per_facility_incoming=True)


def test_per_facility_directories_hold_only_their_facility_s_files(
    db: Database, settings: Settings, facilities: dict[str, int], tmp_path: Path
) -> None:
    settings = per_facility(settings)
    importer = Importer(db, settings)
    assert importer.pending() == []
    incoming = settings.importer.incoming_dir
    a_dir, b_dir = incoming / "clinic-a", incoming / "clinic-b"
    assert a_dir.is_dir() and b_dir.is_dir()  # made for every registered facility

    own = write_push(tmp_path / "own", "clinic-a", [[patient(1)]], emr_facility_id=1)
    forged = write_push(tmp_path / "forged", "clinic-a", [[patient(2)]], emr_facility_id=2)
    loose = write_push(tmp_path / "loose", "clinic-b", [[patient(3)]], emr_facility_id=3)
    shutil.copy(own.main, a_dir / own.main.name)
    shutil.copy(forged.main, b_dir / forged.main.name)  # clinic-b's file, naming clinic-a
    shutil.copy(loose.main, settings.importer.incoming_dir / loose.main.name)

    outcomes = {o.filename: o for o in importer.run_once()}

    assert outcomes[own.main.name].result == Result.COMPLETED
    assert outcomes[own.main.name].facility == "clinic-a"
    wrong = outcomes[forged.main.name]
    assert wrong.result == Result.ERROR and wrong.facility == "clinic-b"
    assert wrong.reason == ("the file is in the incoming directory of facility 'clinic-b' "
                            "but its header names 'clinic-a'")
    misplaced = outcomes[loose.main.name]
    assert misplaced.result == Result.ERROR and "per_facility_incoming is on" in misplaced.reason
    assert misplaced.facility == "clinic-b"  # told to the facility its header names
    assert record_counts(db, facilities["clinic-a"]) == {"DemographicTransfer": 1}
    assert record_counts(db, facilities["clinic-b"]) == {}
    rows = {r.filename: r for r in import_logs(db)}
    assert rows[forged.main.name].facility_id == facilities["clinic-b"]
    assert rows[forged.main.name].status == "ERROR"
    assert [p.name for p in settings.importer.incoming_dir.rglob("*.zip")] == []


def test_facility_names_map_to_safe_directories(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    settings = per_facility(settings)
    names = ["../escape", "a/b", ".", "clinic é"]
    with db.transaction() as session:
        ids = {n: add_facility(session, n, "pw").id for n in names}
    Importer(db, settings).pending()
    made = sorted(p.name for p in settings.importer.incoming_dir.iterdir())
    assert made == sorted(["%2E.%2Fescape", "a%2Fb", "%2E", "clinic%20%C3%A9"])
    assert not (settings.importer.incoming_dir.parent / "escape").exists()

    push = write_push(tmp_path / "p", "a/b", [[patient(1)]])
    shutil.copy(push.main, settings.importer.incoming_dir / "a%2Fb" / push.main.name)
    (outcome,) = Importer(db, settings).run_once()
    assert outcome.result == Result.COMPLETED and outcome.facility == "a/b"
    assert record_counts(db, ids["a/b"]) == {"DemographicTransfer": 1}


def test_without_per_facility_directories_the_header_decides(
    db: Database, settings: Settings, facilities: dict[str, int], tmp_path: Path
) -> None:
    """The default: one shared directory, subdirectories are not looked into."""
    push = write_push(tmp_path / "p", "clinic-b", [[patient(1)]])
    (settings.importer.incoming_dir / "clinic-a").mkdir()
    shutil.copy(push.main, settings.importer.incoming_dir / "clinic-a" / push.main.name)
    assert Importer(db, settings).run_once() == []
    incoming = settings.importer.incoming_dir
    shutil.move(incoming / "clinic-a" / push.main.name, incoming)
    (outcome,) = Importer(db, settings).run_once()
    assert outcome.result == Result.COMPLETED and outcome.facility == "clinic-b"


def test_an_error_never_overwrites_a_completed_import(
    db: Database, settings: Settings, facilities: dict[str, int], tmp_path: Path
) -> None:
    push = write_push(tmp_path / "p", "clinic-a", [[patient(1, photo=bytes(range(256)) * 40)]])
    shutil.copy(push.main, settings.importer.incoming_dir)
    (first,) = Importer(db, settings).run_once()
    assert first.result == Result.COMPLETED
    # The same bytes, after a limit was lowered.
    shutil.copy(push.main, settings.importer.incoming_dir)
    (again,) = Importer(db, settings.replace(max_ser_entry_bytes=5000)).run_once()
    assert again.result == Result.ERROR and "max_ser_entry_bytes=5000" in again.reason
    assert again.facility == "clinic-a"
    (row,) = import_logs(db)
    assert row.status == "COMPLETED" and row.reason is None
