"""javaobj-py3's stream parser with bounded memory: one value, one object, the handle table.

Left alone, javaobj reads a ``byte[]`` one element at a time into two lists of ints (a
60 MiB photo: 27 to 122 s and 1.4 GB), decodes strings character by character, trusts
every length it reads and keeps every object of a stream in its handle table until the
stream ends (a 1.2 MB entry of small records held 57 MB). This subclass:

* checks each declared length against ``max_array_bytes`` before reading anything, then
  reads ``byte[]`` and primitive arrays in bulk and strings with the C UTF-8 codec;
* charges an estimate of the memory every parsed item takes to the top-level object being
  read, and stops at ``max_object_bytes``;
* after each top-level object, keeps only what a later object may refer back to: every
  class descriptor and enum constant (up to a quarter of ``max_object_bytes``), the last
  ``SHARED_STRINGS`` short strings, and the converted values of earlier objects up to
  another quarter, least recently used dropped first.

Java's ObjectOutputStream as OSCAR uses it (a temporary stream per patient, then
``writeUnshared``) refers back only within a patient's objects, to enum constants and to
class descriptors; carebridge's own writer shares strings of up to 40 characters from a
table of 8,192. A reference to an object that was dropped is an error naming the limit.

Everything here raises ``ValueError``/``EOFError`` for bad input and ``Limit`` for a limit;
``javaread`` translates both.
"""

from __future__ import annotations

import struct
import sys
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, Final, Protocol, cast

from javaobj.v2.beans import (
    BlockData,
    ClassDescType,
    ContentType,
    FieldType,
    JavaArray,
    JavaClass,
    JavaClassDesc,
    JavaEnum,
    JavaString,
)
from javaobj.v2.core import JavaStreamParser
from javaobj.v2.stream import DataStreamReader
from javaobj.v2.transformers import DefaultObjectTransformer

MIB = 1024 * 1024

_TC_REFERENCE = 0x71
_TC_CLASSDESC = 0x72
_TC_STRING = 0x74
_TC_BLOCKDATA = 0x77
_TC_RESET = 0x79
_TC_BLOCKDATALONG = 0x7A
_TC_EXCEPTION = 0x7B
_TC_LONGSTRING = 0x7C
_TC_PROXYCLASSDESC = 0x7D
_BASE_HANDLE = 0x7E0000

# Estimated bytes of Python memory per parsed item (measured with tracemalloc on javaobj
# 0.6 beans: an Integer takes about 850 bytes, a CachedDemographicNote with its key and two
# empty sets about 5,600, a short string about 270).
HANDLE_COST: Final = 300
INSTANCE_COST: Final = 700
FIELD_COST: Final = 96
SLOT_COST: Final = 16
ELEMENT_COST: Final = 40
KEPT_COST: Final = 200
MAX_HIERARCHY: Final = 64
_READ_CHUNK = MIB
SHARED_STRING_CHARS: Final = 64
SHARED_STRINGS: Final = 65536

# JVM primitive type code -> (struct code, bytes per element, Java name)
_PRIMITIVE_ARRAYS = {
    "B": ("b", 1, "byte[]"),
    "C": ("H", 2, "char[]"),
    "D": ("d", 8, "double[]"),
    "F": ("f", 4, "float[]"),
    "I": ("i", 4, "int[]"),
    "J": ("q", 8, "long[]"),
    "S": ("h", 2, "short[]"),
    "Z": ("?", 1, "boolean[]"),
}


@dataclass(frozen=True)
class DecodeLimits:
    """What one value and one top-level object of a Java stream may take (Settings has the
    operator's values; these defaults suit a 1 GB importer)."""

    max_array_bytes: int = 16 * MIB
    max_object_bytes: int = 64 * MIB


class Limit(Exception):
    """A size limit was reached; ``setting`` is the Settings field that sets it."""

    def __init__(self, message: str, setting: str, limit: int) -> None:
        super().__init__(message)
        self.message = message
        self.setting = setting
        self.limit = limit


class PrimitiveArray:
    """A ``byte[]`` (``data`` is bytes) or another primitive array (``data`` is a tuple)."""

    __slots__ = ("classdesc", "data", "handle")
    is_exception = False

    def __init__(self, handle: int, classdesc: JavaClassDesc,
                 data: bytes | tuple[Any, ...]) -> None:
        self.handle = handle
        self.classdesc = classdesc
        self.data = data


