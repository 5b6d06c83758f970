"""Java Object Serialization Streams to plain Python values, executing nothing.

javaobj-py3 parses the stream grammar; this module is the one place its objects
and errors are translated: instances become ``JavaObject`` (class name + fields,
superclass fields first), boxed numbers, strings, dates, enums, lists and maps
become the Python values they hold, and every decoder failure becomes a
``JavaStreamError`` that names the entry and the object's position.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from javaobj.v2.beans import (
    BlockData,
    JavaArray,
    JavaClass,
    JavaEnum,
    JavaInstance,
    JavaString,
)
from javaobj.v2.core import JavaStreamParser
from javaobj.v2.transformers import DefaultObjectTransformer, JavaPrimitiveClass

from carebridge.integrator.exceptions import JavaStreamError, TruncatedStream

_TC_RESET = 0x79
_TC_EXCEPTION = 0x7B
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class JavaObject:
    """A deserialized Java instance of a class carebridge does not special-case."""

    class_name: str
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def simple_name(self) -> str:
        return self.class_name.rsplit(".", 1)[-1].rsplit("$", 1)[-1]

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)


class _StreamingParser(JavaStreamParser):
    """javaobj's parser, yielding top-level objects one at a time instead of a list."""

    def iter_contents(self) -> Iterator[Any]:
        reader = self._JavaStreamParser__reader  # type: ignore[attr-defined]
        magic = reader.read_ushort()
        if magic != 0xACED:
            raise ValueError(f"not a Java serialization stream (magic 0x{magic:04x})")
        version = reader.read_ushort()
        if version != 5:
            raise ValueError(f"unsupported serialization stream version {version}")
        self._reset()
        while True:
            try:
                type_code = reader.read_byte()
            except EOFError:
                return
            if type_code == _TC_RESET:
                self._reset()
                continue
            if type_code == _TC_EXCEPTION:
                raise ValueError("the stream holds an exception written by the writer")
            yield self._read_content(type_code, True)


