"""Errors of the patients package.

PatientsError
 └── MergeError      an A40 names a prior patient the index does not know
"""

from __future__ import annotations


class PatientsError(Exception):
    """Base of the patients package's errors."""


class MergeError(PatientsError):
    pass
