"""Java Object Serialization Stream writer (protocol version 2): Python values in, bytes out.

Pure codec: it writes to the binary stream it is given and does nothing else. It knows the
stream grammar and a handful of JDK classes; *which* application classes exist and what
their fields are is the caller's business (``carebridge.oscar.classes``).

What a ``ObjectStreamWriter`` writes for each Python value:

=======================================  =============================================
``Instance(desc, fields)``               TC_OBJECT of ``desc`` (defaultWriteObject only;
                                         TC_ENDBLOCKDATA after a class's fields when its
                                         flags carry SC_WRITE_METHOD)
``None``                                 TC_NULL
``str``                                  TC_STRING / TC_LONGSTRING, modified UTF-8; short
                                         strings are shared through TC_REFERENCE
``bool`` / ``int`` / ``float``           java.lang.Boolean / Integer (Long if it does not
                                         fit in 32 bits) / Double
``Boxed(code, value)``                   the boxed type of that primitive code (``"J"`` Long...)
``datetime`` (aware)                     java.util.Date (epoch millis, writeObject block data)
``bytes`` / ``bytearray``                byte[]
``list`` / ``tuple``                     java.util.ArrayList (size field + block + elements)
``JavaSet``, ``set`` / ``frozenset``     java.util.HashSet (capacity, load factor, size +
                                         elements); Python sets are sorted when they can be,
                                         so equal input gives equal bytes
``EnumConstant(class_name, name)``       TC_ENUM (class descriptor over java.lang.Enum)
=======================================  =============================================

Primitive fields are packed from their JVM type code; class descriptors list fields the
way the JDK does (primitives first, then by name). Top-level objects are written
"unshared" like ``ObjectOutputStream.writeUnshared``; nested strings, enum constants and
class descriptors are shared within the stream. The stream is written object by object
(buffered up to ``flush_bytes``), and the writer keeps only bounded tables, so memory does
not grow with the number of objects. If writing an object fails, the writer rolls back to
the end of the previous object, so the stream stays valid and the caller may go on.

Why not javaobj-py3's ``javaobj.v1.marshaller.JavaObjectMarshaller`` (0.6.1)? Tried
against a JVM's ObjectInputStream, it cannot write what OSCAR's classes need:

* a plain ``str`` field value is written as block data ("StreamCorruptedException:
  unexpected block data"); only its own ``JavaString`` becomes a TC_STRING;
* strings are standard UTF-8, not Java's modified UTF-8 (an emoji gives
  ``UTFDataFormatException``), and there is no TC_LONGSTRING (a 70,000-character note
  fails with ``struct.error``);
* an enum constant written a second time references the wrong handle ("invalid type
  code: 71");
* custom class data (Date's millis, ArrayList's size, HashSet's capacity) must be passed
  as latin-1 ``str`` annotations, and only one annotation block is written per object,
  not one per class of the hierarchy;
* every handle lookup is ``list.index`` with structural ``__eq__``: 5,000 small objects
  took 6.5 s (~770 objects/s, quadratic in the stream length).

Fixing that means overriding nearly every method, so this module is its own writer.

Errors are the caller's: ``TypeError`` for a value this writer cannot map, ``ValueError``
for one out of range (a naive datetime, an int beyond 64 bits), each with a note naming
the field and the top-level object.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import struct
from collections.abc import Callable, Iterable, Mapping
from typing import Any, BinaryIO

STREAM_MAGIC = 0xACED
STREAM_VERSION = 5
BASE_HANDLE = 0x7E0000

TC_NULL = 0x70
TC_REFERENCE = 0x71
TC_CLASSDESC = 0x72
TC_OBJECT = 0x73
TC_STRING = 0x74
TC_ARRAY = 0x75
TC_BLOCKDATA = 0x77
TC_ENDBLOCKDATA = 0x78
TC_LONGSTRING = 0x7C
TC_ENUM = 0x7E

SC_WRITE_METHOD = 0x01
SC_SERIALIZABLE = 0x02
SC_EXTERNALIZABLE = 0x04
SC_ENUM = 0x10

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MILLISECOND = dt.timedelta(milliseconds=1)
_HEADER = struct.pack(">HH", STREAM_MAGIC, STREAM_VERSION)
_REF = struct.Struct(">BI")
_SHORT_STR = struct.Struct(">BH")
_LONG_STR = struct.Struct(">BQ")
_U2 = struct.Struct(">H")
_DESC_HEAD = struct.Struct(">qBH")
_INT = struct.Struct(">i")
_DATE_DATA = struct.Struct(">BBqB")  # TC_BLOCKDATA, 8, millis, TC_ENDBLOCKDATA
_LIST_DATA = struct.Struct(">iBBi")  # size field, TC_BLOCKDATA, 4, size
_SET_DATA = struct.Struct(">BBifi")  # TC_BLOCKDATA, 12, capacity, load factor, size

# JVM primitive type code -> (struct code, default value)
_PRIMITIVES: dict[str, tuple[str, Any]] = {
    "B": ("b", 0),
    "C": ("H", 0),
    "D": ("d", 0.0),
    "F": ("f", 0.0),
    "I": ("i", 0),
    "J": ("q", 0),
    "S": ("h", 0),
    "Z": ("?", False),
}
_SUPPLEMENTARY = re.compile("[\U00010000-\U0010ffff]")
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1


class FieldDesc:
    """One serializable field: its name, JVM type descriptor and value when unset."""

    __slots__ = ("default", "descriptor", "name")

    def __init__(self, name: str, descriptor: str, default: Any = None) -> None:
        if descriptor in _PRIMITIVES:
            if default is None:
                default = _PRIMITIVES[descriptor][1]
        elif not (
            (descriptor.startswith("L") and descriptor.endswith(";") and len(descriptor) > 2)
            or (descriptor.startswith("[") and len(descriptor) > 1)
        ):
            raise ValueError(f"field {name!r}: {descriptor!r} is not a JVM type descriptor")
        self.name = name
        self.descriptor = descriptor
        self.default = default

    @property
    def primitive(self) -> bool:
        return self.descriptor in _PRIMITIVES

    def __repr__(self) -> str:
        return f"FieldDesc({self.name!r}, {self.descriptor!r})"


class ClassDesc:
    """A class descriptor: name, serialVersionUID, flags, fields and superclass.

    ``fields`` may be given in declaration order; ``stream_fields`` is the JDK's order
    (primitives first, then by name), the one written and read.
    """

    __slots__ = ("_plan", "fields", "flags", "name", "stream_fields", "suid", "superclass")

    def __init__(
        self,
        name: str,
        suid: int,
        flags: int = SC_SERIALIZABLE,
        fields: Iterable[FieldDesc] = (),
        superclass: ClassDesc | None = None,
    ) -> None:
        if flags & SC_EXTERNALIZABLE:
            raise ValueError(f"{name}: Externalizable classes are not supported")
        self.name = name
        self.suid = suid
        self.flags = flags
        self.fields = tuple(fields)
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}: duplicate field names")
        self.stream_fields = tuple(sorted(self.fields, key=lambda f: (not f.primitive, f.name)))
        self.superclass = superclass
        self._plan = tuple(_plan(c) for c in self.hierarchy())

    def hierarchy(self) -> tuple[ClassDesc, ...]:
        """This class and its serializable superclasses, topmost first (stream data order)."""
        chain: list[ClassDesc] = []
        desc: ClassDesc | None = self
        while desc is not None:
            chain.append(desc)
            desc = desc.superclass
        return tuple(reversed(chain))

    def all_fields(self) -> tuple[FieldDesc, ...]:
        return tuple(f for c in self.hierarchy() for f in c.fields)

    def signature(self) -> tuple[Any, ...]:
        fields = tuple((f.name, f.descriptor) for f in self.stream_fields)
        parent = self.superclass.signature() if self.superclass else None
        return (self.name, self.suid, self.flags, fields, parent)

    def __repr__(self) -> str:
        return f"ClassDesc({self.name!r}, {self.suid})"


def _plan(desc: ClassDesc) -> tuple[Any, ...]:
    """How to write one class's data: (struct, primitives, has char?, object fields, end?)."""
    prims = tuple(f for f in desc.stream_fields if f.primitive)
    objs = tuple((f.name, f.default) for f in desc.stream_fields if not f.primitive)
    packer = struct.Struct(">" + "".join(_PRIMITIVES[f.descriptor][0] for f in prims))
    has_char = any(f.descriptor == "C" for f in prims)
    return (
        packer if prims else None,
        tuple((f.name, f.default) for f in prims),
        has_char,
        objs,
        bool(desc.flags & SC_WRITE_METHOD),
    )


