"""FHS/BHS files: each batch's BTS-1 counts the messages of that batch alone."""

from __future__ import annotations

import pytest

from carebridge.hl7 import er7, framing
from carebridge.hl7.exceptions import ParseError


def _msh(control_id: str) -> str:
    return f"MSH|^~\\&|LAB|NORTH|CB|CB|20250101120000||ADT^A08^ADT_A01|{control_id}|P|2.5"


def _file(first_count: int, second_count: int) -> str:
    """A file of two batches: three messages under BTS|first, one under BTS|second."""
    lines = ["FHS|^~\\&|LAB|NORTH|||20250101120000", "BHS|^~\\&|LAB|NORTH|||20250101120000",
             _msh("B1-1"), "PID|1||100^^^NORTH", _msh("B1-2"), "PID|1||101^^^NORTH",
             _msh("B1-3"), "PID|1||102^^^NORTH", f"BTS|{first_count}",
             "BHS|^~\\&|LAB|NORTH|||20250101130000", _msh("B2-1"), "PID|1||200^^^NORTH",
             f"BTS|{second_count}", "FTS|2"]
    return "\r".join(lines) + "\r"


@pytest.mark.parametrize("kind", [str, bytes])
def test_two_batches_are_counted_each_on_its_own(kind: type) -> None:
    text = _file(3, 1)
    batch = framing.split_batch(text if kind is str else text.encode())
    ids = [er7.parse(m).control_id for m in batch.messages]
    assert ids == ["B1-1", "B1-2", "B1-3", "B2-1"]
    assert [(b.first, b.count, b.declared_count, b.line) for b in batch.batches] == [
        (0, 3, 3, 2), (3, 1, 1, 10)]
    assert batch.declared_count == 4  # what the BTS segments declare in all
    assert len(batch.header) == 3 and len(batch.trailer) == 3  # FHS, BHS x2 / BTS x2, FTS
    assert batch.batches[1].header is not None and batch.batches[1].trailer == (
        "BTS|1" if kind is str else b"BTS|1")


@pytest.mark.parametrize(("first", "second", "wrong_line", "batch_line", "holds"),
                         [(2, 1, 9, 2, 3), (3, 2, 13, 10, 1)])
def test_a_wrong_count_names_its_batch(first: int, second: int, wrong_line: int,
                                       batch_line: int, holds: int) -> None:
    with pytest.raises(ParseError) as info:
        framing.split_batch(_file(first, second))
    error = info.value
    wrong = first if wrong_line == 9 else second
    assert error.reason == (f"BTS-1 declares {wrong} message{'s' * (wrong != 1)}, the batch "
                            f"from line {batch_line} (BHS) holds {holds}")
    assert error.location.line == wrong_line and error.location.field == 1
    assert error.location.sequence == (1 if wrong_line == 9 else 2)
    assert str(error).startswith(f"BTS{'[2]' if wrong_line == 13 else ''}-1 (line {wrong_line})")


def test_batches_without_bhs_and_without_bts() -> None:
    # Messages closed by a BTS with no BHS before them, then a batch never closed by a BTS.
    text = "\n".join([_msh("1"), _msh("2"), "BTS|2", "BHS|^~\\&", _msh("3"), ""])
    batch = framing.split_batch(text)
    assert [(b.first, b.count, b.declared_count) for b in batch.batches] == [
        (0, 2, 2), (2, 1, None)]
    assert batch.batches[0].header is None and batch.batches[0].line == 1
    with pytest.raises(ParseError, match=r"from line 1 \(first message\) holds 2"):
        framing.split_batch(text.replace("BTS|2", "BTS|5"))


def test_a_single_message_is_one_part_without_envelope() -> None:
    batch = framing.split_batch(_msh("only") + "\rPID|1\r")
    assert batch.declared_count is None and batch.header == [] and batch.trailer == []
    assert [(b.first, b.count, b.header, b.trailer) for b in batch.batches] == [
        (0, 1, None, None)]
    assert framing.split_messages(_msh("only") + "\r") == [_msh("only") + "\r"]


def test_empty_bts_1_and_a_bad_one() -> None:
    assert framing.split_batch(_msh("1") + "\rBTS|\r").batches[0].declared_count is None
    with pytest.raises(ParseError) as info:
        framing.split_batch(_msh("1") + "\rPID|1\rBTS|three\r")
    assert info.value.location.line == 3 and "not a number" in str(info.value)
    assert str(info.value).startswith("BTS-1 (line 3)")
