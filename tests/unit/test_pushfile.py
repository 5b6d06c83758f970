import datetime as dt
import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import IO, Literal

import pytest

from carebridge.integrator.scanner import facility_dir, facility_of_dir
from carebridge.oscar.archive import (
    PushArchive,
    ZipLimits,
    is_push_candidate,
    open_push,
    parse_document_meta,
    parse_name,
    peek_header,
)
from carebridge.oscar.classes import encode, java_object
from carebridge.oscar.exceptions import (
    BadFileName,
    JavaStreamError,
    LimitExceeded,
    PushFormatError,
    UnsafeZip,
)
from carebridge.oscar.javaread import DecodeLimits
from tests.support.pushes import patient, write_push

LIMITS = ZipLimits(max_entry_bytes=10_000_000, max_total_bytes=20_000_000, max_ratio=100)
JAVA_STREAM = b"\xac\xed\x00\x05"  # an empty Java serialization stream


def write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_name_scheme() -> None:
    name = parse_name("IntegratorPush_12_2024_03_05_14_30_00.zip")
    assert name.emr_facility_id == 12
    assert name.written_at == dt.datetime(2024, 3, 5, 14, 30, 0)
    assert name.docs_name == "IntegratorPush_12_2024_03_05_14_30_00-Docs.zip"
    for bad in ("IntegratorPush_x_2024_03_05_14_30_00.zip", "IntegratorPush_1.zip",
                "IntegratorPush_1_2024_13_05_14_30_00.zip"):
        with pytest.raises(BadFileName):
            parse_name(bad)


def test_candidates_exclude_docs_and_temporary_names() -> None:
    assert is_push_candidate("IntegratorPush_1_2024_03_05_14_30_00.zip")
    assert not is_push_candidate("IntegratorPush_1_2024_03_05_14_30_00-Docs.zip")
    assert not is_push_candidate("IntegratorPush_1_2024_03_05_14_30_00.zipTemp")
    assert not is_push_candidate("IntegratorPush_1_2024_03_05_14_30_00.zip.part")


def test_ser_entries_are_read_in_numeric_order(tmp_path: Path) -> None:
    base = "IntegratorPush_1_2024_03_05_14_30_00"
    entries = {f"{base}.{n}.ser": JAVA_STREAM for n in (10, 2, 1, 3, 4, 5, 6, 7, 8, 9)}
    path = write_zip(tmp_path / f"{base}.zip", entries)
    with open_push(path, LIMITS) as archive:
        assert [e.split(".")[-2] for e in archive.ser_entries] == [str(n) for n in range(1, 11)]


def test_gap_in_numbering_is_reported(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "p.zip", {"b.1.ser": JAVA_STREAM, "b.3.ser": JAVA_STREAM})
    with pytest.raises(PushFormatError, match=r"\.2\.ser"), open_push(path, LIMITS):
        pass


@pytest.mark.parametrize("entry", ["../evil.ser", "/etc/cron.d/x", "a/../../b.1.ser",
                                   "C:/windows/x.1.ser", "a\\..\\b.1.ser"])
def test_zip_slip_entries_are_refused(tmp_path: Path, entry: str) -> None:
    path = write_zip(tmp_path / "p.zip", {"b.1.ser": JAVA_STREAM, entry: b"x"})
    with pytest.raises(UnsafeZip) as info, open_push(path, LIMITS):
        pass
    assert info.value.entry == entry


def test_zip_bomb_is_refused_by_ratio(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "p.zip", {"b.1.ser": b"\0" * 5_000_000})
    with pytest.raises(UnsafeZip, match="compression ratio"), open_push(path, LIMITS):
        pass


def test_zip_bomb_is_refused_by_size(tmp_path: Path) -> None:
    small = ZipLimits(max_entry_bytes=1000, max_total_bytes=5000, max_ratio=1000)
    path = write_zip(tmp_path / "p.zip", {"b.1.ser": bytes(range(256)) * 8})
    with pytest.raises(UnsafeZip, match="over the max_entry_bytes=1000 limit"), \
            open_push(path, small):
        pass


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(UnsafeZip, match="not a readable zip"), open_push(path, LIMITS):
        pass


def test_no_objects_means_no_header(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "p.zip", {"b.1.ser": JAVA_STREAM})
    with open_push(path, LIMITS) as archive, pytest.raises(PushFormatError, match="Header"):
        list(archive.objects())


def test_garbage_ser_is_a_java_stream_error(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "p.zip", {"b.1.ser": b"definitely not java"})
    with open_push(path, LIMITS) as archive, pytest.raises(JavaStreamError) as info:
        list(archive.objects())
    assert info.value.entry == "b.1.ser"
    assert "not a Java serialization stream" in str(info.value)


def test_document_meta() -> None:
    docs = parse_document_meta("12,1001,doc_12.pdf\n\n13,1002,scan, page 1.pdf\r\n")
    assert [(d.doc_id, d.demographic_no, d.file_name) for d in docs] == [
        (12, 1001, "doc_12.pdf"), (13, 1002, "scan, page 1.pdf")]
    with pytest.raises(PushFormatError, match="line 1"):
        parse_document_meta("twelve,1001,x.pdf")
    with pytest.raises(UnsafeZip):
        parse_document_meta("1,2,../../etc/passwd")


def test_zip_file_object_is_closed_after_use(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "p.zip", {"b.1.ser": JAVA_STREAM})
    with open_push(path, LIMITS) as archive:
        stream = archive.open_entry("b.1.ser")
        assert isinstance(stream, io.IOBase)


