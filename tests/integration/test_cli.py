"""The carebridge command, run as a user would (child processes, real database)."""

from __future__ import annotations

import json
from pathlib import Path

from carebridge.config import Settings
from tests.conftest import make_settings
from tests.integration.conftest import PushFactory, deliver
from tests.support.server import carebridge, in_terminal


def test_first_run_facilities_import_and_log(tmp_path: Path, make_push: PushFactory) -> None:
    settings: Settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/cli.sqlite")

    refused = carebridge("facility", "list", settings=settings)
    assert refused.returncode != 0 and "carebridge db upgrade" in refused.stderr

    assert carebridge("db", "upgrade", settings=settings).returncode == 0
    added = carebridge("facility", "add", "clinic-a", settings=settings, input="pw-from-stdin\n")
    assert added.returncode == 0, added.stderr
    again = carebridge("facility", "add", "clinic-a", "--password", "x", settings=settings)
    assert again.returncode != 0 and "already exists" in again.stderr
    listed = json.loads(carebridge("facility", "list", "--json", settings=settings).stdout)
    assert [(f["name"], f["digest"]) for f in listed] == [("clinic-a", True)]

    push = make_push(patients=3)
    deliver(push, settings.importer.incoming_dir)
    imported = carebridge("import", "--once", settings=settings)
    assert imported.returncode == 0, imported.stderr
    assert f"{push.main.name}: COMPLETED ({push.records} records)" in imported.stderr

    (entry,) = json.loads(carebridge("import-log", "--json", settings=settings).stdout)
    assert entry["status"] == "COMPLETED" and entry["facility"] == "clinic-a"
    assert entry["checksum"] == push.checksum
    assert "COMPLETED" in carebridge("import-log", settings=settings).stdout


def test_import_of_a_broken_file_exits_non_zero(tmp_path: Path, make_push: PushFactory) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/cli.sqlite")
    carebridge("db", "upgrade", settings=settings)
    carebridge("facility", "add", "clinic-a", "--password", "pw", settings=settings)
    deliver(make_push(patients=2, footer=False), settings.importer.incoming_dir)
    result = carebridge("import", "--once", settings=settings)
    assert result.returncode == 1
    assert "ERROR" in result.stderr and "IntegratorFileFooter" in result.stderr


def test_import_shows_progress_bars_on_a_terminal(tmp_path: Path, make_push: PushFactory) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/cli.sqlite")
    carebridge("db", "upgrade", settings=settings)
    carebridge("facility", "add", "clinic-a", "--password", "pw", settings=settings)
    push = make_push(patients=40)
    deliver(push, settings.importer.incoming_dir)
    code, text = in_terminal(["import", "--once"], settings)
    assert code == 0
    assert "━" in text  # rich's bar
    assert "files" in text and "1/1" in text
    assert f"{push.main.name}: COMPLETED" in text


def test_facility_mllp_networks_are_added_listed_changed_and_checked(tmp_path: Path) -> None:
    settings: Settings = make_settings(tmp_path, f"sqlite:///{tmp_path}/cli.sqlite")
    assert carebridge("db", "upgrade", settings=settings).returncode == 0
    bad = carebridge("facility", "add", "clinic-a", "--password", "pw", "--mllp-network",
                     "10.1.2.3/16", settings=settings)
    assert bad.returncode == 1 and "is not a network" in bad.stderr  # host bits set
    assert json.loads(carebridge("facility", "list", "--json", settings=settings).stdout) == []

    added = carebridge("facility", "add", "clinic-a", "--password", "pw", "--mllp-network",
                       "10.1.0.0/16", "--mllp-network", "192.168.7.9", settings=settings)
    assert added.returncode == 0, added.stderr
    (listed,) = json.loads(carebridge("facility", "list", "--json", settings=settings).stdout)
    assert listed["mllp_networks"] == ["10.1.0.0/16", "192.168.7.9/32"]

    changed = carebridge("facility", "networks", "clinic-a", "--add", "10.2.0.0/24",
                         "--remove", "10.1.0.0/16", settings=settings)
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout.split() == ["192.168.7.9/32", "10.2.0.0/24"]
    again = carebridge("facility", "networks", "clinic-a", "--add", "10.2.0.0/24",
                       settings=settings)
    assert again.stdout.split() == ["192.168.7.9/32", "10.2.0.0/24"]  # no duplicate
    nobody = carebridge("facility", "networks", "clinic-z", settings=settings)
    assert nobody.returncode == 1 and "no facility 'clinic-z'" in nobody.stderr
