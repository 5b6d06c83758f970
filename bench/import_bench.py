"""Import throughput against bare decoding, and peak memory as the push grows.

Builds JVM-written pushes (tests/java's stand-in OSCAR classes), then prints:
records/s of bare decoding of the .ser files with javaobj-py3 (``javaread``, the
reference) and with the one-pass decoder the importer uses (``fastread``), their
ratio, records/s for carebridge's import (SQLite, one transaction) and its ratio to
bare decoding, SQLite's own insert rate for the imported rows and the import rate a
serial decode-then-insert could at best reach, and the peak RSS of an import process for
N and scale x N patients. Not part of the test suite.

    .venv/bin/python bench/import_bench.py [--patients 10000] [--scale 10] [--repeat 5]

Timings on N are the fastest of ``--repeat`` interleaved runs (the machine may be shared),
each decoding and each import in a fresh process of its own.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
from tests import jvm  # noqa: E402

from carebridge.integrator import memory  # noqa: E402
from carebridge.oscar import fastread, javaread  # noqa: E402
from carebridge.oscar.archive import ZipLimits, open_push  # noqa: E402

DATE = dt.datetime(2024, 3, 1, 9, 0, tzinfo=dt.UTC)
LIMITS = ZipLimits(8 * 1024**3, 64 * 1024**3, 1000)
_WRAPPERS = "org.oscarehr.PMmodule.caisi_integrator."


def _least_json(value: object) -> object:
    """orjson's ``default``: the least an import must do to store a decoded record."""
    if isinstance(value, javaread.JavaObject):
        return {"@class": value.class_name, **value.fields}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(type(value).__name__)


def decode_only(zip_path: Path, decoder: object, as_json: bool = False) -> tuple[int, float]:
    """The decoder alone (javaread or fastread): every object of every .ser, as Python
    values, read from the zip as the archive reads it, with the collector tuned as the
    importer tunes it (memory.freeze_loaded_objects, memory.bulk_load). ``as_json``: also
    each record as JSON text (orjson, one pass), which any import has to store."""
    iter_sized = decoder.iter_sized  # type: ignore[attr-defined]
    memory.freeze_loaded_objects()
    started = time.perf_counter()
    records = 0
    with memory.bulk_load(), open_push(zip_path, LIMITS) as archive:
        for entry in archive.ser_entries:
            with io.BufferedReader(archive.open_entry(entry), 256 * 1024) as stream:  # type: ignore[type-var]
                for obj, _size in iter_sized(stream, entry):
                    if isinstance(obj, list):
                        records += len(obj)
                        items = obj
                    elif not obj.class_name.startswith(_WRAPPERS):  # header, footer, wrappers
                        records += 1
                        items = [obj]
                    else:
                        continue
                    if as_json:
                        for item in items:
                            orjson.dumps(item, default=_least_json,
                                         option=orjson.OPT_PASSTHROUGH_DATACLASS)
    return records, time.perf_counter() - started


def decode_in_child(zip_path: Path, decoder: str) -> tuple[int, float]:
    """``decode_only`` in a fresh process, as the importer's own: neither decoder pays for
    what the other left in this process's heap (javaread keeps ~30,000 objects alive)."""
    output = subprocess.run([sys.executable, __file__, "--decode-only", decoder, str(zip_path)],
                            check=True, capture_output=True, text=True).stdout
    records, seconds = output.split()
    return int(records), float(seconds)