class Instance:
    """An object of a serializable class whose writeObject, if any, only calls
    defaultWriteObject (true of OpenJPA-enhanced entities). Unset fields take their
    FieldDesc default; keys that are no field of the class are not written."""

    __slots__ = ("desc", "fields")

    def __init__(self, desc: ClassDesc, fields: Mapping[str, Any] | None = None) -> None:
        if desc.flags & SC_ENUM:
            raise ValueError(f"{desc.name} is an enum: use EnumConstant")
        self.desc = desc
        self.fields: dict[str, Any] = dict(fields) if fields else {}

    def get(self, name: str, default: Any = None) -> Any:
        return self.fields.get(name, default)

    def __repr__(self) -> str:
        return f"Instance({self.desc.name}, {self.fields!r})"


class EnumConstant:
    """An enum constant, written as TC_ENUM by name."""

    __slots__ = ("class_name", "name")

    def __init__(self, class_name: str, name: str) -> None:
        self.class_name = class_name
        self.name = name

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, EnumConstant)
            and other.class_name == self.class_name
            and other.name == self.name
        )

    def __hash__(self) -> int:
        return hash((self.class_name, self.name))

    def __repr__(self) -> str:
        return f"EnumConstant({self.class_name!r}, {self.name!r})"


class Boxed:
    """A value to be written as the boxed type of a JVM primitive code (``"J"`` -> Long)."""

    __slots__ = ("code", "value")

    def __init__(self, code: str, value: Any) -> None:
        if code not in _PRIMITIVES:
            raise ValueError(f"{code!r} is not a JVM primitive type code")
        self.code = code
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Boxed) and (other.code, other.value) == (self.code, self.value)

    def __hash__(self) -> int:
        return hash((self.code, self.value))

    def __repr__(self) -> str:
        return f"Boxed({self.code!r}, {self.value!r})"


