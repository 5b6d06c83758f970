"""The MLLP door of a real node (``carebridge serve --mllp``), on SQLite and PostgreSQL.

Senders are told apart by source address: the tests connect from 127.0.0.2, .3, .4 and .5
(all loopback on Linux), as interface engines on different networks would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from carebridge.hl7 import er7, framing
from carebridge.mllp.client import MllpClient
from carebridge.mllp.header import msa_code
from carebridge.store.database import Database
from carebridge.store.facilities import add_facility
from carebridge.store.migrate import upgrade
from carebridge.store.models import HL7Message, HL7Rejection
from carebridge.store.networks import add_networks
from tests.conftest import make_settings, module_database_url
from tests.support.server import Node, carebridge

CORPUS = Path(__file__).resolve().parents[1] / "data" / "hl7"
TORONTO, OTHER = "TORONTO GENERAL", "OTHER HOSPITAL"
TORONTO_ADDRESS, OTHER_ADDRESS, NOBODY_ADDRESS, SHARED_ADDRESS = (
    "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")


class Hospital:
    def __init__(self, node: Node, db: Database) -> None:
        self.node = node
        self.db = db
        assert node.mllp_port is not None
        self.port = node.mllp_port

    def client(self, source: str = TORONTO_ADDRESS, **options: object) -> MllpClient:
        return MllpClient("127.0.0.1", self.port, source_address=(source, 0),
                          **options)  # type: ignore[arg-type]

    def connect(self, source: str = TORONTO_ADDRESS) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10,
                                        source_address=(source, 0))
        return sock

    def journaled(self, control_id: str) -> int:
        with self.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(HL7Message).where(
                HL7Message.control_id == control_id)) or 0)

    def rejections(self) -> int:
        with self.db.transaction() as session:
            return int(session.scalar(select(func.count()).select_from(HL7Rejection)) or 0)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hospital(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Hospital]:
    root = tmp_path_factory.mktemp("mllp")
    url = module_database_url(request, root, "mllp")
    settings = make_settings(root, url, mllp_write_timeout=3, mllp_frame_timeout=3)
    upgrade(url)
    db = Database(settings)
    with db.transaction() as session:
        toronto = add_facility(session, TORONTO, "pw", authorities=["HOSP", "ON"])
        other = add_facility(session, OTHER, "pw", authorities=["OTHER"])
        # 127.0.0.1 too: the senders we did not write (mllp_send) cannot pick an address.
        add_networks(session, toronto.id, [TORONTO_ADDRESS, f"{SHARED_ADDRESS}/32",
                                           "127.0.0.1"])
        add_networks(session, other.id, [OTHER_ADDRESS, SHARED_ADDRESS])
    node = Node(settings, mllp=True).start()
    try:
        yield Hospital(node, db)
    finally:
        node.stop()
        db.dispose()


def corpus(name: str, suffix: str, facility: str = TORONTO) -> bytes:
    """A corpus message with a control id of the test's own (and another MSH-4)."""
    message = er7.parse((CORPUS / name).read_bytes())
    message.msh.fields[10] = message.control_id + suffix
    message.msh.fields[4] = facility
    return message.encode()


def ack_of(answer_ack: bytes) -> er7.Message:
    return er7.parse(answer_ack)


def test_every_corpus_admission_is_stored_before_its_aa(hospital: Hospital) -> None:
    names = ["adt_a01_basic.hl7", "adt_a04_register.hl7", "adt_a08_update.hl7",
             "adt_a03_discharge.hl7", "v2_4.hl7", "v2_5.hl7", "utf8_names.hl7",
             "latin1_names.hl7"]
    with hospital.client() as client:
        for name in names:
            message = corpus(name, "-M1")
            answer = client.send(message)
            assert answer.code == "AA", (name, answer.acks)
            ack = ack_of(answer.acks[0])
            control_id = er7.parse(message).control_id
            assert ack.get("MSA-2") == control_id
            assert hospital.journaled(control_id) == 1  # stored when the AA arrived
        assert client.reconnects == 0  # one connection for all of them


