"""The failover exercise: load through HAProxy while nodes die, then count everything.

A throwaway cluster (PostgreSQL, N nodes each running the importer loop and an MLLP
listener, HAProxy), an EMR that has written push files, K resending SOAP clients and K
MLLP clients on persistent connections through the balancer (half the patients each),
and the chaos loop. When the load is done the pushes are given time to finish importing, and
``verify.summarize`` compares the database with what was sent.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from carebridge.emr.database import EmrDatabase
from carebridge.emr.exporter import export
from carebridge.emr.schema import Demographic, OscarFacility
from carebridge.emr.shipper import ship
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.models import ImportLog, ImportStatus
from carebridge.store.networks import add_networks
from carebridge_lab.chaos import DEFAULT_PLAN, IMPORTER, POSTGRES, Chaos, ChaosReport
from carebridge_lab.exceptions import ClusterError
from carebridge_lab.local import LocalCluster
from carebridge_lab.seed import seed
from carebridge_lab.verify import ExpectedPush, Summary, summarize
from carebridge_lab.workload import MLLP_SOURCE, Credentials, LoadReport, build_stories, run_clients

FACILITY = "EXERCISE HOSPITAL"


@dataclass(frozen=True)
class ExerciseOptions:
    nodes: int = 3
    workers: int = 2
    messages: int = 2000
    clients: int = 8
    # The load is paced to last at least this long, and until every planned chaos
    # event has happened once.
    duration: float = 60.0
    interval: float = 3.0  # seconds between chaos events
    push_patients: int = 600
    pushes: int = 2  # one full push, then deltas
    postgres_restart: bool = True
    lease_seconds: float = 5.0
    seed: int = 1
    root: Path | None = None
    mllp: bool = True  # half the patients' messages over MLLP


@dataclass(frozen=True)
class ExerciseResult:
    summary: Summary
    chaos: ChaosReport
    elapsed: float

    def details(self) -> str:
        s, c = self.summary, self.chaos
        doors = " ".join(f"{door}={n}" for door, n in sorted(s.by_door))
        return (f"{doors} kills={c.kills} importer_kills={c.importer_kills} drains={c.drains} "
                f"postgres_restarts={c.postgres_restarts} import_retries={s.import_retries} "
                f"facility_calls={s.facility_calls} facility_failures={s.facility_failures} "
                f"unsent={s.unsent} client_failures={s.client_failures} "
                f"elapsed={self.elapsed:.0f}s")

    def resends(self) -> str:
        """Why the clients had to resend (client_errors), most frequent first."""
        reasons = self.summary.error_reasons
        line = "resends: " + (", ".join(f"{n} x {why}" for why, n in reasons) or "none")
        if self.summary.failure_types:  # each was printed as it happened; the run fails
            line += "; client failures: " + ", ".join(
                f"{n} x {kind}" for kind, n in self.summary.failure_types)
        return line


def run_exercise(options: ExerciseOptions, say: Callable[[str], object] = print
                 ) -> ExerciseResult:
    started = time.monotonic()
    plan = [e for e in DEFAULT_PLAN
            if (options.postgres_restart or e != POSTGRES) and (options.pushes or e != IMPORTER)]
    cluster = LocalCluster(options.nodes, workers=options.workers, root=options.root,
                           importers=True,
                           settings={"scan_interval": 0.5, "settle_seconds": 0.5,
                                     "lease_seconds": options.lease_seconds,
                                     "drain_seconds": 2})
    say(f"starting PostgreSQL, {options.nodes} nodes and HAProxy under {cluster.root}")
    try:
        cluster.start()
        return _exercise(cluster, options, plan, started, say)
    finally:
        cluster.stop()


def _exercise(cluster: LocalCluster, options: ExerciseOptions, plan: list[str],
              started: float, say: Callable[[str], object]) -> ExerciseResult:
    assert cluster.settings is not None
    db = Database(cluster.settings)
    incoming = cluster.settings.importer.incoming_dir
    try:
        password = uuid.uuid4().hex
        with db.transaction() as session:
            added = add_facility(session, FACILITY, password)
            add_networks(session, added.id, [MLLP_SOURCE])  # its MLLP senders' address
        say(f"cluster up at {cluster.url}; writing {options.pushes} push file(s) "
            f"of {options.push_patients} patients")
        emr_out, pushes = _write_pushes(cluster.root, options)
        stories = build_stories(options.messages, facility=FACILITY,
                                prefix="EX" + uuid.uuid4().hex[:6].upper(), seed=options.seed)
        soap_stories, mllp_stories = (stories[::2], stories[1::2]) if options.mllp else (
            stories, [])
        doors = f"{options.clients} SOAP and {options.clients} MLLP" if options.mllp else (
            f"{options.clients} SOAP")
        say(f"{doors} clients sending {options.messages} messages over "
            f"~{options.duration:.0f}s while the chaos loop runs every {options.interval:g}s")
        chaos = Chaos(cluster, db, interval=options.interval, plan=plan, seed=options.seed,
                      drop_pushes=lambda: ship(emr_out, incoming),
                      say=say).start()
        try:
            load = run_clients(cluster.url, Credentials(FACILITY, password), soap_stories,
                               clients=options.clients, duration=options.duration,
                               until=chaos.round_done, say=say,
                               mllp=("127.0.0.1", cluster.mllp_port),
                               mllp_stories=mllp_stories, report=LoadReport())
        finally:
            report = chaos.stop()
        if not report.importer_kills and options.pushes:
            ship(emr_out, incoming)  # the load ended before that event
        _wait_for_imports(db, len(pushes), timeout=120 + 4 * options.lease_seconds)
        messages = [m for story in stories for m in story]
        summary = summarize(db, FACILITY, messages, load, pushes,
                            seeded_patients=options.push_patients if pushes else 0)
        return ExerciseResult(summary, report, time.monotonic() - started)
    finally:
        db.dispose()


def _write_pushes(root: Path, options: ExerciseOptions) -> tuple[Path, list[ExpectedPush]]:
    """The EMR side: seed a demo EMR, write a full push and then deltas, as OSCAR would."""
    out = root / "emr-export"
    if not options.pushes:
        return out, []
    emr = EmrDatabase(f"sqlite:///{root / 'emr.sqlite'}")
    base = dt.datetime.now().replace(microsecond=0) - dt.timedelta(hours=2)
    pushes = []
    try:
        seed(emr, options.push_patients, root / "emr-documents", seed=options.seed, now=base)
        with emr.transaction() as session:
            session.execute(update(OscarFacility).values(integratorUser=FACILITY))
            numbers = list(session.scalars(select(Demographic.demographic_no)
                                           .order_by(Demographic.demographic_no)))
        for number in range(options.pushes):
            when = base + dt.timedelta(minutes=10 * (number + 1))
            changed = len(numbers)
            if number:  # a delta: a slice of the patients changed since the last push
                touched = numbers[number::7]
                changed = len(touched)
                with emr.transaction() as session:
                    session.execute(update(Demographic)
                                    .where(Demographic.demographic_no.in_(touched))
                                    .values(lastUpdateDate=when - dt.timedelta(minutes=5)))
            result = export(emr, out, root / "emr-documents", now=when)
            if result.patients != changed:
                raise ClusterError(f"{result.filename} holds {result.patients} patients, "
                                   f"expected {changed}")
            pushes.append(ExpectedPush(result.filename, result.checksum, result.patients))
    finally:
        emr.dispose()
    return out, pushes


def _wait_for_imports(db: Database, count: int, timeout: float) -> None:
    """Until every push has a final status (or the time is up: the summary says what)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction() as session:
            final = session.scalars(select(ImportLog.status).where(
                ImportLog.status.in_([ImportStatus.COMPLETED, ImportStatus.ERROR]))).all()
        if len(final) >= count:
            return
        time.sleep(0.5)
