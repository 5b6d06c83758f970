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


def _delimiter_map(delims: str) -> dict[str, str]:
    """``delims`` is field, component, repetition, escape, subcomponent[, truncation]."""
    mapping = {"F": delims[0], "S": delims[1], "R": delims[2], "E": delims[3], "T": delims[4]}
    if len(delims) > 5:
        mapping["P"] = delims[5]
    return mapping


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
    """Text as it must appear in a field: the escape character first, then delimiters."""
    esc = delims[3]
    special = delims[:5] + delims[5:6]
    if not any(c in text for c in special):
        return text
    names = {delims[0]: "F", delims[1]: "S", delims[2]: "R", delims[4]: "T"}
    if len(delims) > 5:
        names[delims[5]] = "P"
    out = []
    for c in text:
        if c == esc:
            out.append(esc + "E" + esc)
        elif c in names:
            out.append(esc + names[c] + esc)
        else:
            out.append(c)
    return "".join(out)


def join_escapes(parts: list[str | Escape], delims: str) -> str:
    """The raw field text for ``split_escapes`` output (its inverse)."""
    esc = delims[3]
    return "".join(
        escape(p, delims) if isinstance(p, str) else esc + p.value + esc for p in parts
    )


def _is_hex(text: str) -> bool:
    return bool(text) and len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text)
