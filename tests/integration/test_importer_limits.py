"""Size limits: a hostile push fails fast with an ERROR naming the limit it broke, the
importer process (``carebridge import --once``, measured from inside) stays under 400 MB
whatever the input, and a push just under the limits still imports."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from carebridge.config import Settings
from carebridge.integrator.importer import Importer
from carebridge.integrator.push_import import Result
from carebridge.store.database import Database
from carebridge.store.models import CachedRecord, Document, ImportLog
from tests.conftest import add_facilities
from tests.support.peak import Measured, import_once_measured
from tests.support.pushes import (
    BuiltPush,
    deliver,
    note,
    note_text,
    patient,
    photo_bytes,
    reference_bomb,
    write_push,
)

MIB = 1024 * 1024
PEAK_LIMIT = 400 * MIB
FAST = 20.0  # seconds: the 60 MiB photo took 122 s before the limits


@dataclass
class Site:
    settings: Settings
    db: Database
    root: Path

    def deliver(self, push: BuiltPush) -> None:
        deliver(push, self.settings.importer.incoming_dir)

    def import_once(self) -> Measured:
        return import_once_measured(self.settings, self.root)

    def only_log(self) -> ImportLog:
        with self.db.transaction() as session:
            (row,) = session.scalars(select(ImportLog))
            return row


@pytest.fixture
def site(sqlite_db: Database, sqlite_settings: Settings, tmp_path: Path) -> Site:
    add_facilities(sqlite_db)
    return Site(sqlite_settings, sqlite_db, tmp_path)


@pytest.fixture
def any_site(db: Database, settings: Settings, tmp_path: Path) -> Site:
    """On SQLite and on PostgreSQL (the drivers copy values differently)."""
    add_facilities(db)
    return Site(settings, db, tmp_path)


def assert_refused(site: Site, run: Measured, push: BuiltPush, reason: str) -> None:
    assert run.returncode == 1, run.stderr[-2000:]
    assert f"{push.main.name}: ERROR" in run.stderr
    assert reason in run.stderr
    assert run.peak_bytes < PEAK_LIMIT, f"peak RSS {run.peak_mib:.0f} MiB"
    assert run.seconds < FAST, f"took {run.seconds:.1f} s"
    row = site.only_log()
    assert row.status == "ERROR" and reason in row.reason
    assert (site.settings.importer.archive_dir / push.main.name).exists()


def test_a_60_mib_photo_fails_at_once_naming_max_array_bytes(site: Site) -> None:
    push = write_push(site.root / "push", "clinic-a", [[patient(1, photo=photo_bytes(60 * MIB))]])
    assert push.main.stat().st_size < 4 * MIB  # a small file that asks for a lot
    site.deliver(push)
    run = site.import_once()
    assert_refused(site, run, push, f"{push.base}.1.ser: a byte[] of {60 * MIB} bytes exceeds "
                                    f"max_array_bytes={16 * MIB}")


def test_a_40_mb_string_fails_naming_max_array_bytes(site: Site) -> None:
    push = write_push(site.root / "push", "clinic-a", [[note(1, 1, note_text(40_000_000))]])
    site.deliver(push)
    run = site.import_once()
    assert_refused(site, run, push, "a String of 40000000 bytes exceeds max_array_bytes=")


def test_back_references_cannot_multiply_a_value(site: Site) -> None:
    # One 8 MiB string and 10,000 references to it: 80 GB of JSON from a 1 MB zip.
    push = write_push(site.root / "push", "clinic-a",
                      [[], reference_bomb(note_text(8 * MIB), 10_000)])
    site.deliver(push)
    run = site.import_once()
    assert_refused(site, run, push,
                   f"{push.base}.2.ser: the object expands to more than max_object_bytes=")


def test_a_million_tiny_objects_stop_at_max_object_bytes(site: Site) -> None:
    # 10 MB of stream that javaobj would have turned into about a gigabyte of beans.
    push = write_push(site.root / "push", "clinic-a", [[list(range(1_000_000))]])
    site.deliver(push)
    run = site.import_once()
    assert_refused(site, run, push, "the object needs more than max_object_bytes=")


def test_a_push_just_under_the_limits_imports(any_site: Site) -> None:
    site = any_site
    photo = photo_bytes(15 * MIB)
    text = note_text(15 * MIB)
    scan = photo_bytes(60 * MIB, seed=3)
    push = write_push(site.root / "push", "clinic-a",
                      [[patient(1, photo=photo)], [note(1, 1, text)]],
                      documents={7: ("scan.pdf", scan)})
    site.deliver(push)
    run = site.import_once()
    assert run.returncode == 0, run.stderr[-2000:]
    assert f"{push.main.name}: COMPLETED" in run.stderr
    assert run.peak_bytes < PEAK_LIMIT, f"peak RSS {run.peak_mib:.0f} MiB"
    with site.db.transaction() as session:
        payloads = dict(session.execute(
            select(CachedRecord.record_type, CachedRecord.payload)).all())
        (stored,) = session.scalars(select(Document.content))
    assert base64.b64decode(payloads["DemographicTransfer"]["photo"]["@base64"]) == photo
    assert payloads["CachedDemographicNote"]["note"] == text
    assert hashlib.sha256(stored).digest() == hashlib.sha256(scan).digest()


def test_entry_push_and_document_limits_are_named(site: Site) -> None:
    small = site.settings.replace(max_ser_entry_bytes=2 * MIB, max_push_bytes=3 * MIB,
                                  max_document_bytes=MIB)
    cases = [
        (write_push(site.root / "a", "clinic-a", [[patient(1, photo=photo_bytes(3 * MIB))]]),
         "over the max_ser_entry_bytes=2097152 limit"),
        (write_push(site.root / "b", "clinic-a",
                    [[patient(n, photo=photo_bytes(MIB, n))] for n in range(4)],
                    emr_facility_id=2),
         "zip expands to more than max_push_bytes=3145728 bytes"),
        (write_push(site.root / "c", "clinic-a", [[patient(1)]], emr_facility_id=3,
                    documents={7: ("big.pdf", photo_bytes(2 * MIB))}),
         "big.pdf: entry expands to 2097152 bytes, over the max_document_bytes=1048576 limit"),
    ]
    for push, _reason in cases:
        site.deliver(push)
    outcomes = {o.filename: o for o in Importer(site.db, small).run_once()}
    for push, reason in cases:
        outcome = outcomes[push.main.name]
        assert outcome.result == Result.ERROR and reason in outcome.reason, outcome.reason
        assert outcome.facility == "clinic-a"  # attributed: the header could still be read
    with site.db.transaction() as session:
        assert session.scalars(select(CachedRecord)).all() == []
