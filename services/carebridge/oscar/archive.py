"""OSCAR push files, read safely: names, zip entries, .ser streams, document metadata.

Pure: takes paths and streams, returns values, writes nothing. The importer does
the I/O around it. What is checked here is everything that makes a file bad in
itself (and therefore final): its name, its zip structure, its Java streams,
the header and footer OSCAR writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from carebridge.oscar.exceptions import (
    BadFileName,
    LimitExceeded,
    PushFileError,
    PushFormatError,
    UnsafeZip,
)
from carebridge.oscar.fastread import DecodeLimits, JavaObject, iter_sized

HEADER_CLASS = "org.oscarehr.PMmodule.caisi_integrator.IntegratorFileHeader"
FOOTER_CLASS = "org.oscarehr.PMmodule.caisi_integrator.IntegratorFileFooter"
SUPPORTED_HEADER_VERSION = 1

_NAME = re.compile(
    r"^IntegratorPush_(?P<facility>\d+)_(?P<ts>\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2})\.zip$"
)
_SER = re.compile(r"\.(\d+)\.ser$")
# Below this expanded size a high compression ratio is harmless (text compresses well).
_RATIO_FLOOR_BYTES = 1024 * 1024
_READ_BUFFER = 256 * 1024


@dataclass(frozen=True)
class PushFileName:
    name: str
    emr_facility_id: int
    written_at: dt.datetime

    @property
    def base(self) -> str:
        return self.name[: -len(".zip")]

    @property
    def docs_name(self) -> str:
        return self.base + "-Docs.zip"


def checksum(path: Path) -> str:
    """OSCAR's push checksum (dependsOn, the import key): MD5 of the file, lowercase hex."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_push_candidate(name: str) -> bool:
    """A main push zip by its name alone (not a -Docs.zip, not a temporary file)."""
    return name.startswith("IntegratorPush_") and name.endswith(".zip") and not (
        name.endswith("-Docs.zip")
    )


def parse_name(name: str) -> PushFileName:
    match = _NAME.match(name)
    if not match:
        raise BadFileName(
            "file name does not match IntegratorPush_<FacilityId>_yyyy_MM_dd_HH_mm_ss.zip"
        )
    try:
        written = dt.datetime.strptime(match["ts"], "%Y_%m_%d_%H_%M_%S")
    except ValueError:
        raise BadFileName(f"file name has an impossible date {match['ts']}") from None
    return PushFileName(name, int(match["facility"]), written)


@dataclass(frozen=True)
class ZipLimits:
    """Checked against the zip's directory before anything is read. ``zipfile`` never
    inflates more than an entry's declared size, so the declared sizes are real bounds."""

    max_entry_bytes: int
    max_total_bytes: int
    max_ratio: float
    # The settings behind the two sizes, named in the error an operator reads.
    entry_setting: str = "max_entry_bytes"
    total_setting: str = "max_total_bytes"


@dataclass(frozen=True)
class Header:
    last_date: dt.datetime | None
    date: dt.datetime | None
    depends_on: str | None
    cached_facility_id: int | None
    cached_facility_name: str | None
    username: str | None
    raw: JavaObject


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    doc_id: int
    demographic_no: int | None
    file_name: str


