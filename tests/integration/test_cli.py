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
