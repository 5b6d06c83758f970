"""RecordWriter batches patient deletions with the upserts around them; the stored rows
(their order too) and the deletion counts must be what applying the push's operations
one at a time gives. Checked against a small model of that, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from carebridge.integrator import import_log
from carebridge.integrator.record_writer import RecordWriter
from carebridge.oscar.cached_records import (
    PROGRAM_TYPE,
    DeleteMissing,
    DocumentBytes,
    Operation,
    Upsert,
)
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.models import CachedRecord, Document

ISSUE = "CachedDemographicIssue"
PREVENTION = "CachedDemographicPrevention"
NOTE = "CachedDemographicNote"


class Model:
    """One operation at a time: what the statements of the unbatched writer did."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[Any]] = {}  # -> [demographic, payload, order]
        self.counts: Counter[str] = Counter()
        self._order = 0

    def apply(self, op: Operation) -> None:
        if isinstance(op, Upsert):
            row = self.rows.get((op.record_type, op.key))
            if row is None:
                self._order += 1
                self.rows[(op.record_type, op.key)] = [op.demographic_no, op.payload,
                                                       self._order]
            else:
                row[0], row[1] = op.demographic_no, op.payload
            return
        assert isinstance(op, DeleteMissing)
        if op.demographic_no is None and op.record_type != PROGRAM_TYPE:
            return
        gone = [k for k, row in self.rows.items() if k[0] == op.record_type
                and (op.demographic_no is None or row[0] == op.demographic_no)
                and k[1] not in op.keep]
        for k in gone:
            del self.rows[k]
        if gone:
            self.counts["deleted:" + op.record_type] += len(gone)

    def listed(self) -> list[tuple[str, str, int | None, Any]]:
        ordered = sorted(self.rows.items(), key=lambda item: item[1][2])
        return [(k[0], k[1], row[0], row[1]) for k, row in ordered]


def _setup(db: Database) -> tuple[int, int]:
    with db.transaction() as session:
        facility = add_facility(session, "clinic-a", "pw")
        log = import_log.create(session, facility.id, "push.zip", "0" * 32, None, None, None)
        return facility.id, log.id


def _write(db: Database, ids: tuple[int, int], ops: list[Operation],
           batch_size: int) -> Counter[str]:
    with db.transaction() as session:
        writer = RecordWriter(session, ids[0], ids[1], batch_size=batch_size)
        for op in ops:
            writer.apply(op)
        writer.flush()
        return writer.counts


def _stored(db: Database) -> list[tuple[str, str, int | None, Any]]:
    with db.transaction() as session:
        rows = session.execute(select(
            CachedRecord.record_type, CachedRecord.record_key, CachedRecord.demographic_no,
            CachedRecord.payload).order_by(CachedRecord.id)).all()
        return [(row[0], row[1], row[2], row[3]) for row in rows]


def _deleted(counts: Counter[str]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if k.startswith("deleted:")}


def _random_ops(rng: random.Random, count: int) -> list[Operation]:
    ops: list[Operation] = []
    keys = [f"k{i}" for i in range(12)]
    patients = [1, 2, 3, 4]
    for serial in range(count):
        record_type = rng.choice([ISSUE, ISSUE, PREVENTION, NOTE, PROGRAM_TYPE])
        roll = rng.random()
        if roll < 0.7:
            ops.append(Upsert(record_type, rng.choice(keys), rng.choice([*patients, None]),
                              {"n": serial}))
        elif roll < 0.95 and record_type != PROGRAM_TYPE:
            keep = frozenset(rng.sample(keys, rng.randint(0, 6)))
            ops.append(DeleteMissing(record_type, rng.choice(patients), keep))
        else:
            keep = frozenset(rng.sample(keys, rng.randint(0, 8)))
            ops.append(DeleteMissing(record_type, None, keep))
    return ops


def test_a_deletion_sees_the_upserts_before_it_and_none_after(db: Database) -> None:
    ids = _setup(db)
    ops: list[Operation] = [
        Upsert(ISSUE, "a", 1, {"v": 1}),
        Upsert(ISSUE, "b", 1, {"v": 1}),
        Upsert(ISSUE, "c", 2, {"v": 1}),
        DeleteMissing(ISSUE, 1, frozenset({"a"})),  # deletes b, not c (patient 2)
        Upsert(ISSUE, "d", 1, {"v": 2}),  # after the deletion: stays
        Upsert(ISSUE, "b", 1, {"v": 2}),  # back, as a new row after d
        Upsert(NOTE, "x", 1, {"v": 1}),
    ]
    counts = _write(db, ids, ops, batch_size=100)
    assert _stored(db) == [
        (ISSUE, "a", 1, {"v": 1}),
        (ISSUE, "c", 2, {"v": 1}),
        (ISSUE, "d", 1, {"v": 2}),
        (ISSUE, "b", 1, {"v": 2}),
        (NOTE, "x", 1, {"v": 1}),
    ]
    assert _deleted(counts) == {"deleted:" + ISSUE: 1}