class PushArchive:
    """An opened, checked main zip: its .ser entries in order and its document list.

    Each entry is decoded once: ``read_header`` decodes the first object of the first
    .ser and keeps that stream open, and ``objects``/``sized_objects`` go on from there
    (yielding the header object already read) instead of starting the entry again.
    """

    def __init__(self, zf: zipfile.ZipFile, name: str, decode: DecodeLimits | None = None) -> None:
        self._zf = zf
        self.name = name
        self.decode = decode or DecodeLimits()
        self.ser_entries = _ser_entries(zf)
        self._meta_entry = _meta_entry(zf)
        self._meta: list[DocumentMeta] | None = None
        self._header: _FirstObject | None = None
        # The first .ser, open just past its header: where reading the objects goes on.
        self._unread: _OpenEntry | None = None

    def open_entry(self, entry: str) -> IO[bytes]:
        return self._zf.open(entry)

    def document_meta(self) -> list[DocumentMeta]:
        """The documents the push lists (read once; the -Docs.zip holds their bytes)."""
        if self._meta is None:
            self._meta = self._read_document_meta()
        return self._meta

    def _read_document_meta(self) -> list[DocumentMeta]:
        if self._meta_entry is None:
            return []
        size = self._zf.getinfo(self._meta_entry).file_size
        limit = self.decode.max_array_bytes
        if size > limit:
            raise LimitExceeded(f"the document list of {size} bytes exceeds "
                                f"max_array_bytes={limit}", "max_array_bytes", limit,
                                self._meta_entry)
        with self._zf.open(self._meta_entry) as fh:
            text = fh.read().decode("utf-8", errors="replace")
        return parse_document_meta(text, self._meta_entry)

    def read_header(self) -> Header:
        """The IntegratorFileHeader, the first object of the first .ser (decoded once)."""
        if self._header is None:
            self._header, self._unread = self._open_first_entry()
        return self._header.header

    def objects(self) -> Iterator[tuple[str, Any]]:
        """Every object of every .ser entry in order, header and footer checked.

        The footer check happens after the last object has been yielded: the
        caller must treat the whole file as one unit (one transaction).
        """
        for entry, obj, _size in self.sized_objects():
            yield entry, obj

    def sized_objects(self) -> Iterator[tuple[str, Any, int]]:
        """``objects()`` with each object's estimated size as JSON (to batch writes by)."""
        first_entry, last_entry = self.ser_entries[0], self.ser_entries[-1]
        if self._header is None or self._unread is None:
            # Not read yet, or read through before: start the first entry (again).
            self.close()
            self._header, self._unread = self._open_first_entry()
        first, unread = self._header, self._unread
        self._unread = None
        yield first_entry, first.header.raw, first.size
        footer = False  # the object before is the footer (objects are not kept)
        for entry in self.ser_entries:
            with contextlib.ExitStack() as stack:
                if entry == first_entry:
                    stack.callback(unread.stream.close)
                    objects = unread.objects
                else:
                    objects = iter_sized(stack.enter_context(_buffered(self._zf, entry)),
                                         entry, self.decode)
                for obj, size in objects:
                    if footer:
                        raise PushFormatError("objects follow IntegratorFileFooter", entry)
                    footer = _is(obj, FOOTER_CLASS)
                    yield entry, obj, size
                    del obj
            if entry != last_entry and footer:
                raise PushFormatError("IntegratorFileFooter before the last .ser entry", entry)
        if not footer:
            raise PushFormatError(
                "the last .ser does not end with IntegratorFileFooter (incomplete push)",
                last_entry,
            )

    def close(self) -> None:
        """Close the first entry's stream if a header was read and the objects were not."""
        unread, self._unread = self._unread, None
        if unread is not None:
            unread.stream.close()

    def _open_first_entry(self) -> tuple[_FirstObject, _OpenEntry]:
        entry = self.ser_entries[0]
        stream = _buffered(self._zf, entry)
        try:
            objects = iter_sized(stream, entry, self.decode)
            first = next(objects, None)
            if first is None:
                raise PushFormatError("no IntegratorFileHeader: the first .ser is empty", entry)
            header = _FirstObject(parse_header(first[0], entry), first[1])
        except BaseException:
            stream.close()
            raise
        return header, _OpenEntry(stream, objects)


@dataclass(frozen=True, slots=True)
class _FirstObject:
    header: Header
    size: int  # as JSON, like every object sized_objects() yields


@dataclass(frozen=True, slots=True)
class _OpenEntry:
    stream: IO[bytes]
    objects: Iterator[tuple[Any, int]]  # what is left of it, decoded as it is read


def _buffered(zf: zipfile.ZipFile, entry: str) -> IO[bytes]:
    # The decoder reads a few bytes at a time; a C buffer in front of the inflater
    # makes those reads cheap.
    raw = zf.open(entry)
    assert isinstance(raw, zipfile.ZipExtFile)  # what reading gives (typed as any IO[bytes])
    return io.BufferedReader(raw, _READ_BUFFER)


