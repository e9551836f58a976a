"""Portable column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

# Native UUID on PostgreSQL, CHAR(32) hex on SQLite; UUIDv7 values sort by time on both.
IdType = Uuid(as_uuid=True)


class PortableJSON(TypeDecorator[Any]):
    """JSON everywhere, JSONB on PostgreSQL so it can be indexed and queried with containment."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JsonType = PortableJSON()


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in and out.

    PostgreSQL stores `timestamptz`; SQLite has no timezone type, so values are normalised to
    UTC and stored naive, then re-tagged as UTC when read. Naive datetimes are refused on the
    way in, because guessing their zone is how off-by-eight-hours bugs start in China.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 (the signature is SQLAlchemy's)
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def uuid_from(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# Separates tokens in the SQLite encoding of a TokenSet; stripped from values on the way in.
TOKEN_SEPARATOR = "\x1f"


class TokenSet(TypeDecorator[list[str]]):
    """A small set of short strings searchable by "contains any of": a `text[]` with a GIN index
    on PostgreSQL; on SQLite a text `␟a␟b␟` tested with `instr`, so a scan checks it in C
    without a join (see `db.dialect.tokens_overlap`)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(Text()))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        clean = sorted({v.replace(TOKEN_SEPARATOR, "") for v in value})
        if dialect.name == "postgresql":
            return clean
        return TOKEN_SEPARATOR + TOKEN_SEPARATOR.join(clean) + TOKEN_SEPARATOR if clean else ""

    def process_result_value(self, value: Any, dialect: Dialect) -> list[str] | None:
        if value is None:
            return None
        if dialect.name == "postgresql":
            return list(value)
        return [v for v in str(value).split(TOKEN_SEPARATOR) if v]
