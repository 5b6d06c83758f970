"""SOAP edge cases get a SOAP answer: raw HTTP against a real node, plus six real clients.

Each test pins one defect of the SOAP edge (issue 10, section 4): an empty Body, a
whitespace-padded mustUnderstand, two Security headers, two operations, a non-XML
Content-Type, schema faults before authentication, timing that told unknown names from
wrong passwords, the WS-Security fault code, and gzip request bodies. Requests are
written by hand (http.client), so nothing a client library would normalise hides a case.
"""

from __future__ import annotations

import gzip
import http.client
import os
import statistics
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import zeep
from lxml import etree
from sqlalchemy import func, select

from carebridge.contracts import FACILITY_SERVICE, PATIENT_SUBMISSION
from carebridge.soap.client import ServiceClient
from carebridge.soap.exceptions import ServiceRefused
from carebridge.store.models import HL7Message, HL7Rejection
from tests import jaxws
from tests.integration.conftest import TNS, Stack
from tests.integration.test_facility_service import by_file, envelope, text_token
from tests.support import soap_clients

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
FAILED_AUTHENTICATION = etree.QName(WSSE, "FailedAuthentication")
INVALID_SECURITY = etree.QName(WSSE, "InvalidSecurity")
CLIENT = etree.QName(SOAP, "Client")
PATIENTS_TNS = "urn:carebridge:patients:1"
NOT_AUTHENTICATED = "could not be authenticated"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "hl7"


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes
    log: str  # what the node logged while answering

    @property
    def fault(self) -> tuple[etree.QName, str]:
        """The fault code, resolved as the QName it is, and the fault string."""
        assert self.content_type.startswith("text/xml"), (self.content_type, self.body[:300])
        root = etree.fromstring(self.body)
        code = root.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault/faultcode")
        assert code is not None, self.body
        prefix, _, local = (code.text or "").strip().rpartition(":")
        return etree.QName(code.nsmap.get(prefix or None), local), root.findtext(".//faultstring")


