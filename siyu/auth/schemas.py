"""Auth, user, membership and API key API schemas."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import Field, field_validator

from siyu.auth.models import Role, ScopeKind
from siyu.corps.schemas import CorpSummary
from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_USERID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_API_SCOPE = re.compile(r"^(\*|[a-z][a-z_]*:(read|write|\*))$")
PASSWORD_MIN = 10


def normalise_email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def check_userid(value: str | None) -> str | None:
    if value is not None and not _USERID.match(value):
        raise ValueError("a WeCom userid is 1-64 letters, digits, '-', '_' or '.'")
    return value


class LoginRequest(InputSchema):
    # Not validated as an email: a malformed one must answer like any wrong credential.
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class User(OutputSchema):
    id: uuid.UUID
    email: str
    display_name: str
    is_superuser: bool


class UserDetail(User):
    """What an installation admin sees of a user."""

    is_active: bool
    last_login_at: datetime | None
    locked_until: datetime | None
    created_at: datetime


UserPage = Page[UserDetail]


class MembershipSummary(OutputSchema):
    corp: CorpSummary
    role: Role
    scope: ScopeKind


class SessionInfo(OutputSchema):
    """The body of login and /auth/me: who you are, your CSRF token, where you belong."""

    user: User
    csrf_token: str
    memberships: list[MembershipSummary]


class UserCreate(InputSchema):
    email: str = Field(max_length=254)
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=PASSWORD_MIN, max_length=256)
    is_superuser: bool = False

    _email = field_validator("email")(normalise_email)


class UserUpdate(InputSchema):
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    is_active: bool | None = None
    is_superuser: bool | None = None
    unlock: bool | None = Field(default=None, description="Clear a login lockout now.")


class PasswordChange(InputSchema):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=PASSWORD_MIN, max_length=256)


class MemberCreate(InputSchema):
    """Add a user to the corp; unknown emails create the user when a password is given."""

    email: str = Field(max_length=254)
    role: Role
    scope: ScopeKind | None = Field(default=None, description="Defaults from the role.")
    staff_userid: str | None = None
    department_ids: list[int] = Field(default_factory=list, max_length=200)
    display_name: str | None = Field(default=None, min_length=1, max_length=100)
    password: str | None = Field(default=None, min_length=PASSWORD_MIN, max_length=256)

    _email = field_validator("email")(normalise_email)
    _userid = field_validator("staff_userid")(check_userid)


class MemberUpdate(InputSchema):
    role: Role | None = None
    scope: ScopeKind | None = None
    staff_userid: str | None = None
    department_ids: list[int] | None = Field(default=None, max_length=200)

    _userid = field_validator("staff_userid")(check_userid)


class Member(OutputSchema):
    id: uuid.UUID
    corp_id: uuid.UUID
    user: User
    role: Role
    scope: ScopeKind
    staff_userid: str | None
    department_ids: list[int]
    created_at: datetime


class ApiKeyCreate(InputSchema):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=50, examples=[["staff:read", "audit:read"]])
    expires_at: datetime | None = None

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        for scope in value:
            if not _API_SCOPE.match(scope):
                raise ValueError(
                    f"{scope!r} is not a scope; use 'domain:read', 'domain:write' or '*'"
                )
        return sorted(set(value))

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("expires_at needs a timezone (for example 2026-12-31T00:00:00Z)")
        return value


class ApiKey(OutputSchema):
    id: uuid.UUID
    corp_id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_by_user_id: uuid.UUID | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The secret key. Shown only in this response; store it now.")
