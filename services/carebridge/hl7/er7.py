"""ER7, the pipe-delimited encoding: parse to a ``Message``, write it back unchanged.

A message keeps each segment as its list of raw field strings (escapes intact),
so writing it back is a join and gives the same bytes; splitting into
repetitions, components and subcomponents, and unescaping, happen on access.
For MSH the list holds MSH-1 (the field separator) and MSH-2 (the encoding
characters) at indexes 1 and 2, so ``fields[n]`` is SEG-n for every segment.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from carebridge.hl7.escape import escape, unescape
from carebridge.hl7.exceptions import EncodingError, Location, ParseError

_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_SEGMENT_BREAK = re.compile(r"\r\n|\r|\n")
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_PATH = re.compile(
    r"^(?P<seg>[A-Z][A-Z0-9]{2})(?:\[(?P<segrep>\d+)\])?"
    r"(?:-(?P<field>\d+)(?:\[(?P<rep>\d+)\])?(?:\.(?P<comp>\d+)(?:\.(?P<sub>\d+))?)?)?$"
)

# MSH-18 values (HL7 table 0211) and the Python codecs that read them.
CHARSETS = {
    "ASCII": "ascii",
    "8859/1": "latin-1",
    "8859/2": "iso8859-2",
    "8859/5": "iso8859-5",
    "8859/7": "iso8859-7",
    "8859/9": "iso8859-9",
    "8859/15": "iso8859-15",
    "UNICODE": "utf-8",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
}


@dataclass
class Segment:
    fields: list[str]

    @property
    def id(self) -> str:
        return self.fields[0]

    def raw(self, number: int) -> str:
        """SEG-n exactly as written (escapes intact); empty if absent."""
        return self.fields[number] if number < len(self.fields) else ""


@dataclass
class Message:
    segments: list[Segment]
    # field, component, repetition, escape[, subcomponent[, truncation]]
    delimiters: str = "|^~\\&"
    charset: str = "utf-8"
    _index: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)
    # Field text -> its repetitions, each with its components, as split for ``_split_by``
    # (the delimiters): keyed by the text itself, so a field assigned anew (as replies do
    # to a parsed ACK's MSH) is split anew.
    _splits: dict[str, list[tuple[str, list[str]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _split_by: str = field(default="", init=False, repr=False, compare=False)

    # -- structure ------------------------------------------------------------

    @property
    def msh(self) -> Segment:
        return self.segments[0]

    def occurrences(self, segment_id: str) -> list[Segment]:
        if not self._index:
            for i, seg in enumerate(self.segments):
                self._index.setdefault(seg.id, []).append(i)
        return [self.segments[i] for i in self._index.get(segment_id, ())]

    def segment(self, segment_id: str, occurrence: int = 1) -> Segment | None:
        if not self._index:
            self.occurrences(segment_id)
        found = self._index.get(segment_id, ())
        return self.segments[found[occurrence - 1]] if len(found) >= occurrence else None

    # -- values ---------------------------------------------------------------

    def raw(self, path: str) -> str:
        """The raw (still escaped) text at ``path``: ``PID-3``, ``PID-3[2].1``, ``PID-5.1.1``."""
        seg_id, occurrence, number, rep, comp, sub = _parse_path(path)
        seg = self.segment(seg_id, occurrence)
        if seg is None or number is None:
            return ""
        fields = seg.fields
        text = fields[number] if number < len(fields) else ""
        if not text or (number <= 2 and seg_id == "MSH"):
            return text
        d = self.delimiters
        if self._split_by != d:
            self._splits.clear()
            self._split_by = d
        reps = self._splits.get(text)
        if reps is None:  # each field is split once (see _splits)
            reps = self._splits[text] = [(r, r.split(d[1])) for r in text.split(d[2])]
        if rep > len(reps):
            return ""
        if comp is None:
            return reps[rep - 1][0]
        comps = reps[rep - 1][1]
        text = comps[comp - 1] if comp <= len(comps) else ""
        if sub is None:
            return text
        if len(d) < 5:  # MSH-2 of three characters: no subcomponent separator
            return text if sub == 1 else ""
        subs = text.split(d[4])
        return subs[sub - 1] if sub <= len(subs) else ""

    def get(self, path: str) -> str:
        """The decoded text at ``path`` (escapes resolved; ``""`` stays the two quotes)."""
        raw = self.raw(path)
        if self.delimiters[3] not in raw or path in ("MSH-1", "MSH-2"):
            return raw  # nothing to resolve: most values
        return unescape(raw, self.delimiters)

    @property
    def control_id(self) -> str:
        return self.get("MSH-10")

    @property
    def message_type(self) -> str:
        return self.get("MSH-9.1")

    @property
    def event(self) -> str:
        return self.get("MSH-9.2")

    @property
    def structure(self) -> str:
        return self.get("MSH-9.3")

    @property
    def version(self) -> str:
        """MSH-12.1 without the spaces some senders pad it with (``"2.5 "``)."""
        return self.get("MSH-12.1").strip()

    # -- writing --------------------------------------------------------------

    def to_er7(self, terminator: str = "\r") -> str:
        fs = self.delimiters[0]
        return "".join(write_segment(seg, fs) + terminator for seg in self.segments)

    def encode(self, terminator: str = "\r") -> bytes:
        try:
            return self.to_er7(terminator).encode(self.charset)
        except UnicodeEncodeError as exc:
            raise EncodingError(f"text cannot be written in {self.charset}: {exc.reason}") from None

    def escape(self, text: str) -> str:
        return escape(text, self.delimiters)


_Path = tuple[str, int, int | None, int, int | None, int | None]


@functools.lru_cache(maxsize=4096)
def _parse_path(path: str) -> _Path:
    """(segment, occurrence, field, repetition, component, subcomponent) of ``path``;
    the same few paths are read for every message, so each is parsed once."""
    match = _PATH.match(path)
    if not match:
        raise ValueError(f"not an HL7 path: {path!r}")
    number, comp, sub = match["field"], match["comp"], match["sub"]
    return (match["seg"], int(match["segrep"] or 1), None if number is None else int(number),
            int(match["rep"] or 1), None if comp is None else int(comp),
            None if sub is None else int(sub))


def write_segment(seg: Segment, fs: str) -> str:
    f = seg.fields
    if f[0] == "MSH":
        return "MSH" + f[1] + f[2] + (fs + fs.join(f[3:]) if len(f) > 3 else "")
    return fs.join(f)


def parse(text: str | bytes, default_charset: str = "utf-8",
          fallback_charset: str | None = None) -> Message:
    """One message from ER7 text or bytes; ``\\r``, ``\\n`` and ``\\r\\n`` all end segments.

    Bytes are read in MSH-18's character set, else ``default_charset``; when MSH-18
    names none and the bytes are not in the default, ``fallback_charset`` (if given)
    reads them. Whitespace before a segment id is dropped, as HAPI and python-hl7 do.
    """
    charset = default_charset
    if isinstance(text, bytes):
        text, charset = _decode(text, default_charset, fallback_charset)
    head = text.lstrip(_LEADING)  # from MSH on; _lines() numbers the lines of ``text``
    if not head.startswith("MSH"):
        raise ParseError("a message must start with an MSH segment", Location("MSH", 1))
    if len(head) < 7:
        raise ParseError("MSH is too short to hold its delimiters", Location("MSH", 1, 2))
    fs = head[3]
    end = head.find(fs, 4)
    line_end = _first_break(head)
    if end == -1 or end > line_end:
        end = line_end
    encoding = head[4:end]
    delimiters = fs + encoding
    _check_delimiters(delimiters)
    segments = []
    counts: dict[str, int] = {}
    clean = _FORBIDDEN.search(text) is None  # else each line is searched, to locate it
    for number, indent, line in _lines(text):
        seg_id = line[:3]
        sequence = counts[seg_id] = counts.get(seg_id, 0) + 1
        if not _SEGMENT_ID.match(seg_id) or (len(line) > 3 and line[3] != fs):
            raise ParseError(f"{line[:3]!r} is not a segment id",
                             Location(seg_id, sequence, line=number, position=indent + 1))
        bad = None if clean else _FORBIDDEN.search(line)
        if bad:
            raise ParseError(f"control character 0x{ord(bad.group()):02x} in data",
                             Location(seg_id, sequence, _field_at(line, fs, bad.start()),
                                      indent + bad.start() + 1, number))
        if seg_id == "MSH":
            after_msh2 = Location("MSH", sequence, 2, indent + len(encoding) + 5, number)
            fields = _msh_fields(line, fs, encoding, after_msh2)
        else:
            fields = line.split(fs)
        segments.append(Segment(fields))
    if counts.get("MSH", 0) > 1:
        raise ParseError("more than one MSH: split batches and files into messages first",
                         Location("MSH", 2))
    return Message(segments, delimiters, charset)


_LEADING = " \t\r\n"


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(line number, indent, line without its indent) of each non-blank line."""
    for number, raw in enumerate(_SEGMENT_BREAK.split(text), 1):
        line = raw.lstrip(" \t")
        if line:
            yield number, len(raw) - len(line), line


