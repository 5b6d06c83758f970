"""What a Core statement run through a Session tells: the new id, the rows it changed.

``Session.execute`` returns a ``CursorResult`` for INSERT/UPDATE/DELETE, though its type
says ``Result``; these say it once instead of at every call.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def inserted_id(result: Result[Any]) -> int:
    key = cast("CursorResult[Any]", result).inserted_primary_key
    assert key is not None  # an INSERT of one row
    return int(key[0])


def changed(result: Result[Any]) -> int:
    return cast("CursorResult[Any]", result).rowcount
