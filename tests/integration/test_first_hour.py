"""A new user's first hour: the README's walk-through, run with the installed console script
in an empty directory (every path the defaults under ./var), and the rough edges around it."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support.console import Serving, run, serving, user_env

# The walk-through as the README has it; only the port and the scan interval differ
# (a free port instead of 8080, a 0.5 s scan so the test need not wait 10 s).
PASSWORD = "first-hour-pw"


def wait_completed(cwd: Path, env: dict[str, str]) -> dict:
    deadline = time.monotonic() + 60
    entries: list[dict] = []
    while time.monotonic() < deadline:
        listed = run(cwd, "import-log", "--json", env=env)
        assert listed.returncode == 0, listed.stderr
        entries = json.loads(listed.stdout)
        if entries and entries[0]["status"] != "PROCESSING":
            return entries[0]
        time.sleep(0.3)
    raise AssertionError(f"no push imported within 60 s: {entries}")


def test_the_readme_walk_through_ends_in_a_completed_push(tmp_path: Path) -> None:
    env = user_env(scan_interval="0.5", drain_seconds="0")
    assert run(tmp_path, "db", "upgrade", env=env).returncode == 0  # `make run`, first half
    with serving(tmp_path, env=env) as node:  # `make run`, second half
        for folder in ("incoming", "archive", "work"):
            assert (tmp_path / "var" / folder).is_dir()  # ready for `cp ... var/incoming/`
        walk_through(tmp_path, env, node)


def walk_through(cwd: Path, env: dict[str, str], node: Serving) -> None:
    added = run(cwd, "facility", "add", "clinic-a", env=env, input=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    seeded = run(cwd, "emr", "seed", "--patients", "12", "--integrator-password", PASSWORD,
                 "--integrator-url", node.url + "/caisi_integrator/ws", env=env)
    assert seeded.returncode == 0, seeded.stderr
    exported = run(cwd, "emr", "export", env=env)
    assert exported.returncode == 0, exported.stderr
    assert "full, 12 patients" in exported.stdout
    shipped = run(cwd, "emr", "ship", "--to", "var/incoming", env=env)
    assert shipped.returncode == 0, shipped.stderr
    assert shipped.stdout.count(": copied") == 2  # the Docs zip and the main zip

    entry = wait_completed(cwd, env)
    assert (entry["status"], entry["facility"], entry["reason"]) == ("COMPLETED", "clinic-a",
                                                                     None)
    checked = run(cwd, "emr", "check-status", env=env)
    assert checked.returncode == 0, checked.stderr
    assert "(COMPLETED 1)" in checked.stdout

    # Seeding again adds nothing and says so in one line.
    again = run(cwd, "emr", "seed", "--integrator-user", "clinic-a", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines() == [
        "the EMR database already has 12 patients; added nothing"]
    renamed = run(cwd, "emr", "seed", "--integrator-user", "clinic-b", env=env)
    assert renamed.stdout.strip().splitlines() == [
        "the EMR database already has 12 patients; added nothing; "
        "set the integrator user 'clinic-b'"]


def test_ship_creates_the_configured_incoming_directory_only(tmp_path: Path) -> None:
    env = user_env()
    assert run(tmp_path, "emr", "seed", "--patients", "2", env=env).returncode == 0
    assert run(tmp_path, "emr", "export", env=env).returncode == 0
    elsewhere = run(tmp_path, "emr", "ship", "--to", "mnt/integrator", env=env)
    assert elsewhere.returncode == 1
    assert "mnt/integrator is not a directory" in elsewhere.stderr
    assert not (tmp_path / "mnt").exists()  # a missing mount is not made a local folder
    shipped = run(tmp_path, "emr", "ship", "--to", "./var/incoming/", env=env)
    assert shipped.returncode == 0, shipped.stderr
    assert len(list((tmp_path / "var" / "incoming").glob("IntegratorPush_*.zip"))) == 2


def test_import_creates_its_directories(tmp_path: Path) -> None:
    env = user_env()
    assert run(tmp_path, "db", "upgrade", env=env).returncode == 0
    imported = run(tmp_path, "import", "--once", env=env)
    assert imported.returncode == 0, imported.stderr
    assert "nothing imported" in imported.stdout
    for folder in ("incoming", "archive", "work"):
        assert (tmp_path / "var" / folder).is_dir()


def test_commands_print_no_alembic_chatter(tmp_path: Path) -> None:
    env = user_env()
    upgraded = run(tmp_path, "db", "upgrade", env=env)
    assert upgraded.stdout.startswith("database schema upgraded from nothing to ")
    assert "alembic" not in upgraded.stderr
    listed = run(tmp_path, "facility", "list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "alembic" not in listed.stderr and listed.stderr == ""
    again = run(tmp_path, "db", "upgrade", env=env)
    assert again.stdout.startswith("database schema is current (")


def test_import_log_limit_must_be_positive(tmp_path: Path) -> None:
    env = user_env()
    run(tmp_path, "db", "upgrade", env=env)
    for bad in ("0", "-3"):
        refused = run(tmp_path, "import-log", "--limit", bad, env=env)
        assert refused.returncode == 2
        assert "Invalid value for '--limit'" in refused.stderr
    assert run(tmp_path, "import-log", "--limit", "1", env=env).returncode == 0
