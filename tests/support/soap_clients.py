"""Third-party SOAP clients run as child processes: PHP's SoapClient and node-soap.

Both are set up by tests/system-deps.sh (Debian's php-cli + php-soap; node-soap from
tests/interop/node's lock file into build/node-soap) and nothing is installed here. Each
script prints one JSON line: the result, or ``fault``/``faultcode`` for a SOAP Fault (exit 3).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INTEROP = ROOT / "tests" / "interop"
PHP_CLIENT = INTEROP / "soap_client.php"
NODE_CLIENT = INTEROP / "node" / "soap_client.js"
NODE_MODULES = ROOT / "build" / "node-soap" / "node_modules"
TIMEOUT = 60


def php_soap_available() -> bool:
    if shutil.which("php") is None:
        return False
    done = subprocess.run(["php", "-m"], capture_output=True, text=True, timeout=TIMEOUT)
    return "soap" in done.stdout.split()


def node_soap_available() -> bool:
    return shutil.which("node") is not None and (NODE_MODULES / "soap" / "package.json").is_file()


def run_php(endpoint: str, user: str, password: str, *command: str) -> dict:
    return _run(["php", str(PHP_CLIENT), endpoint, user, password, *command], os.environ)


def run_node_soap(endpoint: str, user: str, password: str, *command: str) -> dict:
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    return _run(["node", str(NODE_CLIENT), endpoint, user, password, *command], env)


def _run(cmd: list[str], env: os._Environ[str] | dict[str, str]) -> dict:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    lines = done.stdout.strip().splitlines()
    if done.returncode not in (0, 3) or not lines:
        raise RuntimeError(f"{cmd[0]} client failed (exit {done.returncode})\n"
                           f"--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}")
    return {**json.loads(lines[-1]), "exit": done.returncode}
