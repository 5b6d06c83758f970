"""javawrite + the OSCAR catalogue against a real JVM's ObjectInputStream.

Every catalogue class is written with realistic values and read back twice: on the JVM by
carebridge.testkit.DumpObjects (reflection, one JSON line per object) and by carebridge's own
javaser. Pushes the JVM wrote (MakePush) are decoded, re-encoded and read again by the JVM.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carebridge.oscar import javaread as javaser
from carebridge.oscar.classes import (
    CLASSES,
    DEFAULT_PUSH_FORMAT,
    ENUMS,
    LEGACY_PUSH_FORMAT,
    PUSH_FORMATS,
    encode,
    enum_constant,
    from_decoded,
    java_object,
    oscar_class,
    serial_version_uid,
    write_objects,
)
from carebridge.oscar.exceptions import TruncatedStream
from carebridge.oscar.javawrite import (
    Boxed,
    EnumConstant,
    Instance,
    JavaSet,
    ObjectStreamWriter,
)
from tests import jvm
from tests.integration.conftest import T0

pytestmark = pytest.mark.jvm

UTC = dt.UTC
DAY = dt.timedelta(days=1)
MS = dt.timedelta(milliseconds=1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


# -- running the JVM reader --------------------------------------------------------------


def dump(build: Path, data: bytes, where: Path) -> list[dict]:
    """DumpObjects' JSON lines for one .ser stream (an error is the last line)."""
    where.write_bytes(data)
    return jvm.dump_objects(build, where)


def decode(data: bytes) -> list[Any]:
    return list(javaser.iter_objects(io.BytesIO(data), "test.ser"))


# -- what each reader should see, derived from the objects handed to the writer ----------


def _float32(value: float) -> float:
    return struct.unpack(">f", struct.pack(">f", value))[0]


def _millis(value: dt.datetime) -> int:
    return (value - EPOCH) // MS


def _sorted(items: list) -> list:
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def jvm_view(value: Any, descriptor: str | None = None) -> Any:
    """DumpObjects' rendering of a written value (descriptor: the primitive field type)."""
    if descriptor is not None and len(descriptor) == 1:
        if descriptor in "IZ":
            return value
        if descriptor == "F":
            return {"$float": _float32(value)}
        tag = {"J": "$long", "S": "$short", "B": "$byte", "D": "$double", "C": "$char"}
        return {tag[descriptor]: value}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value if -(2**31) <= value < 2**31 else {"$long": value}
    if isinstance(value, float):
        return {"$double": value}
    if isinstance(value, Boxed):
        return jvm_view(value.value, value.code)
    if isinstance(value, dt.datetime):
        return {"$date": _millis(value)}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, EnumConstant):
        return {"$enum": value.class_name, "name": value.name}
    if isinstance(value, JavaSet | set | frozenset):
        return {"$set": "java.util.HashSet", "items": _sorted([jvm_view(v) for v in value])}
    if isinstance(value, list | tuple):
        return {"$list": "java.util.ArrayList", "items": [jvm_view(v) for v in value]}
    if isinstance(value, Instance):
        fields = {}
        for field in value.desc.all_fields():
            raw = value.fields.get(field.name, field.default)
            fields[field.name] = jvm_view(raw, field.descriptor if field.primitive else None)
        return {"$class": value.desc.name, "fields": fields}
    raise AssertionError(f"no JVM view for {value!r}")


def normalized(line: Any) -> Any:
    """A DumpObjects line with HashSet items in a canonical order (their order is the JVM's)."""
    if isinstance(line, list):
        return [normalized(v) for v in line]
    if isinstance(line, dict):
        out = {k: normalized(v) for k, v in line.items()}
        if "$set" in out:
            out["items"] = _sorted(out["items"])
        return out
    return line


_SETS = ("Ljava/util/Set;", "Ljava/util/HashSet;")


def canon(value: Any) -> Any:
    """javaser output with Set fields sorted: javaser hands a HashSet over as a Python set,
    so their order follows Python's (randomized) set order."""
    if isinstance(value, javaser.JavaObject):
        types = oscar_class(value.class_name).field_types
        return value.class_name, {
            k: sorted((canon(x) for x in v), key=repr) if types.get(k) in _SETS and v else canon(v)
            for k, v in value.fields.items()
        }
    if isinstance(value, list):
        return [canon(v) for v in value]
    return value


