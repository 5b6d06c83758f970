"""Who is calling: a ``wsse:Security`` header checked against the facility accounts."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from lxml import etree
from sqlalchemy.orm import Session

from carebridge.soap.exceptions import AuthenticationFailed
from carebridge.soap.wsse import nonces
from carebridge.soap.wsse.usernametoken import (
    check_fresh,
    created_text_of,
    digest_matches,
    find_token,
)
from carebridge.store.credentials import SecretBox, VerifiedCache
from carebridge.store.facilities import find_facility

log = logging.getLogger(__name__)

PURGE_ONE_IN = 200
_verified = VerifiedCache()


@dataclass(frozen=True)
class Caller:
    facility_id: int
    facility_name: str
    password_type: str


def authenticate(
    session: Session,
    security: etree._Element | None,
    *,
    box: SecretBox,
    freshness_seconds: float,
    now: dt.datetime | None = None,
) -> Caller:
    """The facility that signed the request; AuthenticationFailed otherwise.

    Every failure answers the client with the same words, so a caller cannot tell
    an unknown facility from a wrong password; the log says which.
    """
    if security is None:
        raise AuthenticationFailed("a wsse:Security header with a UsernameToken is required")
    now = now or dt.datetime.now(dt.UTC)
    token = find_token(security)
    check_fresh(token.created, now, freshness_seconds)
    facility = find_facility(session, token.username)
    if facility is None or not facility.enabled:
        log.warning("authentication failed: unknown or disabled facility %r", token.username)
        raise AuthenticationFailed()
    if token.is_digest:
        if token.nonce is None or token.created is None:
            raise AuthenticationFailed("PasswordDigest needs wsse:Nonce and wsu:Created")
        secret = box.open(facility.name, facility.digest_secret) if facility.digest_secret else None
        if secret is None:
            log.warning("PasswordDigest refused: not enabled for facility %r", facility.name)
            raise AuthenticationFailed("PasswordDigest is not enabled for this account")
        if not digest_matches(token, created_text_of(security), secret):
            log.warning("authentication failed: bad digest for facility %r", facility.name)
            raise AuthenticationFailed()
    elif not _verified.verify(token.password, facility.password_hash):
        log.warning("authentication failed: bad password for facility %r", facility.name)
        raise AuthenticationFailed()
    if token.nonce is not None:
        expires = now + dt.timedelta(seconds=2 * freshness_seconds)
        nonces.remember(session, facility.id, token.nonce, expires)
        if secrets.randbelow(PURGE_ONE_IN) == 0:
            # Nodes keep no timers; now and then a request sweeps the expired nonces.
            nonces.purge_expired(session, now)
    return Caller(facility.id, facility.name, token.password_type)
