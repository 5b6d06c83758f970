"""CPU cost of ``submit_message`` per message, in process, on SQLite and PostgreSQL.

Runs the use case the way every transport does, one unit of work per message
(``unit_of_work.run(db, lambda s: submit_message(s, facility_ref(s, fid), msg, policy),
writes=True)``), over the ~470-character ADT messages of bench/submit_bench.py (A01/A03
mix, every message distinct), and prints ms/message for each round: wall clock, this
process's CPU time, and the median of each message's CPU time (p50: the steadiest on a
busy machine); no HTTP, no MLLP. PostgreSQL is the suite's throwaway server (skipped
with --sqlite-only or when it cannot start). --profile prints the top of a cProfile of
one more round. Not part of the suite.

    .venv/bin/python bench/submit_cpu_bench.py [--messages 2000] [--rounds 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.submit_bench import FACILITY, PASSWORD, messages  # noqa: E402
from tests.conftest import make_settings  # noqa: E402

from carebridge.patients.policy import SubmitPolicy, submit_policy  # noqa: E402
from carebridge.patients.submit import submit_message  # noqa: E402
from carebridge.store import unit_of_work  # noqa: E402
from carebridge.store.database import Database  # noqa: E402
from carebridge.store.facilities import add_facility, facility_ref  # noqa: E402
from carebridge.store.migrate import upgrade  # noqa: E402
from carebridge_lab.postgres import PostgresServer  # noqa: E402


def submit_all(db: Database, facility_id: int, batch: list[str],
               policy: SubmitPolicy) -> list[float]:
    """Each message in its own unit of work; the CPU time of each, in ms."""
    spent = []
    for message in batch:
        used = time.thread_time()
        reply = unit_of_work.run(db, lambda s, m=message: submit_message(
            s, facility_ref(s, facility_id), m, policy), writes=True)
        spent.append((time.thread_time() - used) * 1000)
        if reply.ack_code != "AA":
            raise SystemExit(f"not accepted: {reply.text} {reply.errors}")
    return spent


def bench(name: str, url: str, root: Path, args: argparse.Namespace) -> None:
    settings = make_settings(root / name, url)
    upgrade(url)
    db = Database(settings)
    try:
        with db.transaction() as session:
            facility_id = add_facility(session, FACILITY, PASSWORD,
                                       authorities=["TORONTO GENERAL HOSPITAL"]).id
        policy = submit_policy(settings)
        count = args.messages
        rounds = args.rounds + 1 + (1 if args.profile else 0)  # round 0 warms up
        batch = messages(count * rounds, "C")
        wall, cpu, typical = [], [], []
        for number in range(args.rounds + 1):
            part = batch[number * count:(number + 1) * count]
            started, used = time.perf_counter(), time.process_time()
            spent = submit_all(db, facility_id, part, policy)
            if number:
                wall.append((time.perf_counter() - started) * 1000 / count)
                cpu.append((time.process_time() - used) * 1000 / count)
                typical.append(statistics.median(spent))
        print(f"{name}: {count} messages x {args.rounds} rounds, {len(batch[0])}-character ER7")
        for what, results in (("wall", wall), ("CPU", cpu), ("p50", typical)):
            print(f"  {what:4s} ms/message: " + " ".join(f"{r:.3f}" for r in results)
                  + f"  -> median {statistics.median(results):.3f}, best {min(results):.3f}")
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            submit_all(db, facility_id, batch[-count:], policy)
            profile.disable()
            pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="carebridge-submit-cpu-") as tmp:
        root = Path(tmp)
        bench("sqlite", f"sqlite:///{root}/bench.sqlite", root, args)
        if args.sqlite_only:
            return
        try:
            postgres = PostgresServer().start()
        except Exception as exc:  # a bench without PostgreSQL still reports SQLite
            print(f"postgresql: skipped ({exc})")
            return
        try:
            bench("postgresql", postgres.create_database("submit_cpu"), root, args)
        finally:
            postgres.stop()


if __name__ == "__main__":
    main()