class Kept:
    """What a back-reference to an earlier top-level object's item resolves to: its
    converted value and that value's size as JSON (counted again at each reference)."""

    __slots__ = ("expanded", "value")
    is_exception = False

    def __init__(self, value: Any, expanded: int) -> None:
        self.value = value
        self.expanded = expanded


def decode_modified_utf8(data: bytes) -> str:
    """Java's modified UTF-8 (NUL as C0 80, supplementary characters as surrogate pairs)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.replace(b"\xc0\x80", b"\x00").decode("utf-8", "surrogatepass")
    if b"\xed" in data:  # surrogates: join the pairs; a lone one stays an error
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    return text


def json_length(text: str) -> int:
    """About how long ``text`` is as JSON (non-ASCII characters become \\uXXXX)."""
    if text.isascii():
        return len(text) + 2
    return len(text) + 2 + 5 * (len(text) - len(text.encode("ascii", "ignore")))


class ByteSource(Protocol):
    """What the parser reads from: a stream, or javaread's watch over one."""

    def read(self, size: int = -1, /) -> bytes: ...

    def tell(self) -> int: ...


class BoundedParser(JavaStreamParser):
    """javaobj's parser reading one top-level object at a time within ``limits``."""

    def __init__(self, fd: ByteSource, limits: DecodeLimits) -> None:
        # javaobj annotates an IO[bytes]; the parts of it this parser runs only read and tell.
        super().__init__(cast(IO[bytes], fd), [DefaultObjectTransformer()])
        self._fd = fd
        # Over the same stream as javaobj's own (name-mangled) one; a reader holds no state.
        self._reader = DataStreamReader(cast(IO[bytes], fd))
        self.limits = limits
        self._max_object = limits.max_object_bytes
        self.cost = 0  # estimated memory of the top-level object being read
        self._instance_costs: dict[int, int] = {}  # id(class descriptor) -> cost per instance
        self._next_handle = _BASE_HANDLE
        self._open: dict[int, Any] = {}  # handles of the object being read: raw beans
        self._pinned: dict[int, Any] = {}  # class descriptors, classes, enum constants
        self._pinned_cost = 0
        self._strings: OrderedDict[int, str] = OrderedDict()
        # handle -> (converted value, size as JSON, estimated memory), least recent first
        self._window: OrderedDict[int, tuple[Any, int, int]] = OrderedDict()
        self._window_cost = 0

    # -- the top level ----------------------------------------------------------------

    def iter_contents(self) -> Iterator[Any]:
        """Top-level contents, raw; the caller calls ``settle`` after each one."""
        magic = self._reader.read_ushort()
        if magic != 0xACED:
            raise ValueError(f"not a Java serialization stream (magic 0x{magic:04x})")
        version = self._reader.read_ushort()
        if version != 5:
            raise ValueError(f"unsupported serialization stream version {version}")
        while True:
            try:
                type_code = self._reader.read_byte() & 0xFF
            except EOFError:
                return
            if type_code == _TC_RESET:
                self._reset()
                continue
            if type_code == _TC_EXCEPTION:
                raise ValueError("the stream holds an exception written by the writer")
            self.cost = 0
            yield self._read_content(type_code, True)

    def settle(self, converted: Any) -> None:
        """Keep what later objects may refer to from the object just read, within budget.

        ``converted(raw)`` returns an item's converted value and its size as JSON.
        """
        window = self._window
        strings = self._strings
        added = 0
        for handle, raw in self._open.items():
            kind = type(raw)
            if kind is JavaString:
                text = raw.value
                if len(text) <= SHARED_STRING_CHARS:
                    strings[handle] = text
                    if len(strings) > SHARED_STRINGS:
                        strings.popitem(last=False)
                    continue
                value, expanded = text, json_length(text)
            elif kind in _PINNED:
                self._pinned[handle] = raw
                fields = len(raw.fields) if kind is JavaClassDesc else 0
                self._pinned_cost += HANDLE_COST + FIELD_COST * fields
                continue
            else:
                value, expanded = converted(raw)
            cost = KEPT_COST + shallow_size(value)
            window[handle] = (value, expanded, cost)
            added += cost
        self._open.clear()
        self._window_cost += added
        max_object = self.limits.max_object_bytes
        while self._window_cost > max_object // 4 and window:
            self._window_cost -= window.popitem(last=False)[1][2]
        if self._pinned_cost > max_object // 4:
            raise Limit(f"the entry declares more classes and enum constants than "
                        f"max_object_bytes={max_object} allows", "max_object_bytes", max_object)

    # -- memory accounting -------------------------------------------------------------

    def charge(self, size: int) -> None:
        self.cost += size
        if self.cost > self._max_object:
            self._over()

    def _over(self) -> None:
        limit = self._max_object
        raise Limit(f"the object needs more than max_object_bytes={limit} bytes of memory",
                    "max_object_bytes", limit)

    def _check_value(self, size: int, what: str) -> None:
        limit = self.limits.max_array_bytes
        if size > limit:
            raise Limit(f"{what} of {size} bytes exceeds max_array_bytes={limit}",
                        "max_array_bytes", limit)

    def _read_bytes(self, size: int) -> bytes:
        """Exactly ``size`` bytes, read in chunks so a false length allocates nothing."""
        if size <= _READ_CHUNK:
            data = self._fd.read(size)
            if len(data) != size:
                raise EOFError("the stream ends inside a value")
            return data
        parts = []
        left = size
        while left:
            chunk = self._fd.read(min(left, _READ_CHUNK))
            if not chunk:
                raise EOFError("the stream ends inside a value")
            parts.append(chunk)
            left -= len(chunk)
        return b"".join(parts)

    # -- handles -----------------------------------------------------------------------

    def _reset(self) -> None:
        self._open.clear()
        self._pinned.clear()
        self._pinned_cost = 0
        self._strings.clear()
        self._window.clear()
        self._window_cost = 0
        self._instance_costs.clear()
        self._next_handle = _BASE_HANDLE

    def _new_handle(self) -> int:
        handle = self._next_handle
        self._next_handle += 1
        self.cost += HANDLE_COST
        if self.cost > self._max_object:
            self._over()
        return handle

    def _set_handle(self, handle: int, content: Any) -> None:
        self._open[handle] = content

    def _do_reference(self, type_code: int = 0) -> Any:
        handle = self._reader.read_int()
        self.cost += SLOT_COST
        if self.cost > self._max_object:
            self._over()
        found = self._open.get(handle)
        if found is None:
            found = self._pinned.get(handle)
        if found is not None:
            return found
        text = self._strings.get(handle)
        if text is not None:
            self._strings.move_to_end(handle)
            return Kept(text, json_length(text))
        kept = self._window.get(handle)
        if kept is not None:
            self._window.move_to_end(handle)
            return Kept(kept[0], kept[1])
        if _BASE_HANDLE <= handle < self._next_handle:
            limit = self.limits.max_object_bytes
            raise Limit(f"a back-reference to object 0x{handle:x}, read too long before: "
                        f"carebridge keeps about max_object_bytes/4={limit // 4} bytes of "
                        "earlier objects", "max_object_bytes", limit)
        raise ValueError(f"Invalid reference handle: 0x{handle:x}")

    # -- values ------------------------------------------------------------------------

    # javaobj's is a staticmethod; both are called bound, with the type code, from its table.
    def _do_null(self, type_code: int = 0) -> None:  # type: ignore[override]
        self.cost += SLOT_COST
        if self.cost > self._max_object:
            self._over()
        return None

    def _read_new_string(self, type_code: int) -> JavaString:
        if type_code == _TC_REFERENCE:
            previous = self._do_reference()
            if isinstance(previous, JavaString):
                return previous
            if isinstance(previous, Kept) and isinstance(previous.value, str):
                return _java_string(0, previous.value)
            raise ValueError("Invalid reference to a Java string")
        if type_code == _TC_STRING:
            length = self._reader.read_ushort()
        elif type_code == _TC_LONGSTRING:
            length = self._reader.read_long()
            if length < 0:
                raise ValueError(f"Invalid string length: {length}")
        else:
            raise ValueError(f"expected a string, found type code 0x{type_code & 0xFF:x}")
        handle = self._new_handle()
        if length > 256:
            self._check_value(length, "a String")
            self.charge(2 * length)
            data = self._read_bytes(length)
        else:
            data = self._fd.read(length)
            if len(data) != length:
                raise EOFError("the stream ends inside a string")
        string = _java_string(handle, decode_modified_utf8(data))
        self._set_handle(handle, string)
        return string

    def _do_array(self, type_code: int) -> Any:
        classdesc = self._read_classdesc()
        if classdesc is None:
            raise ValueError("Array without class description")
        handle = self._new_handle()
        if not classdesc.name or len(classdesc.name) < 2:
            raise ValueError("Invalid name in array class description")
        size = self._reader.read_int()
        if size < 0:
            raise ValueError("Invalid array size")
        primitive = _PRIMITIVE_ARRAYS.get(classdesc.name[1])
        array: Any
        if primitive is not None:
            code, width, java_name = primitive
            self._check_value(size * width, f"a {java_name}")
            data = self._read_bytes(size * width)
            if code == "b":
                self.charge(size)
                array = PrimitiveArray(handle, classdesc, data)
            else:
                self.charge(size * ELEMENT_COST)
                items: tuple[Any, ...] = struct.unpack(f">{size}{code}", data)
                if code == "H":
                    items = tuple(map(chr, items))
                array = PrimitiveArray(handle, classdesc, items)
        else:
            self.charge(size * 2 * SLOT_COST)
            field_type = FieldType(ord(classdesc.name[1]))
            content = [self._read_field_value(field_type) for _ in range(size)]
            array = JavaArray(handle, classdesc, field_type, content)
        self._set_handle(handle, array)
        return array

    def _do_block_data(self, type_code: int) -> BlockData:
        if type_code == _TC_BLOCKDATA:
            size = self._reader.read_ubyte()
        elif type_code == _TC_BLOCKDATALONG:
            size = self._reader.read_int()
        else:
            raise ValueError("Invalid type code for blockdata")
        if size < 0:
            raise ValueError("Invalid value for block data size")
        self._check_value(size, "a block of data")
        self.charge(size + SLOT_COST)
        return BlockData(self._read_bytes(size))

    def _create_instance(self, class_desc: JavaClassDesc) -> Any:
        cost = self._instance_costs.get(id(class_desc))
        if cost is None:
            fields = 0
            depth = 0
            desc: JavaClassDesc | None = class_desc
            while desc is not None:
                depth += 1
                if depth > MAX_HIERARCHY:
                    raise ValueError("class hierarchy too deep (or a cycle)")
                fields += len(desc.fields or ())
                desc = desc.super_class
            cost = INSTANCE_COST + FIELD_COST * fields
            self._instance_costs[id(class_desc)] = cost
        self.charge(cost)
        return super()._create_instance(class_desc)

    def _do_classdesc(self, type_code: int) -> JavaClassDesc | None:
        if type_code == _TC_PROXYCLASSDESC:
            return self._proxy_classdesc()
        desc = super()._do_classdesc(type_code)
        if type_code == _TC_CLASSDESC and desc is not None:
            self.charge(FIELD_COST * len(desc.fields))
        return desc

    def _proxy_classdesc(self) -> JavaClassDesc:
        """javaobj's, with the interface count checked (the JVM allows 65,535 at most)."""
        handle = self._new_handle()
        count = self._reader.read_int()
        if not 0 <= count <= 65535:
            raise ValueError(f"invalid proxy interface count {count}")
        self.charge(count * ELEMENT_COST * 2)
        desc = JavaClassDesc(ClassDescType.PROXYCLASS)
        desc.handle = handle
        desc.interfaces = [self._reader.read_UTF() for _ in range(count)]
        desc.annotations = self._read_class_annotations()
        desc.super_class = self._read_classdesc()
        if desc.super_class:
            desc.super_class.is_super_class = True
        self._set_handle(handle, desc)
        return desc


_PINNED = (JavaClassDesc, JavaClass, JavaEnum)


def _java_string(handle: int, text: str) -> JavaString:
    """javaobj's JavaString without its per-character decoder."""
    string = JavaString.__new__(JavaString)
    string.type = ContentType.STRING
    string.is_exception = False
    string.handle = handle
    string.value = text
    string.length = len(text)
    return string


def shallow_size(value: Any) -> int:
    """Memory a kept value holds by itself (what it refers to is kept, and counted, apart)."""
    kind = type(value)
    if kind is str or kind is bytes or kind is list:
        return sys.getsizeof(value)
    fields = getattr(value, "fields", None)
    if type(fields) is dict:  # a JavaObject: the object, its __dict__ and its fields
        return 250 + 100 * len(fields)
    if kind is dict:
        return 232 + 100 * len(value)
    return 64

