"""Java Object Serialization Streams to plain Python values in one pass, executing nothing.

``javaread`` (javaobj-py3 beans, then a converter) is the reference and caps the importer
at a few thousand records a second. This decoder reads the same grammar straight into the
values ``javaread`` returns: per class descriptor it compiles a field plan once (``struct``
formats for runs of primitive fields, object fields between them), reads from a bytes
buffer, and computes each value's size as JSON as it builds it. It keeps javaparse's
memory accounting (``max_array_bytes`` checked before allocating, ``max_object_bytes`` per
top-level object) and its handle table between top-level objects (class descriptors and
enum constants, recent short strings, converted values of earlier objects, least recently
used dropped first), so limits, back-references and errors behave as ``javaread``'s do.

Reading is optimistic: a top-level object is parsed from what the buffer holds; if it runs
past the end, the state it changed is rolled back, more of the stream is read and the
object is parsed again (at most once per buffer refill). Proxy class descriptors and
exceptions in the stream are errors.

Installing carebridge compiles this module with mypyc (setup.py): the same source, about
twice as fast, which is why module constants are ``Final`` and hot locals precisely typed.
It stays valid Python and runs uncompiled when built with ``CAREBRIDGE_PURE_PYTHON=1``.
"""

from __future__ import annotations

import datetime as dt
import struct
import sys
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, Any, Final, cast

from javaobj.modifiedutf8 import decode_modified_utf8 as _javaobj_utf8
from javaobj.v2.beans import BlockData
from javaobj.v2.transformers import JavaTime

from carebridge.oscar.exceptions import JavaStreamError, LimitExceeded, TruncatedStream
from carebridge.oscar.javaparse import (  # its memory estimates too: the same limits
    ELEMENT_COST,
    FIELD_COST,
    HANDLE_COST,
    INSTANCE_COST,
    KEPT_COST,
    MAX_HIERARCHY,
    SHARED_STRING_CHARS,
    SHARED_STRINGS,
    SLOT_COST,
    DecodeLimits,
    Limit,
    decode_modified_utf8,
    json_length,
    shallow_size,
)
from carebridge.oscar.javaread import SPECIAL_CLASSES, JavaObject, decimal_text

__all__ = ["DecodeLimits", "JavaObject", "iter_objects", "iter_sized"]

MIB: Final = 1024 * 1024
_BASE_HANDLE: Final = 0x7E0000
_CHUNK: Final = MIB  # what a refill reads at least (iter_sized's read_size)
# Objects and arrays inside one another. javaread's own recursion stops near 200-250 levels
# (depending on the caller's stack); this is a fixed bound below that.
MAX_DEPTH: Final = 200


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS: Final = dt.timedelta(milliseconds=1)
_Q: Final = struct.Struct(">q")
_I: Final = struct.Struct(">i")
_H: Final = struct.Struct(">H")
_QBH: Final = struct.Struct(">qbh")
# A Date's block (after its 2-byte header), its end, an int.
_LONG_INT: Final = struct.Struct(">q1xi")
_unpack_int: Final = _I.unpack_from
_unpack_long: Final = _Q.unpack_from

# Keys a set or map element is deduplicated by (javaobj's beans hash like this).
_IDENT: Final = object()  # by identity: instances, enums, classes, primitive arrays
_UNHASHABLE: Final = object()  # lists, maps, sets, object arrays
_BLOCK: Final = object()  # block data (unhashable too)
_NULL: Final = (None, 8, None, 0, False)
_NO_ELEMENTS: Final[list[Any]] = []  # shared, never appended to
_ORDER_SLACK: Final = 65536  # stale occurrences a table's order may hold before compaction

_PRIMITIVE_FIELDS: Final = {ord("B"): "b", ord("C"): "H", ord("D"): "d", ord("F"): "f",
                            ord("I"): "i", ord("J"): "q", ord("S"): "h", ord("Z"): "?"}
# JVM primitive array element type -> (struct code, bytes per element, Java name)
_PRIMITIVE_ARRAYS: Final = {
    "B": ("b", 1, "byte[]"), "C": ("H", 2, "char[]"), "D": ("d", 8, "double[]"),
    "F": ("f", 4, "float[]"), "I": ("i", 4, "int[]"), "J": ("q", 8, "long[]"),
    "S": ("h", 2, "short[]"), "Z": ("?", 1, "boolean[]"),
}

# What javaobj's default transformers make of these classes (javaread converts those).
_GENERIC: Final = 0
_PRIMITIVE: Final = 1
_LIST: Final = 2
_MAP: Final = 3
_SET: Final = 4
_TREESET: Final = 5
_TIME: Final = 6
_SPECIAL: Final = 7
_KINDS: Final = {
    "java.lang.Boolean": _PRIMITIVE, "java.lang.Integer": _PRIMITIVE,
    "java.lang.Long": _PRIMITIVE,
    "java.util.ArrayList": _LIST, "java.util.LinkedList": _LIST,
    "java.util.HashMap": _MAP, "java.util.TreeMap": _MAP, "java.util.LinkedHashMap": _MAP,
    "java.util.HashSet": _SET, "java.util.LinkedHashSet": _SET,
    "java.util.TreeSet": _TREESET, "java.time.Ser": _TIME,
}
# The class whose annotations hold the elements, per kind (javaobj's HANDLED_CLASSES).
_HOLDERS: Final = {
    _LIST: ("java.util.ArrayList", "java.util.LinkedList"),
    _MAP: ("java.util.HashMap", "java.util.TreeMap"),
    _SET: ("java.util.HashSet", "java.util.LinkedHashSet"),
    _TREESET: ("java.util.TreeSet",),
    _TIME: ("java.time.Ser",),
}
_SKIP: Final = {_LIST: 1, _MAP: 1, _SET: 1, _TREESET: 2}

# Instance plan operations
_OP_PRIMS: Final = 0
_OP_CHARS: Final = 1
_OP_OBJECT: Final = 2
_OP_ARRAY: Final = 3
_OP_ANNOTATIONS: Final = 4
_OP_ERROR: Final = 5
_DISCARD: Final = 0
_ELEMENTS: Final = 1
_BLOCKS: Final = 2


class _Short(Exception):
    """The buffer ends before the value: read more and parse the object again."""