def test_a_resend_on_another_connection_gets_the_original_ack(hospital: Hospital) -> None:
    message = corpus("adt_a01_basic.hl7", "-M2")
    with hospital.client() as first:
        original = first.send(message)
    with hospital.client() as second:
        again = second.send(message)
    assert original.code == again.code == "AA"
    assert again.acks == original.acks  # the same ACK, its control id included
    assert hospital.journaled(er7.parse(message).control_id) == 1


def test_an_unknown_sender_gets_a_located_ar_and_nothing_is_stored(hospital: Hospital) -> None:
    rejected_before = hospital.rejections()
    message = corpus("adt_a01_basic.hl7", "-M3")
    with hospital.client(NOBODY_ADDRESS) as client:
        answer = client.send(message)
        assert answer.code == "AR"
        ack = ack_of(answer.acks[0])
        assert ack.get("MSA-2") == er7.parse(message).control_id
        err = ack.segment("ERR")
        assert err is not None and err.raw(1).startswith("MSH^1^4^207")
        assert "127.0.0.4" in err.raw(1)
        # The connection stays usable: the next frame is answered too.
        assert client.send(corpus("adt_a04_register.hl7", "-M3")).code == "AR"
        assert client.reconnects == 0
    assert hospital.journaled(er7.parse(message).control_id) == 0
    assert hospital.rejections() == rejected_before  # not logged under any facility


def test_msh4_picks_the_facility_where_networks_overlap(hospital: Hospital) -> None:
    with hospital.client(SHARED_ADDRESS) as client:
        toronto = client.send(corpus("adt_a01_basic.hl7", "-M4"))
        nobody = client.send(corpus("adt_a01_basic.hl7", "-M4b", facility="ELSEWHERE"))
    assert toronto.code == "AA"
    assert nobody.code == "AR"
    assert b"names none of them" in nobody.acks[0]
    # From OTHER HOSPITAL's own network, Toronto's MSH-4 is another facility's: refused.
    with hospital.client(OTHER_ADDRESS) as client:
        refused = client.send(corpus("adt_a01_basic.hl7", "-M4c"))
    assert refused.code == "AR"
    assert hospital.journaled(er7.parse(corpus("adt_a01_basic.hl7", "-M4c")).control_id) == 0


@pytest.mark.parametrize(("accept", "application", "codes"), [
    ("AL", "AL", ["CA", "AA"]),
    ("AL", "NE", ["CA"]),
    ("NE", "AL", ["AA"]),
    ("ER", "AL", ["AA"]),
    ("AL", "ER", ["CA"]),
])
def test_enhanced_mode_answers_what_msh15_and_msh16_ask(
        hospital: Hospital, accept: str, application: str, codes: list[str]) -> None:
    message = er7.parse(corpus("adt_a01_basic.hl7", f"-E{accept}{application}"))
    message.msh.fields.extend([""] * (17 - len(message.msh.fields)))
    message.msh.fields[15], message.msh.fields[16] = accept, application
    with hospital.connect() as sock:
        sock.sendall(framing.frame(message.encode()))
        decoder = framing.MLLPDecoder()
        acks: list[bytes] = []
        sock.settimeout(1.5)
        with pytest.raises(TimeoutError):  # read everything the node sends for it
            while True:
                data = sock.recv(65536)
                assert data, "the node closed the connection"
                acks.extend(decoder.feed(data))
    assert [msa_code(a) for a in acks] == codes
    if len(acks) == 2:  # two acknowledgments, each with its own control id
        assert ack_of(acks[0]).control_id != ack_of(acks[1]).control_id
    assert hospital.journaled(message.control_id) == 1