class _EofWatch:
    """Remembers whether a read came up short, so a garbled tail reads as truncation."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.short_read = False

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if size > 0 and len(data) < size:
            self.short_read = True
        return data

    def tell(self) -> int:
        return self._stream.tell()


def iter_objects(stream: IO[bytes], entry: str) -> Iterator[Any]:
    """Top-level objects of one serialization stream, converted to Python values."""
    watched = _EofWatch(stream)
    parser = _StreamingParser(watched, [DefaultObjectTransformer()])
    index = 0
    contents = parser.iter_contents()
    while True:
        watched.short_read = False
        try:
            raw = next(contents)
        except StopIteration:
            return
        except (EOFError, struct.error) as exc:
            raise TruncatedStream(
                "the Java stream ends in the middle of an object", entry, index
            ) from exc
        except Exception as exc:  # javaobj raises bare ValueError/KeyError/... on bad input
            if watched.short_read:
                raise TruncatedStream(
                    "the Java stream ends in the middle of an object", entry, index
                ) from exc
            raise JavaStreamError(f"unreadable Java stream: {exc}", entry, index) from exc
        if watched.short_read:
            # javaobj reads strings without checking their length: a cut string
            # would otherwise come back shortened instead of as an error.
            raise TruncatedStream("the Java stream ends in the middle of an object", entry, index)
        try:
            value = to_python(raw)
        except RecursionError as exc:
            raise JavaStreamError("object graph nested too deeply", entry, index) from exc
        index += 1
        yield value


def to_python(value: Any, _memo: dict[int, Any] | None = None) -> Any:
    memo: dict[int, Any] = {} if _memo is None else _memo
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    if isinstance(value, JavaString):
        return value.value
    if isinstance(value, JavaPrimitiveClass):
        return value.value
    if isinstance(value, JavaEnum):
        return value.value.value if isinstance(value.value, JavaString) else str(value.value)
    if isinstance(value, JavaClass):
        return value.classdesc.name if value.classdesc else None
    key = id(value)
    if key in memo:
        return memo[key]
    if isinstance(value, JavaArray):
        if value.classdesc is not None and value.classdesc.name == "[B":
            return bytes(b & 0xFF for b in value)
        result: Any = []
        memo[key] = result
        result.extend(to_python(item, memo) for item in value)
        return result
    if isinstance(value, list):  # ArrayList, LinkedList
        result = []
        memo[key] = result
        result.extend(to_python(item, memo) for item in value)
        return result
    if isinstance(value, set):
        return [to_python(item, memo) for item in value]
    if isinstance(value, dict):  # HashMap, TreeMap, LinkedHashMap
        result = {}
        memo[key] = result
        for k, v in value.items():
            result[str(to_python(k, memo))] = to_python(v, memo)
        return result
    if isinstance(value, JavaInstance):
        return _instance(value, memo)
    if isinstance(value, BlockData):
        return bytes(value.data)
    return repr(value)


def _instance(instance: JavaInstance, memo: dict[int, Any]) -> Any:
    name = instance.classdesc.name
    special = _SPECIAL.get(name)
    if special is not None:
        return special(instance)
    obj = JavaObject(name)
    memo[id(instance)] = obj
    # Superclass fields first, as Java writes them.
    for classdesc in reversed(_hierarchy(instance)):
        for java_field, raw in instance.field_data.get(classdesc, {}).items():
            obj.fields[java_field.name] = to_python(raw, memo)
    return obj


def _hierarchy(instance: JavaInstance) -> list[Any]:
    chain = []
    classdesc = instance.classdesc
    while classdesc is not None:
        chain.append(classdesc)
        classdesc = classdesc.super_class
    return chain


def _fields(instance: JavaInstance) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for classdesc in reversed(_hierarchy(instance)):
        for java_field, raw in instance.field_data.get(classdesc, {}).items():
            merged[java_field.name] = raw
    return merged


def _block_bytes(instance: JavaInstance) -> bytes:
    out = bytearray()
    for block in instance.annotations.values():
        for item in block:
            if isinstance(item, BlockData):
                out += item.data
            elif isinstance(item, bytes | bytearray):
                out += item
    return bytes(out)


def _millis(ms: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=ms)


def _date(instance: JavaInstance) -> dt.datetime:
    data = _block_bytes(instance)
    if len(data) < 8:
        raise ValueError("java.util.Date without its time value")
    return _millis(struct.unpack(">q", data[:8])[0])


def _timestamp(instance: JavaInstance) -> dt.datetime:
    # java.sql.Timestamp keeps whole seconds in the Date part and the fraction in nanos.
    seconds = _date(instance).replace(microsecond=0)
    nanos = int(to_python(_fields(instance).get("nanos")) or 0)
    return seconds + dt.timedelta(microseconds=nanos // 1000)


def _calendar(instance: JavaInstance) -> dt.datetime:
    return _millis(int(to_python(_fields(instance)["time"])))


def _xml_calendar(instance: JavaInstance) -> str:
    return str(to_python(_fields(instance).get("lexicalValue")))


def _big_decimal(instance: JavaInstance) -> str:
    fields = _fields(instance)
    int_val = to_python(fields.get("intVal"))
    scale = int(to_python(fields.get("scale")) or 0)
    if isinstance(int_val, JavaObject):  # BigInteger: signum + magnitude bytes
        signum = int(int_val.get("signum") or 0)
        magnitude = int.from_bytes(int_val.get("magnitude") or b"", "big")
        unscaled = signum * magnitude
    else:
        unscaled = int(int_val or 0)
    text = str(abs(unscaled)).rjust(scale + 1, "0")
    sign = "-" if unscaled < 0 else ""
    return f"{sign}{text[:-scale]}.{text[-scale:]}" if scale > 0 else f"{sign}{text}"


_SPECIAL = {
    "java.util.Date": _date,
    "java.sql.Date": _date,
    "java.sql.Timestamp": _timestamp,
    "java.sql.Time": _date,
    "java.util.GregorianCalendar": _calendar,
    "javax.xml.datatype.SerializedXMLGregorianCalendar": _xml_calendar,
    "com.sun.org.apache.xerces.internal.jaxp.datatype.SerializedXMLGregorianCalendar": (
        _xml_calendar
    ),
    "java.math.BigDecimal": _big_decimal,
}
