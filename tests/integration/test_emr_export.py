"""The exporter's files: OSCAR's layout, read back by a real JVM and by the importer's reader."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select, update

from carebridge.emr.database import EmrDatabase
from carebridge.emr.exporter import export
from carebridge.emr.schema import Appointment, Demographic, IntegratorFileLog, OscarDocument
from carebridge.oscar.archive import ZipLimits, checksum, open_push
from carebridge.oscar.javaread import JavaObject
from carebridge_lab.seed import seed
from tests import jvm

LIMITS = ZipLimits(10**9, 10**10, 1000)
NOW = dt.datetime(2024, 3, 1, 9, 0, 0)


@pytest.fixture
def emr(tmp_path: Path) -> EmrDatabase:
    database = EmrDatabase(f"sqlite:///{tmp_path}/emr.sqlite")
    seed(database, 520, tmp_path / "docs", seed=3, now=NOW)
    with database.transaction() as session:
        session.execute(update(Demographic).values(lastUpdateDate=NOW - dt.timedelta(days=1)))
    yield database
    database.dispose()


def test_full_push_has_oscars_layout_and_the_jvm_reads_every_value(
    emr: EmrDatabase, tmp_path: Path, jvm_build: Path
) -> None:
    result = export(emr, tmp_path / "out", tmp_path / "docs", now=NOW)
    assert result.full and result.depends_on is None and result.patients == 520
    assert result.filename == "IntegratorPush_1_2024_03_01_09_00_00.zip"
    assert result.checksum == checksum(result.path)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "IntegratorPush_1_2024_03_01_09_00_00-Docs.zip",
        "IntegratorPush_1_2024_03_01_09_00_00.zip"]  # no temporary names or work files left

    names = zipfile.ZipFile(result.path).namelist()
    base = "IntegratorPush_1_2024_03_01_09_00_00"
    assert names == [f"{base}.{n}.ser" for n in (1, 2, 3, 4)] + [f"{base}_documentMeta.txt"]
    meta = zipfile.ZipFile(result.path).read(f"{base}_documentMeta.txt").decode().splitlines()
    docs = zipfile.ZipFile(result.docs_path).namelist()
    assert len(meta) == len(docs) == result.documents == 104
    assert all(line.split(",")[2] in docs for line in meta)

    # The importer's reader: header first, footer alone in the last file, 499 then 21 patients.
    per_entry: dict[str, list[int]] = {}
    with open_push(result.path, LIMITS) as archive:
        for entry, obj in archive.objects():
            if isinstance(obj, JavaObject) and obj.simple_name == "DemographicTransfer":
                per_entry.setdefault(entry, []).append(obj.get("caisiDemographicId"))
    assert [len(v) for v in per_entry.values()] == [499, 21]

    # A real JVM: every object of every .ser, with the values the database holds.
    report = jvm.read_push(jvm_build, result.path)
    assert report.get("error") is None and report["classes"][
        "org.oscarehr.caisi_integrator.ws.transfer.DemographicTransfer"] == 520
    with zipfile.ZipFile(result.path) as zf:
        (tmp_path / "2.ser").write_bytes(zf.read(f"{base}.2.ser"))
    lines = jvm.dump_objects(jvm_build, tmp_path / "2.ser")
    assert not any("error" in line for line in lines)
    transfers = [line["fields"] for line in lines
                 if line.get("$class", "").endswith("DemographicTransfer")]
    with emr.transaction() as session:
        rows = {d.demographic_no: d for d in session.scalars(select(Demographic))}
    for fields in transfers:
        row = rows[fields["caisiDemographicId"]]
        assert fields["lastName"] == row.last_name and fields["hin"] == row.hin
        assert fields["gender"]["name"] == row.sex
        born = dt.datetime(int(row.year_of_birth), int(row.month_of_birth),
                           int(row.date_of_birth), tzinfo=dt.UTC)
        assert fields["birthDate"] == {"$date": int(born.timestamp() * 1000)}


def test_delta_holds_exactly_the_changed_patients(emr: EmrDatabase, tmp_path: Path) -> None:
    first = export(emr, tmp_path / "out", tmp_path / "docs", now=NOW)
    later = NOW + dt.timedelta(hours=1)
    with emr.transaction() as session:  # a change through each kind of record
        session.execute(update(Appointment).where(Appointment.demographic_no == 1007)
                        .values(updatedatetime=later, status="C"))
        document_no = session.scalars(select(OscarDocument.document_no)).first()
        session.execute(update(OscarDocument).where(OscarDocument.document_no == document_no)
                        .values(updatedatetime=later))
        session.execute(update(Demographic).where(Demographic.demographic_no == 1300)
                        .values(last_name="Moved", lastUpdateDate=later))
    second = export(emr, tmp_path / "out", tmp_path / "docs", now=later + dt.timedelta(hours=1))
    assert not second.full and second.depends_on == first.checksum
    assert second.last_date == NOW and second.patients == 3
    patients = []
    with open_push(second.path, LIMITS) as archive:
        for _entry, obj in archive.objects():
            if isinstance(obj, JavaObject) and obj.simple_name == "DemographicTransfer":
                patients.append(obj.get("caisiDemographicId"))
    assert sorted(patients) == sorted({1007, 1300, 1000 + (document_no - 5000)})
    with emr.transaction() as session:
        logs = session.scalars(select(IntegratorFileLog).order_by(IntegratorFileLog.id)).all()
    assert [(r.filename, r.checksum, r.currentDate) for r in logs] == [
        (first.filename, first.checksum, NOW),
        (second.filename, second.checksum, later + dt.timedelta(hours=1))]
    forced = export(emr, tmp_path / "out", tmp_path / "docs", full=True,
                    now=later + dt.timedelta(hours=2))
    assert forced.full and forced.patients == 520 and forced.depends_on is None


# -- push formats: which JVM class generation reads the exporter's pushes -----------------

WRAPPER = "org.oscarehr.PMmodule.caisi_integrator.ProgramDeleteIdWrapper"


@pytest.fixture
def small_emr(tmp_path: Path) -> EmrDatabase:
    database = EmrDatabase(f"sqlite:///{tmp_path}/small-emr.sqlite")
    seed(database, 12, tmp_path / "docs", seed=5, now=NOW)
    yield database
    database.dispose()


def _refused_at_the_wrapper(report: dict, base: str) -> None:
    """OSCAR 19's integrator failure: InvalidClassException on .1.ser's program wrapper."""
    assert report["error"] is not None and report["error"].startswith(f"{base}.1.ser object ")
    assert f"InvalidClassException: {WRAPPER}; local class incompatible" in report["error"]


def test_default_push_is_read_by_oscar_19s_classes_only(
    small_emr: EmrDatabase, tmp_path: Path, jvm_build: Path
) -> None:
    result = export(small_emr, tmp_path / "out", tmp_path / "docs", now=NOW)
    assert result.push_format == "0.0.4"
    report = jvm.read_push(jvm_build, result.path, push_format="0.0.4")
    assert report["error"] is None and report["objects"] == result.objects
    assert report["classes"][WRAPPER] == 1
    _refused_at_the_wrapper(jvm.read_push(jvm_build, result.path, push_format="legacy"),
                            result.filename.removesuffix(".zip"))


def test_legacy_push_format_is_read_by_the_older_classes_only(
    small_emr: EmrDatabase, tmp_path: Path, jvm_build: Path
) -> None:
    result = export(small_emr, tmp_path / "out", tmp_path / "docs", now=NOW,
                    push_format="legacy")
    assert result.push_format == "legacy"
    report = jvm.read_push(jvm_build, result.path, push_format="legacy")
    assert report["error"] is None and report["objects"] == result.objects
    assert report["classes"][WRAPPER] == 1
    _refused_at_the_wrapper(jvm.read_push(jvm_build, result.path, push_format="0.0.4"),
                            result.filename.removesuffix(".zip"))
    # The same records either way: the formats differ in one class descriptor's SUID.
    again = export(small_emr, tmp_path / "out2", tmp_path / "docs", now=NOW, full=True)
    with open_push(result.path, LIMITS) as old, open_push(again.path, LIMITS) as new:
        assert list(old.objects()) == list(new.objects())


def test_an_unknown_push_format_writes_nothing(small_emr: EmrDatabase, tmp_path: Path) -> None:
    from carebridge.emr.exceptions import EmrError

    with pytest.raises(EmrError, match=r"unknown push format '0\.0\.5'.*0\.0\.4, legacy"):
        export(small_emr, tmp_path / "out", tmp_path / "docs", now=NOW, push_format="0.0.5")
    assert not (tmp_path / "out").exists()
    with small_emr.transaction() as session:
        assert session.scalars(select(IntegratorFileLog)).all() == []