def post(stack: Stack, body: bytes, *, path: str = FACILITY_SERVICE.path,
         content_type: str | None = "text/xml; charset=utf-8",
         headers: dict[str, str] | None = None) -> Reply:
    """One POST on its own connection, with exactly these headers (and Content-Length)."""
    sent = {"SOAPAction": '""', **(headers or {})}
    if content_type is not None:
        sent["Content-Type"] = content_type
    log_path = stack.node.log_path
    offset = log_path.stat().st_size
    url = urllib.parse.urlsplit(stack.node.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=20)
    try:
        connection.request("POST", path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    with log_path.open("rb") as fh:
        fh.seek(offset)
        logged = fh.read().decode(errors="replace")
    return Reply(response.status, response.getheader("Content-Type") or "", data, logged)


def assert_client_fault(reply: Reply, words: str, code: etree.QName = CLIENT) -> None:
    assert reply.status == 500, reply
    fault_code, text = reply.fault
    assert fault_code == code, (fault_code, text)
    assert words in text
    assert "Traceback" not in reply.log and "Error handling request" not in reply.log


def security(user: str = "clinic-a", password: str = "secret-a", actor: str | None = None
             ) -> str:
    token = text_token(user, password)
    if actor is not None:
        token = token.replace("<wsse:Security ", f'<wsse:Security S:actor="{actor}" ', 1)
    return token


def since(arg: str) -> str:
    return f'<ns2:getImportLogsSince xmlns:ns2="{TNS}"><arg0>{arg}</arg0></ns2:getImportLogsSince>'


@pytest.fixture
def logged_file(stack: Stack) -> tuple[str, str]:
    """A file clinic-a's import log holds: a request that reaches the service names it."""
    checksum = os.urandom(16).hex()
    name = f"IntegratorPush_1_{checksum[:8]}.zip"
    stack.add_log("clinic-a", name, checksum)
    return name, checksum


# -- the envelope ---------------------------------------------------------------------


@pytest.mark.parametrize("document", [
    envelope("", text_token()),
    envelope(" \n\t ", text_token()),
    f'<S:Envelope xmlns:S="{SOAP}"><S:Header>{text_token()}</S:Header></S:Envelope>'.encode(),
], ids=["empty", "whitespace", "no-body"])
def test_an_empty_or_missing_body_is_a_client_fault(stack: Stack, document: bytes) -> None:
    reply = post(stack, document)
    assert_client_fault(reply, "Body")
    assert "AttributeError" not in reply.log


def test_two_operations_in_one_request_are_refused(stack: Stack,
                                                   logged_file: tuple[str, str]) -> None:
    one = by_file(*logged_file)
    assert post(stack, envelope(one, text_token())).status == 200
    assert_client_fault(post(stack, envelope(one + since(""), text_token())), "one operation")
    two_bodies = envelope(one, text_token()).replace(
        b"</S:Body>", b"</S:Body><S:Body>" + since("").encode() + b"</S:Body>", 1)
    assert_client_fault(post(stack, two_bodies), "one Body")


def test_a_soap_12_envelope_is_a_version_mismatch(stack: Stack) -> None:
    soap12 = envelope(by_file("f.zip", "00"), text_token()).replace(
        SOAP.encode(), b"http://www.w3.org/2003/05/soap-envelope")
    assert_client_fault(post(stack, soap12), "SOAP 1.1", etree.QName(SOAP, "VersionMismatch"))


# -- mustUnderstand -----------------------------------------------------------------------


def routing(flag: str) -> str:
    return (f'<x:Routing xmlns:x="urn:example:routing" S:mustUnderstand="{flag}">'
            "somewhere</x:Routing>")


@pytest.mark.parametrize("flag", [" 1", "1 ", "&#9;1&#10;", " true ", "true"])
def test_must_understand_is_an_xsd_boolean_with_collapsed_whitespace(stack: Stack, flag: str
                                                                      ) -> None:
    reply = post(stack, envelope(by_file("f.zip", "00"), text_token() + routing(flag)))
    assert_client_fault(reply, "mustUnderstand", etree.QName(SOAP, "MustUnderstand"))
    assert "urn:example:routing" in reply.fault[1]


@pytest.mark.parametrize("flag", ["0", " false "])
def test_must_understand_false_is_ignorable(stack: Stack, flag: str) -> None:
    assert post(stack, envelope(by_file("f.zip", "00"), text_token() + routing(flag))
                ).status == 200


def test_must_understand_that_is_no_boolean_is_a_client_fault(stack: Stack) -> None:
    reply = post(stack, envelope(by_file("f.zip", "00"), text_token() + routing("yes")))
    assert_client_fault(reply, "mustUnderstand must be 0, 1, true or false")


def test_must_understand_for_another_actor_is_not_ours(stack: Stack) -> None:
    other = routing(" 1").replace("<x:Routing ", '<x:Routing S:actor="urn:example:gateway" ')
    assert post(stack, envelope(by_file("f.zip", "00"), text_token() + other)).status == 200


# -- wsse:Security ---------------------------------------------------------------------


@pytest.mark.parametrize("headers", [
    security(password="wrong") + security(),
    security() + security(password="wrong"),
    security() + security(),
    security(password="wrong") + security(actor="http://schemas.xmlsoap.org/soap/actor/next"),
], ids=["invalid-first", "invalid-second", "both-valid", "next-and-absent"])
def test_two_security_headers_for_one_actor_are_refused(stack: Stack, headers: str) -> None:
    reply = post(stack, envelope(by_file("f.zip", "00"), headers))
    assert_client_fault(reply, "more than one wsse:Security", INVALID_SECURITY)


def test_a_security_header_for_another_actor_is_left_alone(stack: Stack) -> None:
    theirs = security(password="not-for-us", actor="urn:example:gateway")
    assert post(stack, envelope(by_file("f.zip", "00"), theirs + security())).status == 200
    reply = post(stack, envelope(by_file("f.zip", "00"), theirs))
    assert_client_fault(reply, "wsse:Security header with a UsernameToken is required",
                        FAILED_AUTHENTICATION)


# -- Content-Type ---------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [
    "text/xml; charset=utf-8", "TEXT/XML", "application/soap+xml; charset=utf-8",
    "application/xml"])
