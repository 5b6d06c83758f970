"""FacilityService latency while a 10,000-patient push imports, against the same calls on
an idle node, on SQLite and PostgreSQL.

OSCAR's integrator client gives up after 3 s (its receive timeout): every call must answer
well under that while the node imports. Two clients call getMyFacility and
getImportLogsSince back to back, first for a few seconds on an idle node (the baseline),
then while the node's importer loads the push; prints p50/p99/max of each phase and the
ratio of the p99s. Not part of the test suite.

    .venv/bin/python bench/status_latency_bench.py [--patients 10000] [--clients 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import jvm  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.support.server import Node  # noqa: E402

from carebridge.store.database import Database  # noqa: E402
from carebridge.store.facilities import add_facility  # noqa: E402
from carebridge.store.migrate import upgrade  # noqa: E402
from carebridge.store.models import ImportLog  # noqa: E402
from carebridge_lab.postgres import PostgresServer  # noqa: E402

DATE = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
USER, PASSWORD = "clinic-a", "bench-secret"
TNS = "http://ws.caisi_integrator.oscarehr.org/"
SECURITY = (
    '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/'
    'oasis-200401-wss-wssecurity-secext-1.0.xsd" S:mustUnderstand="1"><wsse:UsernameToken>'
    f"<wsse:Username>{USER}</wsse:Username><wsse:Password Type=\"http://docs.oasis-open.org/"
    "wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText\">"
    f"{PASSWORD}</wsse:Password></wsse:UsernameToken></wsse:Security>"
)
CALLS = [f'<ns2:getMyFacility xmlns:ns2="{TNS}"/>',
         f'<ns2:getImportLogsSince xmlns:ns2="{TNS}"><arg0>2000-01-01T00:00:00Z</arg0>'
         "</ns2:getImportLogsSince>"]


def envelope(body: str) -> bytes:
    return ('<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">'
            f"<S:Header>{SECURITY}</S:Header><S:Body>{body}</S:Body></S:Envelope>").encode()


def measure(url: str, clients: int, keep_going: threading.Event) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        session = requests.Session()
        i = number
        while keep_going.is_set():
            started = time.perf_counter()
            reply = session.post(url, data=envelope(CALLS[i % len(CALLS)]), timeout=30,
                                 headers={"Content-Type": "text/xml; charset=utf-8"})
            elapsed = time.perf_counter() - started
            if reply.status_code != 200:
                raise SystemExit(f"HTTP {reply.status_code}: {reply.text[:200]}")
            with lock:
                latencies.append(elapsed)
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def phase(url: str, clients: int, until: Callable[[], None]) -> list[float]:
    """The clients' latencies from now until ``until`` returns."""
    keep_going = threading.Event()
    keep_going.set()
    result: list[list[float]] = []
    runner = threading.Thread(target=lambda: result.append(measure(url, clients, keep_going)))
    runner.start()
    try:
        until()
    finally:
        keep_going.clear()
        runner.join()
    return result[0]


def report(name: str, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    print(f"  {name:<22} {len(ordered):6d} calls   p50 {statistics.median(ordered) * 1000:7.1f} ms"
          f"   p99 {p99 * 1000:7.1f} ms   max {ordered[-1] * 1000:7.1f} ms")
    return p99


def run(label: str, database_url: str, push: jvm.PushFiles, root: Path, clients: int,
        idle_seconds: float) -> None:
    settings = make_settings(root, database_url, scan_interval=0.5)
    upgrade(database_url)
    db = Database(settings)
    with db.transaction() as session:
        add_facility(session, USER, PASSWORD)
    node = Node(settings, importer=True, log_dir=root).start()
    url = node.url + "/caisi_integrator/ws/FacilityService"
    try:
        idle = phase(url, clients, lambda: time.sleep(idle_seconds))

        def import_done() -> None:
            incoming = settings.importer.incoming_dir
            if push.docs:  # the -Docs.zip first: the push waits for it
                os.link(push.docs, incoming / push.docs.name)
            os.link(push.main, incoming / push.main.name)
            deadline = time.monotonic() + 1800
            while time.monotonic() < deadline:
                with db.transaction() as session:
                    statuses = [row.status for row in session.query(ImportLog)]
                if statuses and statuses[-1] in ("COMPLETED", "ERROR"):
                    if statuses[-1] != "COMPLETED":
                        raise SystemExit(f"the import failed: {statuses}")
                    return
                time.sleep(0.2)
            raise SystemExit("the import did not finish")

        started = time.perf_counter()
        busy = phase(url, clients, import_done)
        seconds = time.perf_counter() - started
    finally:
        node.stop()
        db.dispose()
    print(f"{label} ({clients} clients; {push.records} records imported in {seconds:.1f} s):")
    idle_p99 = report("idle node", idle)
    busy_p99 = report("during the import", busy)
    print(f"  p99 during / idle:     {busy_p99 / idle_p99:7.2f}   (goal: p99 < 1000 ms; "
          f"OSCAR gives up at 3000 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carebridge-bench-") as tmp:
        root = Path(tmp)
        build = jvm.build_classes(root / "jvm")
        push = jvm.make_push(build, root / "push", username=USER, patients=args.patients,
                             date=DATE)
        run("sqlite", f"sqlite:///{root}/sqlite/carebridge.sqlite", push, root / "sqlite",
            args.clients, args.idle_seconds)
        postgres = PostgresServer().start()
        try:
            url = postgres.create_database("latency")
            run("postgresql", url, push, root / "postgresql", args.clients, args.idle_seconds)
        finally:
            postgres.stop()


if __name__ == "__main__":
    main()
