"""Validate carebridge's v2.xml output against a copy of HL7's published v2.xml schemas.

The schemas are HL7's, not carebridge's to ship, so this is not part of the test suite:
run it by hand with a copy laid out as ``DIR/<version>/<STRUCTURE>.xsd`` (with the
schemas' own datatypes.xsd, fields.xsd and segments.xsd beside them)::

    .venv/bin/python tests/v2xml_schema_check.py DIR

It validates the samples of tests/unit/test_hl7_v2xml_names.py (2.3.1, 2.4, 2.5: ADT A01,
A03, A08, A40, ORU^R01, ORM^O01, ACK) and exits 1 if any is rejected.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from carebridge.hl7 import v2xml
from tests.unit.test_hl7_v2xml_names import CASES, SAMPLES, sample


def main(directory: Path) -> int:
    parser = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)
    failures = 0
    for version, kind in CASES:
        root = SAMPLES[kind][0]
        schema = etree.XMLSchema(etree.parse(str(directory / version / f"{root}.xsd"), parser))
        document = etree.fromstring(v2xml.to_xml(sample(version, kind)))
        ok = schema.validate(document)
        failures += not ok
        print(f"{version:6} {kind:10} {root:10} {'valid' if ok else 'REJECTED'}")
        for error in [] if ok else schema.error_log:
            print(f"    line {error.line}: {error.message}")
    print(f"{len(CASES) - failures} of {len(CASES)} valid")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
