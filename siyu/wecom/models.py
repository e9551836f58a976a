"""Tables behind the WeCom client when no Redis is configured, and the call journal.

Token cache, rate windows and concurrency slots are keyed by WeCom's corp id (a string), not
Siyu's corp row, because limits belong to the WeCom corp whoever calls on its behalf.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin
from siyu.kit.clock import utcnow


class WeComToken(Base):
    """One app's access token; `refresh_lease_until` makes refreshing single-flight."""

    __tablename__ = "wecom_tokens"

    # "{wecom corp id}:{digest of the secret}": a new secret gets a new token.
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    access_token: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None]
    refresh_lease_until: Mapped[datetime | None]
    refresh_holder: Mapped[str | None] = mapped_column(String(64))


class WeComRateWindow(Base):
    """Calls handed out for one minute window of one corp's API (`window` = unix minute)."""

    __tablename__ = "wecom_rate_windows"

    corp: Mapped[str] = mapped_column(String(64), primary_key=True)
    api: Mapped[str] = mapped_column(String(128), primary_key=True)
    window: Mapped[int] = mapped_column(primary_key=True)
    used: Mapped[int] = mapped_column(default=0)


class WeComSlot(Base):
    """One of a corp API's concurrency slots; a process holds it until `lease_until`."""

    __tablename__ = "wecom_slots"

    corp: Mapped[str] = mapped_column(String(64), primary_key=True)
    api: Mapped[str] = mapped_column(String(128), primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]


class WeComCall(IdMixin, Base):
    """One HTTP attempt toward WeCom, written in batches off the caller's transaction."""

    __tablename__ = "wecom_calls"
    __table_args__ = (
        Index("ix_wecom_calls_corp_id_id", "corp_id", "id"),
        Index("ix_wecom_calls_corp_id_api_id", "corp_id", "api", "id"),
    )

    # Siyu's corp row; null for calls made without one (CLI probes against a bare sandbox).
    corp_id: Mapped[uuid.UUID | None]
    wecom_corp_id: Mapped[str] = mapped_column(String(64))
    api: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[float]
    # WeCom's errcode; -2 for network errors and HTTP 5xx (see exceptions.TRANSPORT_ERRCODE).
    errcode: Mapped[int]
    http_status: Mapped[int | None]
    attempt: Mapped[int] = mapped_column(default=1)
    error: Mapped[str | None] = mapped_column(String(500))