def javaser_view(value: Any, descriptor: str | None = None) -> Any:
    """What javaser.iter_objects should return for a written value."""
    if descriptor == "F":
        return _float32(value)
    if isinstance(value, Boxed):
        return _float32(value.value) if value.code == "F" else value.value
    if isinstance(value, dt.datetime):
        return EPOCH + _millis(value) * MS
    if isinstance(value, EnumConstant):
        return value.name
    if isinstance(value, JavaSet | list | tuple):
        return [javaser_view(v) for v in value]
    if isinstance(value, Instance):
        fields = {}
        for field in value.desc.all_fields():
            raw = value.fields.get(field.name, field.default)
            fields[field.name] = javaser_view(raw, field.descriptor)
        return javaser.JavaObject(value.desc.name, fields)
    return value


# -- realistic samples of every catalogue class ------------------------------------------

NOTE = (
    "S: 54 y/o presents for diabetes follow-up; reports good adherence to metformin.\n"
    "O: BP 128/82, HR 72, A1C 7.1% (prev 7.6%). Feet: monofilament intact.\n"
    "A: T2DM improving. P: continue metformin 500 mg BID, recheck A1C in 3 months. Zoë ☃"
)


def int_pk(item: int) -> Instance:
    return java_object("FacilityIdIntegerCompositePk", integratorFacilityId=None, caisiItemId=item)


def issue_pk(demographic: int, code: str = "250") -> Instance:
    return java_object(
        "FacilityIdDemographicIssueCompositePk", integratorFacilityId=None,
        caisiDemographicId=demographic, codeType="ICD9", issueCode=code,
    )  # fmt: skip