def _msh_fields(line: str, fs: str, encoding: str, after_msh2: Location) -> list[str]:
    rest = line[4 + len(encoding):]
    fields = ["MSH", fs, encoding]
    if rest:
        if rest[0] != fs:
            raise ParseError("MSH-2 is followed by data, not a field separator", after_msh2)
        fields.extend(rest[1:].split(fs))
    return fields


def _field_at(line: str, fs: str, index: int) -> int:
    """The field number ``line[index]`` is in (MSH counts MSH-1, the separator itself)."""
    return line.count(fs, 0, index) + (1 if line.startswith("MSH") else 0)


def _first_break(text: str) -> int:
    positions = [p for p in (text.find("\r"), text.find("\n")) if p != -1]
    return min(positions) if positions else len(text)


def _check_delimiters(delimiters: str) -> None:
    if len(delimiters) not in (4, 5, 6):
        raise ParseError("MSH-2 must hold 4 encoding characters (3 without a subcomponent "
                         "separator, 5 with truncation)", Location("MSH", 1, 2))
    if len(set(delimiters)) != len(delimiters) or any(c.isalnum() or c in "\r\n "
                                                       for c in delimiters):
        raise ParseError(f"delimiters {delimiters!r} must be distinct non-alphanumeric characters",
                         Location("MSH", 1, 2))


