"""Shipping pushes and OSCAR's best-status rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from carebridge.emr.exceptions import ShipError
from carebridge.emr.shipper import SHIPPED, pending, ship
from carebridge.emr.status_check import best_status, service_address

BASE = "IntegratorPush_1_2024_03_01_09_00_00"


def make_pair(folder: Path, base: str = BASE, content: bytes = b"main") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{base}.zip").write_bytes(content)
    (folder / f"{base}-Docs.zip").write_bytes(b"docs " + content)


def test_pending_ignores_temporary_and_docs_files(tmp_path: Path) -> None:
    make_pair(tmp_path)
    (tmp_path / f"{BASE}.zipTemp").write_bytes(b"x")
    (tmp_path / "IntegratorPush_bad.zip").write_bytes(b"x")
    assert [p.name for p in pending(tmp_path)] == [f"{BASE}.zip"]


def test_ship_copies_docs_first_and_retires_sources(tmp_path: Path) -> None:
    out, incoming = tmp_path / "out", tmp_path / "incoming"
    make_pair(out)
    incoming.mkdir()
    shipped = ship(out, incoming)
    assert [s.name for s in shipped] == [f"{BASE}-Docs.zip", f"{BASE}.zip"]
    assert (incoming / f"{BASE}.zip").read_bytes() == b"main"
    assert sorted(p.name for p in incoming.iterdir()) == [f"{BASE}-Docs.zip", f"{BASE}.zip"]
    assert sorted(p.name for p in (out / SHIPPED).iterdir()) == [f"{BASE}-Docs.zip",
                                                                 f"{BASE}.zip"]
    assert pending(out) == []


def test_identical_file_is_skipped_and_a_different_one_refused(tmp_path: Path) -> None:
    out, incoming = tmp_path / "out", tmp_path / "incoming"
    make_pair(out)
    make_pair(incoming)
    assert [s.copied for s in ship(out, incoming)] == [False, False]
    make_pair(out, content=b"other")
    with pytest.raises(ShipError, match="different content"):
        ship(out, incoming)
    assert (out / f"{BASE}.zip").exists()  # the source stays until a copy is verified


def test_best_status_follows_oscar() -> None:
    assert best_status([]) is None
    assert best_status([None, ""]) is None
    assert best_status(["PROCESSING"]) == "PROCESSING"
    assert best_status(["PROCESSING", "ERROR"]) == "ERROR"
    assert best_status(["ERROR", "COMPLETED", "PROCESSING"]) == "COMPLETED"


def test_service_address_accepts_oscars_base_url() -> None:
    assert service_address("http://127.0.0.1:8080/caisi_integrator/ws") == (
        "http://127.0.0.1:8080/caisi_integrator/ws/FacilityService")
    assert service_address("http://127.0.0.1:8080/caisi_integrator/ws/FacilityService/") == (
        "http://127.0.0.1:8080/caisi_integrator/ws/FacilityService")
