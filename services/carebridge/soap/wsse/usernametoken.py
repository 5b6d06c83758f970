"""Reading a UsernameToken and checking its password, text or digest.

The digest is Base64(SHA-1(nonce + created + password)) as the token profile
defines it; the nonce and created time make each digest single-use once the
nonce is remembered (``nonces``) and Created is required to be recent.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from lxml import etree

from carebridge.soap.exceptions import AuthenticationFailed
from carebridge.soap.wsse.namespaces import PASSWORD_DIGEST, PASSWORD_TEXT, WSSE, WSU


@dataclass(frozen=True)
class UsernameToken:
    username: str
    password: str
    password_type: str
    nonce: bytes | None
    created: dt.datetime | None

    @property
    def is_digest(self) -> bool:
        return self.password_type == PASSWORD_DIGEST


def find_token(security: etree._Element) -> UsernameToken:
    """The UsernameToken inside a ``wsse:Security`` header element."""
    token = security.find(f"{{{WSSE}}}UsernameToken")
    if token is None:
        raise AuthenticationFailed("wsse:Security has no UsernameToken")
    username = _text(token, f"{{{WSSE}}}Username")
    password_elt = token.find(f"{{{WSSE}}}Password")
    if not username or password_elt is None:
        raise AuthenticationFailed("UsernameToken needs a Username and a Password")
    password_type = password_elt.get("Type") or PASSWORD_TEXT
    if password_type not in (PASSWORD_TEXT, PASSWORD_DIGEST):
        raise AuthenticationFailed(f"unsupported password type {password_type}")
    nonce_text = _text(token, f"{{{WSSE}}}Nonce")
    nonce = None
    if nonce_text:
        try:
            nonce = base64.b64decode(nonce_text, validate=True)
        except (binascii.Error, ValueError):
            raise AuthenticationFailed("wsse:Nonce is not Base64") from None
    created_text = _text(token, f"{{{WSU}}}Created")
    created = _parse_created(created_text) if created_text else None
    return UsernameToken(
        username=username.strip(),
        password=password_elt.text or "",
        password_type=password_type,
        nonce=nonce,
        created=created,
    )


def password_digest(nonce: bytes, created: str, password: str) -> str:
    raw = hashlib.sha1(nonce + created.encode("utf-8") + password.encode("utf-8")).digest()
    return base64.b64encode(raw).decode("ascii")


def digest_matches(token: UsernameToken, created_text: str, password: str) -> bool:
    if token.nonce is None:
        return False
    expected = password_digest(token.nonce, created_text, password)
    return hmac.compare_digest(expected.encode("ascii"), token.password.strip().encode("ascii"))


def check_fresh(created: dt.datetime | None, now: dt.datetime, window_seconds: float) -> None:
    """Created must be within the window of now, either side (clock skew)."""
    if created is None:
        return
    if abs((now - created).total_seconds()) > window_seconds:
        raise AuthenticationFailed("wsu:Created is outside the accepted time window")


def created_text_of(security: etree._Element) -> str:
    """Created exactly as sent: the digest is over the literal text, not the parsed time."""
    return _text(security, f"{{{WSSE}}}UsernameToken/{{{WSU}}}Created") or ""


def _text(parent: etree._Element, path: str) -> str | None:
    elt = parent.find(path)
    return elt.text.strip() if elt is not None and elt.text else None


def _parse_created(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AuthenticationFailed("wsu:Created is not an xsd:dateTime") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value
