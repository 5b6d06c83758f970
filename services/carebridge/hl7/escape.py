"""HL7 escape sequences: delimiters (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\P\\), hex and formatting.

Delimiter escapes stand for the delimiter characters themselves. The others
(``\\H\\``, ``\\N\\``, ``\\.br\\``, ``\\Xhh..\\`` and any other) are formatting
instructions or encodings; v2.xml keeps them as ``<escape V="..."/>``, so they are
split out rather than interpreted when converting.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Escape:
    """A non-delimiter escape sequence, by its content (``H``, ``.br``, ``X0D0A``)."""

    value: str


# Escape names of the delimiters, in the order Message.delimiters holds them: field,
# component, repetition, escape, subcomponent, truncation. A message whose MSH-2 has
# three characters has no subcomponent separator (and no truncation character).
_NAMES = "FSRETP"
# Line breaks written as hex escapes: ``\.br\`` is a formatting command of FT fields
# only (in ST/TX it is not a line break), while ``\Xhh\`` stands for the characters
# themselves in any text field, and unescape() turns it back into exactly those
# characters (a CR LF pair stays a pair, a lone LF stays a lone LF).
_BREAKS = {"\r\n": "X0D0A", "\r": "X0D", "\n": "X0A"}


def _delimiter_map(delims: str) -> dict[str, str]:
    """Escape name -> delimiter, for the delimiters ``delims`` has (4 to 6 of them)."""
    return dict(zip(_NAMES, delims, strict=False))


def split_escapes(raw: str, delims: str) -> list[str | Escape]:
    """Text runs (delimiter escapes decoded) and Escape parts, in order."""
    esc = delims[3]
    if esc not in raw:
        return [raw] if raw else []
    mapping = _delimiter_map(delims)
    parts: list[str | Escape] = []
    text: list[str] = []
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c == esc:
            end = raw.find(esc, i + 1)
            if end > i + 1:
                body = raw[i + 1:end]
                if body in mapping:
                    text.append(mapping[body])
                else:
                    if text:
                        parts.append("".join(text))
                        text = []
                    parts.append(Escape(body))
                i = end + 1
                continue
            # A lone escape character is taken literally (lenient parse).
        text.append(c)
        i += 1
    if text:
        parts.append("".join(text))
    return parts


def unescape(raw: str, delims: str) -> str:
    """Plain text: delimiters restored, hex decoded, ``.br`` as a line break, H/N dropped."""
    if delims[3] not in raw:
        return raw
    out = []
    for part in split_escapes(raw, delims):
        if isinstance(part, str):
            out.append(part)
        elif part.value.startswith("X") and _is_hex(part.value[1:]):
            out.append(bytes.fromhex(part.value[1:]).decode("latin-1"))
        elif part.value == ".br":
            out.append("\n")
        elif part.value in ("H", "N"):
            continue
        else:
            out.append(delims[3] + part.value + delims[3])
    return "".join(out)


def escape(text: str, delims: str) -> str:
    """Text as it must appear in a field: the escape character, delimiters and line breaks
    (CR, LF, CR LF: they would end the segment) as escape sequences."""
    esc = delims[3]
    if not any(c in text for c in delims) and "\r" not in text and "\n" not in text:
        return text
    names = {c: name for name, c in zip(_NAMES, delims, strict=False)}
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in names:
            out.append(esc + names[c] + esc)
        elif c in "\r\n":
            pair = text[i:i + 2] == "\r\n"
            out.append(esc + _BREAKS["\r\n" if pair else c] + esc)
            i += pair
        else:
            out.append(c)
        i += 1
    return "".join(out)


def join_escapes(parts: list[str | Escape], delims: str) -> str:
    """The raw field text for ``split_escapes`` output (its inverse)."""
    esc = delims[3]
    return "".join(
        escape(p, delims) if isinstance(p, str) else esc + p.value + esc for p in parts
    )


def _is_hex(text: str) -> bool:
    return bool(text) and len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text)
