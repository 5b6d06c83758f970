"""CLI helpers for the tests; nodes come from carebridge_lab.node."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from carebridge.config import Settings
from carebridge_lab.node import Node, settings_env

__all__ = ["Node", "carebridge", "in_terminal", "settings_env"]


def carebridge(*args: str, settings: Settings, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run the ``carebridge`` CLI in a child process."""
    return subprocess.run([sys.executable, "-m", "carebridge", *args], env=settings_env(settings),
                          capture_output=True, text=True, timeout=300, **kwargs)


def in_terminal(args: list[str], settings: Settings) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal (as a person would); its exit code and screen text."""
    leader, follower = pty.openpty()
    env = settings_env(settings) | {"COLUMNS": "120", "TERM": "xterm"}
    child = subprocess.Popen([sys.executable, "-m", "carebridge", *args],
                             stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    code = child.wait(timeout=300)
    os.close(leader)
    return code, output.decode(errors="replace")
