"""submitMessage requests/s direct to one node and through HAProxy with 1, 2 and 3 nodes.

One PostgreSQL for the whole run; each step gets fresh nodes (2 thread workers
each, or BENCH_NODE_WORKERS) and the same load: 8 concurrent clients posting
distinct ~470-character ADT messages. Prints requests/s, p50/p99, the CPU
seconds each node (master and workers) spent per request, and the ratios
LB overhead = 1 node behind HAProxy / direct, scaling = 3 nodes / 1 node.
On a machine with fewer cores than nodes x workers, scaling is CPU-bound:
the CPU per request is the figure that carries over to real hosts.
Not part of the test suite.

    .venv/bin/python bench/scale_bench.py [--requests 1500] [--clients 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.submit_bench import FACILITY, PASSWORD, WSSE, envelope, load, messages, report  # noqa: E402
from tests.conftest import make_settings  # noqa: E402

from carebridge.store.database import Database  # noqa: E402
from carebridge.store.facilities import add_facility  # noqa: E402
from carebridge.store.migrate import upgrade  # noqa: E402
from carebridge_lab.haproxy import HAProxy, render_config  # noqa: E402
from carebridge_lab.net import free_port, wait_http_ok  # noqa: E402
from carebridge_lab.node import Node  # noqa: E402
from carebridge_lab.postgres import PostgresServer  # noqa: E402

NODE_WORKERS = int(os.environ.get("BENCH_NODE_WORKERS", "2"))
TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(leader: int) -> float:
    """User + system CPU of every live process in ``leader``'s process group."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == leader:  # field 5, pgrp, counted after the ")"
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def bodies(count: int, run: str) -> list[bytes]:
    return [envelope('<p:submitMessage xmlns:p="urn:carebridge:patients:1">'
                     f"<p:er7>{escape(m)}</p:er7></p:submitMessage>", WSSE)
            for m in messages(count, run)]


def step(name: str, url: str, nodes: list[Node], payloads: list[bytes], clients: int) -> float:
    warm = clients * 8
    load(url, payloads[:warm], clients)  # warm-up: connections, per-worker schema compiles
    before = [group_cpu_seconds(n.process.pid) for n in nodes]
    rate, latencies = load(url, payloads[warm:], clients)
    used = [group_cpu_seconds(n.process.pid) - b for n, b in zip(nodes, before, strict=True)]
    report(name, rate, latencies)
    per_request = sum(used) / (len(payloads) - warm) * 1000
    print(f"  {'':22s} CPU {per_request:5.2f} ms/request over {len(nodes)} node(s) "
          f"({', '.join(f'{u:.1f}s' for u in used)})")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    postgres = PostgresServer().start()
    rates: dict[str, float] = {}
    print(f"{os.cpu_count()} cores; {NODE_WORKERS} thread workers per node; {args.clients} "
          f"clients; {args.requests} distinct messages per step")
    try:
        with tempfile.TemporaryDirectory(prefix="carebridge-scale-bench-") as tmp:
            url = postgres.create_database("bench")
            settings = make_settings(Path(tmp), url)
            upgrade(url)
            db = Database(settings)
            with db.transaction() as session:
                add_facility(session, FACILITY, PASSWORD,
                             authorities=["TORONTO GENERAL HOSPITAL"])
            db.dispose()
            for count in (1, 2, 3):
                nodes = [Node(settings, workers=NODE_WORKERS, log_dir=Path(tmp) / f"n{count}")
                         .start() for _ in range(count)]
                proxy = None
                try:
                    if count == 1:
                        rates["direct"] = step(
                            "direct, 1 node", nodes[0].url + "/services/PatientSubmission",
                            nodes, bodies(args.requests, "DIR"), args.clients)
                    port = free_port()
                    proxy = HAProxy(render_config(
                        f"127.0.0.1:{port}",
                        [(f"n{i}", f"127.0.0.1:{n.port}") for i, n in enumerate(nodes)]),
                        Path(tmp) / f"haproxy{count}").start()
                    wait_http_ok(f"http://127.0.0.1:{port}/health")
                    rates[str(count)] = step(
                        f"HAProxy, {count} node(s)",
                        f"http://127.0.0.1:{port}/services/PatientSubmission", nodes,
                        bodies(args.requests, f"LB{count}"), args.clients)
                finally:
                    if proxy is not None:
                        proxy.stop()
                    for node in nodes:
                        node.stop()
    finally:
        postgres.stop()
    print(f"LB overhead (1 node via HAProxy / direct): {rates['1'] / rates['direct']:5.2f}")
    print(f"scaling 2 nodes / 1 node:                  {rates['2'] / rates['1']:5.2f}")
    print(f"scaling 3 nodes / 1 node:                  {rates['3'] / rates['1']:5.2f}")


if __name__ == "__main__":
    main()
