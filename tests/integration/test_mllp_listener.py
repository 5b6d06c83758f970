"""The MLLP listener and its group committer in this process, on a real database: PROXY v2
headers, mutual TLS, group commit and a message the database refuses."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from concurrent.futures import wait
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from carebridge.config import Settings
from carebridge.hl7 import er7, framing
from carebridge.mllp import proxy_header
from carebridge.mllp.client import MllpClient
from carebridge.mllp.exceptions import NotStored, ProxyHeaderError
from carebridge.mllp.group_commit import GroupCommitter
from carebridge.mllp.header import msa_code, read_header
from carebridge.mllp.listener import Listener
from carebridge.mllp.node import listening_socket
from carebridge.mllp.senders import Peer, Senders
from carebridge.patients.policy import submit_policy
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.models import HL7Message
from carebridge.store.networks import add_networks

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hl7"
TORONTO = "TORONTO GENERAL"
BALANCER, TORONTO_NETWORK = "127.0.0.6", "127.0.0.2"


def message(suffix: str, facility: str = TORONTO) -> bytes:
    parsed = er7.parse((CORPUS / "adt_a01_basic.hl7").read_bytes())
    parsed.msh.fields[10] = parsed.control_id + suffix
    parsed.msh.fields[4] = facility
    return parsed.encode()


def journaled(db: Database, control_id: str) -> int:
    with db.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(HL7Message).where(
            HL7Message.control_id == control_id)) or 0)


@pytest.fixture
def toronto(db: Database) -> int:
    with db.transaction() as session:
        facility = add_facility(session, TORONTO, "pw", authorities=["HOSP"])
        add_networks(session, facility.id, [TORONTO_NETWORK])
        return facility.id


class Running:
    """A listener on a free loopback port, its loop in a thread of its own."""

    def __init__(self, settings: Settings, db: Database, batches: list[int]) -> None:
        self.committer = GroupCommitter(db, submit_policy(settings), Senders(ttl=0),
                                        max_batch=settings.mllp.commit_batch,
                                        window=settings.mllp.commit_window,
                                        observe_batch=batches.append)
        self.listener = Listener(self.committer, settings.mllp, max_frame=1 << 20)
        self.sock = listening_socket("127.0.0.1:0")
        self.port = self.sock.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete,
                                       args=(self.listener.serve(self.sock),), daemon=True)

    def __enter__(self) -> Running:
        self.committer.start()
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.loop.call_soon_threadsafe(self.listener.drain)
        self.thread.join(30)
        self.committer.close(30)
        self.loop.close()

    def connect(self, source: str) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10,
                                        source_address=(source, 0))


def read_acks(sock: socket.socket, count: int) -> list[bytes]:
    decoder = framing.MLLPDecoder()
    acks: list[bytes] = []
    while len(acks) < count:
        data = sock.recv(65536)
        if not data:
            raise ConnectionResetError("closed before the ACK")
        acks.extend(decoder.feed(data))
    return acks


def test_proxy_header_codec_round_trip_and_refusals() -> None:
    header = proxy_header.build("10.1.2.3", 40000, "10.9.9.9", 2575, certificate_name="A B")
    assert proxy_header.parse(header[:10]) is None  # incomplete
    parsed = proxy_header.parse(header + b"\x0bMSH")
    assert parsed is not None
    assert (parsed.address, parsed.port, parsed.certificate_name) == ("10.1.2.3", 40000, "A B")
    assert parsed.header_length == len(header)
    six = proxy_header.parse(proxy_header.build("2001:db8::1", 1, "2001:db8::2", 2))
    assert six is not None and six.address == "2001:db8::1" and six.certificate_name is None
    with pytest.raises(ProxyHeaderError):
        proxy_header.parse(b"\x0bMSH|^~\\&|" + b"x" * 20)
    with pytest.raises(ProxyHeaderError):  # version 1 in the version nibble
        proxy_header.parse(header[:12] + b"\x11" + header[13:])


def test_a_balancers_proxy_header_names_the_sender_and_nobody_else_can_claim_one(
        settings: Settings, db: Database, toronto: int) -> None:
    settings = settings.replace(mllp_proxy_from=f"{BALANCER}/32", mllp_frame_timeout=2)
    with Running(settings, db, []) as running:
        # Through the balancer, for a sender on Toronto's network: accepted as Toronto.
        with running.connect(BALANCER) as sock:
            sock.sendall(proxy_header.build(TORONTO_NETWORK, 5000, "127.0.0.1", running.port)
                         + framing.frame(message("-P1")))
            assert msa_code(read_acks(sock, 1)[0]) == "AA"
        # Through the balancer for a sender on no facility's network: AR.
        with running.connect(BALANCER) as sock:
            sock.sendall(proxy_header.build("127.0.0.9", 5000, "127.0.0.1", running.port)
                         + framing.frame(message("-P2")))
            ack = read_acks(sock, 1)[0]
            assert msa_code(ack) == "AR" and b"127.0.0.9" in ack
        # From the balancer without a header: dropped before any frame is read.
        with running.connect(BALANCER) as sock:
            sock.sendall(framing.frame(message("-P3")))
            sock.settimeout(5)
            with pytest.raises(ConnectionResetError):  # unread bytes: reset, not FIN
                assert sock.recv(100) == b""
        # From elsewhere, a header is just junk before the frame: the real address counts.
        with running.connect("127.0.0.9") as sock:
            sock.sendall(proxy_header.build(TORONTO_NETWORK, 5000, "127.0.0.1", running.port)
                         + framing.frame(message("-P4")))
            assert msa_code(read_acks(sock, 1)[0]) == "AR"
    assert [journaled(db, f"CB20240315083000001-P{n}") for n in (1, 2, 3, 4)] == [1, 0, 0, 0]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for 127.0.0.1 and client certificates for two names."""
    root = tmp_path_factory.mktemp("tls")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
             "ca.pem", "-days", "2", "-subj", "/CN=carebridge test CA", cwd=root)
    (root / "server.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, subject in (("server", "/CN=127.0.0.1"), ("toronto", f"/CN={TORONTO}"),
                          ("stranger", "/CN=NOT A FACILITY")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
                 f"{name}.csr", "-subj", subject, cwd=root)
        extra = ["-extfile", "server.ext"] if name == "server" else []
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", *extra, cwd=root)
    return root


