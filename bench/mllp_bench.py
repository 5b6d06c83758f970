"""Durable MLLP throughput against submitMessage and a bare MLLP echo, SQLite and PostgreSQL.

One node (``carebridge serve --mllp``: 1 MLLP listener process on SQLite, 2 on PostgreSQL,
and cores + 1 web workers) per database on 127.0.0.1. The same ~470-character ADT messages (A01/A03
mix, every one distinct) go over MLLP with 1, 8 and 64 concurrent connections (each
sends its next frame when the previous ACK arrived: an AA that means stored), then
through submitMessage with as many concurrent SOAP clients. The ceiling is
bench/mllp_echo.py: the same asyncio framing, each MSH parsed and an AA built, nothing
validated or stored. Prints messages/s, p50/p99 latency, the group commit's batch sizes
(from the node's /metrics) and the goals' ratios. Not part of the test suite.

    .venv/bin/python bench/mllp_bench.py [--messages 3000] [--sqlite-workers 1]
        [--postgresql-workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.submit_bench import WORKERS, WSSE, envelope, load, messages, register_facility  # noqa: E402
from tests.conftest import make_settings  # noqa: E402

from carebridge.hl7 import framing  # noqa: E402
from carebridge_lab.net import free_port, wait_listening  # noqa: E402
from carebridge_lab.node import Node  # noqa: E402
from carebridge_lab.postgres import PostgresServer  # noqa: E402

CONNECTIONS = (1, 8, 64)


async def _mllp_load(port: int, frames: list[bytes], connections: int
                     ) -> tuple[float, list[float]]:
    pending = list(reversed(frames))
    latencies: list[float] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        decoder = framing.MLLPDecoder()
        while pending:
            frame = pending.pop()
            started = time.perf_counter()
            writer.write(frame)
            acks: list[bytes] = []
            while not acks:
                data = await reader.read(65536)
                if not data:
                    raise SystemExit("the receiver closed the connection")
                acks = decoder.feed(data)
            latencies.append(time.perf_counter() - started)
            if b"MSA|AA|" not in acks[0]:
                raise SystemExit(f"not an AA: {acks[0][:300]!r}")
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return len(frames) / (time.perf_counter() - started), latencies


def mllp_load(port: int, batch: list[str], connections: int) -> tuple[float, list[float]]:
    frames = [framing.frame(m.replace("\n", "\r").encode()) for m in batch]
    return asyncio.run(_mllp_load(port, frames, connections))


def line(name: str, rate: float, latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return (f"  {name:28s} {rate:8.0f} msg/s   p50 {cuts[49] * 1000:7.1f} ms   "
            f"p99 {cuts[98] * 1000:7.1f} ms")


def commit_counts(node: Node) -> tuple[float, float]:
    """(commits, messages committed) so far, from the node's /metrics."""
    with urllib.request.urlopen(node.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    count = total = 0.0
    for row in text.splitlines():
        if row.startswith("carebridge_mllp_commit_batch_size_count"):
            count = float(row.rsplit(" ", 1)[1])
        elif row.startswith("carebridge_mllp_commit_batch_size_sum"):
            total = float(row.rsplit(" ", 1)[1])
    return count, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    # SQLite has one writer: a second listener process only waits on its lock.
    parser.add_argument("--sqlite-workers", type=int, default=1)
    parser.add_argument("--postgresql-workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carebridge-mllp-bench-") as tmp:
        root = Path(tmp)
        postgres = PostgresServer().start()
        echo_port = free_port()
        echo = subprocess.Popen([sys.executable, str(ROOT / "bench" / "mllp_echo.py"),
                                 str(echo_port)], env=os.environ | {"PYTHONPATH": str(ROOT)})
        figures: dict[str, float] = {}
        try:
            wait_listening("127.0.0.1", echo_port)
            print(f"bare MLLP echo (asyncio, MSH parsed, AA built, nothing stored), "
                  f"{args.messages} messages:")
            for n in CONNECTIONS:
                rate, latencies = mllp_load(echo_port, messages(args.messages, f"E{n}"), n)
                figures[f"echo {n}"] = rate
                print(line(f"{n} connection(s)", rate, latencies))
            for backend in ("sqlite", "postgresql"):
                url = (f"sqlite:///{root}/bench.sqlite" if backend == "sqlite"
                       else postgres.create_database("bench"))
                workers = args.sqlite_workers if backend == "sqlite" else args.postgresql_workers
                settings = make_settings(root / backend, url, mllp_workers=workers)
                register_facility(settings, ("127.0.0.1",))
                node = Node(settings, workers=WORKERS, mllp=True).start()
                assert node.mllp_port is not None
                try:
                    print(f"{backend}: {args.messages} distinct messages, "
                          f"{workers} MLLP listener process(es), {WORKERS} web "
                          "workers")
                    for n in CONNECTIONS:
                        tag = f"{backend[:2].upper()}{n}"
                        commits, committed = commit_counts(node)
                        rate, latencies = mllp_load(node.mllp_port,
                                                    messages(args.messages, f"M{tag}"), n)
                        figures[f"{backend} mllp {n}"] = rate
                        after = commit_counts(node)
                        print(line(f"MLLP, {n} connection(s)", rate, latencies)
                              + f"   {(after[1] - committed) / max(after[0] - commits, 1):5.1f}"
                              " messages/commit")
                        bodies = [envelope('<p:submitMessage xmlns:p="urn:carebridge:'
                                           f'patients:1"><p:er7>{escape(m)}</p:er7>'
                                           "</p:submitMessage>", WSSE)
                                  for m in messages(args.messages, f"S{tag}")]
                        rate, latencies = load(node.url + "/services/PatientSubmission",
                                               bodies, n)
                        figures[f"{backend} soap {n}"] = rate
                        print(line(f"submitMessage, {n} client(s)", rate, latencies))
                finally:
                    node.stop()
                print(f"  MLLP / submitMessage at 8:  "
                      f"{figures[f'{backend} mllp 8'] / figures[f'{backend} soap 8']:6.2f}x"
                      "  (goal >= 3)")
                print(f"  MLLP / bare echo at 64:     "
                      f"{figures[f'{backend} mllp 64'] / figures['echo 64']:6.2f}x"
                      "  (goal >= 0.5)")
            print(f"PostgreSQL, MLLP at 64 connections: {figures['postgresql mllp 64']:.0f} "
                  "durable messages/s  (goal >= 1500)")
        finally:
            echo.terminate()
            echo.wait()
            postgres.stop()


if __name__ == "__main__":
    main()