def samples() -> dict[str, Instance]:
    t = T0
    provider = java_object(
        "CachedProvider",
        facilityIdStringCompositePk=java_object(
            "FacilityIdStringCompositePk", integratorFacilityId=None, caisiItemId="999998"),
        firstName="Jane", lastName="O'Neil-Ngata", specialty="Family Medicine",
        workPhone="905-555-0101 ext. 12",
    )  # fmt: skip
    return {
        "IntegratorFileHeader": java_object(
            "IntegratorFileHeader", lastDate=t - 7 * DAY, date=t, dependsOn="0cc175b9c0f1b6a8",
            cachedFacilityId=4, cachedFacilityName="Hamilton Family Health Team",
            username="clinic-a"),
        "IntegratorFileFooter": java_object("IntegratorFileFooter", checksum=-1),
        "ProgramDeleteIdWrapper": java_object("ProgramDeleteIdWrapper", ids=[10, 11, 12]),
        "DeleteCachedDemographicIssuesWrapper": java_object(
            "DeleteCachedDemographicIssuesWrapper", demographicNo=1042,
            keys=[issue_pk(1042), issue_pk(1042, "401")]),
        "DeleteCachedDemographicPreventionsWrapper": java_object(
            "DeleteCachedDemographicPreventionsWrapper", demographicNo=1042,
            nonDeletedIds=[88, 91]),
        "ByteWrapper": java_object("ByteWrapper", data=bytes(range(256))),
        "CachedFacility": java_object(
            "CachedFacility", integratorFacilityId=4, name="Hamilton FHT",
            description="Family health team, 3 sites", contactName="Dr. A. Singh",
            contactEmail="it@hfht.example.org", contactPhone="905-555-0100", hic=True,
            enableIntegratedReferrals=False, allowSims=True, lastDataUpdate=t - DAY),
        "FacilityIdIntegerCompositePk": int_pk(77),
        "FacilityIdStringCompositePk": java_object(
            "FacilityIdStringCompositePk", integratorFacilityId=4, caisiItemId="999998"),
        "FacilityIdDemographicIssueCompositePk": issue_pk(1042),
        "CachedDemographicNoteCompositePk": java_object(
            "CachedDemographicNoteCompositePk", integratorFacilityId=None,
            uuid="5c4e1b7e-8f5a-4f6e-9a51-0b5f2f0e9d11:1042"),
        "NoteIssue": java_object("NoteIssue", codeType="ICD10", issueCode="E11.9"),
        "CachedProvider": provider,
        "ProviderTransfer": java_object(
            "ProviderTransfer", cachedProvider=provider, roles=["DOCTOR", "CASE_MANAGER"]),
        "CachedProgram": java_object(
            "CachedProgram", facilityIdIntegerCompositePk=int_pk(10), name="Diabetes clinic",
            description="Adult diabetes education", type="Service", status="active",
            gender="U", firstNation=True, minAge=18, maxAge=120, bedProgramAffiliated=False,
            alcohol=True, abstinenceSupport="Harm reduction", physicalHealth=True,
            mentalHealth=False, housing=True, address="1 King St W, Hamilton",
            phone="905-555-0110", fax="905-555-0111", url="https://hfht.example.org/dm",
            email="dm@hfht.example.org", emergencyNumber="911"),
        "DemographicTransfer": java_object(
            "DemographicTransfer", integratorFacilityId=None, caisiDemographicId=1042,
            caisiProviderId="999998", firstName="Zoë", lastName="Tremblay-Ng",
            birthDate=dt.datetime(1970, 5, 17, tzinfo=UTC), gender="F", hin="9876543225",
            hinType="ON", hinVersion="AB", hinValidStart=t - 400 * DAY,
            hinValidEnd=t + 1400 * DAY, sin="046454286", province="ON", city="Hamilton",
            streetAddress="12 Main St E, Apt 3", phone1="905-555-0123", phone2="",
            lastUpdateUser="999998", lastUpdateDate=t - 3 * DAY + 123 * MS,
            photoUpdateDate=t - 30 * DAY, photo=b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(500),
            removeId=False),
        "CachedDemographicNote": java_object(
            "CachedDemographicNote",
            cachedDemographicNoteCompositePk=java_object(
                "CachedDemographicNoteCompositePk", integratorFacilityId=None,
                uuid="5c4e1b7e-8f5a-4f6e-9a51-0b5f2f0e9d11:1042"),
            updateDate=t - DAY, observationDate=t - 2 * DAY, caisiDemographicId=1042,
            observationCaisiProviderId="999998", signingCaisiProviderId="999997",
            encounterType="face to face encounter with client", caisiProgramId=10,
            note=NOTE, role="doctor", noteIssues={"ICD9.250", "ICD9.401"},
            issues=[java_object("NoteIssue", codeType="ICD9", issueCode="250"),
                    java_object("NoteIssue", codeType="ICD9", issueCode="401")]),
        "CachedAppointment": java_object(
            "CachedAppointment", facilityAppointmentPk=int_pk(5001), caisiDemographicId=1042,
            caisiProviderId="999998", appointmentDate=t + 2 * DAY,
            startTime=t + 2 * DAY + dt.timedelta(hours=9),
            endTime=t + 2 * DAY + dt.timedelta(hours=9, minutes=15), notes="bring glucometer",
            reason="DM follow-up", location="Site 2", resources="room 4", type="F/U",
            style="", status="t", createDatetime=t - 10 * DAY, updateDatetime=t - DAY,
            remarks="confirmed by phone"),
        "CachedAdmission": java_object(
            "CachedAdmission", facilityIdIntegerCompositePk=int_pk(300), caisiDemographicId=1042,
            caisiProgramId=10, admissionDate=t - 300 * DAY, dischargeDate=t - 20 * DAY,
            admissionNotes="referred by GP", dischargeNotes="completed education series"),
        "CachedDemographicDocument": java_object(
            "CachedDemographicDocument", facilityIntegerPk=int_pk(9001), caisiDemographicId=1042,
            docType="lab", docXml="<doc/>", docFilename="A1C_2024-02-27.pdf",
            docCreator="999998", responsible="999997", source="LifeLabs", programId=10,
            updateDateTime=t - 2 * DAY, status="A", contentType="application/pdf", public1=0,
            observationDate=t - 4 * DAY, reviewer="999998", reviewDateTime=t - DAY,
            numberOfPages=2, appointmentNo=5001, description="HbA1c result"),
        "CachedDemographicIssue": java_object(
            "CachedDemographicIssue", facilityDemographicIssuePk=issue_pk(1042),
            issueDescription="Diabetes mellitus type 2", issueRole="DOCTOR", acute=False,
            certain=True, major=True, resolved=None),
        "CachedDemographicDrug": java_object(
            "CachedDemographicDrug", facilityIdIntegerCompositePk=int_pk(700),
            caisiProviderId="999998", caisiDemographicId=1042, rxDate=t - 5 * DAY,
            endDate=t + 85 * DAY, brandName="GLUCOPHAGE", customName=None, takeMin=0.5,
            takeMax=1.1, freqCode="BID", duration="90", durUnit="D", quantity="180",
            repeats=3, lastRefillDate=t - 5 * DAY, noSubs=True, prn=False,
            special="Metformin 500mg 1 tab BID with meals", archived=False,
            archivedReason="", archivedDate=None, genericName="METFORMIN HCL", atc="A10BA02",
            scriptNo=12, regionalIdentifier="02099233", unit="mg", method="Take",
            route="PO", drugForm="TAB", createDate=t - 5 * DAY, dosage="500 mg",
            customInstructions=False, unitName="tab", longTerm=True, pastMed=False,
            patientCompliance=None),
        "CachedDemographicAllergy": java_object(
            "CachedDemographicAllergy", facilityIdIntegerCompositePk=int_pk(41),
            caisiDemographicId=1042, entryDate=t - 900 * DAY, pickId=3, description="PENICILLIN",
            hiclSeqNo=0, hicSeqNo=0, agcsp=0, agccs=0, typeCode=8, reaction="hives",
            startDate=t - 9000 * DAY, ageOfOnset="12", severityCode="2", onSetCode="1",
            regionalIdentifier="", lifeStage="C"),
        "CachedMeasurement": java_object(
            "CachedMeasurement", facilityMeasurementPk=int_pk(6101), type="BP",
            caisiDemographicId=1042, caisiProviderId="999998", dataField="128/82",
            measuringInstruction="sitting position", comments="", dateObserved=t - 2 * DAY,
            dateEntered=t - 2 * DAY + dt.timedelta(hours=1)),
        "CachedDemographicPrevention": java_object(
            "CachedDemographicPrevention", facilityPreventionPk=int_pk(88),
            caisiDemographicId=1042, preventionDate=t - 150 * DAY, caisiProviderId="999998",
            preventionType="Flu", nextDate=t + 215 * DAY, refused=False, never=False,
            attributes="<PreventionExt><lot>AB123</lot><location>left deltoid</location>"
                       "</PreventionExt>"),
    }  # fmt: skip


