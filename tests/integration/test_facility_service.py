"""FacilityService over HTTP on a real gunicorn node: zeep, suds, raw JAX-WS-shaped envelopes."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import urllib.error
import urllib.request

import pytest
import zeep
from lxml import etree

from carebridge.soap.wsse.usernametoken import password_digest
from tests.integration.conftest import T0, TNS, Stack


def envelope(body: str, header: str = "") -> bytes:
    return (
        '<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<S:Header>{header}</S:Header><S:Body>{body}</S:Body></S:Envelope>"
    ).encode()


def text_token(user: str = "clinic-a", password: str = "secret-a", must: bool = True) -> str:
    flag = ' S:mustUnderstand="1"' if must else ""
    return (
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/'
        f'oasis-200401-wss-wssecurity-secext-1.0.xsd"{flag}><wsse:UsernameToken>'
        f"<wsse:Username>{user}</wsse:Username><wsse:Password Type=\"http://docs.oasis-open.org/"
        "wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText\">"
        f"{password}</wsse:Password></wsse:UsernameToken></wsse:Security>"
    )


def digest_token(nonce: bytes, created: str, user: str = "clinic-a",
                 password: str = "secret-a") -> str:
    digest = password_digest(nonce, created, password)
    return (
        '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-'
        'wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/'
        'oasis-200401-wss-wssecurity-utility-1.0.xsd" S:mustUnderstand="1"><wsse:UsernameToken>'
        f"<wsse:Username>{user}</wsse:Username><wsse:Password Type=\"http://docs.oasis-open.org/"
        f'wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">{digest}'
        f"</wsse:Password><wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
        f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"
    )


def by_file(filename: str, checksum: str) -> str:
    return (f'<ns2:getImportLogByFilenameAndChecksum xmlns:ns2="{TNS}"><arg0>{filename}</arg0>'
            f"<arg1>{checksum}</arg1></ns2:getImportLogByFilenameAndChecksum>")


def fault_string(body: bytes) -> str:
    root = etree.fromstring(body)
    return root.findtext(".//faultcode") + " " + root.findtext(".//faultstring")


def now_created() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


# -- clients ------------------------------------------------------------------------


@pytest.mark.parametrize("digest", [False, True], ids=["PasswordText", "PasswordDigest"])
def test_zeep_reads_the_status_of_a_file(stack: Stack, digest: bool) -> None:
    checksum = ("ab" if digest else "ba") * 16
    log_id = stack.add_log("clinic-a", f"IntegratorPush_1_zeep_{digest}.zip", checksum)
    (log,) = stack.zeep(digest=digest).getImportLogByFilenameAndChecksum(
        f"IntegratorPush_1_zeep_{digest}.zip", checksum)
    assert log.id == log_id
    assert log.status == "COMPLETED"
    assert log.facilityId == stack.ids["clinic-a"]
    assert log.dateIntervalEnd == T0


def test_suds_reads_the_status_of_a_file(stack: Stack) -> None:
    from suds.client import Client
    from suds.wsse import Security
    from suds.wsse import UsernameToken as SudsToken

    stack.add_log("clinic-a", "IntegratorPush_1_suds.zip", "cd" * 16, status="ERROR")
    client = Client(stack.endpoint + "?wsdl", timeout=10)
    security = Security()
    security.tokens.append(SudsToken("clinic-a", "secret-a"))
    client.set_options(wsse=security)
    result = client.service.getImportLogByFilenameAndChecksum("IntegratorPush_1_suds.zip",
                                                              "cd" * 16)
    assert [(r.filename, r.status) for r in result] == [("IntegratorPush_1_suds.zip", "ERROR")]


def test_jaxws_shaped_request_gets_unqualified_return_elements(stack: Stack) -> None:
    stack.add_log("clinic-a", "IntegratorPush_1_raw.zip", "ef" * 16)
    status, body = stack.post(envelope(by_file("IntegratorPush_1_raw.zip", "ef" * 16),
                                       text_token()))
    assert status == 200, body
    root = etree.fromstring(body)
    wrapper = root.find(f".//{{{TNS}}}getImportLogByFilenameAndChecksumResponse")
    assert wrapper is not None
    (ret,) = wrapper
    assert ret.tag == "return"  # no namespace, as JAXB expects
    assert [child.tag for child in ret] == [
        "checksum", "dateCreated", "dateIntervalEnd", "dateIntervalStart", "facilityId",
        "filename", "id", "lastUpdatedDate", "status"]  # JAXB order; null dependsOn omitted


def test_other_operations(stack: Stack) -> None:
    service = stack.zeep("clinic-b")
    stack.add_log("clinic-b", "IntegratorPush_9_a.zip", "11" * 16, start=T0, end=T0)
    later = T0 + dt.timedelta(days=3)
    stack.add_log("clinic-b", "IntegratorPush_9_b.zip", "22" * 16, start=later, end=later)
    since = service.getImportLogsSince(T0 + dt.timedelta(days=1))
    assert [r.filename for r in since] == ["IntegratorPush_9_b.zip"]
    assert len(service.getImportLogsSince(None)) >= 2
    assert service.canProcessFile("x.zip", "22" * 16, None, later, None) == "ALREADY_IMPORTED"
    assert service.canProcessFile("x.zip", "33" * 16, later, later + dt.timedelta(hours=1),
                                  "22" * 16) == "OK"
    assert service.canProcessFile("x.zip", "33" * 16, None, later, "99" * 16) == (
        "DEPENDENCY_NOT_MET")
    assert service.canProcessFile("x.zip", "33" * 16, None, T0, None) == (
        "INTEGRATOR_HAS_NEWER_DATA")
    facility = service.getMyFacility()
    assert (facility.name, facility.integratorFacilityId) == ("clinic-b", stack.ids["clinic-b"])


def test_all_facilities_and_what_a_facility_says_about_itself(stack: Stack) -> None:
    a, b = stack.zeep("clinic-a"), stack.zeep("clinic-b")
    # Before a facility describes itself, others do not see it (its name is its login).
    assert [f.integratorFacilityId for f in b.getAllFacility()] == [stack.ids["clinic-b"]]
    kind = stack.zeep_client("clinic-a").get_type("ns0:cachedFacility")
    a.setMyFacility(kind(integratorFacilityId=stack.ids["clinic-b"], name="Clinic A",
                         description="downtown", contactName="Dr. A", hic=True,
                         enableIntegratedReferrals=False, allowSims=True))
    mine = a.getMyFacility()
    # The id is the caller's whatever it sent; the rest is what it said.
    assert (mine.integratorFacilityId, mine.name, mine.description, mine.contactName,
            mine.hic, mine.enableIntegratedReferrals) == (
        stack.ids["clinic-a"], "Clinic A", "downtown", "Dr. A", True, False)
    assert b.getMyFacility().name == "clinic-b"  # untouched
    listed = {f.integratorFacilityId: f.name for f in b.getAllFacility()}
    assert listed == {stack.ids["clinic-a"]: "Clinic A", stack.ids["clinic-b"]: "clinic-b"}
    with pytest.raises(zeep.exceptions.Fault, match="description is longer than 255"):
        a.setMyFacility(kind(description="x" * 256, hic=False, enableIntegratedReferrals=True,
                             allowSims=True))
    when = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    a.updateMyFacilityLastUpdateDate(when)
    assert a.getMyFacility().lastDataUpdate == when


def test_import_logs_written_over_soap_stay_the_callers(stack: Stack) -> None:
    a, b = stack.zeep("clinic-a"), stack.zeep("clinic-b")
    created = a.createImportLog("IntegratorPush_1_soap.zip", "5a" * 16, T0, T0, None)
    assert (created.status, created.facilityId) == ("PROCESSING", stack.ids["clinic-a"])
    assert a.completeImportLog(created.id).status == "COMPLETED"
    (listed,) = a.getImportLogByFilenameAndChecksum("IntegratorPush_1_soap.zip", "5a" * 16)
    assert (listed.id, listed.status) == (created.id, "COMPLETED")
    with pytest.raises(zeep.exceptions.Fault, match=f"no import log {created.id} of this"):
        b.errorImportLog(created.id)  # another facility's row: not found, not changed
    assert a.getImportLogByFilenameAndChecksum(
        "IntegratorPush_1_soap.zip", "5a" * 16)[0].status == "COMPLETED"
    errored = a.createImportLogWithStatus("IntegratorPush_1_e.zip", "5b" * 16, T0, T0, None,
                                          "ERROR")
    assert errored.status == "ERROR"
    with pytest.raises(zeep.exceptions.Fault, match="status must be one of"):
        a.createImportLogWithStatus("x.zip", "5c" * 16, T0, T0, None, "DONE")
    with pytest.raises(zeep.exceptions.Fault, match=r"arg0 \(filename\) and arg1"):
        a.createImportLog(None, None, T0, T0, None)
    far = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    assert a.createImportLog("IntegratorPush_1_9999.zip", "5d" * 16, far, far,
                             None).dateIntervalEnd == far
    with pytest.raises(zeep.exceptions.Fault, match="already holds checksum"):
        a.createImportLog("IntegratorPush_1_again.zip", "5d" * 16, T0, T0, None)
    too_early = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with pytest.raises(zeep.exceptions.Fault, match="outside the years 1 to 9999"):
        a.createImportLog("IntegratorPush_1_year1.zip", "5e" * 16, too_early, T0, None)


# -- security ---------------------------------------------------------------------


def test_a_facility_sees_only_its_own_logs(stack: Stack) -> None:
    stack.add_log("clinic-a", "IntegratorPush_1_private.zip", "aa" * 16)
    assert stack.zeep("clinic-b").getImportLogByFilenameAndChecksum(
        "IntegratorPush_1_private.zip", "aa" * 16) == []
    assert all(r.facilityId == stack.ids["clinic-b"]
               for r in stack.zeep("clinic-b").getImportLogsSince(None))


@pytest.mark.parametrize(("user", "password"), [("clinic-a", "wrong"), ("nobody", "secret-a")])
def test_wrong_credentials_fault_without_data(stack: Stack, user: str, password: str) -> None:
    checksum = hashlib.md5(user.encode()).hexdigest()
    stack.add_log("clinic-a", "IntegratorPush_1_secret.zip", checksum)
    for digest in (False, True):
        with pytest.raises(zeep.exceptions.Fault) as info:
            stack.zeep(user, password, digest=digest).getImportLogByFilenameAndChecksum(
                "IntegratorPush_1_secret.zip", checksum)
        assert "could not be authenticated" in info.value.message
        assert "IntegratorPush_1_secret" not in str(info.value.detail)


def test_missing_security_header_faults(stack: Stack) -> None:
    status, body = stack.post(envelope(by_file("f.zip", "00")))
    assert status == 500
    assert "FailedAuthentication" in fault_string(body)


def test_replayed_nonce_and_stale_created_fault(stack: Stack) -> None:
    header = digest_token(os.urandom(16), now_created())
    first_status, _ = stack.post(envelope(by_file("f.zip", "00"), header))
    replay_status, body = stack.post(envelope(by_file("f.zip", "00"), header))
    assert first_status == 200
    assert replay_status == 500 and "nonce has already been used" in fault_string(body)
    stale = digest_token(os.urandom(16), "2020-01-01T00:00:00Z")
    status, body = stack.post(envelope(by_file("f.zip", "00"), stale))
    assert status == 500 and "time window" in fault_string(body)


def test_unknown_must_understand_header_faults(stack: Stack) -> None:
    extra = ('<x:Routing xmlns:x="urn:example:routing" '
             'S:mustUnderstand="1">somewhere</x:Routing>')
    status, body = stack.post(envelope(by_file("f.zip", "00"), text_token() + extra))
    assert status == 500 and "MustUnderstand" in fault_string(body)
    ignorable = '<x:Trace xmlns:x="urn:example:trace">t</x:Trace>'
    status, _ = stack.post(envelope(by_file("f.zip", "00"), text_token() + ignorable))
    assert status == 200


def test_requesting_provider_header_is_accepted_and_logged(stack: Stack) -> None:
    provider = '<caisi:requestingCaisiProviderNo xmlns:caisi="http://oscarehr.org/caisi">' \
               "999998</caisi:requestingCaisiProviderNo>"
    status, _ = stack.post(envelope(by_file("f.zip", "00"), text_token() + provider))
    assert status == 200
    assert "for provider 999998" in stack.node.log_text()


# -- hostile input ------------------------------------------------------------------


def test_doctype_and_entities_are_faulted_and_the_node_stays_up(stack: Stack) -> None:
    evil = (b'<?xml version="1.0"?><!DOCTYPE S:Envelope [<!ENTITY x SYSTEM '
            b'"file:///etc/passwd">]>' + envelope(by_file("&x;", "00"), text_token()))
    status, body = stack.post(evil)
    assert status == 500 and "UnsafeXml" in fault_string(body)
    assert b"root:" not in body
    status, _ = stack.post(envelope(by_file("f.zip", "00"), text_token()))
    assert status == 200


def test_malformed_xml_is_located_and_payload_not_logged(stack: Stack) -> None:
    marker = "PATIENT-MARKER-7731"
    status, body = stack.post(envelope(by_file(marker, "00"), text_token())[:-30])
    assert status == 500
    assert "XMLSyntaxError" in fault_string(body) and "line 1" in fault_string(body)
    assert marker not in stack.node.log_text()


def test_oversized_body_is_refused(stack: Stack) -> None:
    status, body = stack.post(envelope(by_file("x" * 300_000, "00"), text_token()))
    assert status == 413 and "RequestTooLarge" in fault_string(body)


def test_request_not_matching_the_contract_is_a_client_fault(stack: Stack) -> None:
    body_xml = f'<ns2:getImportLogsSince xmlns:ns2="{TNS}"><arg0>yesterday</arg0>' \
               "</ns2:getImportLogsSince>"
    status, body = stack.post(envelope(body_xml, text_token()))
    assert status == 500 and "SchemaValidationError" in fault_string(body)


def test_served_wsdl_carries_the_callers_address(stack: Stack) -> None:
    with urllib.request.urlopen(stack.endpoint + "?wsdl", timeout=10) as response:
        wsdl = etree.fromstring(response.read())
    (address,) = wsdl.iter("{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == stack.endpoint
    health = urllib.request.urlopen(stack.node.url + "/health", timeout=5)
    assert health.status == 200
    metrics = urllib.request.urlopen(stack.node.url + "/metrics", timeout=5).read().decode()
    assert "carebridge_requests_total" in metrics and "carebridge_database_up 1" in metrics

