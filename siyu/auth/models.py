"""Console users, their corp memberships, login sessions, API keys and login attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.db.types import JsonType
from siyu.kit.clock import utcnow


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    manager = "manager"
    staff = "staff"


class ScopeKind(StrEnum):
    """Which rows of a corp a member sees: their own, their departments', or all."""

    own = "own"
    department = "department"
    all = "all"


DEFAULT_SCOPE = {
    Role.owner: ScopeKind.all,
    Role.admin: ScopeKind.all,
    Role.manager: ScopeKind.department,
    Role.staff: ScopeKind.own,
}


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "users"

    # Stored lowercase, so the unique constraint is case-insensitive on both dialects.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Installation administrator: creates corps and users, sees every corp as an owner.
    is_superuser: Mapped[bool] = mapped_column(default=False)
    failed_login_count: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class CorpMembership(IdMixin, TimestampMixin, Base):
    __tablename__ = "corp_memberships"
    __table_args__ = (UniqueConstraint("corp_id", "user_id"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16))
    # The member's WeCom userid in this corp: what "own" rows are matched against.
    staff_userid: Mapped[str | None] = mapped_column(String(64))
    # WeCom department ids this member manages (descendants included when the scope is built).
    department_ids: Mapped[list[Any]] = mapped_column(JsonType, default=list)


class AuthSession(IdMixin, Base):
    """A console login. Only the SHA-256 of the cookie token is stored, so a database leak
    does not hand out live sessions."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None]


class ApiKey(IdMixin, Base):
    """An integration credential for one corp; acts with data scope "all", limited by `scopes`."""

    __tablename__ = "api_keys"

    corp_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("corps.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(IdMixin, Base):
    """One login try. Rate limits and lockouts count these rows, so they hold across every
    API process sharing the database."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_ip_created_at", "ip", "created_at"),
        Index("ix_login_attempts_email_created_at", "email", "created_at"),
    )

    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
