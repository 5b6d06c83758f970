"""Asking the integrator what became of each push (OSCAR's IntegratorFileLogUpdateJob).

The zeep client is built from the checked-in WSDL (nothing is downloaded at run
time), signs with a UsernameToken, has an operation timeout and retries
connection failures with backoff. Rows are asked about newest first, in
batches; each answer is written in its own small transaction, so a crash loses
at most one batch of answers and never leaves a half-written row.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from carebridge.contracts import FACILITY_SERVICE
from carebridge.emr.database import EmrDatabase
from carebridge.emr.exceptions import IntegratorUnavailable
from carebridge.emr.filelog import file_logs_to_check, record_status
from carebridge.soap.client import ServiceClient
from carebridge.soap.exceptions import ServiceRefused, ServiceUnreachable

SERVICE_PATH = "/FacilityService"
_RANK = {"PROCESSING": 1, "ERROR": 2, "COMPLETED": 3}
_Row = TypeVar("_Row")


def best_status(statuses: Iterable[str | None]) -> str | None:
    """OSCAR's rule: COMPLETED wins, ERROR beats PROCESSING, nothing known gives None."""
    best: str | None = None
    for status in statuses:
        if status and _RANK.get(status, 0) > _RANK.get(best or "", 0):
            best = status
    return best


def service_address(url: str) -> str:
    """OSCAR's integrator URL is the ``.../caisi_integrator/ws`` base; accept either form."""
    url = url.rstrip("/")
    return url if url.endswith(SERVICE_PATH) else url + SERVICE_PATH


class IntegratorClient:
    """OSCAR's status question, asked of the integrator's FacilityService."""

    def __init__(self, url: str, username: str, password: str, *, timeout: float = 10.0,
                 retries: int = 3, backoff: float = 0.5, digest: bool = False,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self._client = ServiceClient(FACILITY_SERVICE, service_address(url),
                                     username, password, timeout=timeout, retries=retries,
                                     backoff=backoff, digest=digest, sleep=sleep)
        self.address = self._client.address

    def statuses(self, filename: str, checksum: str) -> list[str | None]:
        try:
            logs = self._client.call("getImportLogByFilenameAndChecksum", filename, checksum)
        except ServiceUnreachable as exc:
            raise IntegratorUnavailable(f"the integrator at {exc.message}") from None
        except ServiceRefused as exc:
            raise IntegratorUnavailable(exc.message) from None
        return [entry.status for entry in logs or []]


@dataclass
class CheckReport:
    checked: int = 0
    updated: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


def check_status(db: EmrDatabase, client: IntegratorClient, batch_size: int = 50) -> CheckReport:
    """Refresh every row not yet COMPLETED; IntegratorUnavailable stops before any write."""
    report = CheckReport()
    with db.transaction() as session:
        rows = [(r.id, r.filename, r.checksum, r.integratorStatus)
                for r in file_logs_to_check(session)]
    for batch in _batches(rows, batch_size):
        answers = [(row_id, old, best_status(client.statuses(filename or "", checksum or "")))
                   for row_id, filename, checksum, old in batch]
        for row_id, old, status in answers:
            report.checked += 1
            if status is None:
                report.statuses["(no answer)"] += 1
                continue
            report.statuses[status] += 1
            if status != old:
                with db.transaction() as session:
                    record_status(session, row_id, status)
                report.updated += 1
    return report


def _batches(rows: list[_Row], size: int) -> Iterator[list[_Row]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
