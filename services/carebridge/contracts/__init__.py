"""The WSDL and XSD contracts, shipped as package data (``wsdl/`` and ``xsd/`` at the top)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def contract_path(kind: str, name: str) -> Path:
    """Path of ``wsdl/<name>`` or ``xsd/<name>`` inside the installed package."""
    if kind not in ("wsdl", "xsd"):
        raise ValueError(f"unknown contract kind {kind!r}")
    path = Path(str(files("carebridge.contracts") / kind / name))
    if not path.is_file():
        raise FileNotFoundError(f"contract {kind}/{name} is not installed with carebridge")
    return path
