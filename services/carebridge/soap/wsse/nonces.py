"""Nonce memory in the database, shared by every node: a nonce is accepted once."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any, cast

from sqlalchemy import delete
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from carebridge.soap.exceptions import AuthenticationFailed
from carebridge.store.models import WsseNonce


def remember(session: Session, facility_id: int, nonce: bytes, expires_at: dt.datetime) -> None:
    """Record the nonce or raise AuthenticationFailed if it was seen before.

    The primary key makes this race-free across nodes: of two concurrent
    requests with one nonce, exactly one insert commits.
    """
    key = base64.b64encode(nonce).decode("ascii")
    try:
        with session.begin_nested():
            session.add(WsseNonce(facility_id=facility_id, nonce=key, expires_at=expires_at))
    except IntegrityError:
        raise AuthenticationFailed("the nonce has already been used") from None


def purge_expired(session: Session, now: dt.datetime) -> int:
    # A DELETE's result is a CursorResult (which has rowcount); execute() is typed Result.
    result = cast("CursorResult[Any]",
                  session.execute(delete(WsseNonce).where(WsseNonce.expires_at < now)))
    return result.rowcount or 0