HEADER = encode([java_object("IntegratorFileHeader", username="clinic-a", dependsOn=None,
                             date=dt.datetime(2024, 3, 1, tzinfo=dt.UTC))])


def test_limits_are_named_after_their_settings(tmp_path: Path) -> None:
    limits = ZipLimits(1000, 5000, 1000, "max_ser_entry_bytes", "max_push_bytes")
    big = write_zip(tmp_path / "a.zip", {"b.1.ser": bytes(range(256)) * 8})
    with pytest.raises(UnsafeZip, match="over the max_ser_entry_bytes=1000 limit"), \
            open_push(big, limits):
        pass
    many = write_zip(tmp_path / "b.zip", {f"b.{n}.ser": bytes(range(250)) * 4 for n in range(1, 7)})
    with pytest.raises(UnsafeZip, match="more than max_push_bytes=5000 bytes"), \
            open_push(many, limits):
        pass


def test_the_header_of_an_unsafe_push_can_still_be_read(tmp_path: Path) -> None:
    unsafe = write_zip(tmp_path / "p.zip", {"b.1.ser": HEADER, "../../x": b"slip",
                                            "pad.bin": bytes(5_000_000)})
    with pytest.raises(UnsafeZip), open_push(unsafe, LIMITS):
        pass
    header = peek_header(unsafe)
    assert header is not None and header.username == "clinic-a"
    # No first entry, a first entry with a bad name, garbage, or not a zip: nobody.
    for name, entries in [("none.zip", {"b.2.ser": HEADER}), ("slip.zip", {"../b.1.ser": HEADER}),
                          ("junk.zip", {"b.1.ser": b"junk"})]:
        assert peek_header(write_zip(tmp_path / name, entries)) is None
    (tmp_path / "nozip.zip").write_bytes(b"PK nothing")
    assert peek_header(tmp_path / "nozip.zip") is None


def test_a_document_list_over_max_array_bytes_is_refused(tmp_path: Path) -> None:
    meta = "".join(f"{n},1,doc_{n}.pdf\n" for n in range(100))
    path = write_zip(tmp_path / "p.zip", {"b.1.ser": HEADER, "b_documentMeta.txt": meta.encode()})
    with open_push(path, LIMITS, DecodeLimits(max_array_bytes=1000)) as archive, \
            pytest.raises(LimitExceeded, match="exceeds max_array_bytes=1000"):
        archive.document_meta()
    with open_push(path, LIMITS) as archive:
        assert len(archive.document_meta()) == 100


@pytest.mark.parametrize(("name", "directory"), [
    ("clinic-a", "clinic-a"), ("GHH Hamilton", "GHH%20Hamilton"), ("a/b", "a%2Fb"),
    ("..", "%2E."), (".hidden", "%2Ehidden"), ("50%", "50%25"), ("é", "%C3%A9"),
])
def test_facility_directories_are_safe_and_reversible(name: str, directory: str) -> None:
    assert facility_dir(name) == directory
    assert facility_of_dir(directory) == name
    assert "/" not in directory and not directory.startswith(".")


def test_a_name_too_long_for_a_directory_gets_none() -> None:
    assert facility_dir("x" * 255) == "x" * 255
    assert facility_dir("/" * 90) is None  # 270 bytes once encoded


class CountingZipFile(zipfile.ZipFile):
    """A zip that counts how often each entry is opened (the archive reads through it)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.opened: Counter[str] = Counter()
        self.streams: list[IO[bytes]] = []

    def open(self, name: str | zipfile.ZipInfo, mode: Literal["r", "w"] = "r",
             pwd: bytes | None = None, *, force_zip64: bool = False) -> IO[bytes]:
        self.opened[name.filename if isinstance(name, zipfile.ZipInfo) else name] += 1
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        self.streams.append(stream)
        return stream


def test_each_ser_entry_is_decoded_once_the_header_included(tmp_path: Path) -> None:
    push = write_push(tmp_path, "clinic-a", [[patient(1)], [patient(2)], [patient(3)]])
    with CountingZipFile(push.main) as zf:
        archive = PushArchive(zf, push.main.name)
        header = archive.read_header()
        assert archive.read_header() is header
        objects = [obj for _entry, obj in archive.objects()]
        archive.close()
    assert len(archive.ser_entries) == 4
    assert zf.opened == dict.fromkeys(archive.ser_entries, 1)
    assert objects[0] is header.raw  # the header object read to decide, not a second decode
    assert [o.simple_name for o in objects] == ["IntegratorFileHeader", "DemographicTransfer",
                                                "DemographicTransfer", "DemographicTransfer",
                                                "IntegratorFileFooter"]


def test_the_objects_can_be_read_again(tmp_path: Path) -> None:
    push = write_push(tmp_path, "clinic-a", [[patient(1)], [patient(2)]])
    with open_push(push.main, LIMITS) as archive:
        first = [obj.simple_name for _entry, obj in archive.objects()]
        again = [obj.simple_name for _entry, obj in archive.objects()]
        assert archive.read_header().username == "clinic-a"
    assert first == again and len(first) == 4


def test_closing_the_archive_closes_what_the_header_left_open(tmp_path: Path) -> None:
    push = write_push(tmp_path, "clinic-a", [[patient(1)]])
    with CountingZipFile(push.main) as zf:
        archive = PushArchive(zf, push.main.name)
        assert archive.read_header().username == "clinic-a"
        (stream,) = zf.streams
        assert not stream.closed  # kept for the objects after the header
        archive.close()
        assert stream.closed
        assert len(list(archive.objects())) == 3  # read from the start again
        assert all(s.closed for s in zf.streams)
