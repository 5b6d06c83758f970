"""The product does not load the lab: what `carebridge serve` and a node import."""

from __future__ import annotations

import subprocess
import sys

PRODUCT = ("carebridge.cli", "carebridge.web.app", "carebridge.web.server",
           "carebridge.soap.services.facility", "carebridge.soap.services.patients",
           "carebridge.integrator.importer", "carebridge.emr.exporter")


def test_serving_never_imports_the_lab() -> None:
    probe = ("import importlib, sys\n"
             f"for name in {PRODUCT!r}: importlib.import_module(name)\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'carebridge_lab'))\n")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def test_the_probe_would_see_the_lab() -> None:
    probe = ("import sys, carebridge_lab.node\n"
             "print('carebridge_lab' in sys.modules)\n")
    seen = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert seen == "True"


def test_a_lab_command_without_the_lab_says_how_to_get_it() -> None:
    probe = ("import sys\n"
             "sys.modules['carebridge_lab'] = None  # as in a product-only install\n"
             "from carebridge.cli import main\n"
             "main(['exercise'])\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 1
    assert "needs the lab (carebridge-lab), which is not installed" in done.stderr
    assert "Traceback" not in done.stderr
