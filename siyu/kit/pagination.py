"""Keyset pagination: opaque cursors over (sort key, id), never OFFSET.

A cursor encodes the last row's sort values; the next page starts strictly after it, so pages
stay fast at any depth and stable while rows are inserted.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, Field

from siyu.kit.errors import BadRequest

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page."
    )


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([str(v) if not isinstance(v, int | float) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("cursor is not valid; pass the next_cursor of a previous page") from exc
    if not isinstance(values, list) or len(values) != size:
        raise BadRequest("cursor is not valid; pass the next_cursor of a previous page")
    return values


class HasId(Protocol):
    @property
    def id(self) -> uuid.UUID: ...


R = TypeVar("R", bound=HasId)


def decode_id_cursor(cursor: str | None) -> uuid.UUID | None:
    """The last id of the previous page (the repository continues after it, in its order)."""
    if not cursor:
        return None
    (raw,) = decode_cursor(cursor, size=1)
    try:
        return uuid.UUID(str(raw))
    except ValueError as exc:
        raise BadRequest("cursor is not valid; pass the next_cursor of a previous page") from exc


def split_id_page(rows: Sequence[R], limit: int) -> tuple[list[R], str | None]:
    """Rows fetched with `limit + 1` → the page and the cursor of the next one (None at the end)."""
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return list(rows[:limit]), next_cursor


def decode_time_id_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """A cursor of (timestamp, id), for lists ordered by a time column with the id as tiebreak."""
    if not cursor:
        return None
    at, raw = decode_cursor(cursor, size=2)
    try:
        return datetime.fromisoformat(str(at)), uuid.UUID(str(raw))
    except ValueError as exc:
        raise BadRequest("cursor is not valid; pass the next_cursor of a previous page") from exc


def encode_time_id_cursor(at: datetime, row_id: uuid.UUID) -> str:
    return encode_cursor([at.isoformat(), row_id])
