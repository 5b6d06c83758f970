"""Shipping pushes to the integrator's incoming directory, atomically and verified.

Each pair goes Docs zip first, main zip last (the importer waits for the main
zip, and the main zip names its Docs zip). Every file is copied under a
temporary name on the destination filesystem, checked by MD5, then renamed, so
the importer never sees a partial file. A destination file with the same MD5 is
left alone. Sources move to ``shipped/`` only after their copy is verified.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from carebridge.emr.exceptions import ShipError
from carebridge.oscar.archive import checksum, is_push_candidate, parse_name
from carebridge.oscar.exceptions import BadFileName

SHIPPED = "shipped"


@dataclass(frozen=True)
class Shipped:
    name: str
    copied: bool  # False: the destination already had an identical file


def pending(export_dir: Path) -> list[Path]:
    """Finished main zips waiting in the export directory, oldest name first."""
    if not export_dir.is_dir():
        return []
    found = []
    for path in export_dir.iterdir():
        if path.is_file() and is_push_candidate(path.name):
            try:
                parse_name(path.name)
            except BadFileName:
                continue
            found.append(path)
    return sorted(found, key=lambda p: p.name)


def ship(export_dir: Path, destination: Path, *, create: bool = False) -> list[Shipped]:
    """Ship every pending push; ``create`` makes a missing destination (the integrator's
    own incoming directory on this machine), otherwise it must exist (a mount that is
    not there must not quietly become a local folder)."""
    if create:
        try:
            destination.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ShipError(f"cannot create {destination}: {exc.strerror}") from None
    if not destination.is_dir():
        raise ShipError(f"destination {destination} is not a directory")
    done = []
    for main in pending(export_dir):
        docs = main.with_name(parse_name(main.name).docs_name)
        for source in (docs, main):  # Docs first, main last
            if source.exists():
                done.append(_ship_file(source, destination))
        for source in (docs, main):
            if source.exists():
                _retire(source, export_dir / SHIPPED)
    return done


def _ship_file(source: Path, destination: Path) -> Shipped:
    target = destination / source.name
    digest = checksum(source)
    if target.exists():
        if checksum(target) == digest:
            return Shipped(source.name, copied=False)
        raise ShipError(f"{target} exists with different content; refusing to overwrite it")
    temporary = destination / f".{source.name}.{os.getpid()}.part"
    try:
        with source.open("rb") as src, temporary.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
            dst.flush()
            os.fsync(dst.fileno())
        if checksum(temporary) != digest:
            raise ShipError(f"copy of {source.name} does not match its source")
        os.replace(temporary, target)
    except OSError as exc:
        raise ShipError(f"cannot copy {source.name} to {destination}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return Shipped(source.name, copied=True)


def _retire(source: Path, shipped_dir: Path) -> None:
    shipped_dir.mkdir(parents=True, exist_ok=True)
    os.replace(source, shipped_dir / source.name)
