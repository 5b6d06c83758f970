import datetime as dt

from carebridge.oscar.cached_records import (
    DeleteMissing,
    DocumentBytes,
    Upsert,
    demographic_of,
    operations_for,
    record_key,
    to_json,
)
from carebridge.oscar.javaread import JavaObject

DAO = "org.oscarehr.caisi_integrator.dao."
PM = "org.oscarehr.PMmodule.caisi_integrator."


def pk(**fields: object) -> JavaObject:
    return JavaObject(DAO + "FacilityIdIntegerCompositePk",
                      {"integratorFacilityId": None, **fields})


def test_list_of_records_upserts_each_by_item_key() -> None:
    note_pk = JavaObject(DAO + "CachedDemographicNoteCompositePk",
                         {"integratorFacilityId": None, "uuid": "u-1:1001"})
    note = JavaObject(DAO + "CachedDemographicNote", {
        "caisiDemographicId": 1001, "cachedDemographicNoteCompositePk": note_pk,
        "updateDate": dt.datetime(2024, 1, 1, tzinfo=dt.UTC), "note": "text"})
    ops = list(operations_for([note]))
    assert ops == [Upsert("CachedDemographicNote", "u-1:1001", 1001, {
        "@class": DAO + "CachedDemographicNote", "caisiDemographicId": 1001,
        "cachedDemographicNoteCompositePk": {"@class": note_pk.class_name,
                                             "integratorFacilityId": None, "uuid": "u-1:1001"},
        "updateDate": "2024-01-01T00:00:00+00:00", "note": "text"})]


def test_pk_field_names_differ_per_class_but_keys_do_not() -> None:
    appointment = JavaObject(DAO + "CachedAppointment",
                             {"caisiDemographicId": 7, "facilityAppointmentPk": pk(caisiItemId=55)})
    (op,) = operations_for(appointment)
    assert isinstance(op, Upsert)
    assert (op.record_type, op.key, op.demographic_no) == ("CachedAppointment", "55", 7)


def test_delete_wrappers() -> None:
    issue_pk = JavaObject(DAO + "FacilityIdDemographicIssueCompositePk", {
        "caisiDemographicId": 7, "codeType": "ICD9", "integratorFacilityId": None,
        "issueCode": "250"})
    issues = JavaObject(PM + "DeleteCachedDemographicIssuesWrapper",
                        {"demographicNo": 7, "keys": [issue_pk]})
    preventions = JavaObject(PM + "DeleteCachedDemographicPreventionsWrapper",
                             {"demographicNo": 7, "nonDeletedIds": [3, 4]})
    programs = JavaObject(PM + "ProgramDeleteIdWrapper", {"ids": [10, 11]})
    assert list(operations_for(issues)) == [
        DeleteMissing("CachedDemographicIssue", 7, frozenset({"7:ICD9:250"}))]
    assert list(operations_for(preventions)) == [
        DeleteMissing("CachedDemographicPrevention", 7, frozenset({"3", "4"}))]
    assert list(operations_for(programs)) == [
        DeleteMissing("CachedProgram", None, frozenset({"10", "11"}))]


def test_provider_transfer_and_bytes() -> None:
    provider = JavaObject(DAO + "CachedProvider", {
        "facilityIdStringCompositePk": JavaObject(DAO + "FacilityIdStringCompositePk", {
            "integratorFacilityId": None, "caisiItemId": "999998"}),
        "firstName": "Ada"})
    transfer = JavaObject("org.oscarehr.caisi_integrator.ws.transfer.ProviderTransfer",
                          {"cachedProvider": provider, "roles": ["DOCTOR"]})
    (op,) = operations_for([transfer])
    assert isinstance(op, Upsert)
    assert (op.record_type, op.key, op.payload["roles"]) == ("CachedProvider", "999998",
                                                             ["DOCTOR"])
    assert list(operations_for(JavaObject(PM + "ByteWrapper", {"data": b"%PDF"}))) == [
        DocumentBytes(b"%PDF")]


def test_unknown_classes_are_kept_as_generic_records() -> None:
    thing = JavaObject("org.example.Unexpected", {"a": 1, "b": b"\x00\x01"})
    (op,) = operations_for(thing)
    assert isinstance(op, Upsert)
    assert not op.known
    assert op.record_type == "org.example.Unexpected"
    assert op.key.startswith("sha256:")
    assert op.payload == {"@class": "org.example.Unexpected", "a": 1,
                          "b": {"@base64": "AAE="}}
    (again,) = operations_for(JavaObject("org.example.Unexpected", {"a": 1, "b": b"\x00\x01"}))
    assert isinstance(again, Upsert)
    assert again.key == op.key  # re-importing the same object does not duplicate it


def test_known_records_key_and_patient_as_the_helpers_give_them() -> None:
    when = dt.datetime(2024, 2, 3, 4, 5, tzinfo=dt.UTC)
    issue_pk = JavaObject(DAO + "FacilityIdDemographicIssueCompositePk",
                          {"integratorFacilityId": None, "caisiDemographicId": 7,
                           "issue": "A01"})
    cases = [
        # the patient only in the pk
        JavaObject(DAO + "CachedDemographicIssue", {"facilityDemographicIssuePk": issue_pk,
                                                    "updateDate": when}),
        # the patient on the record wins over the pk's
        JavaObject(DAO + "CachedDemographicPrevention", {
            "caisiDemographicId": 9, "facilityPreventionPk": pk(caisiItemId=3),
            "preventionDate": when, "attributes": [when, b"\x00"]}),
        # no pk: a content key; a patient that is not a number is none
        JavaObject(DAO + "CachedMeasurementType", {"caisiDemographicId": "x", "type": "BP"}),
    ]
    upserts = []
    for obj in cases:
        (op,) = operations_for(obj)
        assert op == Upsert(obj.simple_name, record_key(obj), demographic_of(obj), to_json(obj))
        assert isinstance(op, Upsert)
        upserts.append(op)
    assert [op.key for op in upserts][:2] == ["7:A01", "3"]
    assert [op.demographic_no for op in upserts] == [7, 9, None]
    (prevention,) = operations_for(cases[1])
    assert isinstance(prevention, Upsert)
    assert prevention.payload["preventionDate"] == "2024-02-03T04:05:00+00:00"
    assert prevention.payload["attributes"] == ["2024-02-03T04:05:00+00:00", {"@base64": "AA=="}]
    (facility,) = operations_for(JavaObject(DAO + "CachedFacility", {"name": "f"}))
    assert isinstance(facility, Upsert) and facility.key == "facility"
