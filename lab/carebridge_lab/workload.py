"""The exercise's load: distinct ADT messages, and clients that resend until answered.

Messages come in per-patient stories (A01 then A03 for an inpatient, A04 for an
outpatient), so that all of one patient's messages go through one client, in
order, as they would from one hospital feed. Every message has its own control
id under a run prefix; the checker finds them in the journal by it.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from carebridge.contracts import FACILITY_SERVICE, PATIENT_SUBMISSION, ServiceContract
from carebridge.hl7.make_adt import generate
from carebridge.mllp.client import MllpClient, NoAcknowledgment
from carebridge.soap.client import ServiceClient
from carebridge.soap.exceptions import ClientError

AUTHORITY = "EXERCISE HOSPITAL"
_COLUMNS = ("event|mrn|assigning_authority|last_name|first_name|birth_date|sex|visit_number|"
            "patient_class|admit_time|discharge_time")
_FAMILY = ("NGUYEN", "SMITH", "PATEL", "TREMBLAY", "OKAFOR", "GAGNON", "KIM", "MACDONALD")
_GIVEN = ("ANNA", "WEI", "PRIYA", "LUC", "CHIDI", "MARIE", "JOON", "FIONA")


@dataclass(frozen=True)
class Message:
    control_id: str
    event: str
    mrn: str
    visit: str | None
    er7: str


def build_stories(count: int, *, facility: str, prefix: str, seed: int = 1,
                  now: dt.datetime | None = None) -> list[list[Message]]:
    """``count`` messages in per-patient stories: A01+A03 and A04, about a third each."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, 8, 0)
    rows: list[tuple[str, str, str | None]] = []  # event, mrn, visit
    lines = [_COLUMNS]
    patient = 0
    while len(rows) < count:
        patient += 1
        mrn = f"{prefix}{patient:06d}"
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        birth = f"{rng.randint(1930, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        sex = rng.choice("MF")
        if patient % 2:
            visit = f"V{mrn}"
            admit = start + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 300))
            discharge = admit + dt.timedelta(minutes=rng.randint(60 * 12, 60 * 24 * 12))
            story = [("A01", ""), ("A03", f"{discharge:%Y%m%d%H%M}")]
            for event, discharged in story[: count - len(rows)]:
                lines.append(f"{event}|{mrn}|{AUTHORITY}|{family}|{given}|{birth}|{sex}|{visit}|"
                             f"I|{admit:%Y%m%d%H%M}|{discharged}")
                rows.append((event, mrn, visit))
        else:
            lines.append(f"A04|{mrn}|{AUTHORITY}|{family}|{given}|{birth}|{sex}||O||")
            rows.append(("A04", mrn, None))
    generated = generate("\n".join(lines) + "\n", sending_app="EXERCISE",
                         sending_facility=facility, control_id_prefix=prefix,
                         now=now or dt.datetime(2024, 12, 1, 12, 0))
    if generated.problems:
        raise ValueError(f"workload records rejected: {generated.problems[0]}")
    stories: dict[str, list[Message]] = {}
    for number, ((event, mrn, stay), er7) in enumerate(zip(rows, generated.messages,
                                                           strict=True), 2):
        stories.setdefault(mrn, []).append(
            Message(f"{prefix}{number:06d}", event, mrn, stay, er7.rstrip("\n")))
    return list(stories.values())


MLLP_SOURCE = "127.0.0.7"  # where the exercise's MLLP clients connect from (a loopback alias)


@dataclass
class LoadReport:
    """What the clients saw. ``acked`` maps control id to the ack code finally received.

    ``failures`` counts what a client thread did not expect (a bug, or a reply no
    resending could make sense of), by exception type: any of them fails the run.
    """

    sent: set[str] = field(default_factory=set)
    acked: dict[str, str] = field(default_factory=dict)
    by_door: Counter[str] = field(default_factory=Counter)  # messages sent, per door
    client_errors: int = 0
    error_reasons: Counter[str] = field(default_factory=Counter)
    facility_calls: int = 0
    facility_failures: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def error(self, reason: str) -> None:
        """A resend and why (``ServiceClient``'s ``on_retry``)."""
        with self._lock:
            self.client_errors += 1
            self.error_reasons[reason] += 1

    def submitted(self, control_id: str, ack_code: str | None, door: str = "soap") -> None:
        """``ack_code`` None: no answer even after every resend."""
        with self._lock:
            self.sent.add(control_id)
            self.by_door[door] += 1
            if ack_code is not None:
                self.acked[control_id] = ack_code

    def facility_call(self, failed: bool) -> None:
        with self._lock:
            self.facility_calls += 1
            self.facility_failures += failed

    def failure(self, exc: BaseException) -> None:
        with self._lock:
            self.failures[type(exc).__name__] += 1


