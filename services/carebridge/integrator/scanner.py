"""Which files in the incoming directory are ready to import.

Stateless, so any node can scan: a file is ready when its name is a main push
zip and it has not been modified for ``settle_seconds`` (a copy in progress
keeps touching it). Temporary names (``.part``, ``.zipTemp``, dot files) never
match.
"""

from __future__ import annotations

import time
from pathlib import Path

from carebridge.integrator.pushfile import is_push_candidate


def ready_files(incoming: Path, settle_seconds: float, now: float | None = None) -> list[Path]:
    """Main push zips that have settled, in name order (OSCAR imports in name order)."""
    now = time.time() if now is None else now
    try:
        entries = list(incoming.iterdir())
    except FileNotFoundError:
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
    return sorted(ready, key=lambda p: p.name)
