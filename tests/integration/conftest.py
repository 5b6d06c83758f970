"""Pushes written by a real JVM, shared by the integration tests."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests import jvm

T0 = dt.datetime(2024, 3, 1, 9, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def jvm_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert jvm.java_available(), "javac/java are required (tests/system-deps.sh installs them)"
    return jvm.build_classes(tmp_path_factory.mktemp("jvm"))


@pytest.fixture(scope="session")
def realistic_push(jvm_build: Path, tmp_path_factory: pytest.TempPathFactory) -> jvm.PushFiles:
    """A first (full) push of 220 patients with notes, appointments and documents."""
    return jvm.make_push(jvm_build, tmp_path_factory.mktemp("push"), username="clinic-a",
                         patients=220, date=T0, last_date=None, seed=7)


class PushFactory:
    def __init__(self, build: Path, root: Path) -> None:
        self.build = build
        self.root = root
        self.count = 0

    def __call__(self, **kwargs: object) -> jvm.PushFiles:
        self.count += 1
        kwargs.setdefault("username", "clinic-a")
        kwargs.setdefault("patients", 3)
        kwargs.setdefault("date", T0)
        out = self.root / f"push{self.count}"
        out.mkdir(parents=True)
        return jvm.make_push(self.build, out, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def make_push(jvm_build: Path, tmp_path: Path) -> PushFactory:
    return PushFactory(jvm_build, tmp_path / "pushes")


def deliver(push: jvm.PushFiles, incoming: Path) -> Path:
    """Copy a push into the incoming directory the way a deployer would: Docs first."""
    incoming.mkdir(parents=True, exist_ok=True)
    if push.docs is not None:
        shutil.copy2(push.docs, incoming / push.docs.name)
    return Path(shutil.copy2(push.main, incoming / push.main.name))