@dataclass(frozen=True)
class Credentials:
    facility: str
    password: str


def run_clients(base_url: str, credentials: Credentials, stories: Sequence[list[Message]], *,
                clients: int, duration: float, timeout: float = 15.0,
                facility_every: int = 10, until: threading.Event | None = None,
                say: Callable[[str], object] | None = None,
                mllp: tuple[str, int] | None = None,
                mllp_stories: Sequence[list[Message]] = (),
                report: LoadReport | None = None) -> LoadReport:
    """K client threads, each resending its messages until answered, paced over ``duration``.

    Pacing keeps the load running while the chaos loop works; a client that falls
    behind simply sends without waiting. With ``until``, the last tenth of each
    share trickles out (a message a second per client) until the event is set, and
    the very last waits for it, so a slow machine still has traffic in flight
    during every chaos event.

    A client thread never dies: an exception it did not expect is counted in
    ``report.failures`` and reported through ``say`` (stderr by default) with its
    type, and the thread goes on with its next message, so the load never shrinks
    unnoticed.
    """
    say = say or _stderr
    report = report or LoadReport()
    shares = _shares(stories, clients)
    started = time.monotonic()

    def unexpected(exc: Exception, what: str) -> None:
        report.failure(exc)
        say(f"{threading.current_thread().name}: unexpected {type(exc).__name__} {what}: "
            f"{str(exc)[:300]}")

    def paced(share: list[Message], number: int) -> None:
        """Sleep until this message's turn (see the docstring)."""
        delay = started + number * (duration / max(len(share), 1)) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if until is not None and number >= len(share) - max(1, len(share) // 10):
            until.wait(1.0 if number < len(share) - 1 else 600.0)

    def client(share: list[Message]) -> None:
        try:
            submit = _client(base_url, PATIENT_SUBMISSION, credentials, timeout, report)
            facility = _client(base_url, FACILITY_SERVICE, credentials, timeout, report)
        except Exception as exc:  # nothing sent: the summary counts the share as unsent
            unexpected(exc, "starting a client")
            return
        for number, message in enumerate(share):
            paced(share, number)
            ack_code = None
            try:
                ack_code = submit.call("submitMessage", message.er7).ackCode
            except ClientError:
                pass
            except Exception as exc:
                unexpected(exc, f"sending {message.control_id}")
            report.submitted(message.control_id, ack_code)
            if number % facility_every == facility_every - 1:
                try:
                    report.facility_call(failed=not _facility_call(facility, number))
                except Exception as exc:
                    report.facility_call(failed=True)
                    unexpected(exc, "calling FacilityService")

    def mllp_client(share: list[Message]) -> None:
        """Persistent MLLP connections through the balancer, resending the same frame on a
        timeout, a reset or a missing ACK (MllpClient), reconnecting each time."""
        assert mllp is not None
        with MllpClient(*mllp, timeout=timeout, retries=70, backoff=0.1,
                        source_address=(MLLP_SOURCE, 0), on_retry=report.error) as connection:
            for number, message in enumerate(share):
                paced(share, number)
                ack_code = None
                try:
                    ack_code = connection.send(message.er7.encode()).code
                except NoAcknowledgment:
                    pass
                except Exception as exc:
                    unexpected(exc, f"sending {message.control_id} over MLLP")
                report.submitted(message.control_id, ack_code, "mllp")

    threads = [threading.Thread(target=client, args=(share,), name=f"client-{n}", daemon=True)
               for n, share in enumerate(shares) if share]
    threads += [threading.Thread(target=mllp_client, args=(share,), name=f"mllp-{n}",
                                 daemon=True)
                for n, share in enumerate(_shares(mllp_stories, clients)) if share]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return report


def _shares(stories: Sequence[list[Message]], clients: int) -> list[list[Message]]:
    """Whole stories dealt to clients in turn: one patient's messages keep their order."""
    shares: list[list[Message]] = [[] for _ in range(clients)]
    for number, story in enumerate(stories):
        shares[number % clients].extend(story)
    return shares


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _client(base_url: str, contract: ServiceContract, credentials: Credentials,
            timeout: float, report: LoadReport) -> ServiceClient:
    # Up to about two minutes of resending (backoff capped at 2 s) before giving up.
    return ServiceClient(contract, base_url + contract.path, credentials.facility,
                         credentials.password, timeout=timeout, retries=70, backoff=0.1,
                         max_backoff=2.0, on_retry=report.error)


def _facility_call(client: ServiceClient, number: int) -> bool:
    """One FacilityService call, alternating operations; whether it was answered."""
    try:
        if number % 2:
            client.call("getMyFacility")
        else:
            client.call("getImportLogsSince", dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    except ClientError:
        return False
    return True