SAMPLES = samples()
NAMES = sorted(SAMPLES)


def test_every_catalogue_class_has_a_sample_setting_every_field() -> None:
    assert set(SAMPLES) == set(CLASSES)
    for name, sample in SAMPLES.items():
        declared = {f.name for f in sample.desc.all_fields()}
        assert set(sample.fields) == declared, name


@pytest.fixture(scope="module")
def samples_written(jvm_build: Path, tmp_path_factory: pytest.TempPathFactory
                    ) -> tuple[bytes, list[dict]]:
    data = encode(SAMPLES[name] for name in NAMES)
    return data, dump(jvm_build, data, tmp_path_factory.mktemp("samples") / "samples.ser")


@pytest.mark.parametrize("name", NAMES)
def test_jvm_reads_every_value(samples_written: tuple[bytes, list[dict]], name: str) -> None:
    _, lines = samples_written
    assert len(lines) == len(NAMES) and "error" not in lines[-1], lines[-1]
    assert normalized(lines[NAMES.index(name)]) == normalized(jvm_view(SAMPLES[name]))


@pytest.mark.parametrize("name", NAMES)
def test_javaser_reads_every_value(samples_written: tuple[bytes, list[dict]], name: str) -> None:
    data, _ = samples_written
    assert canon(decode(data)[NAMES.index(name)]) == canon(javaser_view(SAMPLES[name]))


def test_spot_checks_of_the_jvm_view(samples_written: tuple[bytes, list[dict]]) -> None:
    """A few values spelled out, not derived, so jvm_view cannot hide a shared mistake."""
    _, lines = samples_written
    demo = lines[NAMES.index("DemographicTransfer")]["fields"]
    assert demo["gender"] == {"$enum": "org.oscarehr.caisi_integrator.dao.CachedDemographic$Gender",
                              "name": "F"}
    assert demo["birthDate"] == {"$date": 136 * 86_400_000}  # 1970-05-17
    assert demo["caisiDemographicId"] == 1042 and demo["removeId"] is False
    assert base64.b64decode(demo["photo"]["$bytes"])[:4] == b"\x89PNG"
    note = lines[NAMES.index("CachedDemographicNote")]["fields"]
    assert note["note"] == NOTE
    assert note["noteIssues"]["$set"] == "java.util.HashSet"
    assert sorted(note["noteIssues"]["items"]) == ["ICD9.250", "ICD9.401"]
    drug = lines[NAMES.index("CachedDemographicDrug")]["fields"]
    assert drug["takeMax"] == {"$float": 1.100000023841858}
    assert drug["longTerm"] is True and drug["patientCompliance"] is None
    footer = lines[NAMES.index("IntegratorFileFooter")]
    assert footer == {"$class": "org.oscarehr.PMmodule.caisi_integrator.IntegratorFileFooter",
                      "fields": {"checksum": -1}}
    roles = lines[NAMES.index("ProviderTransfer")]["fields"]["roles"]
    assert roles["$list"] == "java.util.ArrayList"
    assert [r["name"] for r in roles["items"]] == ["DOCTOR", "CASE_MANAGER"]


