"""The installed ``carebridge`` console script, run in a directory as a person runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from carebridge_lab.net import free_port, wait_http_ok

SCRIPT = Path(sys.executable).with_name("carebridge")


def user_env(**settings: str) -> dict[str, str]:
    """The environment without the developer's CAREBRIDGE_* variables, plus ``settings``
    (``scan_interval="0.5"`` becomes ``CAREBRIDGE_SCAN_INTERVAL=0.5``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREBRIDGE_")}
    env.update({"CAREBRIDGE_" + k.upper(): v for k, v in settings.items()})
    return env


def run(cwd: Path, *args: str, env: Mapping[str, str] | None = None,
        input: str | None = None) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.exists(), f"{SCRIPT} is not installed (pip install -e .)"
    return subprocess.run([str(SCRIPT), *args], cwd=cwd, env=dict(env or user_env()),
                          input=input, capture_output=True, text=True, timeout=120)


class Serving:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serving(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> Iterator[Serving]:
    """``carebridge serve`` on a free loopback port in ``cwd``, stopped with SIGTERM."""
    port = free_port()
    log = cwd / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SCRIPT), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", *args],
            cwd=cwd, env=dict(env or user_env()), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        try:
            wait_http_ok(f"http://127.0.0.1:{port}/health", timeout=60)
        except TimeoutError:
            raise AssertionError("serve did not start:\n" + log.read_text()[-4000:]) from None
        yield Serving(process, port, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
