"""Errors of the integrator package. Each carries what the import log needs.

IntegratorError
 ├── PushFileError               the push file itself is bad (final: the file is archived)
 │    ├── BadFileName            name is not IntegratorPush_<id>_yyyy_MM_dd_HH_mm_ss.zip
 │    ├── UnsafeZip              zip slip, absolute path, bomb, unreadable zip
 │    ├── JavaStreamError        a .ser entry is not a readable Java serialization stream
 │    │    └── TruncatedStream   the stream ends inside an object
 │    ├── LimitExceeded          a value, object or document is over a configured size limit
 │    ├── PushFormatError        readable, but not what OSCAR writes (header, footer, version)
 │    └── WrongFacility          per-facility incoming: the header names another facility
 ├── UnknownFacility             the header names no registered facility
 └── LeaseLost                   another node took over the import lease
"""

from __future__ import annotations


class IntegratorError(Exception):
    """Base of every integrator error."""


class PushFileError(IntegratorError):
    """The push file is bad; importing it again will not help."""

    def __init__(self, message: str, entry: str | None = None) -> None:
        super().__init__(f"{entry}: {message}" if entry else message)
        self.reason = message
        self.entry = entry


class BadFileName(PushFileError):
    pass


class UnsafeZip(PushFileError):
    pass


class JavaStreamError(PushFileError):
    def __init__(self, message: str, entry: str | None = None, object_index: int | None = None):
        where = f" (object #{object_index})" if object_index is not None else ""
        super().__init__(message + where, entry)
        self.object_index = object_index


class TruncatedStream(JavaStreamError):
    pass


class LimitExceeded(PushFileError):
    """Over a size limit; ``setting`` names the Settings field an operator may raise."""

    def __init__(self, message: str, setting: str, limit: int, entry: str | None = None,
                 object_index: int | None = None) -> None:
        where = f" (object #{object_index})" if object_index is not None else ""
        super().__init__(message + where, entry)
        self.setting = setting
        self.limit = limit
        self.object_index = object_index


class PushFormatError(PushFileError):
    pass


class WrongFacility(PushFileError):
    pass


class UnknownFacility(IntegratorError):
    def __init__(self, name: str | None) -> None:
        super().__init__(f"no facility named {name!r} is registered with this integrator")
        self.name = name


class LeaseLost(IntegratorError):
    """The importer lease expired and another node holds it now."""
