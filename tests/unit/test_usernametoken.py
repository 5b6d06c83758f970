import base64
import datetime as dt
import hashlib

import pytest
from lxml import etree

from carebridge.soap.exceptions import AuthenticationFailed
from carebridge.soap.wsse.namespaces import PASSWORD_DIGEST, WSSE, WSU
from carebridge.soap.wsse.usernametoken import (
    check_fresh,
    created_text_of,
    digest_matches,
    find_token,
    password_digest,
)


def security(password: str, *, digest: bool, nonce: bytes = b"0123456789abcdef",
             created: str = "2024-05-01T10:00:00Z") -> etree._Element:
    sec = etree.Element(f"{{{WSSE}}}Security")
    token = etree.SubElement(sec, f"{{{WSSE}}}UsernameToken")
    etree.SubElement(token, f"{{{WSSE}}}Username").text = "clinic-a"
    pw = etree.SubElement(token, f"{{{WSSE}}}Password")
    pw.text = password_digest(nonce, created, password) if digest else password
    if digest:
        pw.set("Type", PASSWORD_DIGEST)
    etree.SubElement(token, f"{{{WSSE}}}Nonce").text = base64.b64encode(nonce).decode()
    etree.SubElement(token, f"{{{WSU}}}Created").text = created
    return sec


def test_digest_is_the_token_profile_formula() -> None:
    nonce, created = b"nonce", "2024-05-01T10:00:00Z"
    expected = base64.b64encode(hashlib.sha1(nonce + created.encode() + b"pw").digest()).decode()
    assert password_digest(nonce, created, "pw") == expected


def test_digest_checks_against_the_literal_created_text() -> None:
    sec = security("pw", digest=True, created="2024-05-01T10:00:00.000Z")
    token = find_token(sec)
    assert token.is_digest and token.username == "clinic-a"
    assert digest_matches(token, created_text_of(sec), "pw")
    assert not digest_matches(token, created_text_of(sec), "other")


def test_freshness_window_both_sides() -> None:
    now = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
    check_fresh(now - dt.timedelta(seconds=299), now, 300)
    check_fresh(now + dt.timedelta(seconds=299), now, 300)
    with pytest.raises(AuthenticationFailed, match="time window"):
        check_fresh(now - dt.timedelta(seconds=301), now, 300)


def test_malformed_tokens() -> None:
    with pytest.raises(AuthenticationFailed, match="no UsernameToken"):
        find_token(etree.Element(f"{{{WSSE}}}Security"))
    sec = security("pw", digest=False)
    sec[0].find(f"{{{WSSE}}}Nonce").text = "***"
    with pytest.raises(AuthenticationFailed, match="Base64"):
        find_token(sec)