def test_unset_fields_take_the_java_initializers(jvm_build: Path, tmp_path: Path) -> None:
    objects = [java_object("IntegratorFileFooter"), java_object("CachedFacility", name="x"),
               java_object("CachedProgram"), java_object("CachedDemographicNote"),
               java_object("ProviderTransfer")]
    lines = dump(jvm_build, encode(objects), tmp_path / "defaults.ser")
    assert lines[0]["fields"] == {"checksum": -1}
    facility = lines[1]["fields"]
    assert (facility["hic"], facility["enableIntegratedReferrals"], facility["allowSims"]) == (
        False, True, True)
    assert (lines[2]["fields"]["minAge"], lines[2]["fields"]["maxAge"]) == (0, 200)
    note = lines[3]["fields"]
    assert note["issues"]["items"] == [] and note["noteIssues"]["items"] == []
    assert note["cachedDemographicNoteCompositePk"] is None and note["note"] is None
    assert lines[4]["fields"]["roles"] == {"$list": "java.util.ArrayList", "items": []}


def test_every_field_null_or_zero(jvm_build: Path, tmp_path: Path) -> None:
    """None for every object field, 0/false for primitives: the JVM reads nulls."""
    objects = []
    for name in NAMES:
        desc = CLASSES[name].desc
        objects.append(java_object(name, **{
            f.name: (False if f.descriptor == "Z" else 0) if f.primitive else None
            for f in desc.all_fields()
        }))
    lines = dump(jvm_build, encode(objects), tmp_path / "nulls.ser")
    assert len(lines) == len(objects) and "error" not in lines[-1], lines[-1]
    for line, obj in zip(lines, objects, strict=True):
        assert line == jvm_view(obj)
    assert canon(decode(encode(objects))) == canon([javaser_view(o) for o in objects])


def test_generic_values_strings_and_boxes(jvm_build: Path, tmp_path: Path) -> None:
    """Top-level values of every kind the writer maps, and strings Java encodes specially."""
    long_note = "Ω" * 40_000  # 80,000 bytes: TC_LONGSTRING
    values: list[Any] = [
        "plain", "nul\x00inside", "emoji 😀 and 𝄞", "", long_note, 7, -(2**31), 2**40, True,
        1.25, Boxed("F", 0.1), Boxed("J", 5), Boxed("S", -3), Boxed("B", 127), Boxed("C", "é"),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC),
        dt.datetime(2024, 3, 1, 4, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        b"", bytes([0, 255, 128]), enum_constant("Role", "RN"), enum_constant("Role", "RN"),
        ["a", "a", None, 3, [4, ["deep"]]], {"b", "a"}, JavaSet(["x"]),
        java_object("ProgramDeleteIdWrapper", ids=[]),
    ]
    data = encode(values)
    lines = dump(jvm_build, data, tmp_path / "values.ser")
    assert "error" not in lines[-1], lines[-1]
    assert [normalized(line) for line in lines] == [normalized(jvm_view(v)) for v in values]
    decoded = decode(data)
    assert decoded[4] == long_note and decoded[2] == "emoji 😀 and 𝄞"
    assert decoded[15] == dt.datetime(1969, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)
    assert decoded[16] == dt.datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def test_truncated_streams_are_errors_for_both_readers(jvm_build: Path, tmp_path: Path) -> None:
    objects = [SAMPLES["IntegratorFileHeader"], [SAMPLES["CachedDemographicNote"]],
               SAMPLES["IntegratorFileFooter"]]
    data = encode(objects)
    first_two = len(encode(objects[:2]))
    cut = data[: first_two - 10]  # inside the note list
    lines = dump(jvm_build, cut, tmp_path / "cut.ser")
    assert len(lines) == 2 and lines[-1]["index"] == 1
    assert "EOF" in lines[-1]["error"]  # "unexpected EOF in middle of data block"
    with pytest.raises(TruncatedStream):
        decode(cut)
    # Cut between objects: both readers see a clean, shorter stream (the footer is missing).
    assert len(dump(jvm_build, data[:first_two], tmp_path / "prefix.ser")) == 2
    assert len(decode(data[:first_two])) == 2
    # An empty stream is just the header.
    assert encode([]) == b"\xac\xed\x00\x05"
    assert dump(jvm_build, encode([]), tmp_path / "empty.ser") == []