@contextmanager
def open_zip(path: Path, limits: ZipLimits) -> Iterator[zipfile.ZipFile]:
    """A zip whose every entry name and size has been checked; UnsafeZip otherwise."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsafeZip(f"not a readable zip file: {exc}") from None
    with zf:
        check_zip(zf, limits)
        yield zf


@contextmanager
def open_push(path: Path, limits: ZipLimits,
              decode: DecodeLimits | None = None) -> Iterator[PushArchive]:
    with open_zip(path, limits) as zf:
        archive = PushArchive(zf, path.name, decode)
        try:
            yield archive
        finally:
            archive.close()


def peek_header(path: Path, decode: DecodeLimits | None = None) -> Header | None:
    """The header of a push that failed its checks, if its first .ser can still be read
    safely (so the failure can be logged for the facility that sent it); else None.

    Only the first object is read, within the decode limits, so neither an oversized entry
    nor a bomb elsewhere in the zip (nor in that entry, past the header) is expanded.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            firsts = [info for info in zf.infolist()
                      if not info.is_dir() and _ser_number(info.filename) == 1]
            if len(firsts) != 1:
                return None
            info = firsts[0]
            _check_entry_name(info.filename)
            if info.flag_bits & 0x1:
                return None
            with _buffered(zf, info.filename) as stream:
                for obj, _size in iter_sized(stream, info.filename, decode or DecodeLimits()):
                    return parse_header(obj, info.filename)
            return None
    except (PushFileError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def check_zip(zf: zipfile.ZipFile, limits: ZipLimits) -> None:
    total = 0
    for info in zf.infolist():
        _check_entry(info, limits)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise UnsafeZip(f"zip expands to more than {limits.total_setting}="
                            f"{limits.max_total_bytes} bytes")


def _check_entry(info: zipfile.ZipInfo, limits: ZipLimits) -> None:
    _check_entry_name(info.filename)
    if info.flag_bits & 0x1:
        raise UnsafeZip("encrypted entries are not supported", info.filename)
    if info.file_size > limits.max_entry_bytes:
        raise UnsafeZip(
            f"entry expands to {info.file_size} bytes, over the "
            f"{limits.entry_setting}={limits.max_entry_bytes} limit",
            info.filename,
        )
    if info.file_size > _RATIO_FLOOR_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise UnsafeZip(
                f"compression ratio {ratio:.0f}:1 is over the {limits.max_ratio:.0f}:1 limit",
                info.filename,
            )


def _check_entry_name(name: str) -> None:
    if "\\" in name or "\x00" in name:
        raise UnsafeZip("entry name has a backslash or NUL", name)
    path = PurePosixPath(name)
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name):
        raise UnsafeZip("entry has an absolute path", name)
    if ".." in path.parts:
        raise UnsafeZip("entry path climbs out of the archive ('..')", name)


def _ser_number(name: str) -> int | None:
    match = _SER.search(name)
    return int(match.group(1)) if match else None


def _ser_entries(zf: zipfile.ZipFile) -> list[str]:
    numbered: dict[int, str] = {}
    for info in zf.infolist():
        number = _ser_number(info.filename)
        if number is not None and not info.is_dir():
            if number in numbered:
                raise PushFormatError(f"two entries numbered .{number}.ser", info.filename)
            numbered[number] = info.filename
    if not numbered:
        raise PushFormatError("the zip holds no .ser entries")
    order = sorted(numbered)
    missing = sorted(set(range(1, order[-1] + 1)) - set(order))
    if missing:
        raise PushFormatError(f"missing entries .{missing[0]}.ser (numbering has a gap)")
    return [numbered[n] for n in order]


def _meta_entry(zf: zipfile.ZipFile) -> str | None:
    for info in zf.infolist():
        if PurePosixPath(info.filename).name.endswith("documentMeta.txt"):
            return info.filename
    return None


def parse_document_meta(text: str, entry: str = "documentMeta.txt") -> list[DocumentMeta]:
    docs = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(",", 2)
        if len(parts) != 3 or not parts[2].strip():
            raise PushFormatError(f"line {number} is not docId,demographicNo,fileName", entry)
        try:
            doc_id = int(parts[0])
            demographic = int(parts[1]) if parts[1].strip() not in ("", "null") else None
        except ValueError:
            raise PushFormatError(
                f"line {number}: docId/demographicNo are not numbers", entry
            ) from None
        name = parts[2].strip()
        _check_entry_name(name)
        docs.append(DocumentMeta(doc_id, demographic, name))
    return docs


def parse_header(obj: Any, entry: str) -> Header:
    if not _is(obj, HEADER_CLASS):
        found = obj.class_name if isinstance(obj, JavaObject) else type(obj).__name__
        raise PushFormatError(f"first object is {found}, not IntegratorFileHeader", entry)
    version = obj.get("version", SUPPORTED_HEADER_VERSION)
    if version != SUPPORTED_HEADER_VERSION:
        raise PushFormatError(
            f"IntegratorFileHeader version {version} is not supported "
            f"(carebridge reads version {SUPPORTED_HEADER_VERSION})",
            entry,
        )
    return Header(
        last_date=_as_datetime(obj.get("lastDate")),
        date=_as_datetime(obj.get("date")),
        depends_on=obj.get("dependsOn") or None,
        cached_facility_id=obj.get("cachedFacilityId"),
        cached_facility_name=obj.get("cachedFacilityName"),
        username=obj.get("username"),
        raw=obj,
    )


def _as_datetime(value: Any) -> dt.datetime | None:
    return value if isinstance(value, dt.datetime) else None


def _is(obj: Any, class_name: str) -> bool:
    return isinstance(obj, JavaObject) and obj.class_name == class_name
