"""Applies a push's operations to ``cached_record``/``document``, batched.

Upserts are collected and written with one multi-row INSERT ... ON CONFLICT
statement per batch. A patient's DeleteMissing (OSCAR sends two per patient) joins
the batch instead of flushing it: at flush time the batch's upserts and deletions
are replayed in push order over the stored rows they can reach (two SELECTs per
record type), and the rows that replay deletes go with one DELETE before the upserts.
A deletion so sees exactly the upserts before it and none after it; a record deleted
and upserted again comes back as a new row, as it would one statement at a time.
A facility-wide deletion (programs) still flushes first; a document's bytes are stored
at once and linked to its record right after the flush that writes the record.

The upserts go to the driver's executemany as plain tuples, their payloads already JSON
text (orjson): SQLAlchemy's per-row parameter processing cost more than the database's
insert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from carebridge.matching import identity_row
from carebridge.oscar.cached_records import (
    DEMOGRAPHIC_TYPE,
    DOCUMENT_TYPE,
    PROGRAM_TYPE,
    DeleteMissing,
    DocumentBytes,
    Operation,
    Upsert,
)
from carebridge.store.models import CachedRecord, Document, SharedDemographic, utcnow
from carebridge.store.rows import changed

_RECORDS = CachedRecord.__table__
_DOCUMENTS = Document.__table__
_IDENTITIES = SharedDemographic.__table__


_Entry = tuple[str, str, int | None] | DeleteMissing  # an upsert or a patient's deletion
_BATCH_SIZE = 500  # upserts and patient deletions per flush
# The upsert in the driver's own parameter style (executemany).
_UPSERT = (
    "INSERT INTO cached_record (facility_id, record_type, record_key, demographic_no, "
    "payload, import_log_id, updated_at) VALUES ({p}, {p}, {p}, {p}, {json}, {p}, {p}) "
    "ON CONFLICT (facility_id, record_type, record_key) DO UPDATE SET "
    "demographic_no = excluded.demographic_no, payload = excluded.payload, "
    "import_log_id = excluded.import_log_id, updated_at = excluded.updated_at")
_SQLITE_MARKS = {"p": "?", "json": "?"}
_POSTGRES_MARKS = {"p": "%s", "json": "CAST(%s AS JSON)"}
_IN_CHUNK = 256  # values per IN (...) list (a power of two: see _padded)
_DOCUMENT_BATCH = 64  # documents of a -Docs.zip stored and linked together
_DOCUMENT_BATCH_BYTES = 8 * 1024 * 1024  # ... or fewer, once they hold this much


class RecordWriter:
    def __init__(self, session: Session, facility_id: int, import_log_id: int,
                 batch_size: int = _BATCH_SIZE) -> None:
        self.session = session
        self.facility_id = facility_id
        self.import_log_id = import_log_id
        self.batch_size = batch_size
        self.counts: Counter[str] = Counter()
        # (demographic_no, payload as JSON text) to upsert by (record_type, stored key), in
        # first-upsert order.
        self._pending: dict[tuple[str, str], tuple[int | None, str]] = {}
        # The batch in push order: (record_type, stored key, demographic_no) per upsert,
        # and the patient deletions between them.
        self._log: list[_Entry] = []
        self._deletes = 0
        self._links: list[tuple[str, str]] = []  # (document record key, sha256) to link
        self._documents: list[tuple[str, bytes]] = []  # from the -Docs.zip, to store and link
        self._document_bytes = 0
        self._last_document_key: str | None = None
        dialect = session.get_bind().dialect
        postgres = dialect.name == "postgresql"
        self._insert = pg_insert if postgres else sqlite_insert
        self._upsert_sql = _UPSERT.format(**(_POSTGRES_MARKS if postgres else _SQLITE_MARKS))
        # updated_at as UTCDateTime hands it to this driver (naive UTC text on SQLite).
        stamp = _RECORDS.c.updated_at.type.dialect_impl(dialect).bind_processor(dialect)
        assert stamp is not None
        self._stamp = stamp
        # Built once: constructing statements costs more than executing small ones.
        self._delete_statements: dict[tuple[bool, bool], Any] = {}
        # Each patient's identity fields, indexed beside the record (same-HIN links, matching).
        self._identities: dict[int, dict[str, Any]] = {}
        identity = self._insert(_IDENTITIES)
        self._identity_statement = identity.on_conflict_do_update(
            index_elements=[_IDENTITIES.c.facility_id, _IDENTITIES.c.demographic_no],
            set_={c.name: identity.excluded[c.name] for c in _IDENTITIES.c
                  if c.name not in ("facility_id", "demographic_no")},
        )
        # Two statements, so each IN list gets its index (an OR of both scans the type).
        columns = select(_RECORDS.c.id, _RECORDS.c.record_key, _RECORDS.c.demographic_no).where(
            _RECORDS.c.facility_id == bindparam("facility_id"),
            _RECORDS.c.record_type == bindparam("record_type"))
        self._rows_by_patient = columns.where(
            _RECORDS.c.demographic_no.in_(bindparam("values", expanding=True)))
        self._rows_by_key = columns.where(
            _RECORDS.c.record_key.in_(bindparam("values", expanding=True)))
        self._delete_ids = delete(_RECORDS).where(
            _RECORDS.c.id.in_(bindparam("ids", expanding=True)))
        self._store_document = self._insert(_DOCUMENTS).on_conflict_do_nothing(
            index_elements=[_DOCUMENTS.c.sha256])
        documents = (_RECORDS.c.facility_id == bindparam("doc_facility"),
                     _RECORDS.c.record_type == DOCUMENT_TYPE)
        self._document_keys = select(_RECORDS.c.record_key).where(
            *documents, _RECORDS.c.record_key.in_(bindparam("doc_keys", expanding=True)))
        self._link_document = update(_RECORDS).where(
            *documents, _RECORDS.c.record_key == bindparam("doc_key")).values(
            document_sha256=bindparam("doc_sha"))

    def apply(self, operation: Operation) -> None:
        if isinstance(operation, Upsert):
            self._upsert(operation)
        elif isinstance(operation, DeleteMissing):
            self._delete_missing(operation)
        elif isinstance(operation, DocumentBytes):
            sha = self.store_document(operation.data)
            if self._last_document_key is None:
                self.counts["documents_unlinked"] += 1
            else:
                # Linked once its record is written (the batch's next flush).
                self._links.append((self._last_document_key, sha))

    def _upsert(self, op: Upsert) -> None:
        record_type = op.record_type
        key = op.key[:255]
        self._pending[(record_type, key)] = (op.demographic_no, _json_text(op.payload))
        log = self._log
        log.append((record_type, key, op.demographic_no))
        self.counts[record_type if op.known else "unknown:" + record_type] += 1
        if record_type == DOCUMENT_TYPE:
            self._last_document_key = op.key
        elif record_type == DEMOGRAPHIC_TYPE:
            identity = identity_row(self.facility_id, op.payload)
            if identity is not None:
                self._identities[identity["demographic_no"]] = identity
        if len(log) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if self._deletes:
            self._replay_deletes()
        self._log.clear()
        self._deletes = 0
        if self._pending:
            facility, log, now = self.facility_id, self.import_log_id, self._stamp(utcnow())
            rows = [(facility, record_type, key, number, payload, log, now)
                    for (record_type, key), (number, payload) in self._pending.items()]
            self._pending.clear()
            self.session.connection().exec_driver_sql(self._upsert_sql, rows)
        if self._identities:
            identities = list(self._identities.values())
            self._identities.clear()
            self.session.execute(self._identity_statement, identities)
        if self._links:
            links, self._links = self._links, []
            self._link(links)

    def _delete_missing(self, op: DeleteMissing) -> None:
        if op.demographic_no is None:
            if op.record_type != PROGRAM_TYPE:
                # A patient-scoped delete without a patient would wipe every patient's records.
                self.counts["ignored_delete_without_patient"] += 1
                return
            self.flush()  # facility-wide: at once, after everything before it
            self._delete_now(op)
            return
        self._log.append(op)
        self._deletes += 1
        if len(self._log) >= self.batch_size:
            self.flush()

    def _delete_now(self, op: DeleteMissing) -> None:
        params: dict[str, Any] = {"facility_id": self.facility_id, "record_type": op.record_type}
        if op.demographic_no is not None:
            params["demographic_no"] = op.demographic_no
        if op.keep:
            params["keep"] = sorted(op.keep)
        statement = self._delete_statement(op.demographic_no is not None, bool(op.keep))
        deleted = changed(self.session.execute(statement, params))
        if deleted:
            self.counts["deleted:" + op.record_type] += deleted

    def _replay_deletes(self) -> None:
        """The batch's patient deletions, as if each ran at its place in the push.

        Replays the batch over the stored rows its deletions can reach (see _stored_rows);
        deletes the stored rows the replay deletes, and drops the pending upserts a deletion
        undid (or, upserted again after it, moves them to where they came back).
        """
        log = self._log
        types = {e.record_type for e in log if type(e) is DeleteMissing}
        # Per record type: stored key -> [demographic_no, row id or None], and the keys by
        # patient.
        rows: dict[str, dict[str, list[Any]]] = {}
        patients: dict[str, dict[int | None, set[str]]] = {}
        for record_type in types:
            found = self._stored_rows(record_type, log)
            rows[record_type] = found
            by_patient: dict[int | None, set[str]] = {}
            for key, (number, _) in found.items():
                by_patient.setdefault(number, set()).add(key)
            patients[record_type] = by_patient
        doomed: list[int] = []
        undone: set[tuple[str, str]] = set()  # pending upserts a deletion undid
        reborn: dict[tuple[str, str], int] = {}  # ... upserted again: where in the batch
        for index, entry in enumerate(log):
            if type(entry) is tuple:
                record_type, key, number = entry
                table = rows.get(record_type)
                if table is None:
                    continue
                by_patient = patients[record_type]
                row = table.get(key)
                if row is None:
                    table[key] = [number, None]
                    if (record_type, key) in undone:
                        reborn[(record_type, key)] = index
                elif row[0] != number:
                    by_patient[row[0]].discard(key)
                    row[0] = number
                else:
                    continue
                by_patient.setdefault(number, set()).add(key)
                continue
            assert isinstance(entry, DeleteMissing)
            table = rows[entry.record_type]
            keys = patients[entry.record_type].get(entry.demographic_no)
            if not keys:
                continue
            gone = [key for key in keys if key not in entry.keep]
            for key in gone:
                keys.discard(key)
                row_id = table.pop(key)[1]
                if row_id is not None:
                    doomed.append(row_id)
                undone.add((entry.record_type, key))
                reborn.pop((entry.record_type, key), None)
            if gone:
                self.counts["deleted:" + entry.record_type] += len(gone)
        for start in range(0, len(doomed), _IN_CHUNK):
            self.session.execute(self._delete_ids,
                                 {"ids": _padded(doomed[start:start + _IN_CHUNK])})
        pending = self._pending
        for item in undone.difference(reborn):
            pending.pop(item, None)
        if reborn:
            # A new row again: it goes after the rows first upserted before its return, as
            # one statement at a time would have inserted it.
            place: dict[tuple[str, str], int] = dict(reborn)
            for index, entry in enumerate(log):
                if type(entry) is tuple:
                    place.setdefault((entry[0], entry[1]), index)
            self._pending = dict(sorted(pending.items(), key=lambda item: place[item[0]]))

    def _stored_rows(self, record_type: str, log: list[_Entry]) -> dict[str, list[Any]]:
        """The stored rows of ``record_type`` the batch's deletions can reach: the deleted
        patients' rows, and the rows the batch's upserts move to one of them."""
        numbers = {e.demographic_no for e in log if type(e) is DeleteMissing
                   and e.record_type == record_type and e.demographic_no is not None}
        found = self._select(self._rows_by_patient, record_type, sorted(numbers))
        moved = {e[1] for e in log if type(e) is tuple and e[0] == record_type
                 and e[2] in numbers and e[1] not in found}
        found.update(self._select(self._rows_by_key, record_type, sorted(moved)))
        return found

    def _select(self, statement: Any, record_type: str, values: list[Any]
                ) -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for start in range(0, len(values), _IN_CHUNK):
            params = {"facility_id": self.facility_id, "record_type": record_type,
                      "values": _padded(values[start:start + _IN_CHUNK])}
            for row in self.session.execute(statement, params):
                found[row.record_key] = [row.demographic_no, row.id]
        return found

    def _delete_statement(self, by_patient: bool, keep: bool) -> Any:
        key = (by_patient, keep)
        if key not in self._delete_statements:
            statement = delete(_RECORDS).where(
                _RECORDS.c.facility_id == bindparam("facility_id"),
                _RECORDS.c.record_type == bindparam("record_type"),
            )
            if by_patient:
                statement = statement.where(
                    _RECORDS.c.demographic_no == bindparam("demographic_no"))
            if keep:
                statement = statement.where(
                    _RECORDS.c.record_key.not_in(bindparam("keep", expanding=True)))
            self._delete_statements[key] = statement
        return self._delete_statements[key]

    def store_document(self, data: bytes) -> str:
        row = _document_row(data, utcnow())
        self.session.execute(self._store_document, row)
        return str(row["sha256"])

    def link_document(self, key: str, data: bytes) -> None:
        """Store ``data`` and attach it to the facility's CachedDemographicDocument ``key``:
        queued, and written with the next few (``flush_documents``)."""
        self._documents.append((key, data))
        self._document_bytes += len(data)
        if (len(self._documents) >= _DOCUMENT_BATCH
                or self._document_bytes >= _DOCUMENT_BATCH_BYTES):
            self.flush_documents()

    def flush_documents(self) -> None:
        """The queued documents: one INSERT and one UPDATE for all of them (one statement
        per document cost more than everything else in a -Docs.zip's import)."""
        self.flush()
        documents, self._documents, self._document_bytes = self._documents, [], 0
        if not documents:
            return
        now = utcnow()
        rows: dict[str, dict[str, Any]] = {}
        links = []
        for key, data in documents:
            row = _document_row(data, now)
            rows.setdefault(row["sha256"], row)
            links.append((key, row["sha256"]))
        self.session.execute(self._store_document, list(rows.values()))
        self._link(links)

    def _link(self, links: list[tuple[str, str]]) -> None:
        """Attach each document (key, sha256) to the facility's document record of that key,
        in order; a key with no record counts as unlinked."""
        keys = sorted({key for key, _ in links})
        present: set[str] = set()
        for start in range(0, len(keys), _IN_CHUNK):
            present.update(self.session.scalars(self._document_keys, {
                "doc_facility": self.facility_id,
                "doc_keys": _padded(keys[start:start + _IN_CHUNK])}))
        found = [{"doc_facility": self.facility_id, "doc_key": key, "doc_sha": sha}
                 for key, sha in links if key in present]
        if found:
            self.session.execute(self._link_document, found)
        self.counts["documents_stored"] += len(found)
        self.counts["documents_unlinked"] += len(links) - len(found)


def put_record(session: Session, facility_id: int, record_type: str, key: str,
               payload: dict[str, Any], demographic_no: int | None = None) -> None:
    """One record written outside a push (a SOAP call: setMyFacility, a consent), replacing
    the facility's record of that type and key as a push's upsert would."""
    row = session.scalars(select(CachedRecord).where(
        CachedRecord.facility_id == facility_id, CachedRecord.record_type == record_type,
        CachedRecord.record_key == key)).first()
    if row is None:
        session.add(CachedRecord(facility_id=facility_id, record_type=record_type,
                                 record_key=key, demographic_no=demographic_no,
                                 payload=payload, updated_at=utcnow()))
    else:
        row.payload, row.demographic_no, row.updated_at = payload, demographic_no, utcnow()


def _document_row(data: bytes, now: dt.datetime) -> dict[str, Any]:
    """A document table row: stored once per content, keyed by its SHA-256."""
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "content": data,
            "created_at": now}


def _json_text(payload: dict[str, Any]) -> str:
    """The payload as stored: orjson (a fifth of json.dumps's time per record); json.dumps
    for what orjson refuses (an integer past 64 bits), which reads back the same."""
    try:
        return orjson.dumps(payload).decode()
    except orjson.JSONEncodeError:
        return json.dumps(payload)


def _padded(values: list[Any]) -> list[Any]:
    """``values`` with its last repeated up to a power of two: IN lists of a few lengths
    only, so the driver's cache of prepared statements keeps a few of them."""
    size = 1
    while size < len(values):
        size *= 2
    return values + values[-1:] * (size - len(values))