class _ClassDesc:
    """A class descriptor as read, and the instance plan compiled from it on first use."""

    __slots__ = ("content", "fields", "flags", "handle", "inst", "misused", "name", "suid",
                 "super")

    def __init__(self, name: str, suid: int, handle: int, flags: int,
                 fields: list[tuple[int, str]]) -> None:
        self.name = name
        self.suid = suid
        self.handle = handle
        self.flags = flags
        self.fields = fields
        self.super: _ClassDesc | None = None
        self.inst: _Plan | None = None
        self.misused = False  # an enum constant was read with this (non-enum) class
        # What javaread makes of the descriptor itself as a value: javaobj's repr.
        self.content = (f"[classdesc 0x{handle:x}: name {name}, uid {suid}]", 0, _IDENT, 0,
                        False)


class _Recent:
    """Kept values by handle, least recently used first: what an OrderedDict with
    ``move_to_end`` and ``popitem(last=False)`` would do, for less. Insertion order is a
    deque of handles; a touch appends the handle again and counts the earlier occurrence
    as stale, which eviction skips. (The OrderedDict's node bookkeeping was the decoder's
    largest single cost.)"""

    __slots__ = ("items", "order", "stale")

    def __init__(self) -> None:
        self.items: dict[int, Any] = {}
        self.order: deque[int] = deque()
        self.stale: dict[int, int] = {}  # handle -> its occurrences in order to skip

    def put(self, handle: int, value: Any) -> None:
        """Keep a new handle's value, as the most recently used."""
        self.items[handle] = value
        self.order.append(handle)

    def touch(self, handle: int) -> None:
        """Make ``handle`` the most recently used."""
        self.order.append(handle)
        self.stale[handle] = self.stale.get(handle, 0) + 1
        if len(self.order) > 2 * len(self.items) + _ORDER_SLACK:
            self.compact()

    def pop_oldest(self) -> Any:
        order = self.order
        stale = self.stale
        while True:
            handle = order.popleft()
            count = stale.get(handle, 0)
            if count:
                if count == 1:
                    del stale[handle]
                else:
                    stale[handle] = count - 1
                continue
            if handle in self.items:
                return self.items.pop(handle)

    def drop(self, handle: int) -> None:
        """Forget ``handle`` (a rolled-back insert): its place in the order goes stale."""
        if self.items.pop(handle, None) is not None:
            self.stale[handle] = self.stale.get(handle, 0) + 1

    def compact(self) -> None:
        """The order without stale occurrences (touches and drops leave them)."""
        skip = self.stale
        items = self.items
        live = []
        for handle in self.order:
            count = skip.get(handle, 0)
            if count:
                skip[handle] = count - 1
            elif handle in items:
                live.append(handle)
        self.order.clear()  # in place: readers hold the order in locals
        self.order.extend(live)
        self.stale.clear()

    def clear(self) -> None:
        self.items.clear()
        self.order.clear()
        self.stale.clear()

    def copy(self) -> _Recent:
        other = _Recent()
        other.items = dict(self.items)
        other.order = deque(self.order)
        other.stale = dict(self.stale)
        return other

    def restore(self, other: _Recent) -> None:
        """Become ``other``, in place (readers hold ``items`` and ``order`` in locals)."""
        self.items.clear()
        self.items.update(other.items)
        self.order.clear()
        self.order.extend(other.order)
        self.stale.clear()
        self.stale.update(other.stale)


class _Plan:
    """How to read an instance of one class: fields in stream order, then what to build."""

    __slots__ = ("base", "cost", "has_holder", "holders", "kind", "name", "names", "ops",
                 "quick", "special", "st", "value_index")

    def __init__(self) -> None:
        self.kind = _GENERIC
        self.name = ""
        self.cost = 0
        self.ops: list[tuple[int, Any]] = []
        self.names: list[str] = []
        self.base = 0
        self.value_index = -1  # of the field javaobj takes a boxed number from
        self.special: Callable[[dict[str, Any], bytes], Any] | None = None
        self.holders: tuple[str, ...] = ()
        self.has_holder = False
        self.quick = 0  # 1: one run of primitives (boxed numbers), 2: a Date's block,
        # 3: a Timestamp's block and nanos, 4: an ArrayList's size, block and elements
        self.st = _I