def test_xml_content_types_are_served(stack: Stack, content_type: str) -> None:
    reply = post(stack, envelope(by_file("f.zip", "00"), text_token()),
                 content_type=content_type)
    assert reply.status == 200, reply.body


@pytest.mark.parametrize("content_type", [
    "application/json", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
    None], ids=["json", "text-plain", "form", "missing"])
def test_other_content_types_get_415(stack: Stack, logged_file: tuple[str, str],
                                     content_type: str | None) -> None:
    name, checksum = logged_file
    reply = post(stack, envelope(by_file(name, checksum), text_token()),
                 content_type=content_type)
    assert reply.status == 415
    code, text = reply.fault
    assert code == etree.QName(SOAP, "Client.UnsupportedMediaType") and "text/xml" in text
    assert name.encode() not in reply.body


def hl7_rows(stack: Stack) -> int:
    with stack.db.transaction() as session:
        return sum(session.scalar(select(func.count()).select_from(table))
                   for table in (HL7Message, HL7Rejection))


def submit_envelope(suffix: str) -> bytes:
    raw = (CORPUS / "adt_a01_basic.hl7").read_text()
    fields = raw.split("\r", 1)[0].split("|")
    raw = raw.replace(fields[9], fields[9] + suffix, 1).replace(fields[3], "clinic-a", 1)
    text = raw.replace("&", "&amp;").replace("<", "&lt;").replace("\r", "&#13;")
    return envelope(f'<p:submitMessage xmlns:p="{PATIENTS_TNS}"><p:er7>{text}</p:er7>'
                    "</p:submitMessage>", text_token())


def test_a_json_content_type_is_not_processed_or_stored(stack: Stack) -> None:
    before = hl7_rows(stack)
    refused = post(stack, submit_envelope("JSON"), path=PATIENT_SUBMISSION.path,
                   content_type="application/json")
    assert refused.status == 415
    assert hl7_rows(stack) == before
    served = post(stack, submit_envelope("XML"), path=PATIENT_SUBMISSION.path)
    assert served.status == 200 and b"ackCode" in served.body
    assert hl7_rows(stack) > before  # the same request as XML is stored: the count can move


# -- authentication before the schema ---------------------------------------------------


@pytest.mark.parametrize(("path", "operation"), [
    (FACILITY_SERVICE.path, since("yesterday")),
    (FACILITY_SERVICE.path, f'<ns2:getImportLogsSince xmlns:ns2="{TNS}"><bogus/>'
                            "</ns2:getImportLogsSince>"),
    (PATIENT_SUBMISSION.path, f'<p:submitMessage xmlns:p="{PATIENTS_TNS}"><wrong/>'
                              "</p:submitMessage>"),
    (PATIENT_SUBMISSION.path, f'<p:noSuchOperation xmlns:p="{PATIENTS_TNS}"/>'),
], ids=["facility-bad-date", "facility-bad-child", "patients-bad-child", "patients-unknown-op"])
@pytest.mark.parametrize("header", [
    security(password="wrong"), security(user="nobody"), ""], ids=["wrong", "unknown", "none"])
def test_an_unauthenticated_caller_learns_nothing_of_the_schema(
        stack: Stack, path: str, operation: str, header: str) -> None:
    reply = post(stack, envelope(operation, header), path=path)
    code, text = reply.fault
    assert (reply.status, code) == (500, FAILED_AUTHENTICATION), text
    assert "Schema" not in text and "element" not in text


