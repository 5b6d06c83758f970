"""By hand, not in the suite: the real integrator-objects jar against carebridge's facts.

The jar OSCAR 19 writes with is not in this repository (openo-beta/Open-O keeps it in
its history: local_repo/org/oscarehr/caisi_integrator/integrator-objects/0.0.4/); given
it, this checks that ObjectStreamClass on the jar's own classes gives exactly the "0.0.4"
catalogue, and that those classes read carebridge's default push and refuse the legacy one:

    .venv/bin/python -m tests.real_jar_check integrator-objects-0.0.4.jar
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from carebridge.emr.database import EmrDatabase
from carebridge.emr.exporter import export
from carebridge.oscar.classes import DEFAULT_PUSH_FORMAT
from carebridge_lab.seed import seed
from tests import jvm
from tests.integration.test_javawrite import catalogue_facts, jvm_facts

NOW = dt.datetime(2024, 3, 1, 9, 0, 0)


def main(jar: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        build = jvm.build_classes(root / "jvm")
        ours = catalogue_facts(DEFAULT_PUSH_FORMAT)
        theirs = jvm_facts(build, sorted(ours), jar=jar)
        differing = sorted(name for name in ours if ours[name] != theirs.get(name))
        print(f"catalogue vs jar: {len(ours) - len(differing)} classes agree, "
              f"differing: {differing or 'none'}")
        emr = EmrDatabase(f"sqlite:///{root}/emr.sqlite")
        seed(emr, 12, root / "docs", seed=5, now=NOW)
        default = export(emr, root / "a", root / "docs", now=NOW)
        report = jvm.read_push(build, default.path, jar=jar)
        print(f"default push ({DEFAULT_PUSH_FORMAT}) read by the jar: error={report['error']}")
        legacy = export(emr, root / "b", root / "docs", now=NOW, full=True, push_format="legacy")
        refused = jvm.read_push(build, legacy.path, jar=jar)
        print(f"legacy push read by the jar: error={refused['error']}")
        return 0 if not differing and report["error"] is None and refused["error"] else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
