"""The chaos loop: kill nodes, drain one, stop PostgreSQL a while, kill the importing node.

Events run one at a time from a plan, every ``interval`` seconds, until told to
stop; each is logged with what it did. A killed node is restarted on its old
port, so HAProxy's health checks bring it back without a reload.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from carebridge.store.database import Database
from carebridge.store.models import ImportLease, ImportLog, ImportStatus
from carebridge_lab.exceptions import ChaosFailed
from carebridge_lab.local import LocalCluster
from carebridge_lab.node import Node

KILL, DRAIN, POSTGRES, IMPORTER = "kill", "drain", "postgres-restart", "kill-importer"
DEFAULT_PLAN = (IMPORTER, KILL, DRAIN, KILL, POSTGRES, KILL)


@dataclass
class ChaosReport:
    kills: int = 0
    drains: int = 0
    postgres_restarts: int = 0
    importer_kills: int = 0  # the node that held the importer lease, killed mid-file
    events: list[str] = field(default_factory=list)


class Chaos:
    def __init__(self, cluster: LocalCluster, db: Database, *, interval: float,
                 plan: Sequence[str] = DEFAULT_PLAN, drop_pushes: Callable[[], object],
                 seed: int = 1, outage: float = 3.0,
                 say: Callable[[str], object] = print) -> None:
        self.cluster = cluster
        self.db = db
        self.interval = interval
        self.outage = outage  # seconds PostgreSQL stays down
        self.plan = list(plan)
        self.drop_pushes = drop_pushes
        self.rng = random.Random(seed)
        self.say = say
        self.report = ChaosReport()
        self.stopping = threading.Event()
        self.round_done = threading.Event()  # every planned event has happened once
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="chaos", daemon=True)
        self.failure: BaseException | None = None

    def start(self) -> Chaos:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> ChaosReport:
        """Finish the event under way (a node being restarted comes back), then stop."""
        self.stopping.set()
        self._thread.join()
        if self.failure is not None:
            raise ChaosFailed(f"the chaos loop failed: {self.failure}") from self.failure
        return self.report

    def _run(self) -> None:
        try:
            number = 0
            while not self.stopping.wait(self.interval):
                event = self.plan[number % len(self.plan)]
                number += 1
                if event == IMPORTER and self.report.importer_kills:
                    event = KILL  # one importer kill per run; later rounds kill at random
                getattr(self, "_" + event.replace("-", "_"))()
                if number == len(self.plan):
                    self.round_done.set()
        except BaseException as exc:  # reported by stop()
            self.failure = exc
            self.round_done.set()  # nobody waits for a round that will not finish

    def _log(self, text: str) -> None:
        line = f"{time.monotonic() - self._started:7.1f}s chaos: {text}"
        self.report.events.append(line)
        self.say(line)

    def _name(self, node: Node) -> str:
        return f"node{self.cluster.nodes.index(node) + 1}"

    def _kill(self, node: Node | None = None,
              afterwards: Callable[[], str] = lambda: "") -> None:
        """SIGKILL a node (a random one), then restart it; ``afterwards`` runs between the
        two and adds to the log line."""
        node = node or self.rng.choice(self.cluster.nodes)
        node.kill()
        self.report.kills += 1
        self._log(f"SIGKILL {self._name(node)}{afterwards()}")
        time.sleep(min(1.0, self.interval))
        self._restart(node)

    def _drain(self) -> None:
        node = self.rng.choice(self.cluster.nodes)
        started = time.monotonic()
        node.stop()  # SIGTERM: /health 503, in-flight requests finish, then exit
        self.report.drains += 1
        self._log(f"drained and stopped {self._name(node)} in {time.monotonic() - started:.1f}s")
        self._restart(node)

    def _restart(self, node: Node) -> None:
        started = time.monotonic()
        node.start()
        self._log(f"{self._name(node)} back in {time.monotonic() - started:.1f}s")

    def _postgres_restart(self) -> None:
        """Down for a while, not just a blink: in-flight transactions are cut, every node's
        /health fails and HAProxy answers 503; clients must resend until it is back."""
        assert self.cluster.postgres is not None
        started = time.monotonic()
        self.cluster.postgres.halt()
        self._log("PostgreSQL stopped (fast shutdown)")
        time.sleep(self.outage)
        self.cluster.postgres.start()
        self.db.engine.dispose()  # our own pooled connections died with the old server
        self.report.postgres_restarts += 1
        self._log(f"PostgreSQL back after {time.monotonic() - started:.1f}s down")

    def _kill_importer(self) -> None:
        """Drop the pushes, wait until one is PROCESSING, kill the node importing it."""
        self.drop_pushes()
        self._log("push files dropped into the incoming directory")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self.stopping.is_set():
            node, log_id = self._importing_node()
            if node is not None:
                self._kill(node, functools.partial(self._count_importer_kill, log_id))
                return
            time.sleep(0.05)
        self._log("no import was seen in progress; killing a random node instead")
        self._kill()

    def _count_importer_kill(self, log_id: int | None) -> str:
        mid_file = self._still_processing(log_id)  # not finished just before the kill
        self.report.importer_kills += mid_file
        return (", the importer lease holder"
                f"{', mid-file' if mid_file else ' (its file had just finished)'}")

    def _importing_node(self) -> tuple[Node | None, int | None]:
        with self.db.transaction() as session:
            processing = session.scalar(select(ImportLog.id).where(
                ImportLog.status == ImportStatus.PROCESSING))
            holder = session.scalar(select(ImportLease.holder).where(
                ImportLease.current_file.is_not(None)))
        if processing is None or not holder:
            return None, None
        pid = int(holder.split(":")[1])
        return next((n for n in self.cluster.nodes if n.owns(pid)), None), processing

    def _still_processing(self, log_id: int | None) -> bool:
        with self.db.transaction() as session:
            status = session.scalar(select(ImportLog.status).where(ImportLog.id == log_id))
        return status == ImportStatus.PROCESSING
