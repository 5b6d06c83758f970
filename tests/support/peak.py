"""Run a Python console script and read its own peak RSS, as the kernel kept it.

``ru_maxrss`` of a child (``RUSAGE_CHILDREN``, ``wait4``) is no good here: Linux carries the
high-water mark of the image a child had before ``exec`` (the parent's, shared through
fork/vfork) into it, so a test process that built a 60 MiB photo reads as a 200 MB importer.
Instead a ``sitecustomize`` put first on the child's PYTHONPATH writes the child's
``VmHWM`` (peak RSS of its own address space, from /proc/self/status) when it exits.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from carebridge.config import Settings
from carebridge_lab.node import settings_env
from tests.support.console import SCRIPT

_HOOK = '''"""Written by tests/support/peak.py: report this process's peak RSS when it exits."""
import atexit
import os

_target = os.environ.pop("PEAK_RSS_FILE", None)


def _report() -> None:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                with open(_target, "w", encoding="ascii") as out:
                    out.write(line.split()[1])  # kB


if _target:
    atexit.register(_report)
'''


@dataclass(frozen=True)
class Measured:
    returncode: int
    stdout: str
    stderr: str
    peak_bytes: int
    seconds: float

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / (1024 * 1024)


def import_once_measured(settings: Settings, workdir: Path) -> Measured:
    """``carebridge import --once`` as its own process, measured."""
    return run_measured([str(SCRIPT), "import", "--once"], settings_env(settings), workdir)


def run_measured(cmd: list[str], env: dict[str, str], workdir: Path,
                 timeout: float = 300) -> Measured:
    """Run ``cmd`` (a Python program) and return its output, own peak RSS and wall time."""
    hook = workdir / "peak-hook"
    hook.mkdir(parents=True, exist_ok=True)
    (hook / "sitecustomize.py").write_text(_HOOK, encoding="ascii")
    report = workdir / f"peak-{time.monotonic_ns()}.txt"
    paths = [str(hook), *filter(None, [env.get("PYTHONPATH")])]
    child_env = env | {"PYTHONPATH": os.pathsep.join(paths), "PEAK_RSS_FILE": str(report)}
    started = time.perf_counter()
    done = subprocess.run(cmd, env=child_env, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    try:
        kib = int(report.read_text(encoding="ascii"))
    except (OSError, ValueError):
        raise AssertionError(f"{cmd[0]} reported no peak RSS (exit {done.returncode}):\n"
                             f"{done.stderr[-2000:]}") from None
    return Measured(done.returncode, done.stdout, done.stderr, kib * 1024, seconds)
