"""Which files in the incoming directory are ready to import.

Stateless, so any node can scan: a file is ready when its name is a main push
zip and it has not been modified for ``settle_seconds`` (a copy in progress
keeps touching it). Temporary names (``.part``, ``.zipTemp``, dot files) never
match.

With per-facility incoming directories each facility has its own directory under
the incoming directory, named by ``facility_dir``: the facility name with every
character other than ASCII letters, digits, ``-``, ``_``, ``.`` and ``~``
percent-encoded as UTF-8 (``/`` is ``%2F``, ``%`` is ``%25``), and a leading ``.``
as ``%2E``, so a name can never climb out of, or hide in, the incoming directory
(``..`` is ``%2E.``). ``facility_of_dir`` reverses it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, unquote

from carebridge.oscar.archive import is_push_candidate

# Longest directory name most filesystems take (bytes); longer names get no directory.
_MAX_NAME_BYTES = 255


def facility_dir(name: str) -> str | None:
    """The directory name for a facility, or None when it would be too long."""
    encoded = quote(name, safe="")
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    if not encoded or len(encoded.encode("ascii")) > _MAX_NAME_BYTES:
        return None
    return encoded


def facility_of_dir(directory: str) -> str:
    return unquote(directory, errors="strict")


def ready_files(incoming: Path, settle_seconds: float, now: float | None = None) -> list[Path]:
    """Main push zips that have settled, in name order (OSCAR imports in name order)."""
    return sorted(_ready_in(incoming, settle_seconds, now), key=lambda p: p.name)


def ready_files_in(directories: Iterable[Path], settle_seconds: float,
                   now: float | None = None) -> list[Path]:
    """``ready_files`` over several directories, in file name order, then directory order."""
    now = time.time() if now is None else now
    ready = [p for d in directories for p in _ready_in(d, settle_seconds, now)]
    return sorted(ready, key=lambda p: (p.name, str(p.parent)))


def _ready_in(incoming: Path, settle_seconds: float, now: float | None) -> list[Path]:
    now = time.time() if now is None else now
    try:
        entries = list(incoming.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    ready = []
    for path in entries:
        if path.name.startswith(".") or not is_push_candidate(path.name):
            continue
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue  # moved away meanwhile (another node archived it)
        if not path.is_file():
            continue
        if now - stat.st_mtime < settle_seconds:
            continue
        ready.append(path)
    return ready