def test_stored_rows_moving_between_patients(db: Database) -> None:
    ids = _setup(db)
    _write(db, ids, [Upsert(PREVENTION, "p", 1, {"v": 0}), Upsert(PREVENTION, "q", 1, {"v": 0}),
                     Upsert(PREVENTION, "r", 2, {"v": 0})], batch_size=100)
    ops: list[Operation] = [
        Upsert(PREVENTION, "r", 1, {"v": 1}),  # moves to patient 1: the deletion sees it
        DeleteMissing(PREVENTION, 1, frozenset()),
        Upsert(PREVENTION, "q", 2, {"v": 1}),  # deleted above, then written again
        DeleteMissing(PREVENTION, 2, frozenset({"q"})),
    ]
    counts = _write(db, ids, ops, batch_size=100)
    assert _stored(db) == [(PREVENTION, "q", 2, {"v": 1})]
    assert _deleted(counts) == {"deleted:" + PREVENTION: 3}


@pytest.mark.parametrize("seed", range(12))
def test_batched_writes_match_one_at_a_time(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    ids = _setup(db)
    model = Model()
    for round_number in range(3):
        ops = _random_ops(rng, 60)
        for op in ops:
            model.apply(op)
        counts = _write(db, ids, ops, batch_size=rng.choice([1, 3, 7, 1000]))
        assert _stored(db) == model.listed(), (seed, round_number)
        assert _deleted(counts) == dict(model.counts), (seed, round_number)
        model.counts.clear()


@pytest.mark.parametrize("batch_size", [1, 1000])
def test_document_bytes_link_to_the_document_record_before_them(db: Database,
                                                                batch_size: int) -> None:
    ids = _setup(db)
    doc = "CachedDemographicDocument"
    ops: list[Operation] = [
        DocumentBytes(b"orphan"),  # no document record yet: stored, not linked
        Upsert(doc, "d1", 1, {"v": 1}),
        Upsert(ISSUE, "i1", 1, {"v": 1}),
        DocumentBytes(b"first"),  # the last document record is d1
        Upsert(doc, "d2", 2, {"v": 1}),
        DocumentBytes(b"second"),
        Upsert(doc, "d1", 1, {"v": 2}),  # written again: keeps its document
    ]
    counts = _write(db, ids, ops, batch_size)
    assert (counts["documents_stored"], counts["documents_unlinked"]) == (2, 1)
    with db.transaction() as session:
        linked = dict(session.execute(select(CachedRecord.record_key,
                                             CachedRecord.document_sha256)).all())
        stored = set(session.scalars(select(Document.sha256)))
    sha = {data: hashlib.sha256(data).hexdigest() for data in (b"orphan", b"first", b"second")}
    assert linked == {"d1": sha[b"first"], "d2": sha[b"second"], "i1": None}
    assert stored == set(sha.values())


def test_documents_of_a_docs_zip_are_stored_and_linked_in_batches(db: Database) -> None:
    """More documents than one batch holds, a key without a record, a key given twice (the
    later document wins) and two documents with the same bytes (stored once)."""
    ids = _setup(db)
    doc = "CachedDemographicDocument"
    documents = [(f"d{n}", f"content {n}".encode()) for n in range(150)]
    documents += [("missing", b"no record"), ("d3", b"d3 again"), ("d4", b"content 5")]
    with db.transaction() as session:
        writer = RecordWriter(session, ids[0], ids[1])
        for n in range(150):
            writer.apply(Upsert(doc, f"d{n}", n, {"n": n}))
        for key, data in documents:
            writer.link_document(key, data)
        writer.flush_documents()
        counts = writer.counts
    assert (counts["documents_stored"], counts["documents_unlinked"]) == (152, 1)
    with db.transaction() as session:
        linked = dict(session.execute(select(CachedRecord.record_key,
                                             CachedRecord.document_sha256)).all())
        stored = set(session.scalars(select(Document.sha256)))

    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    expected = {f"d{n}": sha(f"content {n}".encode()) for n in range(150)}
    expected.update(d3=sha(b"d3 again"), d4=sha(b"content 5"))
    assert linked == expected
    assert stored == {sha(data) for _, data in documents}


def test_payloads_read_back_as_written(db: Database) -> None:
    """Stored as orjson writes them; what orjson refuses (an integer past 64 bits) as
    json.dumps writes it; an infinite double (JSON has none) as null."""
    ids = _setup(db)
    payloads = {"plain": {"name": "Zo\u00eb \u65e5\u672c", "n": -(2**63), "x": 1.5, "ok": True,
                          "none": None, "list": [1, "a", {"b": []}]},
                "huge": {"n": 2**70, "name": "\u00e9"},
                "inf": {"x": float("inf")}}
    _write(db, ids, [Upsert(NOTE, key, None, payload) for key, payload in payloads.items()], 500)
    stored = {row[1]: row[3] for row in _stored(db)}
    assert stored["plain"] == payloads["plain"] and stored["huge"] == payloads["huge"]
    assert stored["inf"] == {"x": None}
