"""Both push formats (class generations) end to end: the importer takes each, the EMR
side writes each on request.

OSCAR 19 writes ProgramDeleteIdWrapper as integrator-objects 0.0.4 declares it; older
OSCARs wrote the older class (another serialVersionUID). carebridge's reader dispatches on
class names, so pushes of either generation import alike, whether a JVM wrote them
(MakePush with each class set on its classpath) or carebridge's exporter did.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from carebridge.config import EMR_PUSH_FORMATS, ConfigError, Settings
from carebridge.emr.database import EmrDatabase
from carebridge.emr.exporter import export
from carebridge.integrator.importer import Importer
from carebridge.integrator.push_import import Result
from carebridge.oscar.classes import PUSH_FORMATS
from carebridge.store.database import Database
from carebridge.store.models import CachedRecord
from carebridge_lab.seed import seed, set_integrator
from tests import jvm
from tests.conftest import add_facilities
from tests.integration.conftest import PushFactory
from tests.support.pushes import deliver
from tests.support.server import carebridge

NOW = dt.datetime(2024, 3, 1, 9, 0, 0)
WRAPPER = "org.oscarehr.PMmodule.caisi_integrator.ProgramDeleteIdWrapper"


@dataclass(frozen=True)
class Pair:
    main: Path
    docs: Path | None


def counts(db: Database) -> dict[str, int]:
    with db.transaction() as session:
        return dict(session.execute(select(CachedRecord.record_type, func.count())
                                    .group_by(CachedRecord.record_type)).all())


def program_keys(db: Database) -> set[str]:
    with db.transaction() as session:
        return set(session.scalars(select(CachedRecord.record_key).where(
            CachedRecord.record_type == "CachedProgram")))


def test_config_knows_the_codecs_push_formats() -> None:
    assert set(EMR_PUSH_FORMATS) == set(PUSH_FORMATS)
    assert Settings().emr.push_format == "0.0.4"
    assert Settings.build({"emr_push_format": "legacy"}).emr.push_format == "legacy"
    with pytest.raises(ConfigError, match=r"emr_push_format='0\.0\.3'"):
        Settings.build({"emr_push_format": "0.0.3"})


@pytest.mark.parametrize("push_format", sorted(PUSH_FORMATS))
def test_importer_takes_jvm_pushes_of_each_generation(
    sqlite_db: Database, sqlite_settings: Settings, make_push: PushFactory, jvm_build: Path,
    push_format: str,
) -> None:
    add_facilities(sqlite_db)
    push = make_push(patients=20, push_format=push_format)
    # The JVM wrote this generation's wrapper: the other generation's classes refuse it.
    other = next(p for p in PUSH_FORMATS if p != push_format)
    assert jvm.read_push(jvm_build, push.main, push_format=push_format)["error"] is None
    refused = jvm.read_push(jvm_build, push.main, push_format=other)["error"]
    assert f"InvalidClassException: {WRAPPER}" in refused

    deliver(push, sqlite_settings.importer.incoming_dir)
    (outcome,) = Importer(sqlite_db, sqlite_settings).run_once()
    assert outcome.result == Result.COMPLETED, outcome.reason
    assert outcome.records == push.records
    assert counts(sqlite_db)["DemographicTransfer"] == 20
    assert not any(k.startswith("unknown:") for k in outcome.counts)


@pytest.mark.parametrize("push_format", sorted(PUSH_FORMATS))
def test_importer_takes_exporter_pushes_of_each_format_and_applies_the_program_wrapper(
    sqlite_db: Database, sqlite_settings: Settings, tmp_path: Path, push_format: str,
) -> None:
    add_facilities(sqlite_db)
    emr = EmrDatabase(f"sqlite:///{tmp_path}/emr.sqlite")
    try:
        seed(emr, 15, tmp_path / "docs", seed=2, now=NOW)
        set_integrator(emr, user="clinic-a")
        result = export(emr, tmp_path / "out", tmp_path / "docs", now=NOW,
                        push_format=push_format)
    finally:
        emr.dispose()
    deliver(Pair(result.path, result.docs_path), sqlite_settings.importer.incoming_dir)
    (outcome,) = Importer(sqlite_db, sqlite_settings).run_once()
    assert outcome.result == Result.COMPLETED, outcome.reason
    assert counts(sqlite_db)["DemographicTransfer"] == 15
    assert program_keys(sqlite_db)  # the programs, and the wrapper did not delete them


def test_cli_export_takes_the_push_format_option_and_setting(
    tmp_path: Path, jvm_build: Path,
) -> None:
    settings = Settings.build({"emr_database_url": f"sqlite:///{tmp_path}/emr.sqlite",
                               "emr_export_dir": tmp_path / "out",
                               "emr_document_dir": tmp_path / "docs",
                               "database_url": f"sqlite:///{tmp_path}/cb.sqlite"})
    emr = EmrDatabase(settings.emr.database_url)
    try:
        seed(emr, 3, settings.emr.document_dir, seed=1, now=NOW)
    finally:
        emr.dispose()

    def exported(*args: str, settings: Settings = settings) -> Path:
        done = carebridge("emr", "export", "--full", *args, settings=settings)
        assert done.returncode == 0, done.stderr
        name = done.stdout.split(":", 1)[0]
        return settings.emr.export_dir / name

    default = exported()
    assert jvm.read_push(jvm_build, default, push_format="0.0.4")["error"] is None
    time.sleep(1.1)  # one push per second
    legacy = exported("--push-format", "legacy")
    assert jvm.read_push(jvm_build, legacy, push_format="legacy")["error"] is None
    assert "InvalidClassException" in jvm.read_push(jvm_build, legacy)["error"]
    time.sleep(1.1)
    by_setting = exported(settings=settings.replace(emr_push_format="legacy"))
    assert jvm.read_push(jvm_build, by_setting, push_format="legacy")["error"] is None
    bad = carebridge("emr", "export", "--push-format", "0.0.3", settings=settings)
    assert bad.returncode == 2 and "'0.0.3' is not one of '0.0.4', 'legacy'" in bad.stderr
