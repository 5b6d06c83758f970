"""PostgreSQL and HAProxy for the one-machine cluster: found, or installed with apt.

The cluster tools need Debian's packages; as root they install what is missing
(as ``tests/system-deps.sh`` does for the suite), otherwise they say what to run.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from carebridge_lab.exceptions import ToolMissing


def postgres_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def haproxy_path() -> str | None:
    return shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)


def missing_packages(find_postgres: Callable[[], object] = postgres_bindir,
                     find_haproxy: Callable[[], object] = haproxy_path) -> list[str]:
    return [package for package, found in (("postgresql", find_postgres),
                                           ("haproxy", find_haproxy)) if found() is None]


def ensure_installed(missing: list[str] | None = None, *, is_root: bool | None = None,
                     say: Callable[[str], object] = print) -> None:
    missing = missing_packages() if missing is None else missing
    if not missing:
        return
    command = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    if not (os.geteuid() == 0 if is_root is None else is_root):
        raise ToolMissing(f"{' and '.join(missing)} not installed; run: sudo "
                          + " ".join(command))
    say(f"installing {' '.join(missing)} with apt-get")
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update", "-qq"], command):
        done = subprocess.run(step, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise ToolMissing(f"{' '.join(step)} failed: {done.stderr.strip()[-500:]}")