def test_junk_between_frames_is_dropped_and_a_cut_frame_stores_nothing(
        hospital: Hospital) -> None:
    first, cut = corpus("adt_a01_basic.hl7", "-J1"), corpus("adt_a01_basic.hl7", "-J2")
    with hospital.connect() as sock:
        sock.sendall(b"noise\r\n" + framing.frame(first) + b"\x00junk")
        decoder = framing.MLLPDecoder()
        acks: list[bytes] = []
        while not acks:
            acks.extend(decoder.feed(sock.recv(65536)))
        assert msa_code(acks[0]) == "AA"
        sock.sendall(framing.START_BLOCK + cut[:200])  # then the sender dies
    time.sleep(0.5)
    assert hospital.journaled(er7.parse(first).control_id) == 1
    assert hospital.journaled(er7.parse(cut).control_id) == 0


def test_a_batch_in_one_frame_is_acknowledged_per_message(hospital: Hospital) -> None:
    batch = (CORPUS / "batch.hl7").read_bytes()
    messages = framing.split_batch(batch).messages
    control_ids = [er7.parse(m).control_id for m in messages]
    with hospital.connect() as sock:
        sock.sendall(framing.frame(batch))
        decoder = framing.MLLPDecoder()
        acks: list[bytes] = []
        while len(acks) < len(messages):
            acks.extend(decoder.feed(sock.recv(65536)))
    assert [ack_of(a).get("MSA-2") for a in acks] == control_ids
    assert [msa_code(a) for a in acks] == ["AA"] * len(messages)


def test_a_frame_over_the_limit_closes_the_connection_and_the_node_stays_up(
        hospital: Hospital) -> None:
    with hospital.connect() as sock:
        sock.sendall(framing.START_BLOCK)
        chunk = b"X" * 65536
        with pytest.raises((BrokenPipeError, ConnectionResetError)):
            for _ in range(200):  # 13 MB: over the 4 MiB message limit
                sock.sendall(chunk)
    with hospital.client() as client:
        assert client.send(corpus("adt_a01_basic.hl7", "-BIG")).code == "AA"


def test_a_peer_that_never_reads_its_acks_is_cut_off(hospital: Hospital) -> None:
    sock = hospital.connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    frame = framing.frame(corpus("adt_a01_basic.hl7", "-NR"))  # one message, resent
    deadline = time.monotonic() + 60
    closed = False
    sock.settimeout(0.5)
    while time.monotonic() < deadline and not closed:
        try:
            sock.send(frame * 50)
        except TimeoutError:  # our side is full too: the node should give up on us soon
            time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            closed = True
    sock.close()
    assert closed, "the node kept a connection whose peer reads nothing"
    with hospital.client() as client:  # and others are served meanwhile
        assert client.send(corpus("adt_a04_register.hl7", "-NR")).code == "AA"


def test_hundreds_of_idle_connections_do_not_stop_a_busy_one(hospital: Hospital) -> None:
    idle = [hospital.connect(OTHER_ADDRESS) for _ in range(500)]
    try:
        started = time.monotonic()
        with hospital.client() as client:
            for n in range(20):
                assert client.send(corpus("adt_a01_basic.hl7", f"-IDLE{n}")).code == "AA"
        assert time.monotonic() - started < 20
        for sock in idle[:: 50]:  # still open: a frame on them is answered
            sock.sendall(framing.frame(corpus("adt_a01_basic.hl7", "-IDLEX", OTHER)))
            sock.settimeout(10)
            assert b"MSA|" in sock.recv(65536)
    finally:
        for sock in idle:
            sock.close()