def import_in_child(push: jvm.PushFiles, workdir: Path
                    ) -> tuple[int, float, int, float, int]:
    """Import one push in a fresh process; returns records, seconds, its peak RSS in KiB,
    the rows/s of SQLite alone inserting the imported rows again (same table, indexes and
    foreign keys, raw executemany in batches of 500), and the highest RSS sampled in the
    import's first tenth (KiB)."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from carebridge.config import Settings\n"
        "from carebridge.store.database import Database\n"
        "from carebridge.store.facilities import add_facility\n"
        "from carebridge.store.migrate import upgrade\n"
        "from carebridge.integrator.importer import Importer\n"
        "work = Path(sys.argv[1])\n"
        "settings = Settings.build({'database_url': f'sqlite:///{work}/bench.sqlite',\n"
        "    'incoming_dir': work / 'in', 'archive_dir': work / 'archive',\n"
        "    'work_dir': work, 'secret_key': 'bench', 'settle_seconds': 0})\n"
        "upgrade(settings.database_url)\n"
        "db = Database(settings)\n"
        "with db.transaction() as s:\n"
        "    add_facility(s, 'clinic-a', 'pw')\n"
        "import threading\n"  # RSS sampled through the import: does it plateau?
        "def rss():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmRSS'):\n"
        "            return int(line.split()[1])\n"
        "samples = []\n"
        "done = threading.Event()\n"
        "def sample():\n"
        "    while not done.wait(0.1):\n"
        "        samples.append((time.perf_counter(), rss()))\n"
        "threading.Thread(target=sample, daemon=True).start()\n"
        "started = time.perf_counter()\n"
        "(outcome,) = Importer(db, settings).run_once()\n"
        "elapsed = time.perf_counter() - started\n"
        "done.set()\n"
        "tenth = max([r for t, r in samples if t - started <= elapsed / 10] or [0])\n"
        "assert outcome.result == 'COMPLETED', outcome.reason\n"
        "import sqlite3\n"
        # The import's peak: VmHWM is this process's own (getrusage's ru_maxrss also
        # counts what the parent held when it forked this child).
        "status = Path('/proc/self/status').read_text()\n"
        "peak = next(int(l.split()[1]) for l in status.splitlines() if l.startswith('VmHWM'))\n"
        # SQLite alone: the imported rows inserted again (same table, indexes, keys)
        "c = sqlite3.connect(work / 'bench.sqlite', isolation_level=None)\n"
        "c.execute('PRAGMA foreign_keys=ON')\n"
        "cols = 'facility_id, record_type, record_key, demographic_no, payload, '\\\n"
        "    'import_log_id, updated_at'\n"
        "rows = c.execute(f'SELECT {cols} FROM cached_record').fetchall()\n"
        "c.execute('BEGIN'); c.execute('DELETE FROM cached_record')\n"
        "t = time.perf_counter()\n"
        "for i in range(0, len(rows), 500):\n"
        "    c.executemany(f'INSERT INTO cached_record ({cols}) VALUES (?,?,?,?,?,?,?)',\n"
        "                  rows[i:i + 500])\n"
        "insert = time.perf_counter() - t\n"
        "c.execute('ROLLBACK')\n"
        "print(outcome.records, elapsed, len(rows), insert, peak, tenth)\n"
    )
    workdir.mkdir(parents=True)
    incoming = workdir / "in"
    incoming.mkdir()
    main = incoming / push.main.name
    os.link(push.main, main)
    if push.docs:
        os.link(push.docs, incoming / push.docs.name)
    child = subprocess.Popen([sys.executable, "-c", code, str(workdir), str(main)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status = os.waitpid(child.pid, 0)
    if status != 0:
        raise SystemExit(f"import child failed with status {status}")
    records, seconds, rows, insert, peak, tenth = output.split()
    return (int(records), float(seconds), int(peak), int(rows) / float(insert),
            int(tenth))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--scale", type=int, default=10, help="memory check at scale x N")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of each timing on N; the fastest counts (the machine is shared)")
    parser.add_argument("--decode-only", nargs=2, metavar=("DECODER", "ZIP"),
                        help=argparse.SUPPRESS)  # the child of decode_in_child
    args = parser.parse_args()
    if args.decode_only:
        name, zip_path = args.decode_only
        decoder = javaread if name == "javaread" else fastread
        print(*decode_only(Path(zip_path), decoder, as_json=name == "fastread+json"))
        return

    with tempfile.TemporaryDirectory(prefix="carebridge-bench-") as tmp:
        root = Path(tmp)
        build = jvm.build_classes(root / "jvm")
        print(f"building JVM pushes: {args.patients} and {args.patients * args.scale} patients")
        small = jvm.make_push(build, root / "small", username="clinic-a",
                              patients=args.patients, date=DATE)
        large = jvm.make_push(build, root / "large", username="clinic-a",
                              patients=args.patients * args.scale, date=DATE, seed=2)

        slow_s = decode_s = json_s = import_s = float("inf")
        rss_small = 0
        insert_rate = 0.0
        for run in range(max(1, args.repeat)):  # interleaved, so load hits all alike
            slow, seconds = decode_in_child(small.main, "javaread")
            slow_s = min(slow_s, seconds)
            decoded, seconds = decode_in_child(small.main, "fastread")
            decode_s = min(decode_s, seconds)
            _, seconds = decode_in_child(small.main, "fastread+json")
            json_s = min(json_s, seconds)
            imported, seconds, rss, rate, _ = import_in_child(small, root / f"run-small-{run}")
            import_s = min(import_s, seconds)
            insert_rate = max(insert_rate, rate)
            rss_small = max(rss_small, rss)
        _, large_s, rss_large, _, rss_tenth = import_in_child(large, root / "run-large")

    assert slow == decoded == imported == small.records, (slow, decoded, imported,
                                                          small.records)
    slow_rate = slow / slow_s
    decode_rate = decoded / decode_s
    import_rate = imported / import_s
    print(f"records per push:        {small.records} (N={args.patients} patients; "
          f"fastest of {max(1, args.repeat)} runs)")
    print(f"javaobj-py3 (javaread):  {slow_rate:10.0f} records/s  ({slow_s:.1f} s)")
    compiled = "compiled" if not fastread.__file__.endswith(".py") else "NOT compiled"
    print(f"one-pass (fastread):     {decode_rate:10.0f} records/s  ({decode_s:.1f} s, "
          f"{compiled})")
    print(f"ratio fastread/javaread: {decode_rate / slow_rate:10.2f}   (goal >= 10)")
    print(f"carebridge import:       {import_rate:10.0f} records/s  ({import_s:.1f} s)")
    print(f"ratio import/fastread:   {import_rate / decode_rate:10.2f}   (goal >= 0.7)")
    # One process decodes, encodes and writes one record after another: an import doing
    # nothing but that could reach only 1 / (1/(decode + JSON) + 1/insert).
    json_rate = decoded / json_s
    ceiling = 1 / (1 / json_rate + 1 / insert_rate)
    print(f"fastread + JSON text:    {json_rate:10.0f} records/s  (each record also as orjson "
          "text)")
    print(f"SQLite insert alone:     {insert_rate:10.0f} rows/s    (the same rows, raw "
          "executemany)")
    print(f"serial ceiling:          {ceiling:10.0f} records/s  (ratio {ceiling / decode_rate:.2f}:"
          " decode, JSON, insert, nothing else)")
    print(f"peak RSS, N:             {rss_small / 1024:10.1f} MiB")
    print(f"peak RSS, {args.scale} x N:         {rss_large / 1024:10.1f} MiB  "
          f"({large.records} records in {large_s:.1f} s)")
    print(f"memory ratio {args.scale}xN / N:     {rss_large / rss_small:10.2f}   (flat ~ 1.0)")
    # Bounded memory is a plateau: the decoder's tables (65,536 short strings, a window of
    # max_object_bytes/4 of values) fill within the first entries of a big push, then stay.
    print(f"  {args.scale} x N, first tenth:   {rss_tenth / 1024:10.1f} MiB  (peak / that: "
          f"{rss_large / max(rss_tenth, 1):.2f})")


if __name__ == "__main__":
    main()