def test_a_failed_object_leaves_a_valid_stream(jvm_build: Path, tmp_path: Path) -> None:
    out = io.BytesIO()
    with ObjectStreamWriter(out) as writer:
        writer.write(SAMPLES["IntegratorFileHeader"])
        bad = [SAMPLES["CachedDemographicNote"], "new string", enum_constant("Role", "RPN"),
               object()]
        with pytest.raises(TypeError, match="cannot write object") as info:
            writer.write(bad)
        assert "top-level object #1" in str(info.value.__notes__)
        writer.write([SAMPLES["CachedDemographicNote"], "new string",
                      enum_constant("Role", "RPN")])
        with pytest.raises(ValueError, match="naive datetime"):
            writer.write(dt.datetime(2024, 1, 1))
        writer.write(SAMPLES["IntegratorFileFooter"])
    assert writer.count == 3
    lines = dump(jvm_build, out.getvalue(), tmp_path / "rollback.ser")
    assert [line.get("$class") or line.get("$list") for line in lines] == [
        SAMPLES["IntegratorFileHeader"].desc.name, "java.util.ArrayList",
        SAMPLES["IntegratorFileFooter"].desc.name]
    assert len(decode(out.getvalue())) == 3


def test_catalogue_rejects_what_java_would_not_read() -> None:
    with pytest.raises(ValueError, match="no field 'nickname'"):
        java_object("DemographicTransfer", nickname="Zo")
    with pytest.raises(ValueError, match="not an OSCAR class"):
        java_object("CachedDemographicLabResult")
    with pytest.raises(ValueError, match="no Gender constant"):
        java_object("DemographicTransfer", gender="X")
    with pytest.raises(TypeError, match=r"DemographicTransfer\.caisiDemographicId"):
        java_object("DemographicTransfer", caisiDemographicId="1042")
    with pytest.raises(TypeError):
        java_object("DemographicTransfer", caisiDemographicId=None)  # primitive int
    with pytest.raises(ValueError, match="32 bits"):
        java_object("CachedAppointment", caisiDemographicId=2**31)
    with pytest.raises(ValueError, match="naive datetime"):
        java_object("IntegratorFileHeader", date=dt.datetime(2024, 1, 1))
    with pytest.raises(TypeError, match="CachedProvider"):
        java_object("ProviderTransfer", cachedProvider=SAMPLES["CachedFacility"])
    with pytest.raises(ValueError, match="no Role constant"):
        java_object("ProviderTransfer", roles=["DOCTOR", "WIZARD"])
    with pytest.raises(TypeError, match="ordered list"):
        java_object("ProgramDeleteIdWrapper", ids={1, 2})


def test_catalogue_matches_the_java_stand_ins() -> None:
    """Names, field types and flags as the stand-ins in tests/java/src declare them (their
    serialVersionUIDs, some computed by the JVM, are the next test's)."""
    src = jvm.SRC
    for entry in CLASSES.values():
        java = (src / (entry.name.replace(".", "/") + ".java")).read_text(encoding="utf-8")
        has_write_object = "private void writeObject(ObjectOutputStream" in java
        assert entry.flags == (0x03 if has_write_object else 0x02), entry.name
        assert (entry.superclass is not None) == ("extends AbstractModel" in java), entry.name
        for name, descriptor in entry.field_types.items():
            simple = descriptor.rsplit("/", 1)[-1].rstrip(";").split("$")[-1]
            java_type = {"I": "int", "Z": "boolean", "F": "float", "[B": "byte[]"}.get(
                descriptor, simple)
            assert f" {name};" in java or f" {name} =" in java, (entry.name, name)
            declared = next(line for line in java.splitlines()
                            if line.strip().endswith((f" {name};",)) or f" {name} = " in line)
            assert java_type in declared, (entry.name, name, declared)


def catalogue_facts(push_format: str) -> dict[str, dict]:
    """What the catalogue writes in a push format, in SerialFacts' terms."""
    facts: dict[str, dict] = {}
    for entry in CLASSES.values():
        facts[entry.name] = {
            "suid": serial_version_uid(entry.name, push_format),
            "writeObject": bool(entry.flags & 0x01), "superclass": entry.superclass,
            "fields": [[f.name, f.descriptor] for f in entry.desc.stream_fields]}
        parent = entry.desc.superclass
        if parent is not None:
            facts[parent.name] = {"suid": parent.suid, "writeObject": False,
                                  "superclass": None, "fields": []}
    for class_name, constants in ENUMS.values():  # enums: SUID 0, no fields, always
        facts[class_name] = {"suid": 0, "writeObject": False, "superclass": None, "fields": [],
                             "constants": list(constants)}
    return facts


def jvm_facts(build: Path, names: list[str], **where: Any) -> dict[str, dict]:
    found = jvm.serial_facts(build, names, **where)
    assert not [f for f in found.values() if "error" in f], found
    keys = ("suid", "writeObject", "superclass", "fields", "constants")
    return {name: {k: found[name][k] for k in keys if k in found[name]} for name in names}