def test_hl7_send_over_mllp_prints_one_line_per_ack(hospital: Hospital, tmp_path: Path
                                                    ) -> None:
    good, bad = tmp_path / "two.hl7", tmp_path / "refused.hl7"
    good.write_bytes(corpus("adt_a01_basic.hl7", "-CLI") + corpus("adt_a03_discharge.hl7",
                                                                   "-CLI"))
    bad.write_bytes(corpus("adt_a01_basic.hl7", "-CLI2", facility=OTHER))
    settings = hospital.node.settings
    address = f"127.0.0.1:{hospital.port}"
    sent = carebridge("hl7", "send", "--mllp", address, str(good), settings=settings)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert sent.stdout.splitlines() == ["CB20240315083000001-CLI AA",
                                        "CB20240320141500004-CLI AA"]
    refused = carebridge("hl7", "send", "--mllp", address, str(bad), settings=settings)
    assert refused.returncode == 1
    assert refused.stdout.startswith("CB20240315083000001-CLI2 AR sending facility not allowed")
    assert "MSH^1^4^207" in refused.stdout
    usage = carebridge("hl7", "send", str(good), settings=settings)
    assert usage.returncode == 2 and "--mllp" in usage.stderr


def _accepted_corpus() -> list[str]:
    """The corpus' well-formed single messages (ADT, versions carebridge processes)."""
    entries = json.loads((CORPUS / "CORPUS.json").read_text())
    return [e["file"] for e in entries if e["kind"] == "message"
            and e["version"] in ("2.3.1", "2.4", "2.5") and e["file"].startswith(("adt_", "v2_",
                                                                                   "utf8", "latin1",
                                                                                   "ascii"))]


def test_python_hl7s_mllp_send_gets_an_aa_for_every_corpus_message(
        hospital: Hospital, tmp_path: Path) -> None:
    """python-hl7's ``mllp_send`` (a sender we did not write) with the corpus."""
    names = _accepted_corpus()
    assert len(names) >= 10
    messages = [corpus(name, "-PY") for name in names]
    stream = tmp_path / "corpus.mllp"
    stream.write_bytes(b"".join(framing.frame(m) for m in messages))
    sent = subprocess.run([str(Path(sys.executable).parent / "mllp_send"), "--port",
                           str(hospital.port), "--file", str(stream), "127.0.0.1"],
                          capture_output=True, timeout=120)
    assert sent.returncode == 0, sent.stderr.decode(errors="replace")
    acks = [line for line in sent.stdout.split(b"\r") if line.startswith(b"MSA|")]
    assert len(acks) == len(messages)
    for name, message, ack in zip(names, messages, acks, strict=True):
        control_id = er7.parse(message).control_id
        # The merge's MRG-1 (67890) was never admitted: AE, journaled, nothing merged.
        expected = b"AE" if name == "adt_a40_merge.hl7" else b"AA"
        assert ack.split(b"|")[1:3] == [expected, control_id.encode()], (name, ack)
        assert hospital.journaled(control_id) == 1


def test_hl7apy_built_messages_over_mllp_are_acknowledged(hospital: Hospital) -> None:
    """A message built and framed by hl7apy (``to_mllp``), its ACK read by hl7apy's parser
    (hl7apy has no MLLP client: the bytes go over a plain socket)."""
    from hl7apy.core import Message
    from hl7apy.parser import parse_message

    message = Message("ADT_A01", version="2.5")
    message.msh.msh_3 = "HL7APY"
    message.msh.msh_4 = TORONTO
    message.msh.msh_7 = "20240315083000"
    message.msh.msh_9 = "ADT^A01^ADT_A01"
    message.msh.msh_10 = "HL7APY-0001"
    message.msh.msh_11 = "P"
    message.evn.evn_2 = "20240315083000"
    message.pid.pid_3 = "55555^^^HOSP^MR"
    message.pid.pid_5 = "APY^TEST"
    message.pid.pid_7 = "19700101"
    message.pid.pid_8 = "F"
    message.pv1.pv1_2 = "I"
    with hospital.connect() as sock:
        sock.sendall(message.to_mllp().encode())
        decoder = framing.MLLPDecoder()
        acks: list[bytes] = []
        while not acks:
            acks.extend(decoder.feed(sock.recv(65536)))
    ack = parse_message(acks[0].decode(), find_groups=False)
    assert ack.msa.msa_1.value == "AA", acks[0]
    assert ack.msa.msa_2.value == "HL7APY-0001"
    assert hospital.journaled("HL7APY-0001") == 1


