"""ER7, the pipe-delimited encoding: parse to a ``Message``, write it back unchanged.

A message keeps each segment as its list of raw field strings (escapes intact),
so writing it back is a join and gives the same bytes; splitting into
repetitions, components and subcomponents, and unescaping, happen on access.
For MSH the list holds MSH-1 (the field separator) and MSH-2 (the encoding
characters) at indexes 1 and 2, so ``fields[n]`` is SEG-n for every segment.
"""

from __future__ import annotations

import re
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
    # field, component, repetition, escape, subcomponent[, truncation]
    delimiters: str = "|^~\\&"
    charset: str = "utf-8"
    _index: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)

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
        found = self.occurrences(segment_id)
        return found[occurrence - 1] if len(found) >= occurrence else None

    # -- values ---------------------------------------------------------------

    def raw(self, path: str) -> str:
        """The raw (still escaped) text at ``path``: ``PID-3``, ``PID-3[2].1``, ``PID-5.1.1``."""
        match = _PATH.match(path)
        if not match:
            raise ValueError(f"not an HL7 path: {path!r}")
        seg = self.segment(match["seg"], int(match["segrep"] or 1))
        if seg is None or match["field"] is None:
            return ""
        number = int(match["field"])
        text = seg.raw(number)
        if seg.id == "MSH" and number <= 2:
            return text
        d = self.delimiters
        reps = text.split(d[2])
        rep = int(match["rep"] or 1)
        text = reps[rep - 1] if rep <= len(reps) else ""
        if match["comp"] is None:
            return text
        comps = text.split(d[1])
        comp = int(match["comp"])
        text = comps[comp - 1] if comp <= len(comps) else ""
        if match["sub"] is None:
            return text
        subs = text.split(d[4])
        sub = int(match["sub"])
        return subs[sub - 1] if sub <= len(subs) else ""

    def get(self, path: str) -> str:
        """The decoded text at ``path`` (escapes resolved; ``""`` stays the two quotes)."""
        raw = self.raw(path)
        return raw if path in ("MSH-1", "MSH-2") else unescape(raw, self.delimiters)

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
        return self.get("MSH-12.1")

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


def write_segment(seg: Segment, fs: str) -> str:
    f = seg.fields
    if f[0] == "MSH":
        return "MSH" + f[1] + f[2] + (fs + fs.join(f[3:]) if len(f) > 3 else "")
    return fs.join(f)


def parse(text: str | bytes, default_charset: str = "utf-8") -> Message:
    """One message from ER7 text or bytes; ``\\r``, ``\\n`` and ``\\r\\n`` all end segments."""
    charset = default_charset
    if isinstance(text, bytes):
        charset = charset_of(text, default_charset)
        try:
            text = text.decode(charset)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                f"bytes {exc.start}-{exc.end} are not valid {charset} (MSH-18 or the default)",
                Location(position=exc.start),
            ) from None
    if not text.startswith("MSH"):
        raise ParseError("a message must start with an MSH segment", Location("MSH", 1))
    if len(text) < 8:
        raise ParseError("MSH is too short to hold its delimiters", Location("MSH", 1, 2))
    fs = text[3]
    end = text.find(fs, 4)
    line_end = _first_break(text)
    if end == -1 or end > line_end:
        end = line_end
    encoding = text[4:end]
    delimiters = fs + encoding
    _check_delimiters(delimiters)
    segments = []
    offset = 0
    counts: dict[str, int] = {}
    for line in _SEGMENT_BREAK.split(text):
        if not line:
            offset += 1
            continue
        seg_id = line[:3]
        counts[seg_id] = counts.get(seg_id, 0) + 1
        if not _SEGMENT_ID.match(seg_id) or (len(line) > 3 and line[3] != fs):
            raise ParseError(f"{line[:3]!r} is not a segment id",
                             Location(seg_id, counts[seg_id], position=offset))
        bad = _FORBIDDEN.search(line)
        if bad:
            field_no = line.count(fs, 0, bad.start())
            raise ParseError(f"control character 0x{ord(bad.group()):02x} in data",
                             Location(seg_id, counts[seg_id], field_no, offset + bad.start()))
        if seg_id == "MSH":
            rest = line[4 + len(encoding):]
            fields = ["MSH", fs, encoding]
            if rest:
                if rest[0] != fs:
                    raise ParseError("MSH-2 is followed by data, not a field separator",
                                     Location("MSH", counts["MSH"], 2, offset + 4))
                fields.extend(rest[1:].split(fs))
        else:
            fields = line.split(fs)
        segments.append(Segment(fields))
        offset += len(line) + 1
    if counts.get("MSH", 0) > 1:
        raise ParseError("more than one MSH: split batches and files into messages first",
                         Location("MSH", 2))
    return Message(segments, delimiters, charset)


def _first_break(text: str) -> int:
    positions = [p for p in (text.find("\r"), text.find("\n")) if p != -1]
    return min(positions) if positions else len(text)


def _check_delimiters(delimiters: str) -> None:
    if len(delimiters) not in (5, 6):
        raise ParseError("MSH-2 must hold 4 encoding characters (5 with truncation)",
                         Location("MSH", 1, 2))
    if len(set(delimiters)) != len(delimiters) or any(c.isalnum() or c in "\r\n "
                                                       for c in delimiters):
        raise ParseError(f"delimiters {delimiters!r} must be distinct non-alphanumeric characters",
                         Location("MSH", 1, 2))


def charset_of(data: bytes, default: str = "utf-8") -> str:
    """The Python codec for MSH-18 of ``data`` (MSH is ASCII), else ``default``."""
    if not data.startswith(b"MSH") or len(data) < 4:
        return default
    fs = data[3:4]
    first = data.split(b"\r", 1)[0].split(b"\n", 1)[0]
    fields = first.split(fs)
    # fields[0] is "MSH", fields[1] the encoding characters: MSH-n is fields[n - 1].
    if len(fields) < 18:
        return default
    rep = data[5:6]
    value = fields[17].split(rep, 1)[0].decode("ascii", "replace").strip().upper()
    if not value:
        return default
    codec = CHARSETS.get(value)
    if codec is None:
        raise EncodingError(f"MSH-18 character set {value!r} is not supported",
                            Location("MSH", 1, 18))
    return codec

