"""By hand, not in the suite: write the CAISI Integrator services' WSDLs into wsdl/ as the
node serves them, after a change to the catalogue (contracts/caisi_integrator.json) or to
how the services are built; tests/contract then holds the served ones to these.

    .venv/bin/python -m tests.write_contracts
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from lxml import etree

from carebridge.contracts import INTEGRATOR_SERVICES
from carebridge.store.migrate import upgrade
from carebridge.web.app import CarebridgeApp
from tests.conftest import make_settings
from tests.contract.test_wsdl_contract import served_wsdl

ROOT = Path(__file__).resolve().parents[1]
HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!--
  carebridge {name}: the CAISI Integrator's {port}, wire-compatible with OSCAR's JAX-WS/CXF
  client stubs. Generated from services/carebridge/contracts/caisi_integrator.json (the
  facts of OSCAR's stubs) by the served service; tests/contract keeps the two equal.
  JAX-WS conventions: document/literal wrapped, wrapper elements in the target namespace,
  their children (arg0.., return) unqualified.
  Security: WS-Security UsernameToken (PasswordText or PasswordDigest) in a wsse:Security
  header; the username is the facility name. An optional
  {{http://oscarehr.org/caisi}}requestingCaisiProviderNo header names the OSCAR provider.
-->
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        settings = make_settings(Path(scratch), f"sqlite:///{scratch}/carebridge.sqlite")
        upgrade(settings.database_url)
        app = CarebridgeApp(settings)
        for port, contract in INTEGRATOR_SERVICES.items():
            tree = etree.fromstring(served_wsdl(settings, contract.path, app))
            etree.indent(tree, "  ")
            text = HEADER.format(name=contract.wsdl.removesuffix(".wsdl"), port=port)
            (ROOT / "wsdl" / contract.wsdl).write_text(
                text + etree.tostring(tree, encoding="unicode") + "\n", encoding="utf-8")
            print(f"wsdl/{contract.wsdl}")


if __name__ == "__main__":
    main()