def test_the_drain_closes_idle_connections_and_health_says_503(
        hospital: Hospital, tmp_path: Path) -> None:
    settings = hospital.node.settings.replace(drain_seconds=3)
    node = Node(settings, mllp=True, log_dir=tmp_path).start()
    assert node.mllp_port is not None and node.process is not None
    try:
        idle = socket.create_connection(("127.0.0.1", node.mllp_port), timeout=10,
                                        source_address=(TORONTO_ADDRESS, 0))
        busy = socket.create_connection(("127.0.0.1", node.mllp_port), timeout=10,
                                        source_address=(TORONTO_ADDRESS, 0))
        in_flight = corpus("adt_a01_basic.hl7", "-DR")
        busy.sendall(framing.frame(in_flight))
        os.kill(node.process.pid, signal.SIGTERM)  # with that frame in flight
        decoder, acks = framing.MLLPDecoder(), []
        while not acks:
            acks = decoder.feed(busy.recv(65536))
        assert msa_code(acks[0]) == "AA"
        busy.settimeout(5)
        assert busy.recv(100) == b""  # answered, then closed by the node
        assert hospital.journaled(er7.parse(in_flight).control_id) == 1
        idle.settimeout(5)
        assert idle.recv(100) == b""  # closed by the node: the sender reconnects elsewhere
        import urllib.error
        import urllib.request
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(node.url + "/health", timeout=2)
        assert answer.value.code == 503
        with pytest.raises(OSError):  # no new MLLP connections while draining
            refused = socket.create_connection(("127.0.0.1", node.mllp_port), timeout=2)
            refused.sendall(framing.frame(corpus("adt_a01_basic.hl7", "-DR2")))
            refused.settimeout(2)
            if not refused.recv(100):
                raise ConnectionResetError("closed")
        node.process.wait(timeout=30)
    finally:
        node.stop()


def test_node_metrics_count_the_mllp_door(hospital: Hospital) -> None:
    import urllib.request

    def scrape() -> dict[str, float]:
        with urllib.request.urlopen(hospital.node.url + "/metrics", timeout=10) as response:
            lines = response.read().decode().splitlines()
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines
                if line.startswith("carebridge_mllp")}

    before = scrape()
    with hospital.client() as client:
        for n in range(3):
            assert client.send(corpus("adt_a01_basic.hl7", f"-MET{n}")).code == "AA"
        during = scrape()
        assert during["carebridge_mllp_open_connections"] >= 1
    after = scrape()
    frames = "carebridge_mllp_frames_total"
    assert after[frames] - before.get(frames, 0) == 3
    aa = 'carebridge_mllp_acks_total{code="AA"}'
    assert after[aa] - before.get(aa, 0) == 3
    assert after["carebridge_mllp_commit_batch_size_count"] >= 3
    assert after["carebridge_mllp_received_bytes_total"] > before.get(
        "carebridge_mllp_received_bytes_total", 0)


@pytest.mark.parametrize("workers", [1, 2])
def test_carebridge_mllp_runs_the_listener_alone_until_sigterm(
        hospital: Hospital, tmp_path: Path, workers: int) -> None:
    from carebridge_lab.net import free_port, wait_listening
    from carebridge_lab.node import settings_env

    port = free_port()
    log = (tmp_path / "mllp.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "carebridge", "mllp", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers)], env=settings_env(hospital.node.settings),
        stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_listening("127.0.0.1", port)
        with MllpClient("127.0.0.1", port, source_address=(TORONTO_ADDRESS, 0)) as client:
            for n in range(4):  # over several connections: each process may take some
                assert client.send(corpus("adt_a01_basic.hl7", f"-ALONE{workers}{n}")).code \
                    == "AA"
                client.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    text = (tmp_path / "mllp.log").read_text()
    assert text.count("MLLP listener on") == workers  # each process said it stopped
