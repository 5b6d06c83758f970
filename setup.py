"""Compiles the push decoder (carebridge.oscar.fastread) with mypyc; everything else is
pyproject.toml. ``CAREBRIDGE_PURE_PYTHON=1`` installs it uncompiled (no C compiler needed).

The import of a push is bound by this decoder: compiled, it reads about twice as many
records a second (bench/import_bench.py). mypyc ships with mypy, the type checker the
project already uses, and compiles the module's own typed source, so there is one source
of truth and no second implementation to keep in step.
"""

import os

from setuptools import setup

COMPILED = ["services/carebridge/oscar/fastread.py"]

if os.environ.get("CAREBRIDGE_PURE_PYTHON") == "1":
    setup()
else:
    from mypyc.build import mypycify

    # Not [tool.mypy] (its checks are `make test`'s job), and javaobj-py3 is not in the
    # isolated build environment: its names are Any here (they are on no hot path).
    setup(ext_modules=mypycify(["--config-file=", "--ignore-missing-imports", *COMPILED], opt_level="3"))
