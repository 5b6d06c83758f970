"""Errors of the EMR side.

EmrError
 ├── ShipError               a push could not be copied (or verified) to the destination
 └── IntegratorUnavailable   the integrator did not answer (after retries), or refused us
"""

from __future__ import annotations


class EmrError(Exception):
    """Base of the EMR-side errors."""


class ShipError(EmrError):
    pass


class IntegratorUnavailable(EmrError):
    pass