def test_an_authenticated_caller_still_gets_schema_faults(stack: Stack) -> None:
    for path, operation in ((FACILITY_SERVICE.path, since("yesterday")),
                            (PATIENT_SUBMISSION.path, f'<p:submitMessage xmlns:p="{PATIENTS_TNS}">'
                                                      "<wrong/></p:submitMessage>")):
        reply = post(stack, envelope(operation, security()), path=path)
        code, _text = reply.fault
        assert code == etree.QName(SOAP, "Client.SchemaValidationError")


# -- timing ------------------------------------------------------------------------------


def test_unknown_names_and_wrong_passwords_take_the_same_time(stack: Stack) -> None:
    """Medians of interleaved calls: before the fix an unknown name answered ~20x faster."""
    request = envelope(by_file("f.zip", "00"), security())
    assert post(stack, request).status == 200  # the right password is now in VerifiedCache
    timings: dict[str, list[float]] = {"unknown": [], "wrong": []}
    bodies = {"unknown": envelope(by_file("f.zip", "00"), security(user="nobody-at-all")),
              "wrong": envelope(by_file("f.zip", "00"), security(password="secret-b"))}
    for _ in range(11):
        for kind, body in bodies.items():
            start = time.perf_counter()
            reply = post(stack, body)
            timings[kind].append(time.perf_counter() - start)
            assert NOT_AUTHENTICATED in reply.fault[1]
    unknown, wrong = (statistics.median(timings[k]) for k in ("unknown", "wrong"))
    assert 0.5 <= unknown / wrong <= 2.0, timings


# -- the fault code, as clients see it ------------------------------------------------------


def test_failed_authentication_is_the_wsse_qname(stack: Stack) -> None:
    reply = post(stack, envelope(by_file("f.zip", "00"), security(password="wrong")))
    assert reply.fault == (FAILED_AUTHENTICATION, "the security token could not be authenticated")
    assert b"wsse:FailedAuthentication" in reply.body


def test_zeep_and_carebridge_client_surface_it(stack: Stack) -> None:
    with pytest.raises(zeep.exceptions.Fault) as info:
        stack.zeep("clinic-a", "wrong").getMyFacility()
    assert info.value.code == "wsse:FailedAuthentication"
    assert NOT_AUTHENTICATED in info.value.message
    client = ServiceClient(FACILITY_SERVICE, stack.endpoint, "clinic-a", "wrong", retries=2,
                           sleep=lambda _s: pytest.fail("an authentication fault is not retried"))
    with pytest.raises(ServiceRefused, match=f"refused the request: .*{NOT_AUTHENTICATED}"):
        client.call("getMyFacility")


def test_suds_surfaces_it(stack: Stack) -> None:
    from suds import WebFault
    from suds.client import Client
    from suds.wsse import Security, UsernameToken

    client = Client(stack.endpoint + "?wsdl", timeout=10)
    token = Security()
    token.tokens.append(UsernameToken("clinic-a", "wrong"))
    client.set_options(wsse=token)
    with pytest.raises(WebFault) as info:
        client.service.getMyFacility()
    assert info.value.fault.faultcode == "wsse:FailedAuthentication"
    assert NOT_AUTHENTICATED in info.value.fault.faultstring


@pytest.fixture(scope="module")
def jaxws_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert jaxws.jaxws_available(), "the JAX-WS RI is required (tests/system-deps.sh)"
    build_dir = tmp_path_factory.mktemp("jaxws-edges")
    jaxws.build_client(build_dir)
    return build_dir


@pytest.mark.jvm
def test_jaxws_resolves_the_qname(stack: Stack, jaxws_build: Path) -> None:
    result = jaxws.run_client(jaxws_build, stack.endpoint, "clinic-a", "wrong", "my-facility",
                              expect_failure=True)
    assert result["exit"] == 3, result
    assert result["faultCode"] == f"{{{WSSE}}}FailedAuthentication"
    assert NOT_AUTHENTICATED in result["fault"]


