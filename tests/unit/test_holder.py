import os
import socket

from carebridge.store.holder import process_holder


def test_a_holder_names_the_host_the_process_and_the_role() -> None:
    host, pid, role = process_holder("importer").rsplit(":", 2)
    assert (host, int(pid), role) == (socket.gethostname(), os.getpid(), "importer")


def test_without_a_role_every_holder_is_another() -> None:
    first, second = process_holder(), process_holder()
    assert first != second
    assert first.rsplit(":", 1)[0] == second.rsplit(":", 1)[0] == (
        f"{socket.gethostname()}:{os.getpid()}")
