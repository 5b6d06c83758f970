"""The shared record over SOAP on a real node: three facilities' JVM-written pushes imported,
read through DemographicService/ProgramService/ProviderService/ReferralService/HnrService with
zeep; scoping by link and consent; the audit of every read.

clinic-a and clinic-b push the same first two patients (same seed: same names, HINs), so
those are linked implicitly by HIN; clinic-c's patients are its own until a provider links
one. Nothing of another facility is readable before that facility recorded consent.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select, text
from zeep.exceptions import Fault

from carebridge.contracts import INTEGRATOR_SERVICES
from carebridge.store.models import AccessAudit
from tests.support.shared_record import CAISI, PASSWORDS, Shared


def _numbers(transfers: list[Any]) -> set[tuple[int, int]]:
    return {(t.integratorFacilityId, t.caisiDemographicId) for t in transfers}


def test_same_pushes_share_hins_and_other_seeds_do_not(shared: Shared) -> None:
    a, b, c = (shared.demographics(f) for f in ("clinic-a", "clinic-b", "clinic-c"))
    assert len(a) == 4 and len(b) == 2 and len(c) == 2
    assert [(p.hin, p.last_name) for p in a[:2]] == [(p.hin, p.last_name) for p in b]
    assert not {p.hin for p in c} & {p.hin for p in a}


def test_nothing_of_another_facility_without_consent(shared: Shared) -> None:
    number = shared.demographics("clinic-a")[0].demographic_no
    demographic = shared.service("DemographicWs", "clinic-a")
    # Linked by HIN, but clinic-b has recorded no consent for its patient.
    assert demographic.getLinkedCachedDemographicNotes(number) == []
    assert demographic.getLinkedCachedDemographicDrugsByDemographicId(number) == []
    assert demographic.getDirectlyLinkedDemographicsByDemographicId(number) == []
    theirs = shared.demographics("clinic-b")[0].demographic_no
    assert demographic.getDemographicByFacilityIdAndDemographicId(
        shared.ids["clinic-b"], theirs) is None
    # The facility's own record is its own, consent or not.
    mine = demographic.getDemographicByFacilityIdAndDemographicId(shared.ids["clinic-a"], number)
    assert mine.caisiDemographicId == number and mine.integratorFacilityId == shared.ids[
        "clinic-a"]


def test_consent_opens_the_linked_chart_and_revoking_closes_it(shared: Shared) -> None:
    a_number = shared.demographics("clinic-a")[1].demographic_no
    b_number = shared.demographics("clinic-b")[1].demographic_no
    demographic = shared.service("DemographicWs", "clinic-a")
    # clinic-a cannot grant itself access by recording a consent for its own copy.
    shared.consent("clinic-a", a_number)
    assert demographic.getLinkedCachedDemographicNotes(a_number) == []

    shared.consent("clinic-b", b_number)
    linked = demographic.getDirectlyLinkedDemographicsByDemographicId(a_number)
    assert _numbers(linked) == {(shared.ids["clinic-b"], b_number)}
    notes = demographic.getLinkedCachedDemographicNotes(a_number)
    assert notes, "clinic-b's push holds notes for every patient"
    assert {n.caisiDemographicId for n in notes} == {b_number}
    assert {n.cachedDemographicNoteCompositePk.integratorFacilityId for n in notes} == {
        shared.ids["clinic-b"]}
    metadata = demographic.getLinkedCachedDemographicNoteMetaData(a_number)
    assert {m.cachedDemographicNoteCompositePk.uuid for m in metadata} == {
        n.cachedDemographicNoteCompositePk.uuid for n in notes}
    assert all(m.note is None for m in metadata)
    by_ids = demographic.getLinkedCachedDemographicNotesByIds(
        [m.cachedDemographicNoteCompositePk for m in metadata[:2]])
    assert [n.note for n in by_ids] == [n.note for n in notes[:2]]
    state = demographic.getConsentState({"caisiItemId": b_number,
                                         "integratorFacilityId": shared.ids["clinic-b"]})
    assert state.consentState == "ALL" and state.integratorFacilityId in shared.ids.values()

    # clinic-c, not linked to the patient, sees nothing of it even by key.
    other = shared.service("DemographicWs", "clinic-c")
    assert other.getLinkedCachedDemographicNotesByIds(
        [m.cachedDemographicNoteCompositePk for m in metadata[:1]]) == []

    shared.consent("clinic-b", b_number, status="REVOKED")
    assert demographic.getLinkedCachedDemographicNotes(a_number) == []


def test_consent_refused_to_one_facility(shared: Shared) -> None:
    a_number = shared.demographics("clinic-a")[0].demographic_no
    b_number = shared.demographics("clinic-b")[0].demographic_no
    shared.consent("clinic-b", b_number, share={shared.ids["clinic-a"]: False})
    demographic = shared.service("DemographicWs", "clinic-a")
    assert demographic.getLinkedCachedDemographicNotes(a_number) == []
    shared.consent("clinic-b", b_number, share={shared.ids["clinic-a"]: True})
    assert demographic.getLinkedCachedDemographicNotes(a_number)


def test_link_then_read_and_unlink(shared: Shared) -> None:
    a_number = shared.demographics("clinic-a")[3].demographic_no
    c_number = shared.demographics("clinic-c")[0].demographic_no
    shared.consent("clinic-c", c_number)
    demographic = shared.service("DemographicWs", "clinic-a")
    assert demographic.getLinkedCachedDemographicNotes(a_number) == []
    demographic.linkDemographics("999998", a_number, shared.ids["clinic-c"], c_number)
    demographic.linkDemographics("999998", a_number, shared.ids["clinic-c"], c_number)  # again
    assert _numbers(demographic.getLinkedDemographicsByDemographicId(a_number)) == {
        (shared.ids["clinic-c"], c_number)}
    assert {n.caisiDemographicId for n in
            demographic.getLinkedCachedDemographicNotes(a_number)} == {c_number}
    # The link holds both ways: clinic-c sees clinic-a's record once clinic-a consents.
    theirs = shared.service("DemographicWs", "clinic-c")
    assert theirs.getLinkedDemographicsByDemographicId(c_number) == []
    shared.consent("clinic-a", a_number)
    assert _numbers(theirs.getLinkedDemographicsByDemographicId(c_number)) == {
        (shared.ids["clinic-a"], a_number)}
    demographic.unLinkDemographics(a_number, shared.ids["clinic-c"], c_number)
    assert demographic.getLinkedCachedDemographicNotes(a_number) == []


def test_links_are_refused_unless_both_records_are_in_reach(shared: Shared) -> None:
    demographic = shared.service("DemographicWs", "clinic-a")
    mine = shared.demographics("clinic-a")[3].demographic_no
    c_records = [p.demographic_no for p in shared.demographics("clinic-c")]
    with pytest.raises(Fault, match="this facility has pushed no demographic 987654"):
        demographic.linkDemographics("999998", 987654, shared.ids["clinic-c"], c_records[0])
    # Missing and not consented answer alike: linking is no way to learn who is there.
    shared.consent("clinic-c", c_records[1], status="REVOKED")
    for number in (987654, c_records[1]):
        with pytest.raises(Fault, match=f"has no demographic {number} this facility may link"):
            demographic.linkDemographics("999998", mine, shared.ids["clinic-c"], number)
    with pytest.raises(Fault, match="not to your own"):
        demographic.linkDemographics("999998", mine, shared.ids["clinic-a"], 1)


def test_one_record_links_to_one_patient_per_facility(shared: Shared) -> None:
    """A facility cannot join two patients of another facility into one person."""
    a = shared.demographics("clinic-a")[2].demographic_no
    c1, c2 = (p.demographic_no for p in shared.demographics("clinic-c"))
    shared.consent("clinic-c", c1)
    shared.consent("clinic-c", c2)
    demographic = shared.service("DemographicWs", "clinic-a")
    demographic.linkDemographics("999998", a, shared.ids["clinic-c"], c1)
    try:
        with pytest.raises(Fault, match="already linked to another record of facility"):
            demographic.linkDemographics("999998", a, shared.ids["clinic-c"], c2)
    finally:
        demographic.unLinkDemographics(a, shared.ids["clinic-c"], c1)


def test_one_patients_consent_opens_no_other(shared: Shared) -> None:
    a_numbers = [p.demographic_no for p in shared.demographics("clinic-a")[:2]]
    b_numbers = [p.demographic_no for p in shared.demographics("clinic-b")]
    shared.consent("clinic-b", b_numbers[0], status="REVOKED")
    shared.consent("clinic-b", b_numbers[1])  # newer, and another patient's
    demographic = shared.service("DemographicWs", "clinic-a")
    assert demographic.getLinkedCachedDemographicNotes(a_numbers[0]) == []
    assert demographic.getLinkedCachedDemographicNotes(a_numbers[1])
    # getConsentState tells the consent of that record only, from its own facility.
    state = demographic.getConsentState({"caisiItemId": b_numbers[0],
                                         "integratorFacilityId": shared.ids["clinic-b"]})
    assert state is None  # revoked: out of reach, like a record that does not exist
    own = demographic.getConsentState({"caisiItemId": a_numbers[0],
                                       "integratorFacilityId": shared.ids["clinic-a"]})
    assert own is None or own.integratorFacilityId == shared.ids["clinic-a"]


def test_matching_scores_as_the_real_integrator(shared: Shared) -> None:
    a = shared.demographics("clinic-a")[0]
    b = shared.demographics("clinic-b")[0]
    shared.consent("clinic-b", b.demographic_no)
    client, demographic = shared.client("DemographicWs", "clinic-a")
    parameters = client.get_type("ns0:matchingDemographicParameters")
    assert a.birth_date and a.hin and a.first_name and a.last_name
    born = dt.datetime.fromisoformat(a.birth_date + "T00:00:00+00:00")
    hits = demographic.getMatchingDemographics(parameters(
        maxEntriesToReturn=20, minScore=5, firstName=a.first_name, lastName=a.last_name,
        birthDate=born, hin=a.hin))
    scored = {(h.demographicTransfer.integratorFacilityId, h.demographicTransfer
               .caisiDemographicId): h.score for h in hits}
    # HIN 22 + first name 17 + last name 16 + birth date 15, and nothing of clinic-a itself.
    assert scored[(shared.ids["clinic-b"], b.demographic_no)] == 70
    assert all(f != shared.ids["clinic-a"] for f, _ in scored)
    with pytest.raises(Fault, match="at least one of"):
        demographic.getMatchingDemographics(parameters(maxEntriesToReturn=5, minScore=0))


def test_every_read_is_audited_with_the_provider(shared: Shared) -> None:
    a_number = shared.demographics("clinic-a")[1].demographic_no
    b_number = shared.demographics("clinic-b")[1].demographic_no
    shared.consent("clinic-b", b_number)
    _client, demographic = shared.client("DemographicWs", "clinic-a")
    header = etree.Element(f"{{{CAISI}}}requestingCaisiProviderNo", nsmap={"caisi": CAISI})
    header.text = "provider-42"
    before = shared.db.audit_log.newest(1000)
    drugs = demographic.getLinkedCachedDemographicDrugsByDemographicId(
        a_number, _soapheaders=[header])
    rows = shared.db.audit_log.newest(1000)
    assert drugs and len(rows) == len(before) + 1
    assert (rows[0].actor, rows[0].operation, rows[0].subject_facility_id,
            rows[0].subject_demographic_no, rows[0].records) == (
        "provider-42", "getLinkedCachedDemographicDrugsByDemographicId",
        shared.ids["clinic-b"], b_number, len(drugs))


def test_reads_do_not_wait_for_an_import_on_sqlite(shared: Shared) -> None:
    """An import holds SQLite's write lock for a whole push: the audited read still answers
    at once, its rows being in a file of their own."""
    if shared.db.dialect != "sqlite":  # PostgreSQL: the rows are in its access_audit table
        with shared.db.transaction() as session:
            kept = session.scalar(select(func.count()).select_from(AccessAudit))
        assert kept == len(shared.db.audit_log.newest(100_000)) > 0
        return
    a_number = shared.demographics("clinic-a")[1].demographic_no
    shared.consent("clinic-b", shared.demographics("clinic-b")[1].demographic_no)
    demographic = shared.service("DemographicWs", "clinic-a")
    with shared.db.transaction(writes=True) as session:
        session.execute(select(func.count()).select_from(AccessAudit))  # the lock, taken
        session.execute(text("DELETE FROM wsse_nonce WHERE 1 = 0"))
        started = time.monotonic()
        assert demographic.getLinkedCachedDemographicNotes(a_number)
        assert time.monotonic() - started < 5


def test_directory_services(shared: Shared) -> None:
    programs = shared.service("ProgramWs", "clinic-c").getAllPrograms()
    assert {p.facilityIdIntegerCompositePk.integratorFacilityId for p in programs} == set(
        shared.ids.values())
    providers = shared.service("ProviderWs", "clinic-c").getAllProviders()
    assert {p.facilityIdStringCompositePk.integratorFacilityId for p in providers} == set(
        shared.ids.values())
    with pytest.raises(Fault, match="not supported by this integrator"):
        shared.service("ProgramWs").setCachedPrograms([])


def test_referrals_reach_only_their_destination(shared: Shared) -> None:
    client, referral = shared.client("ReferralWs", "clinic-a")
    number = shared.demographics("clinic-a")[2].demographic_no
    kind = client.get_type("ns0:referral")
    referral.makeReferral(kind(destinationIntegratorFacilityId=shared.ids["clinic-c"],
                               destinationCaisiProgramId=10, sourceCaisiDemographicId=number,
                               sourceCaisiProviderId="999998", reasonForReferral="housing"))
    to_c = shared.service("ReferralWs", "clinic-c").getReferralsToProgram(10)
    assert [(r.sourceIntegratorFacilityId, r.sourceCaisiDemographicId, r.reasonForReferral)
            for r in to_c] == [(shared.ids["clinic-a"], number, "housing")]
    assert shared.service("ReferralWs", "clinic-b").getReferral(to_c[0].referralId) is None
    shared.service("ReferralWs", "clinic-b").removeReferral(to_c[0].referralId)  # not theirs
    assert [r.referralId for r in referral.getLinkedReferrals(number)] == [to_c[0].referralId]
    shared.service("ReferralWs", "clinic-c").removeReferral(to_c[0].referralId)
    assert referral.getLinkedReferrals(number) == []


def test_hnr_answers_as_an_integrator_without_an_hnr_server(shared: Shared) -> None:
    for call in (lambda hnr: hnr.getHnrClient(1), lambda hnr: hnr.setHnrClientHidden(1, True),
                 lambda hnr: hnr.getMatchingHnrClients(
                     {"firstName": "x", "maxEntriesToReturn": 5, "minScore": 1})):
        with pytest.raises(Fault, match="HNR Server unavailable") as raised:
            call(shared.service("HnrWs"))
        (detail,) = raised.value.detail
        assert detail.tag == "{http://ws.caisi_integrator.oscarehr.org/}ConnectException"
        assert detail.findtext("message") == "HNR Server unavailable."


def test_facility_directory_and_my_facility(shared: Shared) -> None:
    facility = shared.service("FacilityWs", "clinic-b")
    everyone = facility.getAllFacility()
    assert {f.integratorFacilityId for f in everyone} == set(shared.ids.values())
    mine = facility.getMyFacility()
    assert mine.integratorFacilityId == shared.ids["clinic-b"]


def _suds(shared: Shared, port_type: str, facility: str = "clinic-a") -> Any:
    from suds.client import Client
    from suds.wsse import Security
    from suds.wsse import UsernameToken as SudsToken

    client = Client(shared.node.url + INTEGRATOR_SERVICES[port_type].path + "?wsdl",
                    timeout=20)
    security = Security()
    security.tokens.append(SudsToken(facility, PASSWORDS[facility]))
    client.set_options(wsse=security)
    return client


def test_suds_reads_every_new_service(shared: Shared) -> None:
    """suds builds its client from the live ?wsdl of each service and reads through it."""
    a_number = shared.demographics("clinic-a")[1].demographic_no
    b_number = shared.demographics("clinic-b")[1].demographic_no
    shared.consent("clinic-b", b_number)
    demographic = _suds(shared, "DemographicWs")
    drugs = demographic.service.getLinkedCachedDemographicDrugsByDemographicId(a_number)
    assert drugs and {d.caisiDemographicId for d in drugs} == {b_number}
    linked = demographic.service.getDirectlyLinkedDemographicsByDemographicId(a_number)
    assert [(t.integratorFacilityId, t.caisiDemographicId) for t in linked] == [
        (shared.ids["clinic-b"], b_number)]
    assert _suds(shared, "ProgramWs").service.getAllPrograms()
    assert _suds(shared, "ProviderWs").service.getAllProviders()
    referral = _suds(shared, "ReferralWs")
    assert not referral.service.getReferralsToProgram(12345)
    from suds import WebFault

    with pytest.raises(WebFault, match="HNR Server unavailable"):
        _suds(shared, "HnrWs").service.getHnrClient(1)
    facilities = _suds(shared, "FacilityWs", "clinic-c").service.getAllFacility()
    assert {f.integratorFacilityId for f in facilities} == set(shared.ids.values())


LINKED_READS = {
    "getLinkedCachedDemographicNotes": "CachedDemographicNote",
    "getLinkedCachedDemographicNoteMetaData": "CachedDemographicNote",
    "getLinkedCachedDemographicIssuesByDemographicId": "CachedDemographicIssue",
    "getLinkedCachedDemographicPreventionsByDemographicId": "CachedDemographicPrevention",
    "getLinkedCachedDemographicDrugsByDemographicId": "CachedDemographicDrug",
    "getLinkedCachedDemographicAllergies": "CachedDemographicAllergy",
    "getLinkedCachedDemographicDocuments": "CachedDemographicDocument",
    "getLinkedCachedDemographicLabResults": "CachedDemographicLabResult",
    "getLinkedCachedDemographicMeasurementByDemographicId": "CachedMeasurement",
    "getLinkedCachedAppointments": "CachedAppointment",
    "getLinkedCachedAdmissionsByDemographicId": "CachedAdmission",
}


def test_every_linked_read_is_scoped_by_consent(shared: Shared) -> None:
    from carebridge.store.models import CachedRecord

    a_number = shared.demographics("clinic-a")[0].demographic_no
    b_number = shared.demographics("clinic-b")[0].demographic_no
    demographic = shared.service("DemographicWs", "clinic-a")
    with shared.db.transaction() as session:
        pushed = {row[0]: row[1] for row in session.execute(
            select(CachedRecord.record_type, func.count()).where(
                CachedRecord.facility_id == shared.ids["clinic-b"],
                CachedRecord.demographic_no == b_number).group_by(CachedRecord.record_type))}
    assert pushed.get("CachedDemographicNote") and pushed.get("CachedAppointment")
    shared.consent("clinic-b", b_number, status="REVOKED")
    for operation in LINKED_READS:
        assert getattr(demographic, operation)(a_number) == [], operation
    assert demographic.getLinkedCachedDemographicForms(a_number, None) == []
    shared.consent("clinic-b", b_number)
    for operation, record_type in LINKED_READS.items():
        got = getattr(demographic, operation)(a_number)
        assert len(got) == pushed.get(record_type, 0), operation
    assert len(demographic.getLinkedCachedDemographicForms(a_number, None)) == pushed.get(
        "CachedDemographicForm", 0)


def test_what_changed_since_is_scoped_too(shared: Shared) -> None:
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    own_c = {p.demographic_no for p in shared.demographics("clinic-c")}
    pushed = shared.service("DemographicWs", "clinic-c").getDemographicsPushedAfterDate(epoch)
    facilities = {d.id.integratorFacilityId for d in pushed}
    assert {d.id.caisiItemId for d in pushed
            if d.id.integratorFacilityId == shared.ids["clinic-c"]} == own_c
    assert shared.ids["clinic-b"] not in facilities  # never linked to clinic-c
    a = shared.service("DemographicWs", "clinic-a")
    ids = a.getDemographicIdPushedAfterDateByRequestingFacility(epoch)
    assert set(ids) == {p.demographic_no for p in shared.demographics("clinic-a")}
    future = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
    assert a.getDemographicIdPushedAfterDateByRequestingFacility(future) == []
    with pytest.raises(Fault, match="arg0"):
        a.getDemographicsPushedAfterDate(None)


def test_provider_communications_reach_only_their_destination(shared: Shared) -> None:
    client, sender = shared.client("ProviderWs", "clinic-a")
    kind = client.get_type("ns0:providerCommunicationTransfer")
    sender.addProviderComunication(kind(
        active=False, data=b"please call", destinationIntegratorFacilityId=shared.ids["clinic-b"],
        destinationProviderId="201", sourceProviderId="101", type="NOTE",
        sourceIntegratorFacilityId=shared.ids["clinic-c"]))
    receiver = shared.service("ProviderWs", "clinic-b")
    (message,) = receiver.getProviderCommunications("201", "NOTE", True)
    # The sender is the caller whatever it claimed; a new message is active.
    assert (message.sourceIntegratorFacilityId, message.sourceProviderId, message.data,
            message.active) == (shared.ids["clinic-a"], "101", b"please call", True)
    assert shared.service("ProviderWs", "clinic-c").getProviderCommunications(
        "201", "NOTE", None) == []
    shared.service("ProviderWs", "clinic-c").deactivateProviderCommunication(message.id)
    assert receiver.getProviderCommunications("201", "NOTE", True)
    receiver.deactivateProviderCommunication(message.id)
    assert receiver.getProviderCommunications("201", "NOTE", True) == []
    assert len(receiver.getProviderCommunications("201", "NOTE", False)) == 1
    with pytest.raises(Fault, match="names no facility"):
        sender.addProviderComunication(kind(active=True, destinationIntegratorFacilityId=999,
                                            destinationProviderId="1"))


def test_a_placeholder_hin_links_nobody(shared: Shared) -> None:
    from carebridge.integrator import links
    from carebridge.store.models import SharedDemographic

    c1, c2 = (p.demographic_no for p in shared.demographics("clinic-c"))
    b1 = shared.demographics("clinic-b")[0].demographic_no
    with shared.db.transaction() as session:
        rows = [session.get(SharedDemographic, (shared.ids[f], n)) for f, n in (
            ("clinic-c", c1), ("clinic-c", c2), ("clinic-b", b1))]
        saved = [(r.hin, r.hin_type) for r in rows]
        for row in rows:
            row.hin, row.hin_type = "0000000000", "ON"
    try:
        with shared.db.transaction() as session:
            assert links.direct(session, (shared.ids["clinic-b"], b1)) == set()
    finally:
        with shared.db.transaction() as session:
            for (f, n), (hin, kind) in zip((("clinic-c", c1), ("clinic-c", c2),
                                            ("clinic-b", b1)), saved, strict=True):
                row = session.get(SharedDemographic, (shared.ids[f], n))
                row.hin, row.hin_type = hin, kind