@pytest.mark.parametrize(("run", "available", "needs"), [
    (soap_clients.run_php, soap_clients.php_soap_available, "php-cli + php-soap"),
    (soap_clients.run_node_soap, soap_clients.node_soap_available, "node + node-soap"),
], ids=["php-soapclient", "node-soap"])
def test_other_clients_surface_it(stack: Stack, run: Callable[..., dict],
                                  available: Callable[[], bool], needs: str) -> None:
    assert available(), f"{needs} (tests/system-deps.sh)"
    ok = run(stack.endpoint, "clinic-a", "secret-a", "my-facility")
    assert ok["facility"]["name"] == "clinic-a"
    refused = run(stack.endpoint, "clinic-a", "wrong", "my-facility")
    assert refused["exit"] == 3
    assert refused["faultcode"] == "wsse:FailedAuthentication"
    assert NOT_AUTHENTICATED in refused["fault"]


# -- gzip request bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "GZIP", "identity, gzip"])
def test_a_gzip_body_is_decoded(stack: Stack, logged_file: tuple[str, str], coding: str) -> None:
    name, checksum = logged_file
    plain = envelope(by_file(name, checksum), text_token())
    reply = post(stack, gzip.compress(plain), headers={"Content-Encoding": coding})
    assert reply.status == 200, reply.body
    assert name.encode() in reply.body


def test_identity_is_no_encoding(stack: Stack, logged_file: tuple[str, str]) -> None:
    name, checksum = logged_file
    reply = post(stack, envelope(by_file(name, checksum), text_token()),
                 headers={"Content-Encoding": "identity"})
    assert reply.status == 200 and name.encode() in reply.body


def test_a_gzip_bomb_gets_413(stack: Stack) -> None:
    limit = stack.settings.server.max_request_bytes
    bomb = gzip.compress(envelope(by_file("x" * (100 * limit), "00"), text_token()))
    assert len(bomb) < limit  # the wire size alone would pass
    start = time.monotonic()
    reply = post(stack, bomb, headers={"Content-Encoding": "gzip"})
    assert reply.status == 413
    code, text = reply.fault
    assert code == etree.QName(SOAP, "Client.RequestTooLarge") and str(limit) in text
    assert time.monotonic() - start < 5  # stopped at the cap, not after inflating 20 MB


def test_a_gzip_body_over_the_compression_ratio_gets_413(stack: Stack) -> None:
    limit = stack.settings.server.max_request_bytes
    size = limit * 9 // 10  # within the size cap: only the ratio can refuse it
    dense = gzip.compress(envelope(by_file("x" * size, "00"), text_token()))
    assert len(dense) * stack.settings.limits.max_compression_ratio < size
    reply = post(stack, dense, headers={"Content-Encoding": "gzip"})
    assert reply.status == 413
    assert "200:1" in reply.fault[1]


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not-gzip"])
def test_a_corrupt_gzip_body_is_a_client_fault(stack: Stack, damage: str) -> None:
    good = gzip.compress(envelope(by_file("f.zip", "00"), text_token()))
    body = {"truncated": good[: len(good) // 2],
            "flipped": good[:20] + bytes(b ^ 0xFF for b in good[20:40]) + good[40:],
            "not-gzip": envelope(by_file("f.zip", "00"), text_token())}[damage]
    reply = post(stack, body, headers={"Content-Encoding": "gzip"})
    assert reply.status == 400
    code, text = reply.fault
    assert code == etree.QName(SOAP, "Client.BadContentEncoding") and "gzip" in text
    assert "Traceback" not in reply.log


@pytest.mark.parametrize("coding", ["br", "deflate", "compress", "gzip, gzip"])
def test_an_unknown_content_encoding_gets_415(stack: Stack, coding: str) -> None:
    reply = post(stack, envelope(by_file("f.zip", "00"), text_token()),
                 headers={"Content-Encoding": coding})
    assert reply.status == 415
    code, text = reply.fault
    assert code == etree.QName(SOAP, "Client.UnsupportedMediaType") and "gzip" in text
