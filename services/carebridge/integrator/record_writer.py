"""Applies a push's operations to ``cached_record``/``document``, batched.

Upserts are collected and written with one multi-row INSERT ... ON CONFLICT
statement per batch; a deletion or document first flushes what is pending so
the database sees operations in the order the push gave them.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, cast

from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Result
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

_RECORDS = CachedRecord.__table__
_DOCUMENTS = Document.__table__
_IDENTITIES = SharedDemographic.__table__


class RecordWriter:
    def __init__(self, session: Session, facility_id: int, import_log_id: int,
                 batch_size: int = 500) -> None:
        self.session = session
        self.facility_id = facility_id
        self.import_log_id = import_log_id
        self.batch_size = batch_size
        self.counts: Counter[str] = Counter()
        self._pending: dict[tuple[str, str], dict[str, Any]] = {}
        self._last_document_key: str | None = None
        self._insert = pg_insert if session.get_bind().dialect.name == "postgresql" else (
            sqlite_insert
        )
        # Built once: constructing statements costs more than executing small ones.
        upsert = self._insert(_RECORDS)
        self._upsert_statement = upsert.on_conflict_do_update(
            index_elements=[_RECORDS.c.facility_id, _RECORDS.c.record_type, _RECORDS.c.record_key],
            set_={
                "demographic_no": upsert.excluded.demographic_no,
                "payload": upsert.excluded.payload,
                "import_log_id": upsert.excluded.import_log_id,
                "updated_at": upsert.excluded.updated_at,
            },
        )
        self._delete_statements: dict[tuple[bool, bool], Any] = {}
        # Each patient's identity fields, indexed beside the record (same-HIN links, matching).
        self._identities: dict[int, dict[str, Any]] = {}
        identity = self._insert(_IDENTITIES)
        self._identity_statement = identity.on_conflict_do_update(
            index_elements=[_IDENTITIES.c.facility_id, _IDENTITIES.c.demographic_no],
            set_={c.name: identity.excluded[c.name] for c in _IDENTITIES.c
                  if c.name not in ("facility_id", "demographic_no")},
        )

    def apply(self, operation: Operation) -> None:
        if isinstance(operation, Upsert):
            self._upsert(operation)
        elif isinstance(operation, DeleteMissing):
            self._delete_missing(operation)
        elif isinstance(operation, DocumentBytes):
            self.flush()
            if self._last_document_key is None:
                self.counts["documents_unlinked"] += 1
                self.store_document(operation.data)
            else:
                self.link_document(self._last_document_key, operation.data)

    def _upsert(self, op: Upsert) -> None:
        now = utcnow()
        self._pending[(op.record_type, op.key)] = {
            "facility_id": self.facility_id,
            "record_type": op.record_type,
            "record_key": op.key[:255],
            "demographic_no": op.demographic_no,
            "payload": op.payload,
            "import_log_id": self.import_log_id,
            "updated_at": now,
        }
        self.counts[op.record_type if op.known else "unknown:" + op.record_type] += 1
        if op.record_type == DOCUMENT_TYPE:
            self._last_document_key = op.key
        elif op.record_type == DEMOGRAPHIC_TYPE:
            identity = identity_row(self.facility_id, op.payload)
            if identity is not None:
                self._identities[identity["demographic_no"]] = identity
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        rows = list(self._pending.values())
        self._pending.clear()
        self.session.execute(self._upsert_statement, rows)
        if self._identities:
            identities = list(self._identities.values())
            self._identities.clear()
            self.session.execute(self._identity_statement, identities)

    def _delete_missing(self, op: DeleteMissing) -> None:
        if op.demographic_no is None and op.record_type != PROGRAM_TYPE:
            # A patient-scoped delete without a patient would wipe every patient's records.
            self.counts["ignored_delete_without_patient"] += 1
            return
        self.flush()
        params: dict[str, Any] = {"facility_id": self.facility_id, "record_type": op.record_type}
        if op.demographic_no is not None:
            params["demographic_no"] = op.demographic_no
        if op.keep:
            params["keep"] = sorted(op.keep)
        statement = self._delete_statement(op.demographic_no is not None, bool(op.keep))
        deleted = _rowcount(self.session.execute(statement, params))
        if deleted:
            self.counts["deleted:" + op.record_type] += deleted

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
        sha = hashlib.sha256(data).hexdigest()
        statement = self._insert(_DOCUMENTS).values(
            sha256=sha, size=len(data), content=data, created_at=utcnow()
        ).on_conflict_do_nothing(index_elements=[_DOCUMENTS.c.sha256])
        self.session.execute(statement)
        return sha

    def link_document(self, key: str, data: bytes) -> bool:
        """Store ``data`` and attach it to the facility's CachedDemographicDocument ``key``."""
        self.flush()
        sha = self.store_document(data)
        result = self.session.execute(
            update(_RECORDS)
            .where(
                _RECORDS.c.facility_id == self.facility_id,
                _RECORDS.c.record_type == DOCUMENT_TYPE,
                _RECORDS.c.record_key == key,
            )
            .values(document_sha256=sha)
        )
        linked = _rowcount(result) > 0
        self.counts["documents_stored" if linked else "documents_unlinked"] += 1
        return linked


def _rowcount(result: Result[Any]) -> int:
    # An UPDATE's or DELETE's result is a CursorResult (which has rowcount); execute() is
    # typed Result.
    return cast("CursorResult[Any]", result).rowcount or 0
