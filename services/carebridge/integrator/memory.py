"""Hand big freed buffers back to the operating system (glibc), so the importer's RSS falls
back after a large push instead of staying at its high-water mark.

glibc raises its mmap threshold each time a large mmapped block is freed (up to 32 MiB), so
after the first photo the next ones come from the heap, and the heap keeps the freed space.
Fixing the threshold keeps every block over 1 MiB in its own mapping, returned on free;
``trim`` returns what the heap can give back after each file. Both do nothing on other C
libraries.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import logging
from collections.abc import Iterator

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1024 * 1024


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is None or not hasattr(libc, "mallopt") or not hasattr(libc, "malloc_trim"):
        return None
    return libc


@functools.cache
def return_large_blocks() -> bool:
    """Serve allocations over 1 MiB from their own mappings (once per process)."""
    libc = _libc()
    if libc is None:
        return False
    done = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    if not done:
        log.debug("mallopt(M_MMAP_THRESHOLD) was refused")
    return done


def trim() -> None:
    """Give freed heap memory back to the operating system."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


_frozen = False


def freeze_loaded_objects() -> None:
    """Once per process, move what is loaded (modules, the Spyne and SQLAlchemy
    machinery) out of the garbage collector's generations: a push allocates millions of
    short-lived objects, and every full collection would walk all of that again."""
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


@contextlib.contextmanager
def bulk_load(young_threshold: int = 50_000) -> Iterator[None]:
    """Collect the youngest generation every ``young_threshold`` allocations instead of
    every 700 while a push loads: its objects (records, rows) are short-lived and acyclic,
    so frequent collections find nothing and cost a third of the import."""
    previous = gc.get_threshold()
    gc.set_threshold(young_threshold, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
