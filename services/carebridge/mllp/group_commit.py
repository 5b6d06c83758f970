"""Group commit: messages from many connections stored in one transaction.

Committer threads take what the connections queued (up to ``max_batch``; waiting up to
``window`` seconds for more while several connections are busy). Each message is first
worked out outside any transaction (``prepare_message``: parse, validate, plan, the
reply: no lock held, so another thread's transaction proceeds meanwhile), then one
transaction stores the batch (``store_message`` for each), so one fsync stores them all.
A message that fails (a key a concurrent transaction took, a fault) aborts that
transaction: its neighbours are stored again without it, and it is retried alone, in a
transaction of its own. If the commit itself fails (a deadlock, the database gone),
every message of the batch is retried alone. Each future is resolved after the commit
that stored its message: an ACK is written only for what is durable; a message the
database would not take resolves to NotStored (no ACK, the sender resends).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from carebridge.hl7.ack import AckError, Outcome
from carebridge.hl7.exceptions import APPLICATION_INTERNAL_ERROR, Location
from carebridge.mllp.exceptions import NotStored
from carebridge.mllp.header import Header
from carebridge.mllp.senders import Peer, Senders
from carebridge.patients.policy import SubmitPolicy
from carebridge.patients.submit import (
    Prepared,
    Reply,
    prepare_message,
    store_message,
    unstored_reply,
)
from carebridge.store import unit_of_work
from carebridge.store.database import Database
from carebridge.store.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class Submission:
    peer: Peer
    header: Header
    payload: bytes
    received: dt.datetime = field(default_factory=utcnow)
    future: Future[Reply] = field(default_factory=Future)


class GroupCommitter:
    def __init__(self, db: Database, policy: SubmitPolicy, senders: Senders, *,
                 max_batch: int = 50, window: float = 0.0, threads: int = 2,
                 observe_batch: Callable[[int], None] | None = None) -> None:
        self.db = db
        self.policy = policy
        self.senders = senders
        self.max_batch = max(1, max_batch)
        self.window = window
        self._observe = observe_batch or (lambda _size: None)
        self._queue: queue.SimpleQueue[Submission | None] = queue.SimpleQueue()
        # More than one: while one waits on the database (a round trip, the fsync of a
        # commit), another works on its batch.
        self._threads = [threading.Thread(target=self._run, name=f"mllp-commit-{n}",
                                          daemon=True) for n in range(max(1, threads))]
        self._last_batch = 0

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit(self, peer: Peer, header: Header, payload: bytes) -> Future[Reply]:
        submission = Submission(peer, header, payload)
        self._queue.put(submission)
        return submission.future

    def close(self, timeout: float | None = None) -> None:
        """After what is queued is committed (or ``timeout`` passed)."""
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch, stopping = self._fill([first])
            self._observe(len(batch))
            self._last_batch = len(batch)
            try:
                self._commit(batch)
            except Exception as exc:  # never the thread's end: the connections wait on it
                log.exception("a group commit failed unexpectedly")
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(NotStored(type(exc).__name__))
            if stopping:
                return

    def _fill(self, batch: list[Submission]) -> tuple[list[Submission], bool]:
        # Waiting is worth it only when other connections are sending too (the last batch
        # held more than one message); a lone sender never waits.
        deadline = time.monotonic() + (self.window if self._last_batch > 1 else 0.0)
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _commit(self, batch: list[Submission]) -> None:
        """Each message worked out first, outside any transaction (what needs no database:
        parse, validate, plan, the reply), then one transaction stores the batch. A message
        that fails takes the transaction with it (no savepoint per message: two round trips
        each on PostgreSQL, for a case that is rare); the rest are then stored again
        without it, and it alone."""
        remaining: list[tuple[Submission, Prepared | Reply]] = []
        try:
            with self.db.transaction() as session:  # who sends: cached, rarely a query
                for item in batch:
                    remaining.append((item, self._prepare(session, item)))
        except DBAPIError as exc:
            for item in batch:
                item.future.set_exception(NotStored(f"the database could not be read: "
                                                    f"{type(exc).__name__}"))
            return
        for item, work in [(i, w) for i, w in remaining if isinstance(w, Reply)]:
            item.future.set_result(work)  # nothing to store
        pending = [(i, w) for i, w in remaining if isinstance(w, Prepared)]
        while pending:
            done: list[tuple[Submission, Reply]] = []
            try:
                with self.db.transaction(writes=True) as session:
                    for item, prepared in pending:
                        done.append((item, store_message(session, prepared, self.policy)))
            except Exception as exc:
                if len(done) == len(pending):  # the commit failed: everyone alone
                    log.warning("a group commit of %d message(s) failed (%s); committing "
                                "each alone", len(pending), type(exc).__name__)
                    for item, prepared in pending:
                        self._commit_alone(item, prepared)
                    return
                failed = pending[len(done)]
                if not isinstance(exc, DBAPIError):
                    log.exception("a message failed inside a group commit; retrying it "
                                  "alone, and the others without it")
                pending = [entry for entry in pending if entry is not failed]
                self._commit_alone(*failed)
                continue
            for item, reply in done:
                item.future.set_result(reply)
            return

    def _commit_alone(self, item: Submission, prepared: Prepared) -> None:
        try:
            reply = unit_of_work.run(self.db, lambda session: store_message(
                session, prepared, self.policy), writes=True)
        except DBAPIError as exc:
            item.future.set_exception(NotStored(f"the database did not store the message: "
                                                f"{type(exc).__name__}"))
            return
        except Exception:
            log.exception("a message failed in a transaction of its own: answered AE")
            reply = self._internal_error(item)
        item.future.set_result(reply)

    def _prepare(self, session: Session, item: Submission) -> Prepared | Reply:
        """The message worked out for its sender, or the reply when nothing is stored."""
        try:
            sender = self.senders.identify(session, item.peer, item.header)
            if isinstance(sender, str):
                return unstored_reply(item.payload, item.header.encoding, Outcome.REJECTED,
                                      "sending facility not allowed", AckError(
                                          APPLICATION_INTERNAL_ERROR, Location("MSH", 1, 4),
                                          sender), self.policy)
            return prepare_message(sender, item.payload, self.policy,
                                   encoding=item.header.encoding, received=item.received)
        except DBAPIError:
            raise
        except Exception:
            log.exception("a message could not be worked out: answered AE")
            return self._internal_error(item)

    def _internal_error(self, item: Submission) -> Reply:
        return unstored_reply(item.payload, item.header.encoding, Outcome.ERROR,
                              "application internal error", AckError(
                                  APPLICATION_INTERNAL_ERROR, Location("MSH", 1, 10),
                                  "the message could not be processed; it was not stored"),
                              self.policy)
