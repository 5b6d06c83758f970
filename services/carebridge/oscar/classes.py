"""The OSCAR / CAISI integrator classes an EMR push carries, and how to write them.

One compact table below mirrors the Java declarations (``tests/java/src`` stand-ins, facts in
docs/oscar-push-format.md): class, serialVersionUID, kind, fields as ``Type name [= default]``.
Kinds decide the stream class descriptor:

* ``entity`` -- OpenJPA-enhanced ``org.oscarehr.caisi_integrator.dao`` entity: extends
  ``AbstractModel`` (no fields, flags 0x02), flags SC_SERIALIZABLE|SC_WRITE_METHOD (0x03),
  so TC_ENDBLOCKDATA follows its fields;
* ``embeddable`` -- enhanced dao key / value class: flags 0x03, no serializable superclass;
* ``plain`` -- wrappers and transfer classes: flags 0x02.

Defaults are the Java field initializers (``IntegratorFileFooter.checksum = -1``,
``CachedFacility.allowSims = true``, the note's empty HashSets...): deserialization does not
run constructors, so a field left out gets exactly what is written for it.

``java_object(name, **fields)`` checks names and converts values by declared type (str ->
String, int -> int/Integer, or Long/Float where declared, bool, float, aware datetime ->
Date, bytes -> byte[], list -> ArrayList, any iterable -> HashSet for Set fields, enum
constants by name, nested objects as ``java_object`` results or dicts); a wrong name is a
ValueError, a wrong type a TypeError, both naming ``Class.field``. ``write_objects`` /
``encode`` write one complete stream; ``from_decoded`` turns what ``javaread`` read back
into writable objects.

Push formats (generations)
--------------------------
The table is what OSCAR 19 writes: the classes of ``integrator-objects-0.0.4.jar``, where
OSCAR's push wrappers (``org.oscarehr.PMmodule.caisi_integrator.*``) moved out of OSCAR's
own sources in 2018. Checked class by class with ``ObjectStreamClass.lookup`` on that jar
(name, serialVersionUID, stream fields with types and order, superclass, SC_WRITE_METHOD):
every entry matches it. The only difference from the older generation is
``ProgramDeleteIdWrapper``: no class declares a serialVersionUID, so the JVM computes one,
and 0.0.4 made its ``ids`` field private (before: package-private), which changes the
computed value while the bytes of the fields stay the same:

==========================  ===========================  ===============================
push format                 ProgramDeleteIdWrapper SUID  who writes / reads it
==========================  ===========================  ===============================
``"0.0.4"`` (the default)   6970186321583038863          OSCAR 19 (integrator-objects
                                                         0.0.4), its JVM-side integrator
``"legacy"``                -3593417259892044381         OSCAR before the 2018 move (its
                                                         own wrapper sources), the CAISI
                                                         integrator's own wrapper sources
==========================  ===========================  ===============================

A JVM holding one generation throws ``InvalidClassException`` ("local class incompatible")
on the other's wrapper, so ``write_objects`` / ``encode`` take ``push_format`` and write
that generation's serialVersionUID (``PUSH_FORMATS``). carebridge's own reader dispatches
on class names and reads both. The full comparison, older jars included, is in
docs/oscar-push-format.md.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO

from carebridge.oscar import javaread
from carebridge.oscar.javawrite import (
    SC_SERIALIZABLE,
    SC_WRITE_METHOD,
    Boxed,
    ClassDesc,
    EnumConstant,
    FieldDesc,
    Instance,
    JavaSet,
    write_stream,
)

_WRAPPERS = "org.oscarehr.PMmodule.caisi_integrator"
_DAO = "org.oscarehr.caisi_integrator.dao"
_TRANSFER = "org.oscarehr.caisi_integrator.ws.transfer"
_UTIL = "org.oscarehr.caisi_integrator.util"

ENUMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Gender": (f"{_DAO}.CachedDemographic$Gender", ("M", "F", "T", "O", "U")),
    "CodeType": (
        f"{_UTIL}.CodeType",
        ("ICD9", "ICD10", "CUSTOM_ISSUE", "DRUG", "PREVENTION", "SYSTEM", "SNOMED", "SNOMED_CORE"),
    ),
    "Role": (
        f"{_UTIL}.Role",
        (
            "PSYCHIATRIST", "DOCTOR", "RN", "CLINICAL_SOCIAL_WORKER", "RECREATION_THERAPIST",
            "RPN", "NURSE_MANAGER", "CLINICAL_CASE_MANAGER", "CLINICAL_ASSISTANT",
            "MEDICAL_SECRETARY", "HOUSING_WORKER", "COUNSELLOR", "CASE_MANAGER", "SECRETARY",
            "RECEPTIONIST", "SUPPORT_WORKER", "CLIENT_SERVICE_WORKER", "PROPERTY_STAFF", "CSW",
            "SUPPORT_COUNSELLOR",
        ),
    ),
}  # fmt: skip

# (package, class, serialVersionUID, kind, fields in declaration order). Nested types must
# come before the classes that use them.
_TABLE: tuple[tuple[str, str, int, str, str], ...] = (
    (_DAO, "AbstractModel", 8445588353221667446, "plain", ""),
    (_DAO, "FacilityIdIntegerCompositePk", 6684273625189092823, "embeddable",
     "Integer integratorFacilityId; Integer caisiItemId"),
    (_DAO, "FacilityIdStringCompositePk", -3604093556893062689, "embeddable",
     "Integer integratorFacilityId; String caisiItemId"),
    (_DAO, "FacilityIdDemographicIssueCompositePk", -6292964234525710903, "embeddable",
     "Integer integratorFacilityId; Integer caisiDemographicId; CodeType codeType;"
     " String issueCode"),
    (_DAO, "CachedDemographicNoteCompositePk", 1, "embeddable",
     "Integer integratorFacilityId; String uuid"),
    (_DAO, "NoteIssue", 1, "embeddable", "CodeType codeType; String issueCode"),
    (_WRAPPERS, "IntegratorFileHeader", -5554850006590646576, "plain",
     "Date lastDate; Date date; String dependsOn; Integer cachedFacilityId;"
     " String cachedFacilityName; String username"),
    (_WRAPPERS, "IntegratorFileFooter", -245791077494879854, "plain", "int checksum = -1"),
    # 0.0.4's computed value (private ids); PUSH_FORMATS["legacy"] has the older one.
    (_WRAPPERS, "ProgramDeleteIdWrapper", 6970186321583038863, "plain", "List<Integer> ids"),
    (_WRAPPERS, "DeleteCachedDemographicIssuesWrapper", -2035994734443032247, "plain",
     "Integer demographicNo; List<FacilityIdDemographicIssueCompositePk> keys"),
    (_WRAPPERS, "DeleteCachedDemographicPreventionsWrapper", -494428040767056387, "plain",
     "Integer demographicNo; List<Integer> nonDeletedIds"),
    (_WRAPPERS, "ByteWrapper", -4138302449426830186, "plain", "byte[] data"),
    (_DAO, "CachedFacility", -2517194288896303617, "entity",
     "Integer integratorFacilityId; String name; String description; String contactName;"
     " String contactEmail; String contactPhone; boolean hic = false;"
     " boolean enableIntegratedReferrals = true; boolean allowSims = true;"
     " Date lastDataUpdate"),
    (_DAO, "CachedProvider", -3178592570531907948, "entity",
     "FacilityIdStringCompositePk facilityIdStringCompositePk; String firstName;"
     " String lastName; String specialty; String workPhone"),
    # EMR-B calls setRoles(new ArrayList<Role>()) before adding roles.
    (_TRANSFER, "ProviderTransfer", 8127876095215434516, "plain",
     "CachedProvider cachedProvider; ArrayList<Role> roles = new ArrayList"),
    (_DAO, "CachedProgram", 892878660194000526, "entity",
     "FacilityIdIntegerCompositePk facilityIdIntegerCompositePk; String name;"
     " String description; String type; String status; Gender gender; boolean firstNation;"
     " int minAge = 0; int maxAge = 200; boolean bedProgramAffiliated; boolean alcohol;"
     " String abstinenceSupport; boolean physicalHealth; boolean mentalHealth;"
     " boolean housing; String address; String phone; String fax; String url; String email;"
     " String emergencyNumber"),
    (_TRANSFER, "DemographicTransfer", 570194986641348591, "plain",
     "Integer integratorFacilityId; int caisiDemographicId; String caisiProviderId;"
     " String firstName; String lastName; Date birthDate; Gender gender; String hin;"
     " String hinType; String hinVersion; Date hinValidStart; Date hinValidEnd; String sin;"
     " String province; String city; String streetAddress; String phone1; String phone2;"
     " String lastUpdateUser; Date lastUpdateDate; Date photoUpdateDate; byte[] photo;"
     " boolean removeId"),
    (_DAO, "CachedDemographicNote", 3202392287993714226, "entity",
     "CachedDemographicNoteCompositePk cachedDemographicNoteCompositePk; Date updateDate;"
     " Date observationDate; int caisiDemographicId; String observationCaisiProviderId;"
     " String signingCaisiProviderId; String encounterType; int caisiProgramId; String note;"
     " String role; Set<String> noteIssues = new HashSet;"
     " Set<NoteIssue> issues = new HashSet"),
    (_DAO, "CachedAppointment", 4187303396737281637, "entity",
     "FacilityIdIntegerCompositePk facilityAppointmentPk; Integer caisiDemographicId;"
     " String caisiProviderId; Date appointmentDate; Date startTime; Date endTime;"
     " String notes; String reason; String location; String resources; String type;"
     " String style; String status; Date createDatetime; Date updateDatetime; String remarks"),
    (_DAO, "CachedAdmission", 475490153351795557, "entity",
     "FacilityIdIntegerCompositePk facilityIdIntegerCompositePk; int caisiDemographicId;"
     " int caisiProgramId; Date admissionDate; Date dischargeDate; String admissionNotes;"
     " String dischargeNotes"),
    (_DAO, "CachedDemographicDocument", 743919396538312571, "entity",
     "FacilityIdIntegerCompositePk facilityIntegerPk; int caisiDemographicId; String docType;"
     " String docXml; String docFilename; String docCreator; String responsible;"
     " String source; Integer programId; Date updateDateTime; String status;"
     " String contentType; int public1; Date observationDate; String reviewer;"
     " Date reviewDateTime; int numberOfPages; int appointmentNo; String description"),
    (_DAO, "CachedDemographicIssue", 2003466602538355709, "entity",
     "FacilityIdDemographicIssueCompositePk facilityDemographicIssuePk;"
     " String issueDescription; Role issueRole; Boolean acute; Boolean certain;"
     " Boolean major; Boolean resolved"),
    (_DAO, "CachedDemographicDrug", -1659277755766988859, "entity",
     "FacilityIdIntegerCompositePk facilityIdIntegerCompositePk; String caisiProviderId;"
     " Integer caisiDemographicId; Date rxDate; Date endDate; String brandName;"
     " String customName; float takeMin; float takeMax; String freqCode; String duration;"
     " String durUnit; String quantity; int repeats; Date lastRefillDate; boolean noSubs;"
     " boolean prn; String special; boolean archived; String archivedReason;"
     " Date archivedDate; String genericName; String atc; int scriptNo;"
     " String regionalIdentifier; String unit; String method; String route; String drugForm;"
     " Date createDate; String dosage; boolean customInstructions; String unitName;"
     " Boolean longTerm; Boolean pastMed; Boolean patientCompliance"),
    (_DAO, "CachedDemographicAllergy", 6631114811357540778, "entity",
     "FacilityIdIntegerCompositePk facilityIdIntegerCompositePk; int caisiDemographicId;"
     " Date entryDate; int pickId; String description; int hiclSeqNo; int hicSeqNo;"
     " int agcsp; int agccs; int typeCode; String reaction; Date startDate;"
     " String ageOfOnset; String severityCode; String onSetCode; String regionalIdentifier;"
     " String lifeStage"),
    (_DAO, "CachedMeasurement", 8171701675811807108, "entity",
     "FacilityIdIntegerCompositePk facilityMeasurementPk; String type;"
     " Integer caisiDemographicId; String caisiProviderId; String dataField;"
     " String measuringInstruction; String comments; Date dateObserved; Date dateEntered"),
    (_DAO, "CachedDemographicPrevention", -5461784508345120397, "entity",
     "FacilityIdIntegerCompositePk facilityPreventionPk; Integer caisiDemographicId;"
     " Date preventionDate; String caisiProviderId; String preventionType; Date nextDate;"
     " boolean refused; boolean never; String attributes"),
)  # fmt: skip

DEFAULT_PUSH_FORMAT = "0.0.4"
LEGACY_PUSH_FORMAT = "legacy"
# Per push format, the serialVersionUIDs that differ from the table's (0.0.4) ones.
PUSH_FORMATS: dict[str, dict[str, int]] = {
    DEFAULT_PUSH_FORMAT: {},
    LEGACY_PUSH_FORMAT: {f"{_WRAPPERS}.ProgramDeleteIdWrapper": -3593417259892044381},
}

_FLAGS = {
    "plain": SC_SERIALIZABLE,
    "embeddable": SC_SERIALIZABLE | SC_WRITE_METHOD,
    "entity": SC_SERIALIZABLE | SC_WRITE_METHOD,
}
_PRIMITIVE_TYPES = {
    "boolean": "Z", "byte": "B", "char": "C", "short": "S", "int": "I", "long": "J",
    "float": "F", "double": "D",
}  # fmt: skip
_JDK_TYPES = {
    "String": "java.lang.String", "Integer": "java.lang.Integer", "Long": "java.lang.Long",
    "Boolean": "java.lang.Boolean", "Float": "java.lang.Float", "Double": "java.lang.Double",
    "Date": "java.util.Date", "List": "java.util.List", "ArrayList": "java.util.ArrayList",
    "Set": "java.util.Set", "HashSet": "java.util.HashSet",
}  # fmt: skip
_COLLECTIONS = {"List": False, "ArrayList": False, "Set": True, "HashSet": True}
_DEFAULTS: dict[str, Any] = {
    "true": True, "false": False, "new ArrayList": (), "new HashSet": JavaSet(),
}  # fmt: skip
_FIELD = re.compile(r"^(\w+(?:\[\])?)(?:<(\w+)>)?\s+(\w+)(?:\s*=\s*(.+))?$")
_INT_RANGES = {"B": 8, "S": 16, "I": 32, "J": 64}

Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class OscarClass:
    """One catalogue entry: the stream class descriptor plus a value converter per field."""

    simple_name: str
    desc: ClassDesc
    converters: Mapping[str, Converter]

    @property
    def name(self) -> str:
        return self.desc.name

    @property
    def suid(self) -> int:
        return self.desc.suid

    @property
    def flags(self) -> int:
        return self.desc.flags

    @property
    def superclass(self) -> str | None:
        return self.desc.superclass.name if self.desc.superclass else None

    @property
    def field_types(self) -> dict[str, str]:
        """Field name -> JVM type descriptor, in declaration order."""
        return {f.name: f.descriptor for f in self.desc.fields}


CLASSES: dict[str, OscarClass] = {}
_BY_FULL_NAME: dict[str, OscarClass] = {}
_ENUM_CONSTANTS: dict[str, dict[str, EnumConstant]] = {
    simple: {name: EnumConstant(class_name, name) for name in constants}
    for simple, (class_name, constants) in ENUMS.items()
}


# -- value converters -----------------------------------------------------------------


def _type_error(where: str, expected: str, value: Any) -> TypeError:
    return TypeError(f"{where}: expected {expected}, got {type(value).__name__} {value!r:.60}")


def _integral(where: str, code: str, boxed: bool) -> Converter:
    bits = _INT_RANGES[code]
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    wrap = boxed and code != "I"

    def convert(value: Any) -> Any:
        if value is None and boxed:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise _type_error(where, "int", value)
        if not low <= value <= high:
            raise ValueError(f"{where}: {value} does not fit {bits} bits")
        value = int(value)
        return Boxed(code, value) if wrap else value

    return convert


def _floating(where: str, code: str, boxed: bool) -> Converter:
    limit = 3.4028234663852886e38 if code == "F" else float("inf")

    def convert(value: Any) -> Any:
        if value is None and boxed:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _type_error(where, "float", value)
        value = float(value)
        if abs(value) > limit and value != float("inf") and value != float("-inf"):
            raise ValueError(f"{where}: {value} does not fit a Java float")
        return Boxed(code, value) if boxed and code == "F" else value

    return convert


def _boolean(where: str, boxed: bool) -> Converter:
    def convert(value: Any) -> Any:
        if value is None and boxed:
            return None
        if not isinstance(value, bool):
            raise _type_error(where, "bool", value)
        return value

    return convert


def _char(where: str) -> Converter:
    def convert(value: Any) -> Any:
        if isinstance(value, str) and len(value) == 1 and ord(value) <= 0xFFFF:
            return value
        raise _type_error(where, "one BMP character", value)

    return convert


def _of_type(where: str, kinds: type | tuple[type, ...], expected: str) -> Converter:
    def convert(value: Any) -> Any:
        if value is None or isinstance(value, kinds):
            return value
        raise _type_error(where, expected, value)

    return convert


def _date(where: str) -> Converter:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise _type_error(where, "an aware datetime", value)
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{where}: naive datetime {value.isoformat()} (give it a timezone)")
        return value

    return convert


def _bytes(where: str) -> Converter:
    def convert(value: Any) -> Any:
        if value is None or type(value) is bytes:
            return value
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        raise _type_error(where, "bytes", value)

    return convert


def _enum(where: str, simple: str) -> Converter:
    constants = _ENUM_CONSTANTS[simple]
    class_name = ENUMS[simple][0]

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, EnumConstant):
            if value.class_name != class_name:
                raise _type_error(where, class_name, value)
            value = value.name
        if not isinstance(value, str):
            raise _type_error(where, f"a {simple} constant name", value)
        constant = constants.get(value)
        if constant is None:
            raise ValueError(f"{where}: {value!r} is no {simple} constant ({', '.join(constants)})")
        return constant

    return convert


def _nested(where: str, simple: str) -> Converter:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Instance):
            if value.desc is not CLASSES[simple].desc:
                raise _type_error(where, simple, value)
            return value
        if isinstance(value, Mapping):
            return java_object(simple, **value)
        raise _type_error(where, f"a {simple} (java_object or dict)", value)

    return convert


def _collection(where: str, element: Converter, as_set: bool) -> Converter:
    def convert(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str | bytes | bytearray | Mapping) or not isinstance(
            value, Iterable
        ):
            raise _type_error(where, "a list" if not as_set else "a set or list", value)
        if not as_set:
            if isinstance(value, set | frozenset):
                raise _type_error(where, "an ordered list", value)
            return [element(item) for item in value]
        if isinstance(value, set | frozenset):
            try:
                value = sorted(value)  # equal input, equal bytes
            except TypeError:
                value = list(value)
        return JavaSet(element(item) for item in value)

    return convert


def _resolve(where: str, type_name: str, element: str | None) -> tuple[str, Converter]:
    """JVM descriptor and converter for one declared type (element: generic argument)."""
    if type_name in _PRIMITIVE_TYPES:
        code = _PRIMITIVE_TYPES[type_name]
        return code, _value_converter(where, code, boxed=False)
    if type_name == "byte[]":
        return "[B", _bytes(where)
    if type_name in _COLLECTIONS:
        if element is None:
            raise ValueError(f"{where}: {type_name} needs an element type")
        _, item = _resolve(f"{where}[]", element, None)
        return _descriptor(_JDK_TYPES[type_name]), _collection(
            where, item, _COLLECTIONS[type_name]
        )
    if element is not None:
        raise ValueError(f"{where}: {type_name} is not generic")
    if type_name in ("Integer", "Long", "Boolean", "Float", "Double"):
        wrapped = {"Integer": "I", "Long": "J", "Boolean": "Z", "Float": "F", "Double": "D"}
        return _descriptor(_JDK_TYPES[type_name]), _value_converter(
            where, wrapped[type_name], boxed=True
        )
    if type_name == "String":
        return _descriptor(_JDK_TYPES[type_name]), _of_type(where, str, "str")
    if type_name == "Date":
        return _descriptor(_JDK_TYPES[type_name]), _date(where)
    if type_name in ENUMS:
        return _descriptor(ENUMS[type_name][0]), _enum(where, type_name)
    if type_name in CLASSES:
        return _descriptor(CLASSES[type_name].name), _nested(where, type_name)
    raise ValueError(f"{where}: unknown type {type_name}")


def _value_converter(where: str, code: str, boxed: bool) -> Converter:
    if code in _INT_RANGES:
        return _integral(where, code, boxed)
    if code in "FD":
        return _floating(where, code, boxed)
    if code == "Z":
        return _boolean(where, boxed)
    return _char(where)


def _descriptor(class_name: str) -> str:
    return "L" + class_name.replace(".", "/") + ";"


def _default(where: str, text: str | None) -> Any:
    if text is None:
        return None
    if text in _DEFAULTS:
        return _DEFAULTS[text]
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{where}: unsupported default {text!r}") from None


def _build() -> None:
    abstract_model: ClassDesc | None = None
    for package, simple, suid, kind, spec in _TABLE:
        fields: list[FieldDesc] = []
        converters: dict[str, Converter] = {}
        for declaration in filter(None, (part.strip() for part in spec.split(";"))):
            match = _FIELD.match(declaration)
            if match is None:
                raise ValueError(f"{simple}: cannot parse field {declaration!r}")
            type_name, element, name, default = match.groups()
            where = f"{simple}.{name}"
            descriptor, converter = _resolve(where, type_name, element)
            fields.append(FieldDesc(name, descriptor, _default(where, default)))
            converters[name] = converter
        superclass = abstract_model if kind == "entity" else None
        desc = ClassDesc(f"{package}.{simple}", suid, _FLAGS[kind], fields, superclass)
        if simple == "AbstractModel":
            abstract_model = desc
            continue  # abstract: never written on its own
        CLASSES[simple] = _BY_FULL_NAME[desc.name] = OscarClass(simple, desc, converters)


_build()


# -- public API -----------------------------------------------------------------------


def oscar_class(name: str) -> OscarClass:
    """The catalogue entry for a simple or fully qualified class name (ValueError if none)."""
    entry = CLASSES.get(name) or _BY_FULL_NAME.get(name)
    if entry is None:
        raise ValueError(f"{name!r} is not an OSCAR class carebridge writes")
    return entry


def java_object(class_name: str, /, **fields: Any) -> Instance:
    """An instance of an OSCAR class, fields checked by name and converted by declared type."""
    entry = oscar_class(class_name)
    converters = entry.converters
    converted: dict[str, Any] = {}
    for name, value in fields.items():
        converter = converters.get(name)
        if converter is None:
            raise ValueError(
                f"{entry.simple_name} has no field {name!r} (fields: {', '.join(converters)})"
            )
        converted[name] = converter(value)
    return Instance(entry.desc, converted)


def enum_constant(enum_name: str, constant: str) -> EnumConstant:
    """An enum constant (``enum_constant("Role", "DOCTOR")``) for lists of enums and the like."""
    try:
        return _ENUM_CONSTANTS[enum_name][constant]
    except KeyError:
        raise ValueError(f"no enum constant {enum_name}.{constant}") from None


def suid_overrides(push_format: str) -> dict[str, int]:
    """The serialVersionUIDs ``push_format`` writes differently from the table (ValueError
    for an unknown format); ``javawrite.ObjectStreamWriter`` takes them as they are."""
    try:
        return dict(PUSH_FORMATS[push_format])
    except KeyError:
        raise ValueError(
            f"unknown push format {push_format!r} (known: {', '.join(PUSH_FORMATS)})"
        ) from None


def serial_version_uid(class_name: str, push_format: str = DEFAULT_PUSH_FORMAT) -> int:
    """The serialVersionUID ``push_format`` writes for a catalogue class."""
    entry = oscar_class(class_name)
    return suid_overrides(push_format).get(entry.name, entry.suid)


def write_objects(
    stream: BinaryIO,
    objects: Iterable[Any],
    *,
    push_format: str = DEFAULT_PUSH_FORMAT,
    **options: Any,
) -> int:
    """Write one complete .ser stream, object by object; returns how many were written.

    ``push_format`` picks the class generation (``PUSH_FORMATS``); ``options`` go to
    ``javawrite.ObjectStreamWriter`` (string sharing, flush size).
    """
    return write_stream(stream, objects, suid_overrides=suid_overrides(push_format), **options)


def encode(
    objects: Iterable[Any], *, push_format: str = DEFAULT_PUSH_FORMAT, **options: Any
) -> bytes:
    """One complete .ser stream as bytes (for small streams and tests)."""
    out = io.BytesIO()
    write_objects(out, objects, push_format=push_format, **options)
    return out.getvalue()


def from_decoded(value: Any) -> Any:
    """Turn a value ``javaread.iter_objects`` produced back into one ``write_objects`` takes.

    Decoded enums, sets and boxed numbers are plain strings, lists and numbers there; the
    catalogue's declared field types restore them. Unknown classes are a ValueError.
    """
    if isinstance(value, javaread.JavaObject):
        entry = oscar_class(value.class_name)
        return java_object(
            entry.simple_name, **{k: from_decoded(v) for k, v in value.fields.items()}
        )
    if isinstance(value, list):
        return [from_decoded(item) for item in value]
    if isinstance(value, dict):
        raise ValueError("maps are not part of OSCAR pushes and cannot be re-encoded")
    return value
