"""Failed authentication: a decoy check as slow as a real one, and a wsse-qualified fault code."""

from __future__ import annotations

import statistics
import time

from lxml import etree
from spyne.model.fault import Fault

from carebridge.soap.exceptions import AuthenticationFailed, MalformedXml
from carebridge.soap.faults import QualifiedFault, qualify_fault_code, to_fault
from carebridge.soap.wsse.namespaces import WSSE
from carebridge.store.credentials import VerifiedCache, check_password, hash_password

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def test_no_account_never_matches() -> None:
    assert check_password("", None) is False
    assert check_password("anything", None) is False
    assert VerifiedCache().verify("anything", None) is False


def test_check_password_is_verify_password_for_a_real_hash() -> None:
    stored = hash_password("right")
    assert check_password("right", stored) and not check_password("wrong", stored)


def test_no_account_costs_what_a_wrong_password_costs() -> None:
    stored, cache = hash_password("right"), VerifiedCache()
    assert cache.verify("right", stored)  # a cached success must not speed up failures
    timings: dict[str, list[float]] = {"unknown": [], "wrong": []}
    for _ in range(5):
        for kind, hashed in (("unknown", None), ("wrong", stored)):
            start = time.perf_counter()
            assert not cache.verify("wrong", hashed)
            timings[kind].append(time.perf_counter() - start)
    ratio = statistics.median(timings["unknown"]) / statistics.median(timings["wrong"])
    assert 0.5 <= ratio <= 2.0, timings


def test_authentication_faults_carry_the_wsse_qname() -> None:
    fault = to_fault(AuthenticationFailed())
    assert isinstance(fault, QualifiedFault)
    assert (fault.namespace, fault.faultcode) == (WSSE, "FailedAuthentication")
    plain = to_fault(MalformedXml("bad", 1, 2))
    assert type(plain) is Fault and plain.faultcode == "Client.XMLSyntaxError"


def test_the_serialized_code_resolves_to_the_wsse_namespace() -> None:
    body = etree.fromstring(
        f'<s:Body xmlns:s="{SOAP}"><s:Fault><faultcode>s:FailedAuthentication</faultcode>'
        "<faultstring>no</faultstring></s:Fault></s:Body>")
    fault_element = body[0]
    qualify_fault_code(fault_element, to_fault(AuthenticationFailed()))  # type: ignore[arg-type]
    reparsed = etree.fromstring(etree.tostring(body))
    code = reparsed.find(f"{{{SOAP}}}Fault/faultcode")
    prefix, _, local = code.text.partition(":")
    assert (code.nsmap[prefix], local) == (WSSE, "FailedAuthentication")
    assert [child.tag for child in reparsed[0]] == ["faultcode", "faultstring"]
