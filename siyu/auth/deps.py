"""HTTP dependencies: who is calling, in which corp, with which role and data scope.

Console requests carry the `siyu_session` cookie; unsafe methods must also send the session's
CSRF token in `X-CSRF-Token` (a cross-site form can send the cookie but cannot read the token).
Integrations send `Authorization: Bearer sk_...` and need no CSRF token, since browsers never
attach that header on their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session

from siyu.audit.context import AuditContext, bind_audit_context, set_audit_corp
from siyu.auth.credentials import same_secret
from siyu.auth.models import ApiKey, AuthSession, CorpMembership, Role, ScopeKind, User
from siyu.auth.repository import memberships
from siyu.auth.scope import DataScope, build_scope
from siyu.auth.service import ClientInfo, auth_service
from siyu.corps.models import Corp
from siyu.corps.repository import corps
from siyu.deps import SAFE_METHODS, DbSession, get_runtime
from siyu.kit.errors import Forbidden, NotFound, Unauthorized

SESSION_COOKIE = "siyu_session"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Principal:
    """The caller: a console user (with their session) or an API key."""

    user: User | None = None
    auth_session: AuthSession | None = None
    api_key: ApiKey | None = None

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.email
        assert self.api_key is not None
        return f"api_key:{self.api_key.prefix} ({self.api_key.name})"


def client_info(request: Request) -> ClientInfo:
    # The direct peer; deployments behind a proxy should have it rewrite the client address
    # (uvicorn --proxy-headers) rather than Siyu trusting X-Forwarded-For from anyone.
    ip = request.client.host if request.client else "unknown"
    return ClientInfo(ip=ip[:64], user_agent=request.headers.get("user-agent"))


def _route_path(request: Request) -> str | None:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else None


def get_principal(request: Request, session: DbSession) -> Principal:
    authorization = request.headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        key = (
            auth_service.authenticate_api_key(session, key=value.strip())
            if scheme.lower() == "bearer"
            else None
        )
        if key is None:
            raise Unauthorized(
                "the API key is not valid, has expired or was revoked", code="invalid_api_key"
            )
        _touch_api_key(request, session, key)
        principal = Principal(api_key=key)
    else:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise Unauthorized("log in first", code="not_authenticated")
        found = auth_service.authenticate_session(session, token=token)
        if found is None:
            raise Unauthorized("the session has ended; log in again", code="session_expired")
        auth_session, user = found
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not same_secret(sent, auth_session.csrf_token):
                raise Forbidden(f"missing or wrong {CSRF_HEADER} header", code="csrf_failed")
        principal = Principal(user=user, auth_session=auth_session)
    client = client_info(request)
    bind_audit_context(
        session,
        AuditContext(
            actor_label=principal.label,
            actor_user_id=principal.user.id if principal.user else None,
            actor_api_key_id=principal.api_key.id if principal.api_key else None,
            ip=client.ip,
            user_agent=client.user_agent,
            request_id=getattr(request.state, "request_id", None),
            method=request.method,
            path=request.url.path,
            route=_route_path(request),
        ),
        guard_writes=request.method not in SAFE_METHODS,
    )
    return principal


def _touch_api_key(request: Request, session: Session, key: ApiKey) -> None:
    """Record that the key was used, at most once a minute.

    A safe request holds a read transaction; upgrading it to a write on SQLite fails at once if
    another process committed meanwhile, so reads record the use in a short transaction of
    their own. Unsafe requests already hold the write lock and record it in theirs.
    """
    if not auth_service.needs_touch(key):
        return
    if request.method in SAFE_METHODS:
        with get_runtime(request).db.transaction() as own:
            auth_service.touch_api_key(own, key_id=key.id)
    else:
        auth_service.touch_api_key(session, key_id=key.id)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_current_user(principal: CurrentPrincipal) -> User:
    if principal.user is None:
        raise Forbidden("this needs a console login, not an API key", code="login_required")
    return principal.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_auth_session(principal: CurrentPrincipal) -> AuthSession:
    if principal.auth_session is None:
        raise Forbidden("this needs a console login, not an API key", code="login_required")
    return principal.auth_session


CurrentAuthSession = Annotated[AuthSession, Depends(get_current_auth_session)]


def require_superuser(user: CurrentUser) -> User:
    if not user.is_superuser:
        raise Forbidden("only an installation administrator may do this", code="superuser_required")
    return user


Superuser = Annotated[User, Depends(require_superuser)]


def has_api_scope(granted: list[str], required: str) -> bool:
    """`*` grants all; `domain:*` grants the domain; `domain:write` implies `domain:read`."""
    domain, _, action = required.partition(":")
    return (
        "*" in granted
        or required in granted
        or f"{domain}:*" in granted
        or (action == "read" and f"{domain}:write" in granted)
    )


@dataclass(frozen=True)
class Access:
    """The caller's standing in one corp."""

    corp: Corp
    principal: Principal
    role: Role | None  # None for API keys, which have scopes instead
    scope: DataScope
    membership: CorpMembership | None = None

    @property
    def corp_id(self) -> uuid.UUID:
        return self.corp.id

    @property
    def masks_mobile(self) -> bool:
        return self.role is Role.staff

    def allows(self, api_scope: str) -> bool:
        key = self.principal.api_key
        return key is None or has_api_scope(key.scopes, api_scope)