class JavaSet(tuple[Any, ...]):
    """Items to be written as a java.util.HashSet, in this order."""

    __slots__ = ()


def _jdk(name: str, suid: int, flags: int, fields: str = "",
         superclass: ClassDesc | None = None) -> ClassDesc:
    return ClassDesc(
        name, suid, flags, [FieldDesc(n, t) for n, t in (f.split(":") for f in fields.split())],
        superclass,
    )


NUMBER = _jdk("java.lang.Number", -8742448824652078965, SC_SERIALIZABLE)
ENUM = _jdk("java.lang.Enum", 0, SC_SERIALIZABLE | SC_ENUM)
DATE = _jdk("java.util.Date", 7523967970034938905, SC_SERIALIZABLE | SC_WRITE_METHOD)
ARRAY_LIST = _jdk(
    "java.util.ArrayList", 8683452581122892189, SC_SERIALIZABLE | SC_WRITE_METHOD, "size:I"
)
HASH_SET = _jdk("java.util.HashSet", -5024744406713321676, SC_SERIALIZABLE | SC_WRITE_METHOD)
BYTE_ARRAY = _jdk("[B", -5984413125824719648, SC_SERIALIZABLE)
_BOXES: dict[str, ClassDesc] = {
    "I": _jdk("java.lang.Integer", 1360826667806852920, SC_SERIALIZABLE, "value:I", NUMBER),
    "J": _jdk("java.lang.Long", 4290774380558885855, SC_SERIALIZABLE, "value:J", NUMBER),
    "F": _jdk("java.lang.Float", -2671257302660747028, SC_SERIALIZABLE, "value:F", NUMBER),
    "D": _jdk("java.lang.Double", -9172774392245257468, SC_SERIALIZABLE, "value:D", NUMBER),
    "S": _jdk("java.lang.Short", 7515723908773894738, SC_SERIALIZABLE, "value:S", NUMBER),
    "B": _jdk("java.lang.Byte", -7183698231559129828, SC_SERIALIZABLE, "value:B", NUMBER),
    "Z": _jdk("java.lang.Boolean", -3665804199014368530, SC_SERIALIZABLE, "value:Z"),
    "C": _jdk("java.lang.Character", 3786198910865385080, SC_SERIALIZABLE, "value:C"),
}
_BOX_STRUCTS = {code: struct.Struct(">" + _PRIMITIVES[code][0]) for code in _BOXES}


