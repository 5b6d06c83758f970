"""Who is calling: a ``wsse:Security`` header checked against the facility accounts."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
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
class _Account:
    id: int
    name: str
    password_hash: str
    digest_secret: str | None
    enabled: bool


class _AccountCache:
    """Facility accounts for a few seconds per process: one query saved per request.

    A disabled facility or a changed password takes effect within ``ttl`` seconds.
    """

    def __init__(self, ttl: float = 5.0, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[float, _Account | None]] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, name: str) -> _Account | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(name)
        if entry is not None and entry[0] > now:
            return entry[1]
        row = find_facility(session, name)
        account = None if row is None else _Account(row.id, row.name, row.password_hash,
                                                     row.digest_secret, row.enabled)
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[name] = (now + self.ttl, account)
        return account


_accounts = _AccountCache()


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
    facility = _accounts.get(session, token.username)
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
