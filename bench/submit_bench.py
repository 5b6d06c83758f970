"""submitMessage against a bare Spyne echo of the same payload, on SQLite and PostgreSQL.

Both run under gunicorn with the same settings (carebridge's thread worker, cores + 1
workers of ``worker_threads`` threads, or
BENCH_WORKERS) on 127.0.0.1 and
get the same load: 8 concurrent clients posting ~470-character ADT messages
(A01/A03 mix, every message distinct). Prints requests/s and p50/p99 latency for
each and the ratio submit/echo. Not part of the test suite.

    .venv/bin/python bench/submit_bench.py [--requests 1600] [--clients 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from xml.sax.saxutils import escape

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import make_settings  # noqa: E402
from tests.support.server import Node  # noqa: E402

from carebridge.config import Settings  # noqa: E402
from carebridge.hl7.make_adt import generate  # noqa: E402
from carebridge.store.database import Database  # noqa: E402
from carebridge.store.facilities import add_facility  # noqa: E402
from carebridge.store.migrate import upgrade  # noqa: E402
from carebridge_lab.net import free_port, wait_http_ok  # noqa: E402
from carebridge_lab.postgres import PostgresServer  # noqa: E402

FACILITY, PASSWORD = "TORONTO GENERAL", "bench-secret"
# The same for both services: cores + 1 of carebridge's thread workers.
WORKERS = int(os.environ.get("BENCH_WORKERS", str((os.cpu_count() or 1) + 1)))
WSSE = ('<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
        'wssecurity-secext-1.0.xsd" S:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>'
        f'{FACILITY}</wsse:Username><wsse:Password>{PASSWORD}</wsse:Password>'
        '</wsse:UsernameToken></wsse:Security>')


def register_facility(settings: Settings, networks: tuple[str, ...] = ()) -> None:
    """A migrated database with the benchmark's facility (and MLLP networks)."""
    from carebridge.store.networks import add_networks

    upgrade(settings.database_url)
    db = Database(settings)
    with db.transaction() as session:
        added = add_facility(session, FACILITY, PASSWORD,
                             authorities=["TORONTO GENERAL HOSPITAL"])
        add_networks(session, added.id, networks)
    db.dispose()


def messages(count: int, run: str) -> list[str]:
    header = ("event|mrn|assigning_authority|last_name|first_name|middle_name|birth_date|sex|"
              "street|city|state|postal_code|phone|visit_number|patient_class|location|"
              "attending_id|attending_name|admit_time|discharge_time|diagnosis_code|"
              "diagnosis_text")
    rows = []
    for n in range(count):
        event = "A03" if n % 3 == 2 else "A01"
        rows.append(f"{event}|{100000 + n}|TORONTO GENERAL HOSPITAL|DOE-MACDONALD|JANE ELIZABETH|"
                    f"QUINN|19800412|F|1234 UNIVERSITY AVENUE WEST APARTMENT 1405|TORONTO|ON|"
                    f"M5V 2T6|(416)555-0100|V{n:08d}|I|4WEST-401-A|1234567|Jonathan Smith|"
                    f"202403150830|{'202403181200' if event == 'A03' else ''}|J18.9|"
                    "Pneumonia, unspecified organism, community acquired")
    result = generate("\n".join([header, *rows]) + "\n", sending_app="ADT1",
                      sending_facility=FACILITY, control_id_prefix=run,
                      now=dt.datetime(2024, 3, 20, 12, 0))
    return [m.rstrip("\n") for m in result.messages]


def envelope(body: str, header: str = "") -> bytes:
    return ('<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header>'
            f"{header}</S:Header><S:Body>{body}</S:Body></S:Envelope>").encode()


def load(url: str, payloads: list[bytes], clients: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(payloads)

    def worker() -> None:
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            started = time.perf_counter()
            response = session.post(url, data=body, timeout=60,
                                    headers={"Content-Type": "text/xml; charset=utf-8"})
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or (b"<ackCode>" in response.content
                                               and b"<ackCode>AA" not in response.content):
                raise SystemExit(f"bad answer {response.status_code}: {response.text[:300]}")
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(payloads) / (time.perf_counter() - started), latencies


def start_echo(log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "-k",
         "carebridge.web.worker.SlowClientWorker",
         "--threads", str(Settings().server.worker_threads),
         "--bind",
         f"127.0.0.1:{port}", "--access-logfile", "-", "--no-control-socket",
         "bench.echo_app:application"],
        cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        env=os.environ | {"PYTHONPATH": str(ROOT)})
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "?wsdl", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.2)
    return process, url


def report(name: str, rate: float, latencies: list[float]) -> None:
    cuts = statistics.quantiles(latencies, n=100)
    print(f"  {name:22s} {rate:8.0f} req/s   p50 {cuts[49] * 1000:6.1f} ms   "
          f"p99 {cuts[98] * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1600)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carebridge-submit-bench-") as tmp:
        root = Path(tmp)
        postgres = PostgresServer().start()
        echo, echo_url = start_echo(root / "echo.log")
        try:
            for backend in ("sqlite", "postgresql"):
                url = (f"sqlite:///{root}/bench.sqlite" if backend == "sqlite"
                       else postgres.create_database("bench"))
                settings = make_settings(root / backend, url)
                register_facility(settings)
                node = Node(settings, workers=WORKERS).start()
                wait_http_ok(node.url + "/health")
                try:
                    batch = messages(args.requests, f"B{backend[:2].upper()}")
                    echo_bodies = [envelope('<e:echo xmlns:e="urn:carebridge:bench:echo">'
                                            f"<e:er7>{escape(m)}</e:er7></e:echo>")
                                   for m in batch]
                    submit_bodies = [envelope('<p:submitMessage xmlns:p="urn:carebridge:'
                                              f'patients:1"><p:er7>{escape(m)}</p:er7>'
                                              "</p:submitMessage>", WSSE) for m in batch]
                    echo_rate, echo_lat = load(echo_url, echo_bodies, args.clients)
                    submit_rate, submit_lat = load(node.url + "/services/PatientSubmission",
                                                   submit_bodies, args.clients)
                finally:
                    node.stop()
                print(f"{backend} ({args.requests} distinct messages, {args.clients} clients, "
                      f"{len(batch[0])}-character ER7):")
                report("bare Spyne echo", echo_rate, echo_lat)
                report("submitMessage", submit_rate, submit_lat)
                print(f"  ratio submit/echo:     {submit_rate / echo_rate:8.2f}   (goal >= 0.5)")
        finally:
            echo.terminate()
            echo.wait()
            postgres.stop()


if __name__ == "__main__":
    main()