@functools.cache
def enum_desc(class_name: str) -> ClassDesc:
    """The class descriptor the JDK writes for an enum: SUID 0, SC_ENUM, no fields."""
    return ClassDesc(class_name, 0, SC_SERIALIZABLE | SC_ENUM, (), ENUM)


def _surrogates(match: re.Match[str]) -> str:
    code = ord(match.group()) - 0x10000
    return chr(0xD800 + (code >> 10)) + chr(0xDC00 + (code & 0x3FF))


def modified_utf8(text: str) -> bytes:
    """Java's modified UTF-8: NUL as C0 80, supplementary characters as surrogate pairs."""
    if text.isascii():
        data = text.encode("ascii")
    else:
        if _SUPPLEMENTARY.search(text):
            text = _SUPPLEMENTARY.sub(_surrogates, text)
        data = text.encode("utf-8", "surrogatepass")
    return data.replace(b"\x00", b"\xc0\x80") if b"\x00" in data else data


def _hash_capacity(size: int) -> int:
    capacity = 16  # what a HashSet grown by add() reports
    while size > capacity * 0.75:
        capacity *= 2
    return capacity


class ObjectStreamWriter:
    """Writes top-level objects, one at a time, into one serialization stream.

    ``share_strings_up_to``: strings of at most this many characters are written once and
    referenced afterwards (0 disables sharing); ``string_table_size`` bounds that table.
    Output is buffered and handed to ``stream.write`` whenever ``flush_bytes`` are pending
    after an object, and by ``flush()``/``close()``. ``suid_overrides`` maps class names to
    the serialVersionUID written for them instead of their descriptor's own: another build
    of the same class (same fields, same flags) whose JVM computes a different one, such as
    the two generations of OSCAR's ``ProgramDeleteIdWrapper`` (``classes.PUSH_FORMATS``).
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        header: bool = True,
        share_strings_up_to: int = 40,
        string_table_size: int = 8192,
        flush_bytes: int = 1 << 16,
        suid_overrides: Mapping[str, int] | None = None,
    ) -> None:
        self._stream = stream
        self._suids = dict(suid_overrides or {})
        for name, suid in self._suids.items():
            if not -(2**63) <= suid < 2**63:
                raise ValueError(f"{name}: serialVersionUID {suid} does not fit 64 bits")
        self._buf = bytearray(_HEADER if header else b"")
        self._handle = BASE_HANDLE
        self._classes: dict[str, tuple[int, ClassDesc]] = {}
        self._strings: dict[str, int] = {}
        self._enums: dict[EnumConstant, int] = {}
        self._share = share_strings_up_to
        self._table_size = string_table_size
        self._flush_bytes = flush_bytes
        self.count = 0
        self._dispatch: dict[type, Callable[[Any], None]] = {
            str: self._string,
            type(None): self._null,
            bool: self._boolean,
            int: self._int,
            float: self._double,
            dt.datetime: self._date,
            bytes: self._bytes,
            bytearray: self._bytes,
            list: self._array_list,
            tuple: self._array_list,
            JavaSet: self._hash_set,
            set: self._python_set,
            frozenset: self._python_set,
            Instance: self._instance,
            EnumConstant: self._enum,
            Boxed: self._boxed,
        }

    # -- public -----------------------------------------------------------------------

    def write(self, obj: Any) -> None:
        """Append one top-level object (unshared). On error nothing of it is kept."""
        mark, handle = len(self._buf), self._handle
        try:
            kind = type(obj)
            if kind is str:
                self._string(obj, share=False)
            elif kind is EnumConstant:
                self._enum(obj, share=False)
            else:
                self._value(obj)
        except BaseException as exc:
            self._rollback(mark, handle)
            if isinstance(exc, TypeError | ValueError):
                exc.add_note(f"while writing top-level object #{self.count}")
            raise
        self.count += 1
        if len(self._buf) >= self._flush_bytes:
            self.flush()

    def flush(self) -> None:
        if self._buf:
            self._stream.write(self._buf)
            self._buf = bytearray()

    def close(self) -> None:
        """Flush what is pending (the stream itself stays open: it is the caller's)."""
        self.flush()

    def __enter__(self) -> ObjectStreamWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.flush()

    # -- stream bookkeeping -------------------------------------------------------------

    def _assign(self) -> int:
        handle = self._handle
        self._handle = handle + 1
        return handle

    def _rollback(self, mark: int, handle: int) -> None:
        del self._buf[mark:]
        self._handle = handle
        for table in (self._strings, self._enums):
            while table and next(reversed(table.values())) >= handle:
                table.popitem()
        while self._classes and next(reversed(self._classes.values()))[0] >= handle:
            self._classes.popitem()

    def _utf(self, text: str) -> None:
        data = modified_utf8(text)
        if len(data) > 0xFFFF:
            raise ValueError(f"name too long for the stream: {text[:40]!r}...")
        self._buf += _U2.pack(len(data))
        self._buf += data

    # -- values -------------------------------------------------------------------------

    def _value(self, value: Any) -> None:
        writer = self._dispatch.get(type(value))
        if writer is None:
            writer = self._by_isinstance(value)
        writer(value)

    def _by_isinstance(self, value: Any) -> Callable[[Any], None]:
        for kind, writer in self._dispatch.items():
            if kind is not type(None) and isinstance(value, kind):
                if kind is int and not isinstance(value, bool) and type(value) is not int:
                    return lambda v: self._int(int(v))
                return writer
        raise TypeError(f"cannot write {type(value).__name__} to a Java stream: {value!r:.80}")

    def _null(self, _value: None) -> None:
        self._buf.append(TC_NULL)

    def _string(self, text: str, share: bool = True) -> None:
        shareable = share and len(text) <= self._share
        if shareable:
            handle = self._strings.get(text)
            if handle is not None:
                self._buf += _REF.pack(TC_REFERENCE, handle)
                return
        data = modified_utf8(text)
        if len(data) <= 0xFFFF:
            self._buf += _SHORT_STR.pack(TC_STRING, len(data))
        else:
            self._buf += _LONG_STR.pack(TC_LONGSTRING, len(data))
        self._buf += data
        handle = self._assign()
        if shareable:
            if len(self._strings) >= self._table_size:
                self._strings.clear()
            self._strings[text] = handle

    def _type_string(self, descriptor: str) -> None:
        handle = self._strings.get(descriptor)
        if handle is not None:
            self._buf += _REF.pack(TC_REFERENCE, handle)
            return
        data = modified_utf8(descriptor)
        self._buf += _SHORT_STR.pack(TC_STRING, len(data))
        self._buf += data
        self._strings[descriptor] = self._assign()

    def _classdesc(self, desc: ClassDesc) -> None:
        known = self._classes.get(desc.name)
        if known is not None:
            handle, seen = known
            if seen is not desc and seen.signature() != desc.signature():
                raise ValueError(f"two different class descriptors named {desc.name}")
            self._buf += _REF.pack(TC_REFERENCE, handle)
            return
        buf = self._buf
        buf.append(TC_CLASSDESC)
        self._classes[desc.name] = (self._assign(), desc)
        self._utf(desc.name)
        suid = self._suids.get(desc.name, desc.suid)
        buf += _DESC_HEAD.pack(suid, desc.flags, len(desc.stream_fields))
        for field in desc.stream_fields:
            buf.append(ord(field.descriptor[0]))
            self._utf(field.name)
            if not field.primitive:
                self._type_string(field.descriptor)
        buf.append(TC_ENDBLOCKDATA)  # no class annotations
        if desc.superclass is None:
            buf.append(TC_NULL)
        else:
            self._classdesc(desc.superclass)

    def _object_start(self, desc: ClassDesc) -> None:
        self._buf.append(TC_OBJECT)
        self._classdesc(desc)
        self._handle += 1

    def _instance(self, obj: Instance) -> None:
        desc = obj.desc
        fields = obj.fields
        self._object_start(desc)
        buf = self._buf
        for packer, prims, has_char, objs, end in desc._plan:
            if packer is not None:
                values = [fields.get(name, default) for name, default in prims]
                if has_char:
                    values = [ord(v) if isinstance(v, str) else v for v in values]
                try:
                    buf += packer.pack(*values)
                except (struct.error, TypeError, OverflowError) as exc:
                    raise _bad_primitive(desc, prims, values) from exc
            for name, default in objs:
                value = fields.get(name, default)
                try:
                    if value is None:
                        buf.append(TC_NULL)
                    elif type(value) is str:
                        self._string(value)
                    else:
                        self._value(value)
                except (TypeError, ValueError) as exc:
                    exc.add_note(f"in field {desc.name}.{name}")
                    raise
            if end:
                buf.append(TC_ENDBLOCKDATA)

    def _enum(self, constant: EnumConstant, share: bool = True) -> None:
        if share:
            handle = self._enums.get(constant)
            if handle is not None:
                self._buf += _REF.pack(TC_REFERENCE, handle)
                return
        self._buf.append(TC_ENUM)
        self._classdesc(enum_desc(constant.class_name))
        handle = self._assign()
        # ObjectInputStream.readEnum takes the name only as a new TC_STRING, never a reference.
        self._string(constant.name, share=False)
        if share:
            self._enums[constant] = handle

    def _boxed(self, boxed: Boxed) -> None:
        code = boxed.code
        value = ord(boxed.value) if code == "C" and isinstance(boxed.value, str) else boxed.value
        try:
            data = _BOX_STRUCTS[code].pack(value)
        except (struct.error, TypeError, OverflowError) as exc:
            raise ValueError(f"{value!r} does not fit {_BOXES[code].name}") from exc
        self._object_start(_BOXES[code])
        self._buf += data

    def _boolean(self, value: bool) -> None:
        self._object_start(_BOXES["Z"])
        self._buf.append(1 if value else 0)

    def _int(self, value: int) -> None:
        if _INT_MIN <= value <= _INT_MAX:
            self._object_start(_BOXES["I"])
            self._buf += _INT.pack(value)
        elif _LONG_MIN <= value <= _LONG_MAX:
            self._boxed(Boxed("J", value))
        else:
            raise ValueError(f"{value} does not fit a java.lang.Long")

    def _double(self, value: float) -> None:
        self._object_start(_BOXES["D"])
        self._buf += _BOX_STRUCTS["D"].pack(value)

    def _date(self, value: dt.datetime) -> None:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: a java.util.Date needs UTC")
        millis = (value - _EPOCH) // _MILLISECOND
        self._object_start(DATE)
        self._buf += _DATE_DATA.pack(TC_BLOCKDATA, 8, millis, TC_ENDBLOCKDATA)

    def _bytes(self, value: bytes | bytearray) -> None:
        self._buf.append(TC_ARRAY)
        self._classdesc(BYTE_ARRAY)
        self._assign()
        self._buf += _INT.pack(len(value))
        self._buf += value

    def _array_list(self, items: list[Any] | tuple[Any, ...]) -> None:
        self._object_start(ARRAY_LIST)
        size = len(items)
        self._buf += _LIST_DATA.pack(size, TC_BLOCKDATA, 4, size)
        for item in items:
            if type(item) is str:
                self._string(item)
            else:
                self._value(item)
        self._buf.append(TC_ENDBLOCKDATA)

    def _hash_set(self, items: JavaSet | list[Any]) -> None:
        self._object_start(HASH_SET)
        size = len(items)
        self._buf += _SET_DATA.pack(TC_BLOCKDATA, 12, _hash_capacity(size), 0.75, size)
        for item in items:
            self._value(item)
        self._buf.append(TC_ENDBLOCKDATA)

    def _python_set(self, items: set[Any] | frozenset[Any]) -> None:
        try:
            ordered = sorted(items)
        except TypeError:
            ordered = list(items)
        self._hash_set(ordered)


def _bad_primitive(desc: ClassDesc, prims: tuple[Any, ...], values: list[Any]) -> ValueError:
    for (name, _default), value in zip(prims, values, strict=True):
        code = next(f.descriptor for f in desc.stream_fields if f.name == name)
        try:
            struct.pack(">" + _PRIMITIVES[code][0], value)
        except (struct.error, TypeError, OverflowError):
            return ValueError(f"{desc.name}.{name}: {value!r} does not fit the Java type {code}")
    return ValueError(f"{desc.name}: primitive fields do not pack")


def write_stream(stream: BinaryIO, objects: Iterable[Any], **options: Any) -> int:
    """Write one complete stream (header + each object, unshared); returns the object count."""
    writer = ObjectStreamWriter(stream, **options)
    for obj in objects:
        writer.write(obj)
    writer.close()
    return writer.count