@pytest.mark.parametrize("push_format", sorted(PUSH_FORMATS))
def test_catalogue_matches_the_jvms_classes_in_each_push_format(
        jvm_build: Path, push_format: str) -> None:
    """serialVersionUID, stream fields (names, types, order), SC_WRITE_METHOD and superclass
    of every class, as ObjectStreamClass.lookup sees the stand-ins of that generation."""
    ours = catalogue_facts(push_format)
    assert jvm_facts(jvm_build, sorted(ours), push_format=push_format) == ours


def test_the_push_formats_differ_only_in_program_delete_id_wrapper(jvm_build: Path) -> None:
    """The JVM computes both wrapper SUIDs (no declaration): private ids (0.0.4) or
    package-private (legacy)."""
    new, old = catalogue_facts(DEFAULT_PUSH_FORMAT), catalogue_facts(LEGACY_PUSH_FORMAT)
    wrapper = "org.oscarehr.PMmodule.caisi_integrator.ProgramDeleteIdWrapper"
    assert [name for name in new if new[name] != old[name]] == [wrapper]
    assert (new[wrapper]["suid"], old[wrapper]["suid"]) == (
        6970186321583038863, -3593417259892044381)
    for push_format in PUSH_FORMATS:
        facts = jvm.serial_facts(jvm_build, [wrapper], push_format=push_format)[wrapper]
        assert facts["declared"] is False
    objects = [SAMPLES["IntegratorFileHeader"], SAMPLES["ProgramDeleteIdWrapper"]]
    a, b = encode(objects), encode(objects, push_format=LEGACY_PUSH_FORMAT)
    assert len(a) == len(b)
    differing = [i for i in range(len(a)) if a[i] != b[i]]
    at = a.index(wrapper.encode()) + len(wrapper)
    assert differing and set(differing) <= set(range(at, at + 8))  # the 8 SUID bytes only
    assert canon(decode(a)) == canon(decode(b))  # carebridge's reader reads both alike
    with pytest.raises(ValueError, match="unknown push format 'v3'"):
        encode(objects, push_format="v3")


@pytest.mark.parametrize("written", sorted(PUSH_FORMATS))
def test_each_push_format_is_read_by_its_own_generation_only(
        jvm_build: Path, tmp_path: Path, written: str) -> None:
    data = encode((SAMPLES[name] for name in NAMES), push_format=written)  # every class once
    wrapper = NAMES.index("ProgramDeleteIdWrapper")
    for reader in PUSH_FORMATS:
        lines = jvm.dump_objects(jvm_build, _written(tmp_path, data), push_format=reader)
        if reader == written:
            assert len(lines) == len(NAMES) and "error" not in lines[-1], lines[-1]
            assert lines[wrapper] == jvm_view(SAMPLES["ProgramDeleteIdWrapper"])
        else:
            assert len(lines) == wrapper + 1 and lines[-1]["index"] == wrapper
            assert "InvalidClassException" in lines[-1]["error"]
            assert "ProgramDeleteIdWrapper; local class incompatible" in lines[-1]["error"]