class _Decoder:
    """The stream's state: buffer, handle tables and the current object's memory cost."""

    def __init__(self, stream: IO[bytes], limits: DecodeLimits, read_size: int = _CHUNK
                 ) -> None:
        self.stream = stream
        self.chunk = max(1, read_size)
        self.low_water = max(1, self.chunk // 4)  # refill before a top-level object below
        self.limits = limits
        self.mx = limits.max_object_bytes
        self.max_array = limits.max_array_bytes
        self.cap = 2 * limits.max_object_bytes + limits.max_array_bytes + self.chunk
        self.buf = b""
        self.pos = 0
        self.eof = False
        self.cost = 0
        self.next = _BASE_HANDLE
        self.first = _BASE_HANDLE  # the first handle of the object being read
        self.saved: tuple[Any, ...] | None = None  # the tables before a TC_RESET in an object
        self.pinned: dict[int, Any] = {}  # class descriptors, classes, enum constants
        self.pinned_cost = 0
        self.padded: list[int] = []  # handles pinned by the object being read
        # Short strings by handle, as the text alone (no entry tuple: most are never
        # referred to again; a reference rebuilds the entry).
        self.strings = _Recent()  # items: text
        self.window = _Recent()  # items: entries
        self.wcost = 0
        self.pending: Exception | None = None  # a conversion error, raised after parsing
        self.depth = 0  # objects and arrays being read inside one another

    # -- buffer ---------------------------------------------------------------------

    def fill(self, need: int) -> bool:
        """Keep the unread bytes and read at least ``need`` more; False at end of stream."""
        if self.eof:
            return False
        rest = self.buf[self.pos:]
        if len(rest) + need > self.cap:
            raise Limit(f"the object needs more than max_object_bytes={self.mx} bytes of "
                        "memory", "max_object_bytes", self.mx)
        parts = [rest]
        got = 0
        while got < need:
            chunk = self.stream.read(min(need - got, 4 * self.chunk))
            if not chunk:
                self.eof = True
                break
            parts.append(chunk)
            got += len(chunk)
        self.buf = b"".join(parts)
        self.pos = 0
        return got > 0

    # -- state ----------------------------------------------------------------------

    def snapshot(self) -> tuple[Any, ...]:
        self.first = self.next
        self.saved = None
        self.padded = []
        return (self.pos, self.next, self.pinned_cost, self.wcost)

    def rollback(self, snap: tuple[Any, ...]) -> None:
        """Undo what parsing part of an object changed (touches of kept items aside:
        parsing it again repeats them in the same order). Tables change in place only:
        the object's readers hold them in locals."""
        end = self.next
        padded = self.padded
        if self.saved is not None:
            pinned, strings, window, end, padded = self.saved
            self.pinned.clear()
            self.pinned.update(pinned)
            self.strings.restore(strings)
            self.window.restore(window)
        self.pos, self.next, self.pinned_cost, self.wcost = snap
        for handle in padded:
            del self.pinned[handle]
        for handle in range(self.next, end):
            self.strings.drop(handle)
            self.window.drop(handle)
        self.saved = None
        self.padded = []
        self.pending = None

    def reset(self, inside: bool) -> None:
        """TC_RESET: forget every handle. Inside an object, keep a copy of the tables first
        (the object may have to be parsed again)."""
        if inside and self.saved is None:
            self.saved = (dict(self.pinned), self.strings.copy(), self.window.copy(),
                          self.next, self.padded)
            self.padded = []
        self.first = _BASE_HANDLE
        self.pinned.clear()
        self.pinned_cost = 0
        self.strings.clear()
        self.window.clear()
        self.wcost = 0
        self.next = _BASE_HANDLE

    def settle(self) -> None:
        """What later objects may refer to, within budget (javaparse's ``settle``)."""
        strings = self.strings
        while len(strings.items) > SHARED_STRINGS:
            strings.pop_oldest()
        window = self.window
        quarter = self.mx // 4
        while self.wcost > quarter and window.items:
            self.wcost -= window.pop_oldest()[3]
        for table in (strings, window):
            if len(table.order) > 2 * len(table.items) + _ORDER_SLACK:
                table.compact()
        if self.pinned_cost > quarter:
            raise Limit(f"the entry declares more classes and enum constants than "
                        f"max_object_bytes={self.mx} allows", "max_object_bytes", self.mx)

    def pin(self, handle: int, item: Any, cost: int) -> None:
        self.pinned[handle] = item
        self.pinned_cost += cost
        self.padded.append(handle)

    def over(self) -> None:
        raise Limit(f"the object needs more than max_object_bytes={self.mx} bytes of memory",
                    "max_object_bytes", self.mx)

    def check_value(self, size: int, what: str) -> None:
        limit = self.max_array
        if size > limit:
            raise Limit(f"{what} of {size} bytes exceeds max_array_bytes={limit}",
                        "max_array_bytes", limit)

    def new_handle(self) -> int:
        handle = self.next
        self.next = handle + 1
        self.cost += HANDLE_COST
        if self.cost > self.mx:
            self.over()
        return handle

    def take(self, size: int) -> bytes:
        pos = self.pos
        end = pos + size
        if end > len(self.buf):
            raise _Short
        self.pos = end
        return self.buf[pos:end]

    # -- references -----------------------------------------------------------------

    def lookup(self, handle: int) -> Any:
        """A pinned item, an entry of this object, or a kept value as javaparse's Kept.

        This object's strings and values go into the kept tables as they are read (not
        after it, as javaparse's do): only their order among items touched meanwhile
        differs.
        """
        found = self.pinned.get(handle)
        if found is not None:
            return found
        text = self.strings.items.get(handle)
        if text is not None:
            jl = len(text) + 2 if text.isascii() else json_length(text)
            if handle >= self.first:
                return (text, jl, text, 0, True)
            self.strings.touch(handle)
            return (text, jl, _IDENT, 0, True)  # a fresh identity each time
        found = self.window.items.get(handle)
        if found is not None:
            if handle >= self.first:
                return found
            self.window.touch(handle)
            return (found[0], found[1], _IDENT, 0, type(found[0]) is str)
        if _BASE_HANDLE <= handle < self.next:
            raise Limit(f"a back-reference to object 0x{handle:x}, read too long before: "
                        f"carebridge keeps about max_object_bytes/4={self.mx // 4} bytes of "
                        "earlier objects", "max_object_bytes", self.mx)
        raise ValueError(f"Invalid reference handle: 0x{handle:x}")

    def reference(self) -> Any:
        handle = _I.unpack_from(self.buf, self.pos)[0]
        self.pos += 4
        self.cost += SLOT_COST
        found = self.lookup(handle)
        if type(found) is _ClassDesc:
            return found.content
        return found

    # -- content --------------------------------------------------------------------

    def content(self, tc: int, block_ok: bool) -> Any:
        """The value after type code ``tc`` as (value, size as JSON, key, ...)."""
        if tc == 0x74:
            return self.string(_H.unpack_from(self.buf, self.pos)[0], 2)
        if tc == 0x73:
            return self.instance()
        if tc == 0x71:
            return self.reference()
        if tc == 0x70:
            self.cost += SLOT_COST
            return _NULL
        if tc == 0x7E:
            return self.enum()
        if tc == 0x75:
            return self.array()
        if tc == 0x77 or tc == 0x7A:
            if not block_ok:
                raise ValueError("Got a block data, but not allowed here.")
            return self.block(tc)
        if tc == 0x7C:
            length = _Q.unpack_from(self.buf, self.pos)[0]
            if length < 0:
                raise ValueError(f"Invalid string length: {length}")
            return self.string(length, 8)
        if tc == 0x76:
            desc = self.classdesc()
            if desc is None:
                raise ValueError("Class without class description")
            handle = self.new_handle()
            entry = [desc.name, len(desc.name or "") + 2, _IDENT, 0, False]
            self.pin(handle, entry, HANDLE_COST)
            return entry
        if tc == 0x72 or tc == 0x7D:
            self.pos -= 1
            desc = self.classdesc()
            assert desc is not None
            return desc.content
        if tc == 0x7B:
            raise ValueError("the stream holds an exception written by the writer")
        raise ValueError(f"Unknown type code: 0x{tc:x}")

    def string(self, length: int, width: int) -> tuple[Any, ...]:
        """A new String whose length (``width`` bytes) starts at the current position."""
        buf = self.buf
        start = self.pos + width
        handle = self.next
        self.next = handle + 1
        self.cost += HANDLE_COST
        if self.cost > self.mx:
            self.over()
        if length > 256:
            self.check_value(length, "a String")
            self.cost += 2 * length
            if self.cost > self.mx:
                self.over()
        end = start + length
        if end > len(buf):
            raise _Short
        self.pos = end
        raw = buf[start:end]
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            text = decode_modified_utf8(raw)
        # Entries of atomic values are tuples: the collector stops tracking them.
        jl = len(text) + 2 if text.isascii() else json_length(text)
        if len(text) <= SHARED_STRING_CHARS:
            self.strings.put(handle, text)
            entry = (text, jl, text, 0, True)
        else:
            cost = KEPT_COST + sys.getsizeof(text)
            entry = (text, jl, text, cost, True)
            self.window.put(handle, entry)
            self.wcost += cost
        return entry

    def string_ref(self) -> list[Any] | tuple[Any, ...]:
        """A String where javaobj reads one (field class names, enum constant names)."""
        tc = self.buf[self.pos]
        self.pos += 1
        if tc == 0x71:
            found = self.reference()
            if found[4] is True:
                return found  # type: ignore[no-any-return]
            raise ValueError("Invalid reference to a Java string")
        if tc == 0x74:
            return self.string(_H.unpack_from(self.buf, self.pos)[0], 2)
        if tc == 0x7C:
            length = _Q.unpack_from(self.buf, self.pos)[0]
            if length < 0:
                raise ValueError(f"Invalid string length: {length}")
            return self.string(length, 8)
        raise ValueError(f"expected a string, found type code 0x{tc & 0xFF:x}")

    def utf(self) -> str:
        length = _H.unpack_from(self.buf, self.pos)[0]
        self.pos += 2
        return str(_javaobj_utf8(self.take(length))[0])

    def classdesc(self) -> _ClassDesc | None:
        tc = self.buf[self.pos]
        self.pos += 1
        if tc == 0x71:
            handle = _I.unpack_from(self.buf, self.pos)[0]
            self.pos += 4
            self.cost += SLOT_COST
            found = self.lookup(handle)
            if type(found) is not _ClassDesc:
                raise ValueError("Referenced object is not a class description")
            return found
        if tc == 0x70:
            return None
        if tc == 0x72:
            return self.new_classdesc()
        if tc == 0x7D:
            raise ValueError("a proxy class descriptor (carebridge reads no proxy classes)")
        raise ValueError("Expected a valid class description starter")

    def new_classdesc(self) -> _ClassDesc:
        name = self.utf()
        suid = _Q.unpack_from(self.buf, self.pos)[0]
        self.pos += 8
        handle = self.new_handle()
        _, flags, count = _QBH.unpack_from(self.buf, self.pos - 8)
        self.pos += 3
        if count < 0:
            raise ValueError(f"Invalid field count: {count}")
        fields: list[tuple[int, str]] = []
        for _ in range(count):
            code = self.buf[self.pos]
            self.pos += 1
            field_name = self.utf()
            if code == 0x4C or code == 0x5B:
                class_name = self.string_ref()[0]
                if code == 0x4C and (not class_name or class_name[0] != "L"
                                     or class_name[-1] != ";"):
                    if not class_name:
                        raise ValueError("Class name can't be empty")
                    raise ValueError(f"Invalid object field type: {class_name}")
            elif code not in _PRIMITIVE_FIELDS:
                raise ValueError(f"Invalid field type char: 0x{code:x}")
            fields.append((code, field_name))
        desc = _ClassDesc(name, suid, handle, flags, fields)
        self.pin(handle, desc, HANDLE_COST + FIELD_COST * len(fields))
        self.annotations(_DISCARD, [])
        desc.super = self.classdesc()
        self.cost += FIELD_COST * len(fields)
        if self.cost > self.mx:
            self.over()
        return desc

    def annotations(self, mode: int, into: list[Any]) -> None:
        """Contents up to TC_ENDBLOCKDATA: kept in ``into`` (elements or block data)."""
        buf = self.buf
        while True:
            tc = buf[self.pos]
            self.pos += 1
            if tc == 0x78:
                return
            if tc == 0x73:
                item = self.instance()
            elif tc == 0x77:  # a short block, inline
                pos = self.pos
                size = buf[pos]
                if size > self.max_array:
                    self.check_value(size, "a block of data")
                self.cost += size + SLOT_COST
                end = pos + 1 + size
                if end > len(buf):
                    raise _Short
                self.pos = end
                item = (buf[pos + 1:end], size * 4 // 3 + 16, _BLOCK, 0, False)
            elif tc == 0x79:
                self.reset(True)
                continue
            else:
                item = self.content(tc, True)
            if self.cost > self.mx:
                self.over()
            if mode == _ELEMENTS:
                into.append(item)
            elif mode == _BLOCKS and item[2] is _BLOCK:
                into.append(item[0])

    def block(self, tc: int) -> tuple[Any, ...]:
        if tc == 0x77:
            size = self.buf[self.pos]
            self.pos += 1
        else:
            size = _I.unpack_from(self.buf, self.pos)[0]
            self.pos += 4
            if size < 0:
                raise ValueError("Invalid value for block data size")
        self.check_value(size, "a block of data")
        self.cost += size + SLOT_COST
        if self.cost > self.mx:
            self.over()
        data = self.take(size)
        return (data, size * 4 // 3 + 16, _BLOCK, 0, False)

    def enum(self) -> list[Any]:
        desc = self.classdesc()
        if desc is None:
            raise ValueError("Enum description can't be null")
        handle = self.new_handle()
        name = self.string_ref()[0]
        if not desc.flags & 0x10 and not desc.misused:
            desc.misused = True  # javaobj's validate() refuses its instances from now on
            for item in self.pinned.values():
                if type(item) is _ClassDesc:
                    item.inst = None
        entry = [name, len(name) + 2 if name.isascii() else json_length(name), _IDENT, 0,
                 False]
        self.pin(handle, entry, HANDLE_COST)
        return entry

    def array(self) -> list[Any]:
        desc = self.classdesc()
        if desc is None:
            raise ValueError("Array without class description")
        handle = self.new_handle()
        name = desc.name
        if not name or len(name) < 2:
            raise ValueError("Invalid name in array class description")
        size = _I.unpack_from(self.buf, self.pos)[0]
        self.pos += 4
        if size < 0:
            raise ValueError("Invalid array size")
        primitive = _PRIMITIVE_ARRAYS.get(name[1])
        entry: list[Any]
        if primitive is not None:
            code, width, java_name = primitive
            self.check_value(size * width, f"a {java_name}")
            if code == "b":
                self.cost += size
                if self.cost > self.mx:
                    self.over()
                data = self.take(size)
                entry = [data, size * 4 // 3 + 16, _IDENT, 0, False]
            else:
                self.cost += size * ELEMENT_COST
                if self.cost > self.mx:
                    self.over()
                items: tuple[Any, ...] = struct.unpack(f">{size}{code}", self.take(size * width))
                if code == "H":
                    items = tuple(map(chr, items))
                entry = [list(items), 8 * size + 2, _IDENT, 0, False]
        else:
            self.cost += size * 2 * SLOT_COST
            if self.cost > self.mx:
                self.over()
            code_point = ord(name[1])
            if code_point == 0x5B:
                is_array = True
            elif code_point == 0x4C:
                is_array = False
            else:
                raise ValueError(f"{code_point} is not a valid FieldType")
            result: list[Any] = []
            total = 2
            depth = self.depth = self.depth + 1
            if depth > MAX_DEPTH:
                raise RecursionError("object graph nested too deeply")
            for _ in range(size):
                item = self.field_value(is_array)
                result.append(item[0])
                total += 1 + item[1]
            self.depth = depth - 1
            entry = [result, total, _UNHASHABLE, 0, False]
        cost = entry[3] = KEPT_COST + shallow_size(entry[0])
        self.window.put(handle, entry)
        self.wcost += cost
        return entry

    def field_value(self, is_array: bool) -> Any:
        """An object or array field (or element), as javaobj's _read_field_value."""
        tc = self.buf[self.pos]
        self.pos += 1
        if is_array:
            if tc == 0x70:
                return _NULL
            if tc == 0x71:
                return self.reference()
            if tc != 0x75:
                raise ValueError("Array type listed, but type code != TC_ARRAY")
        return self.content(tc, False)

    # -- instances ------------------------------------------------------------------

    def compile(self, desc: _ClassDesc) -> _Plan:
        chain = []
        fields = 0
        walk: _ClassDesc | None = desc
        while walk is not None:
            chain.append(walk)
            if len(chain) > MAX_HIERARCHY:
                raise ValueError("class hierarchy too deep (or a cycle)")
            fields += len(walk.fields)
            walk = walk.super
        plan = _Plan()
        plan.name = desc.name
        plan.cost = INSTANCE_COST + FIELD_COST * fields
        kind = plan.kind = _KINDS.get(desc.name, _GENERIC)
        special = _SPECIALS.get(desc.name) if kind == _GENERIC else None
        if special is not None:
            kind = plan.kind = _SPECIAL
            plan.special = special
        plan.holders = _HOLDERS.get(kind, ())
        holder_found = False
        base = len(desc.name) + 16
        for cd in reversed(chain):
            error = _invalid(cd)
            if error:
                plan.ops.append((_OP_ERROR, error))
                break
            flags = cd.flags
            if flags & 0x02:
                prims: list[str] = []
                chars = False
                for code, field_name in cd.fields:
                    plan.names.append(field_name)
                    base += len(field_name) + 4
                    letter = _PRIMITIVE_FIELDS.get(code)
                    if letter is not None:
                        prims.append(letter)
                        chars = chars or letter == "H"
                        if letter != "H":
                            base += 8
                        continue
                    if prims:
                        plan.ops.append(_prims(prims, chars))
                        prims, chars = [], False
                    plan.ops.append((_OP_ARRAY if code == 0x5B else _OP_OBJECT, None))
                if prims:
                    plan.ops.append(_prims(prims, chars))
                if not flags & 0x01:
                    continue
            elif flags & 0x01 and kind != _TIME:  # externalizable with block data
                plan.ops.append((_OP_ERROR, "hit externalizable with nonzero SC_BLOCK_DATA; "
                                            "can't interpret data"))
                break
            if kind == _SPECIAL:
                mode = _BLOCKS
            elif not holder_found and cd.name in plan.holders:
                mode = _ELEMENTS
                holder_found = True
            else:
                mode = _DISCARD
            plan.ops.append((_OP_ANNOTATIONS, mode))
        plan.base = base
        plan.has_holder = holder_found
        if kind == _PRIMITIVE and "value" in plan.names:
            plan.value_index = plan.names.index("value")
            if len(plan.ops) == 1 and plan.ops[0][0] == _OP_PRIMS:
                plan.quick = 1
                plan.st = plan.ops[0][1]
        if (special is _date and plan.ops == [(_OP_ANNOTATIONS, _BLOCKS)]
                and self.max_array >= 8):
            plan.quick = 2
        if (special is _timestamp and plan.names == ["nanos"] and self.max_array >= 8
                and len(plan.ops) == 2 and plan.ops[0] == (_OP_ANNOTATIONS, _BLOCKS)
                and plan.ops[1][0] == _OP_PRIMS and plan.ops[1][1].format == ">i"):
            plan.quick = 3
        if (kind == _LIST and plan.has_holder and self.max_array >= 4 and len(plan.ops) == 2
                and plan.ops[0][0] == _OP_PRIMS and plan.ops[0][1].format == ">i"
                and plan.ops[1] == (_OP_ANNOTATIONS, _ELEMENTS)):
            plan.quick = 4  # java.util.ArrayList: its size, a 4-byte block, the elements
        desc.inst = plan
        return plan

    def instance(self) -> Any:
        buf = self.buf
        pos = self.pos
        desc: _ClassDesc | None = None
        if buf[pos] == 0x71:  # a class read before: the common case
            known = self.pinned.get(_I.unpack_from(buf, pos + 1)[0])
            if isinstance(known, _ClassDesc):
                desc = known
                self.pos = pos + 5
                self.cost += SLOT_COST
        if desc is None:
            desc = self.classdesc()
        handle = self.next
        self.next = handle + 1
        self.cost += HANDLE_COST
        if desc is None:
            if self.cost > self.mx:
                self.over()
            raise ValueError("Object without class description")
        plan = desc.inst or self.compile(desc)
        self.cost += plan.cost
        if self.cost > self.mx:
            self.over()
        quick = plan.quick
        entry: list[Any]
        if quick == 4 and buf[self.pos + 4] == 0x77 and buf[self.pos + 5] == 4:
            return self.array_list(handle)
        if quick == 1:  # Integer, Long, Boolean
            pos = self.pos
            value = plan.st.unpack_from(buf, pos)[plan.value_index]
            self.pos = pos + plan.st.size
            boxed = (value, 8, value, 264 if type(value) is not str else
                    KEPT_COST + shallow_size(value), False)
            self.window.put(handle, boxed)
            self.wcost += boxed[3]
            return boxed
        if quick == 2:  # java.util.Date & co: one 8-byte block
            pos = self.pos
            if buf[pos] == 0x77 and buf[pos + 1] == 8 and buf[pos + 10] == 0x78:
                self.cost += 8 + SLOT_COST
                if self.cost > self.mx:
                    self.over()
                self.pos = pos + 11
                try:
                    value = _EPOCH + _MS * _Q.unpack_from(buf, pos + 2)[0]
                except OverflowError as exc:
                    if self.pending is None:
                        self.pending = exc
                    value = None
                date = (value, 32, _IDENT, 264, False)
                self.window.put(handle, date)
                self.wcost += 264
                return date
        if (quick == 3 and buf[self.pos] == 0x77 and buf[self.pos + 1] == 8
                and buf[self.pos + 10] == 0x78):  # java.sql.Timestamp: the block, nanos
            pos = self.pos
            self.cost += 8 + SLOT_COST
            if self.cost > self.mx:
                self.over()
            millis, nanos = _LONG_INT.unpack_from(buf, pos + 2)
            pos += 15
            self.pos = pos
            try:
                value = ((_EPOCH + _MS * millis).replace(microsecond=0)
                         + dt.timedelta(microseconds=nanos // 1000))
            except OverflowError as exc:
                if self.pending is None:
                    self.pending = exc
                value = None
            stamp = (value, 32, _IDENT, 264, False)
            self.window.put(handle, stamp)
            self.wcost += 264
            return stamp
        depth = self.depth = self.depth + 1
        if depth > MAX_DEPTH:
            raise RecursionError("object graph nested too deeply")
        kind = plan.kind
        entry = [None, 8, _IDENT, 0, False]
        self.window.put(handle, entry)
        values: list[Any] = []
        elements = _NO_ELEMENTS  # a list of its own once annotations have content
        size = plan.base
        if kind == _GENERIC:
            fields: dict[str, Any] = {}
            entry[0] = JavaObject(plan.name, fields)
        elif kind in (_LIST, _SET, _TREESET):
            entry[0] = []
            entry[2] = _UNHASHABLE
        elif kind == _MAP:
            entry[0] = {}
            entry[2] = _UNHASHABLE
        window = self.window.items
        window_order = self.window.order
        strings = self.strings.items
        strings_order = self.strings.order
        pinned = self.pinned
        mx = self.mx
        # The position, next handle and memory cost live in locals while fields are read
        # inline, and in the decoder around calls. Literals below: op 0 primitives,
        # 1 primitives with chars, 2 object, 3 array, 4 annotations.
        pos = self.pos
        nxt = self.next
        cost = self.cost
        first = self.first
        kept = 0  # boxed numbers and dates read inline, 264 bytes each in the window
        for op, arg in plan.ops:
            if op == 2:
                tc = buf[pos]
                if tc == 0x74 and buf[pos + 1] == 0:  # a short String, inline
                    end = pos + 3 + buf[pos + 2]
                    handle = nxt
                    nxt += 1
                    cost += 300
                    if end > len(buf):
                        self.cost = cost
                        raise _Short
                    raw = buf[pos + 3:end]
                    pos = end
                    try:
                        text = raw.decode()
                    except UnicodeDecodeError:
                        text = decode_modified_utf8(raw)
                    jl = len(text) + 2 if text.isascii() else json_length(text)
                    if len(text) <= 64:
                        strings[handle] = text
                        strings_order.append(handle)
                    else:
                        extra = 200 + sys.getsizeof(text)
                        window[handle] = (text, jl, text, extra, True)
                        window_order.append(handle)
                        self.wcost += extra
                    values.append(text)
                    size += jl
                    continue
                if tc == 0x73:
                    # A boxed number or a Date of a class read before, inline.
                    inner = (pinned.get(_unpack_int(buf, pos + 2)[0])
                             if buf[pos + 1] == 0x71 else None)
                    inner_plan = inner.inst if isinstance(inner, _ClassDesc) else None
                    quick = inner_plan.quick if inner_plan is not None else 0
                    if quick == 1:
                        assert inner_plan is not None
                        cost += 316 + inner_plan.cost
                        st = inner_plan.st
                        value = st.unpack_from(buf, pos + 6)[inner_plan.value_index]
                        pos += 6 + st.size
                        window[nxt] = (value, 8, value, 264, False)
                        window_order.append(nxt)
                        nxt += 1
                        kept += 1
                        values.append(value)
                        size += 8
                        continue
                    if (quick == 2 and buf[pos + 6] == 0x77 and buf[pos + 7] == 8
                            and buf[pos + 16] == 0x78):
                        assert inner_plan is not None
                        cost += 340 + inner_plan.cost
                        try:
                            value = _EPOCH + _MS * _unpack_long(buf, pos + 8)[0]
                        except OverflowError as exc:
                            if self.pending is None:
                                self.pending = exc
                            value = None
                        pos += 17
                        window[nxt] = (value, 32, _IDENT, 264, False)
                        window_order.append(nxt)
                        nxt += 1
                        kept += 1
                        values.append(value)
                        size += 32
                        continue
                    if cost > mx:
                        self.cost = cost
                        self.over()
                    self.pos = pos + 1
                    self.next = nxt
                    self.cost = cost
                    item = self.instance()
                elif tc == 0x70:
                    pos += 1
                    cost += 16
                    values.append(None)
                    size += 8
                    continue
                elif tc == 0x71:
                    handle = _unpack_int(buf, pos + 1)[0]
                    found = pinned.get(handle)
                    if found is None:
                        shared = strings.get(handle)
                        if shared is not None:
                            if handle < first:
                                self.strings.touch(handle)
                            pos += 5
                            cost += 16
                            values.append(shared)
                            size += (len(shared) + 2 if shared.isascii()
                                     else json_length(shared))
                            continue
                        found = window.get(handle)
                        if found is not None and handle < first:
                            self.window.touch(handle)
                    if type(found) is tuple or type(found) is list:  # not a class descriptor
                        pos += 5
                        cost += 16
                        values.append(found[0])
                        size += found[1]
                        continue
                    self.pos = pos + 1
                    self.next = nxt
                    self.cost = cost
                    item = self.reference()
                else:
                    self.pos = pos + 1
                    self.next = nxt
                    self.cost = cost
                    if tc == 0x74:
                        item = self.string((buf[pos + 1] << 8) | buf[pos + 2], 2)
                    elif tc == 0x7E:
                        item = self.enum()
                    else:
                        item = self.content(tc, False)
                pos = self.pos
                nxt = self.next
                cost = self.cost
                values.append(item[0])
                size += item[1]
            elif op == 0:
                values.extend(arg.unpack_from(buf, pos))
                pos += arg.size
            elif op == 4:
                if buf[pos] == 0x78:
                    pos += 1
                else:
                    self.pos = pos
                    self.next = nxt
                    self.cost = cost
                    if elements is _NO_ELEMENTS:
                        elements = []
                    self.annotations(arg, elements)
                    pos = self.pos
                    nxt = self.next
                    cost = self.cost
            elif op == 3:
                self.pos = pos
                self.next = nxt
                self.cost = cost
                item = self.field_value(True)
                pos = self.pos
                nxt = self.next
                cost = self.cost
                values.append(item[0])
                size += item[1]
            elif op == 1:
                layout, st = arg
                got = st.unpack_from(buf, pos)
                pos += st.size
                for index, value in enumerate(got):
                    if layout[index]:
                        value = chr(value)
                        size += len(value) + 2 if value.isascii() else json_length(value)
                    values.append(value)
            else:
                self.pos = pos
                self.next = nxt
                self.cost = cost
                raise ValueError(arg)
        self.pos = pos
        self.next = nxt
        self.cost = cost
        self.wcost += 264 * kept
        if cost > mx:
            self.over()
        if kind == _GENERIC:
            obj_fields = entry[0].fields
            _fill(obj_fields, plan.names, values)
            entry[1] = size
            cost = entry[3] = 450 + 100 * len(obj_fields)
        elif kind == _PRIMITIVE:
            value = values[plan.value_index] if plan.value_index >= 0 else None
            entry[0] = entry[2] = value
            cost = entry[3] = KEPT_COST + shallow_size(value)
        elif kind == _SPECIAL:
            entry[1] = 32
            entry[0] = self.special(plan, values, elements)
            cost = entry[3] = KEPT_COST + shallow_size(entry[0])
        else:
            cost = entry[3] = self.collection(kind, plan, entry, values, elements, size)
        self.wcost += cost
        self.depth = depth - 1
        return entry

    def array_list(self, handle: int) -> list[Any]:
        """An ArrayList whose capacity block is where the JVM writes it: what the generic
        path does (the same costs and checks in the same order), without its lists."""
        self.cost += 4 + SLOT_COST  # the capacity block
        if self.cost > self.mx:
            self.over()
        self.pos += 10
        depth = self.depth = self.depth + 1
        if depth > MAX_DEPTH:
            raise RecursionError("object graph nested too deeply")
        result: list[Any] = []
        entry = [result, 8, _UNHASHABLE, 0, False]
        self.window.put(handle, entry)
        total = 2
        buf = self.buf
        while True:
            tc = buf[self.pos]
            self.pos += 1
            if tc == 0x78:
                break
            if tc == 0x73:
                item = self.instance()
            elif tc == 0x79:
                self.reset(True)
                continue
            elif tc == 0x77:
                item = self.block(tc)
            else:
                item = self.content(tc, True)
            if self.cost > self.mx:
                self.over()
            result.append(item[0])
            total += 1 + item[1]
        entry[1] = total
        cost = entry[3] = KEPT_COST + sys.getsizeof(result)
        self.wcost += cost
        self.depth = depth - 1
        return entry

    def special(self, plan: _Plan, values: list[Any], blocks: list[bytes]) -> Any:
        assert plan.special is not None
        try:
            fields: dict[str, Any] = {}
            _fill(fields, plan.names, values)
            return plan.special(fields, b"".join(blocks))
        except (ValueError, KeyError, TypeError, OverflowError, struct.error) as exc:
            if self.pending is None:
                self.pending = exc
            return None

    def collection(self, kind: int, plan: _Plan, entry: list[Any], values: list[Any],
                   elements: list[Any], size: int) -> int:
        """Lists, maps and sets from their annotations; returns the window cost."""
        items = elements[_SKIP.get(kind, 0):]
        if kind == _LIST:
            result = entry[0]
            total = 2
            for item in items:
                result.append(item[0])
                total += 1 + item[1]
            entry[1] = total
            return KEPT_COST + sys.getsizeof(result)
        if kind == _MAP:
            chosen: dict[Any, list[Any]] = {}
            for position in range(0, len(items) - 1, 2):
                key_item, value_item = items[position], items[position + 1]
                key = _key(key_item)
                pair = chosen.get(key)
                if pair is None:
                    chosen[key] = [key_item, value_item]
                else:
                    pair[1] = value_item
            mapping = entry[0]
            total = 0
            for key_item, value_item in chosen.values():
                total += key_item[1] + value_item[1]
                mapping[str(key_item[0])] = value_item[0]
            entry[1] = total
            return KEPT_COST + 232 + 100 * len(mapping)
        if kind in (_SET, _TREESET):
            firsts: dict[Any, Any] = {}
            keys = []
            for item in items:
                key = _key(item)
                keys.append(key)
                firsts.setdefault(key, item)
            result = entry[0]
            total = 0
            for key in set(keys):
                item = firsts[key]
                result.append(item[0])
                total += item[1]
            entry[1] = total
            return KEPT_COST + sys.getsizeof(result)
        # java.time.Ser: javaread keeps it as a JavaObject; javaobj checks its block data.
        if plan.has_holder:
            check = JavaTime()
            check.annotations = {cast(Any, _Named(plan.holders[0])): [
                BlockData(item[0]) if item[2] is _BLOCK else item[0] for item in elements]}
            try:
                check.load_from_instance()
            except (IndexError, struct.error) as exc:
                raise ValueError(f"java.time.Ser without its data: {exc}") from None
        obj = JavaObject(plan.name, {})
        _fill(obj.fields, plan.names, values)
        entry[0] = obj
        entry[1] = size
        return 450 + 100 * len(obj.fields)


class _Named:
    """Stands for a class descriptor where javaobj's JavaTime only reads the name."""

    def __init__(self, name: str) -> None:
        self.name = name


def _fill(fields: dict[str, Any], names: list[str], values: list[Any]) -> None:
    """``fields.update(zip(names, values, strict=True))``, without building a zip: called
    with a keyword, zip went through the slow generic call and cost 8% of decoding."""
    count = len(names)
    if len(values) != count:
        raise ValueError(f"{len(values)} field values for {count} fields")
    for index in range(count):
        fields[names[index]] = values[index]


def _prims(letters: list[str], chars: bool) -> tuple[int, Any]:
    st = struct.Struct(">" + "".join(letters))
    if chars:
        return (_OP_CHARS, ([letter == "H" for letter in letters], st))
    return (_OP_PRIMS, st)


def _key(item: Any) -> Any:
    """What javaobj's bean for ``item`` hashes and compares as (in a HashMap or HashSet)."""
    key = item[2]
    if key is _IDENT:
        return (_IDENT, id(item))
    if key is _UNHASHABLE or key is _BLOCK:
        raise TypeError("unhashable type in a Java set or map")
    return key


def _invalid(cd: _ClassDesc) -> str | None:
    """javaobj's JavaClassDesc.validate and data_type, as an error message or None."""
    flags = cd.flags
    serial_or_extern = flags & 0x06
    if serial_or_extern == 0 and cd.fields:
        return "Non-serializable, non-externalizable class has fields"
    if serial_or_extern == 0x06:
        return "Class is both serializable and externalizable"
    if flags & 0x10:
        if cd.fields:
            return "Enums shouldn't implement interfaces or have non-constant fields"
    elif cd.misused:
        return "Non-enum classes shouldn't have enum constants"
    if serial_or_extern == 0:
        return "Unhandled Class Data Type"
    return None


# -- the classes javaread special-cases, from converted fields and block data ---------

def _date(fields: dict[str, Any], block: bytes) -> dt.datetime:
    if len(block) < 8:
        raise ValueError("java.util.Date without its time value")
    return _EPOCH + dt.timedelta(milliseconds=_Q.unpack_from(block)[0])


def _timestamp(fields: dict[str, Any], block: bytes) -> dt.datetime:
    seconds = _date(fields, block).replace(microsecond=0)
    nanos = int(fields.get("nanos") or 0)
    return seconds + dt.timedelta(microseconds=nanos // 1000)


def _calendar(fields: dict[str, Any], block: bytes) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=int(fields["time"]))


def _xml_calendar(fields: dict[str, Any], block: bytes) -> str:
    return str(fields.get("lexicalValue"))


def _big_decimal(fields: dict[str, Any], block: bytes) -> str:
    return decimal_text(fields.get("intVal"), int(fields.get("scale") or 0))


_CONVERTERS: dict[str, Callable[[dict[str, Any], bytes], Any]] = {
    "date": _date, "timestamp": _timestamp, "calendar": _calendar,
    "xml_calendar": _xml_calendar, "big_decimal": _big_decimal,
}
_SPECIALS = {name: _CONVERTERS[kind] for name, kind in SPECIAL_CLASSES.items()}


# -- the public API (javaread's) ------------------------------------------------------

def iter_objects(stream: IO[bytes], entry: str, limits: DecodeLimits | None = None, *,
                 read_size: int = _CHUNK) -> Iterator[Any]:
    """Top-level objects of one serialization stream, converted to Python values."""
    for value, _size in iter_sized(stream, entry, limits, read_size=read_size):
        yield value


def iter_sized(stream: IO[bytes], entry: str, limits: DecodeLimits | None = None, *,
               read_size: int = _CHUNK) -> Iterator[tuple[Any, int]]:
    """Each top-level object with its estimated size as JSON, within ``limits``; the stream
    is read ``read_size`` bytes at a time or more (tests make it tiny to refill often)."""
    limits = limits or DecodeLimits()
    decoder = _Decoder(stream, limits, read_size)
    index = 0
    truncated = "the Java stream ends in the middle of an object"
    try:
        _header(decoder)
    except _Short:
        raise TruncatedStream(truncated, entry, 0) from None
    except ValueError as exc:
        raise JavaStreamError(f"unreadable Java stream: {exc}", entry, 0) from exc
    except Limit as exc:
        raise LimitExceeded(exc.message, exc.setting, exc.limit, entry, 0) from None
    while True:
        try:
            if len(decoder.buf) - decoder.pos < decoder.low_water and not decoder.eof:
                decoder.fill(decoder.chunk)
            if decoder.pos >= len(decoder.buf):
                return
            result = _top(decoder)
        except Limit as exc:
            raise LimitExceeded(exc.message, exc.setting, exc.limit, entry, index) from None
        except _Truncated as exc:
            raise TruncatedStream(truncated, entry, index) from exc
        except RecursionError as exc:
            raise JavaStreamError("object graph nested too deeply", entry, index) from exc
        except _Unconvertible as exc:
            raise JavaStreamError(f"unreadable Java object: {exc}", entry, index) from exc
        except (ValueError, KeyError, TypeError, OverflowError, AssertionError) as exc:
            if decoder.cost > decoder.mx:
                raise LimitExceeded(f"the object needs more than max_object_bytes="
                                    f"{decoder.mx} bytes of memory", "max_object_bytes",
                                    decoder.mx, entry, index) from None
            raise JavaStreamError(f"unreadable Java stream: {exc}", entry, index) from exc
        if result is None:  # TC_RESET
            continue
        index += 1
        yield result[0], result[1]


class _Truncated(Exception):
    pass


class _Unconvertible(Exception):
    """A value javaread's converter refuses (a Date without its time...)."""


def _header(decoder: _Decoder) -> None:
    decoder.fill(max(decoder.chunk, 4))
    buf = decoder.buf
    if len(buf) < 2:
        raise _Short
    magic = (buf[0] << 8) | buf[1]
    if magic != 0xACED:
        raise ValueError(f"not a Java serialization stream (magic 0x{magic:04x})")
    if len(buf) < 4:
        raise _Short
    version = (buf[2] << 8) | buf[3]
    if version != 5:
        raise ValueError(f"unsupported serialization stream version {version}")
    decoder.pos = 4


def _top(decoder: _Decoder) -> tuple[Any, int] | None:
    """One top-level content (None for TC_RESET), parsed again with more data if needed."""
    while True:
        snap = decoder.snapshot()
        decoder.cost = 0
        decoder.depth = 0
        try:
            tc = decoder.buf[decoder.pos]
            decoder.pos += 1
            if tc == 0x79:
                decoder.reset(False)
                return None
            if tc == 0x7B:
                raise ValueError("the stream holds an exception written by the writer")
            item = decoder.content(tc, True)
        except (_Short, IndexError, struct.error) as exc:
            if decoder.cost > decoder.mx:
                decoder.over()
            missing = decoder.eof
            decoder.rollback(snap)
            if missing or not decoder.fill(max(decoder.chunk, len(decoder.buf) - decoder.pos)):
                raise _Truncated from exc
            continue
        if decoder.cost > decoder.mx:
            decoder.over()
        if decoder.pending is not None:
            pending, decoder.pending = decoder.pending, None
            raise _Unconvertible(str(pending)) from pending
        value, size = item[0], item[1]
        if size > decoder.mx:
            raise Limit(f"the object expands to more than max_object_bytes={decoder.mx} bytes "
                        "(large or repeated values)", "max_object_bytes", decoder.mx)
        decoder.settle()
        return value, size
