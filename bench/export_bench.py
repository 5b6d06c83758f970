"""EMR export throughput and memory, against bare serialisation of the same objects.

Seeds a demo OSCAR database with N patients (default 10,000) and with 10 x N,
exports each in a fresh process, and prints: patients/s, peak RSS for N and
10 x N, and the ratio of export time to the time of serialising the same Java
objects alone (built beforehand, written to memory). Not part of the test suite.

    .venv/bin/python bench/export_bench.py [--patients 10000] [--scale 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from carebridge.emr.database import EmrDatabase
from carebridge.emr.exporter import QUERY_CHUNK, _patient_blocks
from carebridge.emr.schema import Demographic
from carebridge.oscar.javawrite import ObjectStreamWriter
from carebridge_lab.seed import seed

NOW = dt.datetime(2024, 3, 1, 9, 0, 0)

_CHILD = (
    "import sys, time, datetime as dt\n"
    "from pathlib import Path\n"
    "from carebridge.emr.database import EmrDatabase\n"
    "from carebridge.emr.exporter import export\n"
    "db = EmrDatabase(sys.argv[1])\n"
    "started = time.perf_counter()\n"
    "result = export(db, Path(sys.argv[2]), Path(sys.argv[3]), full=True,\n"
    "                now=dt.datetime(2024, 3, 2))\n"
    "print(result.patients, result.objects, time.perf_counter() - started)\n"
)


def seeded(root: Path, patients: int) -> tuple[str, Path]:
    url = f"sqlite:///{root}/emr.sqlite"
    db = EmrDatabase(url)
    seed(db, patients, root / "docs", now=NOW)
    db.dispose()
    return url, root / "docs"


def export_in_child(url: str, out: Path, docs: Path) -> tuple[int, int, float, int]:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, url, str(out), str(docs)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None  # stdout=PIPE
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"export child failed with status {status}")
    patients, objects, seconds = output.split()
    return int(patients), int(objects), float(seconds), usage.ru_maxrss


def bare_serialisation(url: str) -> tuple[int, float]:
    """The same patients' objects, built first, then only written (to memory)."""
    db = EmrDatabase(url)
    with db.transaction() as session:
        numbers = list(session.scalars(select(Demographic.demographic_no)
                                       .order_by(Demographic.demographic_no)))
    objects = []
    for start in range(0, len(numbers), QUERY_CHUNK):
        with db.transaction() as session:
            blocks = _patient_blocks(session, numbers[start:start + QUERY_CHUNK])
        for number in numbers[start:start + QUERY_CHUNK]:
            objects.extend(blocks.get(number, ([], []))[0])
    db.dispose()
    sink = io.BytesIO()
    started = time.perf_counter()
    writer = ObjectStreamWriter(sink)
    for obj in objects:
        writer.write(obj)
    writer.close()
    return len(objects), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--scale", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carebridge-export-bench-") as tmp:
        root = Path(tmp)
        (root / "small").mkdir()
        (root / "large").mkdir()
        print(f"seeding {args.patients} and {args.patients * args.scale} patients")
        small_url, small_docs = seeded(root / "small", args.patients)
        large_url, large_docs = seeded(root / "large", args.patients * args.scale)
        patients, objects, seconds, rss_small = export_in_child(small_url, root / "small-out",
                                                                small_docs)
        large_patients, _, large_seconds, rss_large = export_in_child(
            large_url, root / "large-out", large_docs)
        bare_objects, bare_seconds = bare_serialisation(small_url)
    print(f"patients exported:         {patients} ({objects} objects, {seconds:.1f} s)")
    print(f"export rate:               {patients / seconds:10.0f} patients/s")
    print(f"bare serialisation:        {bare_objects / bare_seconds:10.0f} objects/s "
          f"({bare_seconds:.1f} s for the same {bare_objects} objects)")
    print(f"export time / bare time:   {seconds / bare_seconds:10.2f}")
    print(f"peak RSS, N:               {rss_small / 1024:10.1f} MiB")
    print(f"peak RSS, {args.scale} x N:           {rss_large / 1024:10.1f} MiB "
          f"({large_patients} patients in {large_seconds:.1f} s)")
    print(f"memory ratio {args.scale}xN / N:       {rss_large / rss_small:10.2f}   (flat ~ 1.0)")


if __name__ == "__main__":
    main()