def get_corp_access(
    corp_id: Annotated[uuid.UUID, Path()], principal: CurrentPrincipal, session: DbSession
) -> Access:
    """Resolve `{corp_id}`; a corp the caller does not belong to is a 404, like a missing one."""
    missing = NotFound(f"corp {corp_id} does not exist")
    corp = corps.get(session, corp_id)
    if corp is None:
        raise missing
    if principal.api_key is not None:
        if principal.api_key.corp_id != corp_id:
            raise missing
        access = Access(
            corp=corp, principal=principal, role=None, scope=DataScope.everything(corp_id)
        )
    else:
        assert principal.user is not None
        membership = memberships.find(session, corp_id=corp_id, user_id=principal.user.id)
        if membership is not None:
            scope = build_scope(
                session,
                corp_id=corp_id,
                kind=ScopeKind(membership.scope),
                staff_userid=membership.staff_userid,
                department_ids=membership.department_ids,
            )
            access = Access(
                corp=corp,
                principal=principal,
                role=Role(membership.role),
                scope=scope,
                membership=membership,
            )
        elif principal.user.is_superuser:
            # Installation admins act as owners everywhere, so a corp can never be orphaned.
            access = Access(
                corp=corp, principal=principal, role=Role.owner, scope=DataScope.everything(corp_id)
            )
        else:
            raise missing
    set_audit_corp(session, corp_id)
    return access


CorpAccess = Annotated[Access, Depends(get_corp_access)]


def require_role(*roles: Role, api_scope: str | None = None) -> Callable[[Access], Access]:
    """Members need one of `roles`; API keys need `api_scope` (without one they are refused)."""

    def dependency(access: CorpAccess) -> Access:
        if access.principal.api_key is not None:
            if api_scope is None or not access.allows(api_scope):
                raise Forbidden(
                    f"this API key lacks the scope {api_scope or 'for this'}",
                    code="insufficient_scope",
                )
        elif access.role not in roles:
            names = " or ".join(role.value for role in roles)
            raise Forbidden(f"this needs the role {names}", code="insufficient_role")
        return access

    return dependency


def require_api_scope(api_scope: str) -> Callable[[Access], Access]:
    """Any member may pass (their data scope still applies); API keys need `api_scope`."""

    def dependency(access: CorpAccess) -> Access:
        if not access.allows(api_scope):
            raise Forbidden(f"this API key lacks the scope {api_scope}", code="insufficient_scope")
        return access

    return dependency
