"""Errors of the import side. A bad file itself is ``carebridge.oscar.exceptions``.

IntegratorError
 ├── UnknownFacility             the header names no registered facility
 ├── LeaseLost                   another node took over the import lease
 └── RequestRefused              a CAISI Integrator call that cannot be done as asked (Client)
      ├── InvalidArgument        an argument is missing or out of range
      └── NotFound               no such record within the caller's reach
WrongFacility (a PushFileError)  per-facility incoming: the header names another facility
"""

from __future__ import annotations

from carebridge.oscar.exceptions import PushFileError


class IntegratorError(Exception):
    """Base of every integrator error."""


class WrongFacility(PushFileError):
    """Final like any bad file: the push was dropped into another facility's directory."""


class UnknownFacility(IntegratorError):
    def __init__(self, name: str | None) -> None:
        super().__init__(f"no facility named {name!r} is registered with this integrator")
        self.name = name


class LeaseLost(IntegratorError):
    """The importer lease expired and another node holds it now."""


class RequestRefused(IntegratorError):
    """A service call refused for what it asks; the caller is told exactly why."""


class InvalidArgument(RequestRefused):
    pass


class NotFound(RequestRefused):
    """Also what another facility's record looks like: its existence is not disclosed."""
