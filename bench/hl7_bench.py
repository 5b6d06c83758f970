"""HL7 engine throughput against python-hl7 and hl7apy, on one ~470-character ADT^A01.

Prints messages/s for carebridge ER7 -> v2.xml bytes, ER7 -> v2.xml + XSD
validation, v2.xml -> ER7 (from a parsed document, and from bytes with the safe
parse), python-hl7's ``hl7.parse`` and hl7apy's ``parse_message`` of the same
message, measured in this run, with the ratios.
Not part of the test suite.

    .venv/bin/python bench/hl7_bench.py [--seconds 2]

Each rate is the best of five interleaved rounds of ``seconds``/5.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import hl7 as python_hl7
from hl7apy.parser import parse_message

from carebridge.hl7 import er7, v2xml
from carebridge.hl7.validate import load_schema

MESSAGE = Path(__file__).resolve().parents[1] / "tests" / "data" / "hl7" / "adt_a01_basic.hl7"


def rates(fns: dict[str, Callable[[], object]], seconds: float, rounds: int = 5
          ) -> dict[str, float]:
    """Calls per second of each, the best of ``rounds`` interleaved rounds after a warm-up.

    On a shared machine a burst of load then slows one round of each, not all of one, so
    the ratios compare like with like.
    """
    for fn in fns.values():
        for _ in range(50):
            fn()
    best = dict.fromkeys(fns, 0.0)
    for _ in range(rounds):
        for name, fn in fns.items():
            best[name] = max(best[name], rate(fn, seconds / rounds))
    return best


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second, over at least ``seconds`` of wall time."""
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    batch = 50
    while time.perf_counter() < deadline:
        for _ in range(batch):
            fn()
        calls += batch
    return calls / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    raw = MESSAGE.read_bytes()
    text = raw.decode("ascii")
    xml = v2xml.to_xml(er7.parse(raw))
    document = v2xml.parse_xml(xml)
    schema = load_schema("ADT_A01")

    from lxml import etree

    def er7_to_xml() -> bytes:
        return v2xml.to_xml(er7.parse(raw))

    def er7_to_xml_validated() -> bool:
        return schema.validate(etree.fromstring(v2xml.to_xml(er7.parse(raw))))

    def xml_to_er7() -> str:
        return v2xml.from_xml(document).to_er7()

    def xml_bytes_to_er7() -> str:
        return v2xml.from_xml(xml).to_er7()

    assert er7_to_xml_validated(), "the benchmark message must be valid"
    results = rates({
        "carebridge ER7 -> v2.xml": er7_to_xml,
        "carebridge ER7 -> v2.xml + XSD": er7_to_xml_validated,
        "carebridge v2.xml -> ER7": xml_to_er7,
        "carebridge v2.xml bytes -> ER7": xml_bytes_to_er7,
        "python-hl7 hl7.parse": lambda: python_hl7.parse(text),
        "hl7apy parse_message": lambda: parse_message(text.replace("\n", "\r")),
    }, args.seconds)
    print(f"message: {MESSAGE.name}, {len(raw)} characters")
    for name, value in results.items():
        print(f"{name:34s} {value:10.0f} messages/s")
    base = results["carebridge ER7 -> v2.xml"]
    print(f"ER7 -> v2.xml vs python-hl7 parse:  {base / results['python-hl7 hl7.parse']:6.1f}x"
          "  (goal >= 3)")
    print(f"ER7 -> v2.xml vs hl7apy parse:      {base / results['hl7apy parse_message']:6.1f}x"
          "  (goal >= 50)")
    back = results["carebridge v2.xml -> ER7"]
    print(f"v2.xml -> ER7 vs python-hl7 parse:  {back / results['python-hl7 hl7.parse']:6.1f}x"
          "  (goal >= 3)")
    back = results["carebridge v2.xml bytes -> ER7"]
    print(f"v2.xml bytes -> ER7 vs python-hl7:  {back / results['python-hl7 hl7.parse']:6.1f}x")


if __name__ == "__main__":
    main()