def _client_context(certificates: Path, name: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    if name is not None:
        context.load_cert_chain(certificates / f"{name}.pem", certificates / f"{name}.key")
    return context


def test_mutual_tls_the_certificate_names_the_facility(
        settings: Settings, db: Database, toronto: int, certificates: Path) -> None:
    settings = settings.replace(mllp_tls_cert=str(certificates / "server.pem"),
                                mllp_tls_key=str(certificates / "server.key"),
                                mllp_tls_ca=str(certificates / "ca.pem"))
    with db.transaction() as session:  # certificate only: no network for this one
        add_facility(session, "ELSEWHERE", "pw", authorities=["ELSE"])
    with Running(settings, db, []) as running:
        # Toronto's certificate, from Toronto's network: accepted.
        with MllpClient("127.0.0.1", running.port, tls=_client_context(certificates, "toronto"),
                        source_address=(TORONTO_NETWORK, 0), retries=0) as client:
            assert client.send(message("-T1")).code == "AA"
        # Toronto's certificate from another network: Toronto sends only from its own.
        with MllpClient("127.0.0.1", running.port, tls=_client_context(certificates, "toronto"),
                        source_address=("127.0.0.9", 0), retries=0) as client:
            answer = client.send(message("-T2"))
            assert answer.code == "AR" and b"registered networks" in answer.acks[0]
        # A certificate naming no facility: AR, even from Toronto's network.
        with MllpClient("127.0.0.1", running.port,
                        tls=_client_context(certificates, "stranger"),
                        source_address=(TORONTO_NETWORK, 0), retries=0) as client:
            answer = client.send(message("-T3"))
            assert answer.code == "AR" and b"NOT A FACILITY" in answer.acks[0]
        # No certificate: known by the network alone.
        with MllpClient("127.0.0.1", running.port, tls=_client_context(certificates, None),
                        source_address=(TORONTO_NETWORK, 0), retries=0) as client:
            assert client.send(message("-T4")).code == "AA"
        # Plain TCP to a TLS listener: the handshake fails, the connection is dropped.
        with running.connect(TORONTO_NETWORK) as sock:
            sock.sendall(framing.frame(message("-T5")))
            sock.settimeout(10)
            try:
                answer = sock.recv(100)
            except ConnectionResetError:
                answer = b""
            assert framing.START_BLOCK not in answer
    assert [journaled(db, f"CB20240315083000001-T{n}") for n in range(1, 6)] == [
        1, 0, 0, 1, 0]


def test_group_commit_stores_concurrent_messages_in_shared_transactions(
        settings: Settings, db: Database, toronto: int) -> None:
    batches: list[int] = []
    settings = settings.replace(mllp_commit_window=0.02)
    committer = GroupCommitter(db, submit_policy(settings), Senders(ttl=0), max_batch=50,
                               window=0.02, observe_batch=batches.append)
    peer = Peer(TORONTO_NETWORK)
    payloads = [message(f"-G{n}") for n in range(120)]
    futures = [committer.submit(peer, read_header(p), p) for p in payloads]  # before start
    committer.start()
    wait(futures, timeout=60)
    committer.close(10)
    assert [f.result().ack_code for f in futures] == ["AA"] * 120
    assert sum(batches) == 120 and max(batches) == 50  # queued at once: full batches
    assert all(journaled(db, er7.parse(p).control_id) == 1 for p in payloads[::10])


def _poison_trigger(db: Database) -> None:
    """The database itself refuses one control id (as a constraint or a failing disk
    would): no mock, the real error path of a real database."""
    with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            conn.execute(text(
                "CREATE TRIGGER poison BEFORE INSERT ON hl7_message "
                "WHEN NEW.control_id LIKE '%POISON%' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned message'); END"))
        else:
            conn.execute(text(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.control_id LIKE '%POISON%' THEN RAISE EXCEPTION 'poisoned message'; "
                "END IF; RETURN NEW; END $$"))
            conn.execute(text("CREATE TRIGGER poison BEFORE INSERT ON hl7_message "
                              "FOR EACH ROW EXECUTE FUNCTION poison()"))


def test_a_message_that_fails_does_not_fail_its_neighbours(
        settings: Settings, db: Database, toronto: int) -> None:
    _poison_trigger(db)
    batches: list[int] = []
    committer = GroupCommitter(db, submit_policy(settings), Senders(ttl=0), max_batch=50,
                               window=0.0, threads=1, observe_batch=batches.append)
    peer = Peer(TORONTO_NETWORK)
    payloads = [message(f"-N{n}" if n != 5 else "-POISON") for n in range(12)]
    futures = [committer.submit(peer, read_header(p), p) for p in payloads]
    committer.start()
    wait(futures, timeout=60)
    committer.close(10)
    assert batches[0] == 12  # all in one group, which the poisoned one broke
    for n, future in enumerate(futures):
        if n == 5:
            with pytest.raises(NotStored):  # no ACK: the sender will resend it
                future.result()
        else:
            assert future.result().ack_code == "AA"
    stored = [journaled(db, er7.parse(p).control_id) for p in payloads]
    assert stored == [1] * 5 + [0] + [1] * 6


def test_tls_passed_through_a_balancer_reads_the_proxy_header_first(
        settings: Settings, db: Database, toronto: int, certificates: Path) -> None:
    """HAProxy in TCP mode with ``send-proxy-v2`` in front of TLS on the node: the header
    comes in clear before the handshake; the certificate still names the facility."""
    settings = settings.replace(mllp_tls_cert=str(certificates / "server.pem"),
                                mllp_tls_key=str(certificates / "server.key"),
                                mllp_tls_ca=str(certificates / "ca.pem"),
                                mllp_proxy_from=BALANCER)
    context = _client_context(certificates, "toronto")
    with Running(settings, db, []) as running, running.connect(BALANCER) as raw:
        raw.sendall(proxy_header.build(TORONTO_NETWORK, 5000, "127.0.0.1", running.port))
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            sock.sendall(framing.frame(message("-TP")))
            assert msa_code(read_acks(sock, 1)[0]) == "AA"
    assert journaled(db, "CB20240315083000001-TP") == 1
