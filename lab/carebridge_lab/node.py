"""A carebridge node (``carebridge serve``, gunicorn sync workers) as a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from carebridge.bootstrap import BACKGROUND_NAME, MLLP_NAME
from carebridge.config import Settings
from carebridge_lab.exceptions import NodeFailed
from carebridge_lab.net import free_port, wait_http_ok, wait_listening


def settings_env(settings: Settings) -> dict[str, str]:
    """The CAREBRIDGE_* variables that reproduce ``settings`` in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREBRIDGE_")}
    for name, value in settings.outside().items():
        env["CAREBRIDGE_" + name.upper()] = str(value)
    return env


def gunicorn_workers(master: int) -> set[int]:
    """The web workers of the gunicorn master ``master``: its children except the node's
    background child (outbox worker, importer) and MLLP listeners, which name themselves."""
    found = set()
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        try:
            name = Path(f"/proc/{child}/comm").read_text().strip()
        except OSError:
            continue  # gone meanwhile
        if name not in (BACKGROUND_NAME, MLLP_NAME):
            found.add(int(child))
    return found


class Node:
    def __init__(self, settings: Settings, workers: int = 2, log_dir: Path | None = None,
                 importer: bool = False, mllp: bool = False) -> None:
        self.settings = settings
        self.importer = importer
        self.port = free_port()
        # With ``mllp``, the node also listens for MLLP here (the same port on restarts).
        self.mllp_port = free_port() if mllp else None
        self.workers = workers
        self.log_path = (log_dir or Path(str(settings.importer.work_dir))) / f"node-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Node:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")  # a restart appends
        self.process = subprocess.Popen(
            [sys.executable, "-m", "carebridge", "serve", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers),
             "--importer" if self.importer else "--no-importer",
             *(["--mllp", f"127.0.0.1:{self.mllp_port}"] if self.mllp_port else [])],
            env=settings_env(self.settings), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes the workers too
        )
        try:
            wait_http_ok(self.url + "/health", timeout=60)
            if self.mllp_port:
                wait_listening("127.0.0.1", self.mllp_port, timeout=30)
        except TimeoutError as exc:
            self.stop()
            raise NodeFailed("node did not start:\n" + self.log_text()[-4000:]) from exc
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """A crash: SIGKILL to the master and its workers, no drain, no goodbye."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def owns(self, pid: int) -> bool:
        """Whether process ``pid`` is this node or one of its children (same group)."""
        process = self.process
        if process is None or process.poll() is not None:  # not running
            return False
        try:
            return os.getpgid(pid) == process.pid
        except ProcessLookupError:
            return False

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")
