"""Peak RSS and time of ``carebridge import --once`` for hostile pushes against a normal one.

Each push is imported by the console script in a fresh process and a fresh SQLite
database; the child reports its own peak RSS (VmHWM, see tests/support/peak.py). The
baseline is a normal push of --patients small patients, measured in the same run; every
other row prints its ratio to it. Rows:

* normal          the baseline
* photo-60MiB     one patient with a real 60 MiB byte[] photo (a ~2.3 MB zip)
* note-40MB       one note with a 40 MB String
* refs-10k        an ArrayList of 10,000 references to one 8 MiB string (a JSON bomb)
* tiny-objects    one ArrayList of 3,000,000 Integers (a parse-tree bomb)
* under-limits    a 15 MiB photo and a 15 MiB note (just under max_array_bytes): imports
* document-60MiB  a 60 MiB document in the -Docs.zip (under max_document_bytes): imports

    .venv/bin/python bench/limits_bench.py [--patients 2000]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.console import SCRIPT  # noqa: E402
from tests.support.peak import Measured, import_once_measured  # noqa: E402
from tests.support.pushes import (  # noqa: E402
    BuiltPush,
    deliver,
    note,
    note_text,
    patient,
    photo_bytes,
    reference_bomb,
    write_push,
)

from carebridge.config import Settings  # noqa: E402
from carebridge_lab.node import settings_env  # noqa: E402
from carebridge_lab.postgres import PostgresServer  # noqa: E402

MIB = 1024 * 1024


def pushes(out: Path, patients: int) -> dict[str, Callable[[], BuiltPush]]:
    def normal() -> BuiltPush:
        entries = [[patient(n), [note(n, n, note_text(400, n))]] for n in range(patients)]
        flat = [obj for pair in entries for obj in pair]
        return write_push(out / "normal", "clinic-a", [flat[: len(flat) // 2],
                                                       flat[len(flat) // 2:]])

    def under_limits() -> BuiltPush:
        return write_push(out / "under", "clinic-a", [[
            patient(1, photo=photo_bytes(15 * MIB)), [note(1, 1, note_text(15 * MIB))]]])

    def document() -> BuiltPush:
        return write_push(out / "doc", "clinic-a", [[patient(1)]],
                          documents={7: ("scan.pdf", photo_bytes(60 * MIB, seed=3))})

    return {
        "normal": normal,
        "photo-60MiB": lambda: write_push(out / "photo", "clinic-a",
                                          [[patient(1, photo=photo_bytes(60 * MIB))]]),
        "note-40MB": lambda: write_push(out / "note", "clinic-a",
                                        [[note(1, 1, note_text(40_000_000))]]),
        "refs-10k": lambda: write_push(out / "refs", "clinic-a",
                                       [[], reference_bomb(note_text(8 * MIB), 10_000)]),
        "tiny-objects": lambda: write_push(out / "tiny", "clinic-a", [[list(range(3_000_000))]]),
        "under-limits": under_limits,
        "document-60MiB": document,
    }


def import_once(push: BuiltPush, work: Path, database_url: str | None = None
                ) -> tuple[Measured, str]:
    settings = Settings.build({
        "database_url": database_url or f"sqlite:///{work}/bench.sqlite",
        "incoming_dir": work / "in",
        "archive_dir": work / "archive", "work_dir": work, "secret_key": "bench",
        "settle_seconds": 0})
    env = settings_env(settings)
    subprocess.run([SCRIPT, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([SCRIPT, "facility", "add", "clinic-a", "--password", "pw"], env=env,
                   check=True, capture_output=True)
    deliver(push, settings.importer.incoming_dir)
    measured = import_once_measured(settings, work)
    last = [line for line in measured.stderr.splitlines() if push.main.name in line]
    return measured, (last[-1].split(push.main.name + ": ", 1)[-1] if last else "?")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true",
                        help="import into a throwaway PostgreSQL instead of SQLite")
    args = parser.parse_args()
    server = PostgresServer().start() if args.postgres else None
    with tempfile.TemporaryDirectory(prefix="carebridge-limits-") as tmp:
        root = Path(tmp)
        baseline: Measured | None = None
        print(f"{'push':<16}{'zip MB':>8}{'peak MiB':>10}{'x base':>8}{'secs':>8}{'x base':>8}"
              "  outcome")
        for name, build in pushes(root / "pushes", args.patients).items():
            push = build()
            size = push.main.stat().st_size + (push.docs.stat().st_size if push.docs else 0)
            url = server.create_database(f"limits_{name.replace('-', '_').lower()}") if server \
                else None
            measured, outcome = import_once(push, root / "runs" / name, url)
            baseline = baseline or measured
            print(f"{name:<16}{size / 1e6:>8.1f}{measured.peak_mib:>10.0f}"
                  f"{measured.peak_bytes / baseline.peak_bytes:>8.2f}{measured.seconds:>8.1f}"
                  f"{measured.seconds / baseline.seconds:>8.2f}  {outcome[:90]}")
            shutil.rmtree(root / "runs" / name, ignore_errors=True)
            shutil.rmtree(push.main.parent, ignore_errors=True)
    if server is not None:
        server.stop()


if __name__ == "__main__":
    main()
