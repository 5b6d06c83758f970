"""Java Object Serialization Streams to plain Python values, executing nothing.

javaobj-py3 parses the stream grammar (``javaparse`` bounds what it may allocate); this
module is the one place its objects and errors are translated: instances become
``JavaObject`` (class name + fields, superclass fields first), boxed numbers, strings,
dates, enums, lists and maps become the Python values they hold, every decoder failure
becomes a ``JavaStreamError`` that names the entry and the object's position, and a size
limit becomes a ``LimitExceeded`` that names the setting.
"""

from __future__ import annotations

import datetime as dt
import struct
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from javaobj.v2.beans import (
    BlockData,
    JavaArray,
    JavaClass,
    JavaClassDesc,
    JavaEnum,
    JavaInstance,
    JavaString,
)
from javaobj.v2.transformers import JavaPrimitiveClass

from carebridge.oscar.exceptions import JavaStreamError, LimitExceeded, TruncatedStream
from carebridge.oscar.javaparse import (
    MAX_HIERARCHY,
    BoundedParser,
    DecodeLimits,
    Kept,
    Limit,
    PrimitiveArray,
    json_length,
)

__all__ = ["DecodeLimits", "JavaObject", "iter_objects", "iter_sized", "to_python"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SEQUENCES = (JavaArray, list)


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


def iter_objects(stream: IO[bytes], entry: str,
                 limits: DecodeLimits | None = None) -> Iterator[Any]:
    """Top-level objects of one serialization stream, converted to Python values."""
    for value, _size in iter_sized(stream, entry, limits):
        yield value
        del value  # not alive while the next object is read


def iter_sized(stream: IO[bytes], entry: str,
               limits: DecodeLimits | None = None) -> Iterator[tuple[Any, int]]:
    """Each top-level object with its estimated size as JSON, within ``limits``."""
    limits = limits or DecodeLimits()
    watched = _EofWatch(stream)
    parser = BoundedParser(watched, limits)
    index = 0
    contents = parser.iter_contents()
    while True:
        watched.short_read = False
        try:
            raw = next(contents)
        except StopIteration:
            return
        except Limit as exc:
            raise LimitExceeded(exc.message, exc.setting, exc.limit, entry, index) from None
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
            # A cut string would otherwise come back shortened instead of as an error.
            raise TruncatedStream("the Java stream ends in the middle of an object", entry, index)
        converter = _Converter(limits.max_object_bytes)
        try:
            value = converter.value(raw)
            del raw
            parser.settle(converter.result_of)
        except Limit as exc:
            raise LimitExceeded(exc.message, exc.setting, exc.limit, entry, index) from None
        except RecursionError as exc:
            raise JavaStreamError("object graph nested too deeply", entry, index) from exc
        except (ValueError, KeyError, TypeError, struct.error) as exc:  # a Date without time...
            raise JavaStreamError(f"unreadable Java object: {exc}", entry, index) from exc
        index += 1
        yield value, converter.total
        del value


def to_python(value: Any) -> Any:
    """One parsed javaobj value as plain Python (no size limit)."""
    return _Converter(sys.maxsize).value(value)


class _Converter:
    """javaobj beans to Python values, adding up their size as JSON as it goes.

    A value reached twice (a back-reference) is converted once and shared, but counted at
    every reference: that is what its JSON, and the records built from it, will hold.
    """

    __slots__ = ("limit", "memo", "total")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self.memo: dict[int, tuple[Any, int | None]] = {}

    def result_of(self, raw: Any) -> tuple[Any, int]:
        """The converted value of ``raw`` and its size (converting it if nothing reached it)."""
        hit = self.memo.get(id(raw))
        if hit is not None and hit[1] is not None:
            return hit[0], hit[1]
        saved = self.total, self.limit
        self.total, self.limit = 0, sys.maxsize  # not part of the object's value
        try:
            return self.value(raw), self.total
        finally:
            self.total, self.limit = saved

    def _grow(self, size: int) -> None:
        self.total += size
        if self.total > self.limit:
            raise Limit(f"the object expands to more than max_object_bytes={self.limit} bytes "
                        "(large or repeated values)", "max_object_bytes", self.limit)

    def value(self, value: Any) -> Any:
        kind = type(value)
        if kind is JavaString:
            self._grow(json_length(value.value))
            return value.value
        if kind is Kept:
            self._grow(value.expanded)
            return value.value
        if value is None or kind is bool or kind is int or kind is float:
            self.total += 8
            return value
        if isinstance(value, str):
            self._grow(json_length(value))
            return value
        if isinstance(value, JavaPrimitiveClass):
            self.total += 8
            return value.value
        if isinstance(value, JavaEnum):
            text = value.value.value if isinstance(value.value, JavaString) else str(value.value)
            self._grow(json_length(text))
            return text
        if isinstance(value, JavaClass):
            name = value.classdesc.name if value.classdesc else None
            self.total += len(name or "") + 2
            return name
        if isinstance(value, bytes):
            self._grow(_base64_length(value))
            return value
        key = id(value)
        hit = self.memo.get(key)
        if hit is not None:
            self._grow(hit[1] if hit[1] is not None else 8)
            return hit[0]
        before = self.total
        result = self._convert(value)
        self.memo[key] = (result, self.total - before)
        self._grow(0)
        return result

    def _convert(self, value: Any) -> Any:
        key = id(value)
        if isinstance(value, PrimitiveArray):
            if isinstance(value.data, bytes):
                self.total += _base64_length(value.data)
                return value.data
            self.total += 8 * len(value.data) + 2
            return list(value.data)
        if isinstance(value, _SEQUENCES):  # arrays, ArrayList, LinkedList
            result: Any = []
            self.memo[key] = (result, None)
            self.total += 2
            for item in value:
                self.total += 1
                result.append(self.value(item))
            return result
        if isinstance(value, set):
            return [self.value(item) for item in value]
        if isinstance(value, dict):  # HashMap, TreeMap, LinkedHashMap
            result = {}
            self.memo[key] = (result, None)
            for k, v in value.items():
                name = str(self.value(k))
                result[name] = self.value(v)
            return result
        if isinstance(value, JavaInstance):
            return self._instance(value)
        if isinstance(value, BlockData):
            self.total += _base64_length(value.data)
            return bytes(value.data)
        return repr(value)

    def _instance(self, instance: JavaInstance) -> Any:
        name = instance.classdesc.name
        if name is None:  # only a proxy class has none, and javaobj refuses its instances
            raise ValueError("an instance of a class without a name")
        special = _SPECIAL.get(name)
        if special is not None:
            self.total += 32
            return special(instance)
        obj = JavaObject(name)
        self.memo[id(instance)] = (obj, None)
        self.total += len(name) + 16
        # Superclass fields first, as Java writes them.
        for classdesc in reversed(_hierarchy(instance)):
            for java_field, raw in instance.field_data.get(classdesc, {}).items():
                self.total += len(java_field.name) + 4
                obj.fields[java_field.name] = self.value(raw)
        return obj


def _base64_length(data: bytes | bytearray) -> int:
    """What bytes cost as JSON: base64 and its quotes, with room to spare."""
    return len(data) * 4 // 3 + 16


def _hierarchy(instance: JavaInstance) -> list[Any]:
    chain = []
    classdesc: JavaClassDesc | None = instance.classdesc
    while classdesc is not None:
        chain.append(classdesc)
        if len(chain) > MAX_HIERARCHY:
            raise ValueError("class hierarchy too deep (or a cycle)")
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
    return decimal_text(to_python(fields.get("intVal")),
                        int(to_python(fields.get("scale")) or 0))


def decimal_text(int_val: Any, scale: int) -> str:
    """A BigDecimal's value (its unscaled BigInteger or number, and scale) as text, exactly:
    no float in between."""
    if isinstance(int_val, JavaObject):  # BigInteger: signum + magnitude bytes
        signum = int(int_val.get("signum") or 0)
        magnitude = int.from_bytes(int_val.get("magnitude") or b"", "big")
        unscaled = signum * magnitude
    else:
        unscaled = int(int_val or 0)
    text = str(abs(unscaled)).rjust(scale + 1, "0")
    sign = "-" if unscaled < 0 else ""
    return f"{sign}{text[:-scale]}.{text[-scale:]}" if scale > 0 else f"{sign}{text}"


# The Java classes both decoders turn into a Python value of their own, by kind (each
# decoder has its converter for each kind).
SPECIAL_CLASSES: dict[str, str] = {
    "java.util.Date": "date",
    "java.sql.Date": "date",
    "java.sql.Timestamp": "timestamp",
    "java.sql.Time": "date",
    "java.util.GregorianCalendar": "calendar",
    "javax.xml.datatype.SerializedXMLGregorianCalendar": "xml_calendar",
    "com.sun.org.apache.xerces.internal.jaxp.datatype.SerializedXMLGregorianCalendar": (
        "xml_calendar"
    ),
    "java.math.BigDecimal": "big_decimal",
}
_CONVERTERS: dict[str, Callable[[JavaInstance], Any]] = {
    "date": _date, "timestamp": _timestamp, "calendar": _calendar,
    "xml_calendar": _xml_calendar, "big_decimal": _big_decimal,
}
_SPECIAL = {name: _CONVERTERS[kind] for name, kind in SPECIAL_CLASSES.items()}
