"""Push zips written with carebridge's own Java stream writer, for sizes the JVM kit lacks.

``javawrite`` is checked against a real JVM's ObjectInputStream (tests/integration/
test_javawrite.py), so these streams are what OSCAR would write for the same objects; they
let a test put one 60 MiB photo or a 30 MB note into a push without a JVM option for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
import struct
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from carebridge.oscar.classes import java_object, write_objects
from carebridge.oscar.javawrite import modified_utf8

T0 = dt.datetime(2024, 3, 1, 9, 0, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class BuiltPush:
    main: Path
    checksum: str
    base: str
    docs: Path | None = None


def photo_bytes(size: int, seed: int = 1) -> bytes:
    """Bytes that deflate about 25:1, like a padded scan (under the 200:1 ratio check)."""
    rng = random.Random(seed)
    block = 25 * 1024
    return b"".join(rng.randbytes(1024) + bytes(block - 1024)
                    for _ in range(size // block + 1))[:size]


def note_text(size: int, seed: int = 2) -> str:
    """``size`` characters of ASCII words (a 64 KiB run repeated: farther apart than deflate
    looks back, so it compresses like text)."""
    rng = random.Random(seed)
    words = ["patient", "reports", "pain", "review", "in", "two", "weeks", "BP", "stable"]
    run = " ".join(rng.choice(words) for _ in range(min(size, 65536) // 5 + 1))
    return (run * (size // len(run) + 1))[:size]


def header(username: str, date: dt.datetime = T0, depends_on: str | None = None) -> Any:
    return java_object("IntegratorFileHeader", lastDate=None, date=date, dependsOn=depends_on,
                       cachedFacilityId=None, cachedFacilityName=username, username=username)


def footer() -> Any:
    return java_object("IntegratorFileFooter", checksum=-1)


def patient(number: int, photo: bytes | None = None, last_name: str = "Tremblay") -> Any:
    return java_object("DemographicTransfer", integratorFacilityId=None,
                       caisiDemographicId=number, firstName="Test", lastName=last_name,
                       gender="U", photo=photo, removeId=False)


def note(number: int, demographic: int, text: str) -> Any:
    pk = java_object("CachedDemographicNoteCompositePk", integratorFacilityId=None,
                     uuid=f"note-{number}")
    return java_object("CachedDemographicNote", cachedDemographicNoteCompositePk=pk,
                       caisiDemographicId=demographic, note=text, noteIssues=set(), issues=set())


def document(doc_id: int, demographic: int, file_name: str) -> Any:
    pk = java_object("FacilityIdIntegerCompositePk", integratorFacilityId=None,
                     caisiItemId=doc_id)
    return java_object("CachedDemographicDocument", facilityIntegerPk=pk,
                       caisiDemographicId=demographic, docFilename=file_name,
                       contentType="application/pdf")


def reference_bomb(text: str, count: int) -> bytes:
    """One top-level Object[] of ``count`` elements: ``text`` once, then back-references to it
    (carebridge's writer never shares long strings, so these bytes are written by hand)."""
    data = modified_utf8(text)
    name = b"[Ljava.lang.Object;"
    out = bytearray(b"\x75\x72")  # TC_ARRAY, TC_CLASSDESC
    out += struct.pack(">H", len(name)) + name + struct.pack(">qBH", -8012369246846506644, 2, 0)
    out += b"\x78\x70"  # no annotations, no superclass; handle 0x7e0000
    out += struct.pack(">i", count)  # the array is 0x7e0001
    out += b"\x7c" + struct.pack(">q", len(data)) + data  # TC_LONGSTRING, 0x7e0002
    out += struct.pack(">BI", 0x71, 0x7E0002) * (count - 1)
    return bytes(out)


def write_push(out_dir: Path, username: str, entries: Sequence[Iterable[Any] | bytes], *,
               date: dt.datetime = T0, emr_facility_id: int = 1,
               extra: dict[str, bytes] | None = None,
               documents: dict[int, tuple[str, bytes]] | None = None) -> BuiltPush:
    """A main zip: entry 1 = header + ``entries[0]``, then one entry each, then the footer.

    An entry given as bytes is written as they are, after the stream header.

    ``extra`` adds raw zip entries (a zip slip name, padding) after the .ser entries;
    ``documents`` (docId -> file name, bytes) go in a -Docs.zip, each listed in
    documentMeta.txt and described by a CachedDemographicDocument of patient 1.
    """
    base = f"IntegratorPush_{emr_facility_id}_{date:%Y_%m_%d_%H_%M_%S}"
    out_dir.mkdir(parents=True, exist_ok=True)
    documents = documents or {}
    described = [document(doc_id, 1, name) for doc_id, (name, _data) in documents.items()]
    first = entries[0] if entries else []
    assert not isinstance(first, bytes), "entry 1 starts with the header"
    streams: list[list[Any] | bytes] = [[header(username, date), *first, *described]]
    streams += [e if isinstance(e, bytes) else list(e) for e in entries[1:]]
    streams.append([footer()])
    path = out_dir / f"{base}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for number, objects in enumerate(streams, 1):
            with zf.open(f"{base}.{number}.ser", "w", force_zip64=True) as stream:
                if isinstance(objects, bytes):
                    stream.write(b"\xac\xed\x00\x05" + objects)
                else:
                    write_objects(stream, objects)
        meta = "".join(f"{doc_id},1,{name}\n" for doc_id, (name, _data) in documents.items())
        zf.writestr(f"{base}_documentMeta.txt", meta)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    docs = None
    if documents:
        docs = out_dir / f"{base}-Docs.zip"
        with zipfile.ZipFile(docs, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in documents.values():
                zf.writestr(name, data)
    digest = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    return BuiltPush(path, digest, base, docs)


class PushPair(Protocol):
    """A main push zip and its optional -Docs.zip (the JVM's and this module's)."""

    @property
    def main(self) -> Path: ...

    @property
    def docs(self) -> Path | None: ...


def deliver(push: PushPair, incoming: Path) -> Path:
    """Copy a push into the incoming directory the way a deployer would: Docs first."""
    incoming.mkdir(parents=True, exist_ok=True)
    if push.docs is not None:
        shutil.copy2(push.docs, incoming / push.docs.name)
    return Path(shutil.copy2(push.main, incoming / push.main.name))