def _written(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "stream.ser"
    path.write_bytes(data)
    return path


# -- pushes written by the JVM, decoded, re-encoded, read by the JVM again ----------------


def _ser_entries(zip_path: Path) -> Iterator[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            yield info, archive.read(info)


def test_jvm_push_reencoded_reads_the_same(jvm_build: Path, tmp_path: Path) -> None:
    push = jvm.make_push(jvm_build, tmp_path / "push", username="clinic-a", patients=12,
                         date=T0, last_date=T0 - 30 * DAY, seed=3)
    copy = tmp_path / push.main.name
    compared = 0
    with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in _ser_entries(push.main):
            if not info.filename.endswith(".ser"):
                out.writestr(info.filename, data)
                continue
            objects = [from_decoded(o) for o in decode(data)]
            again = encode(objects)
            out.writestr(info.filename, again)
            original = dump(jvm_build, data, tmp_path / "a.ser")
            rewritten = dump(jvm_build, again, tmp_path / "b.ser")
            assert rewritten == original, info.filename  # every value, HashSet order included
            assert canon(decode(again)) == canon(decode(data)), info.filename
            compared += len(original)
    before = jvm.read_push(jvm_build, push.main)
    after = jvm.read_push(jvm_build, copy)
    assert after["error"] is None
    assert {k: v for k, v in after.items() if k != "zip"} == {
        k: v for k, v in before.items() if k != "zip"}
    assert compared == before["objects"] == push.objects


# -- throughput and memory ---------------------------------------------------------------


def patient(i: int) -> Iterator[Any]:
    """14 objects, as the EMR writes a patient with issues, a prevention, notes, visits, a drug."""
    t = T0
    yield java_object(
        "DemographicTransfer", caisiDemographicId=i, caisiProviderId="999998",
        firstName="Anna", lastName=f"Smith{i}", birthDate=t - (9000 + i) * DAY, gender="F",
        hin=f"{9876543210 + i}", hinType="ON", hinVersion="AB", province="ON", city="Hamilton",
        streetAddress=f"{i} Main St", phone1="905-555-0101", lastUpdateUser="999998",
        lastUpdateDate=t)
    yield [java_object("CachedDemographicIssue", facilityDemographicIssuePk=issue_pk(i),
                       issueDescription="Diabetes mellitus", issueRole="DOCTOR", acute=False,
                       certain=True, major=True, resolved=False)]
    yield java_object("DeleteCachedDemographicIssuesWrapper", demographicNo=i, keys=[issue_pk(i)])
    yield [java_object("CachedDemographicPrevention", facilityPreventionPk=int_pk(i * 10),
                       caisiDemographicId=i, preventionDate=t - 30 * DAY, caisiProviderId="999998",
                       preventionType="Flu", nextDate=t + 335 * DAY,
                       attributes="<PreventionExt><lot>A1</lot></PreventionExt>")]
    yield java_object("DeleteCachedDemographicPreventionsWrapper", demographicNo=i,
                      nonDeletedIds=[i * 10])
    for n in range(5):
        yield [java_object(
            "CachedDemographicNote",
            cachedDemographicNoteCompositePk={"uuid": f"5c4e1b7e-{i}-{n}:{i}"},
            updateDate=t - n * DAY, observationDate=t - n * DAY, caisiDemographicId=i,
            observationCaisiProviderId="999998", signingCaisiProviderId="999998",
            encounterType="face to face encounter with client", caisiProgramId=10, note=NOTE,
            role="doctor", noteIssues={"ICD9.250"},
            issues=[java_object("NoteIssue", codeType="ICD9", issueCode="250")])]
    for a in range(3):
        yield [java_object(
            "CachedAppointment", facilityAppointmentPk=int_pk(i * 100 + a), caisiDemographicId=i,
            caisiProviderId="999998", appointmentDate=t + a * DAY, startTime=t + a * DAY,
            endTime=t + a * DAY + dt.timedelta(minutes=15), notes="", reason="follow-up",
            location="Clinic A", type="", status="t", createDatetime=t, updateDatetime=t,
            remarks="")]
    yield [java_object(
        "CachedDemographicDrug", facilityIdIntegerCompositePk=int_pk(i), caisiProviderId="999998",
        caisiDemographicId=i, rxDate=t, endDate=t + 30 * DAY, brandName="METFORMIN 500MG",
        takeMin=1, takeMax=1, freqCode="BID", duration="30", durUnit="D", quantity="60",
        repeats=2, special="Metformin 500mg 1 tab BID", genericName="METFORMIN",
        atc="A10BA02", longTerm=True)]


class _Sink:
    """A stream that only counts: measures the writer, not the disk."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def _peak_memory(patients: int) -> int:
    tracemalloc.start()
    try:
        write_objects(_Sink(), (o for i in range(patients) for o in patient(i)))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_throughput_and_flat_memory(jvm_build: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    patients = 2000
    sink = _Sink()
    start = time.perf_counter()
    count = write_objects(sink, (o for i in range(patients) for o in patient(i)))
    elapsed = time.perf_counter() - start
    assert count == 14 * patients
    rate = count / elapsed
    small, large = _peak_memory(200), _peak_memory(2000)
    with capsys.disabled():
        print(f"\njavawrite: {count} objects ({sink.size / 1e6:.1f} MB) built+written in "
              f"{elapsed:.2f}s = {rate:,.0f} objects/s; peak traced memory "
              f"{small / 1e6:.2f} MB (200 patients) / {large / 1e6:.2f} MB (2000 patients)")
    assert rate >= 10_000  # measured ~60,000; the quadratic javaobj marshaller does ~800
    assert large < 4_000_000  # bounded tables, nothing kept per object
    # The JVM reads the whole stream (string table cleared and refilled along the way).
    bulk = tmp_path / "IntegratorPush_1_2024_03_01_09_00_00.zip"
    with zipfile.ZipFile(bulk, "w") as archive, archive.open(
            "IntegratorPush_1_2024_03_01_09_00_00.2.ser", "w") as entry:
        write_objects(entry, (o for i in range(patients) for o in patient(i)))
    report = jvm.read_push(jvm_build, bulk)
    assert report["error"] is None and report["objects"] == count
    assert report["elements"]["org.oscarehr.caisi_integrator.dao.CachedDemographicNote"] == (
        5 * patients)
