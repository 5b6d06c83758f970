"""Errors of the OSCAR push codec. Each is final: the file is bad in itself.

PushFileError
 ├── BadFileName            name is not IntegratorPush_<id>_yyyy_MM_dd_HH_mm_ss.zip
 ├── UnsafeZip              zip slip, absolute path, bomb, unreadable zip
 ├── JavaStreamError        a .ser entry is not a readable Java serialization stream
 │    └── TruncatedStream   the stream ends inside an object
 ├── LimitExceeded          a value, object or document is over a configured size limit
 └── PushFormatError        readable, but not what OSCAR writes (header, footer, version)
"""

from __future__ import annotations


def _where(object_index: int | None) -> str:
    return f" (object #{object_index})" if object_index is not None else ""


class PushFileError(Exception):
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
        super().__init__(message + _where(object_index), entry)
        self.object_index = object_index


class TruncatedStream(JavaStreamError):
    pass


class LimitExceeded(PushFileError):
    """Over a size limit; ``setting`` names the setting an operator may raise."""

    def __init__(self, message: str, setting: str, limit: int, entry: str | None = None,
                 object_index: int | None = None) -> None:
        super().__init__(message + _where(object_index), entry)
        self.setting = setting
        self.limit = limit
        self.object_index = object_index


class PushFormatError(PushFileError):
    pass