# -- character sets -------------------------------------------------------------------


def _decode(data: bytes, default: str, fallback: str | None) -> tuple[str, str]:
    """The text and the codec that read it (see :func:`parse`)."""
    declared = declared_charset(data)
    tried = [declared or default]
    if declared is None and fallback and fallback not in tried:
        tried.append(fallback)
    for charset in tried:
        try:
            return data.decode(charset), charset
        except UnicodeDecodeError as exc:
            error = exc
    raise _undecodable(data, error.start, tried, declared is None)


def _undecodable(data: bytes, start: int, tried: list[str], undeclared: bool
                 ) -> EncodingError:
    """The error naming the segment, field, line and character of the first bad byte."""
    before = _BYTE_BREAK.split(data[:start])
    raw = before[-1]  # its line, up to the byte
    line = raw.lstrip(b" \t").decode(tried[-1], "replace")
    column = len(raw.decode(tried[-1], "replace")) + 1
    location = Location(position=column, line=len(before))
    if len(line) > 3 and _SEGMENT_ID.match(line[:3]):
        sequence = 1 + sum(1 for previous in before[:-1]
                           if previous.lstrip(b" \t")[:3] == line[:3].encode())
        location = Location(line[:3], sequence, _field_at(line, line[3], len(line)),
                            column, len(before))
    names = " nor ".join(codecs.lookup(c).name.upper() for c in tried)
    why = "MSH-18 names no character set" if undeclared else "the character set MSH-18 names"
    return EncodingError(f"byte 0x{data[start]:02X} is not {names}; {why}", location,
                         undeclared=undeclared)


_BYTE_BREAK = re.compile(rb"\r\n|\r|\n")


def charset_of(data: bytes, default: str = "utf-8") -> str:
    """The Python codec for MSH-18 of ``data`` (MSH is ASCII), else ``default``."""
    return declared_charset(data) or default


def declared_charset(data: bytes) -> str | None:
    """The Python codec MSH-18 of ``data`` names; None when it names none."""
    data = data.lstrip(b" \t\r\n")
    if not data.startswith(b"MSH") or len(data) < 4:
        return None
    fs = data[3:4]
    first = data.split(b"\r", 1)[0].split(b"\n", 1)[0]
    fields = first.split(fs)
    # fields[0] is "MSH", fields[1] the encoding characters: MSH-n is fields[n - 1].
    if len(fields) < 18:
        return None
    rep = data[5:6]
    value = fields[17].split(rep, 1)[0].decode("ascii", "replace").strip().upper()
    if not value:
        return None
    codec = CHARSETS.get(value)
    if codec is None:
        raise EncodingError(f"MSH-18 character set {value!r} is not supported",
                            Location("MSH", 1, 18))
    return codec
