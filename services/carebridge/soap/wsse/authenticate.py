"""Who is calling: a ``wsse:Security`` header checked against the facility accounts."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree
from sqlalchemy.orm import Session

from carebridge.soap.envelope import actor_of
from carebridge.soap.exceptions import AuthenticationFailed, InvalidSecurity
from carebridge.soap.wsse import nonces
from carebridge.soap.wsse.namespaces import WSSE
from carebridge.soap.wsse.usernametoken import (
    check_fresh,
    created_text_of,
    digest_matches,
    find_token,
)
from carebridge.store.credentials import SecretBox, VerifiedCache
from carebridge.store.facilities import find_facility
from carebridge.store.ttl_cache import TtlCache, database_of

log = logging.getLogger(__name__)

PURGE_ONE_IN = 200
SECURITY = f"{{{WSSE}}}Security"
_verified = VerifiedCache()
# Checked against when the account has no digest secret: the same SHA-1 work, never a match.
_DECOY_SECRET = secrets.token_urlsafe(24)


@dataclass(frozen=True)
class _Account:
    id: int
    name: str
    password_hash: str
    digest_secret: str | None
    enabled: bool


def _load_account(session: Session, name: str) -> _Account | None:
    row = find_facility(session, name)
    return None if row is None else _Account(row.id, row.name, row.password_hash,
                                             row.digest_secret, row.enabled)


# A disabled facility or a changed password takes effect within the cache's 5 s.
_accounts: TtlCache[tuple[str, str], _Account | None] = TtlCache()


@dataclass(frozen=True)
class Caller:
    facility_id: int
    facility_name: str
    password_type: str


def security_header(headers: Iterable[etree._Element]) -> etree._Element | None:
    """The ``wsse:Security`` block meant for carebridge, or None; blocks for other actors are
    not ours to read.

    WS-Security 1.0 §5 allows one block per actor. With two for one actor, a server that
    reads only one would let the other (perhaps invalid) one pass unexamined: refused.
    """
    seen: set[str | None] = set()
    ours = None
    for header in headers:
        if header.tag != SECURITY:
            continue
        actor = actor_of(header)
        if actor in seen:
            raise InvalidSecurity("more than one wsse:Security header for the same actor")
        seen.add(actor)
        if actor is None:
            ours = header
    return ours


def authenticate(
    session: Session,
    security: etree._Element | None,
    *,
    box: SecretBox,
    freshness_seconds: float,
    now: dt.datetime | None = None,
) -> Caller:
    """The facility that signed the request; AuthenticationFailed otherwise.

    Every failure about the account answers the client with the same words and costs
    the same work (a decoy hash for an unknown name), so neither the answer nor its
    timing tells an unknown facility from a wrong password; the log says which.
    """
    if security is None:
        raise AuthenticationFailed("a wsse:Security header with a UsernameToken is required")
    now = now or dt.datetime.now(dt.UTC)
    token = find_token(security)
    check_fresh(token.created, now, freshness_seconds)
    if token.is_digest and (token.nonce is None or token.created is None):
        raise AuthenticationFailed("PasswordDigest needs wsse:Nonce and wsu:Created")
    account = _accounts.get((database_of(session), token.username),
                            lambda: _load_account(session, token.username))
    facility = account if account is not None and account.enabled else None
    secret: str | None = None
    if token.is_digest:
        if facility is not None and facility.digest_secret:
            secret = box.open(facility.name, facility.digest_secret)
        matched = digest_matches(token, created_text_of(security), secret or _DECOY_SECRET)
        ok = matched and secret is not None
    else:
        ok = _verified.verify(token.password, facility.password_hash if facility else None)
    if facility is None:
        log.warning("authentication failed: unknown or disabled facility %r", token.username)
        raise AuthenticationFailed()
    if not ok:
        why = "bad password" if not token.is_digest else (
            "bad digest" if secret is not None else "PasswordDigest not enabled")
        log.warning("authentication failed: %s for facility %r", why, facility.name)
        raise AuthenticationFailed()
    if token.nonce is not None:
        expires = now + dt.timedelta(seconds=2 * freshness_seconds)
        nonces.remember(session, facility.id, token.nonce, expires)
        if secrets.randbelow(PURGE_ONE_IN) == 0:
            # Nodes keep no timers; now and then a request sweeps the expired nonces.
            nonces.purge_expired(session, now)
    return Caller(facility.id, facility.name, token.password_type)
