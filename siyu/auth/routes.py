"""Login, logout, the current session, and installation-level user management."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from siyu.audit.context import AuditContext, bind_audit_context
from siyu.auth.deps import (
    SESSION_COOKIE,
    CurrentAuthSession,
    CurrentUser,
    Superuser,
    client_info,
)
from siyu.auth.management import user_service
from siyu.auth.schemas import (
    LoginRequest,
    PasswordChange,
    SessionInfo,
    UserCreate,
    UserDetail,
    UserPage,
    UserUpdate,
)
from siyu.auth.service import auth_service
from siyu.deps import DbSession, RuntimeDep, SettingsDep
from siyu.kit.routing import TransactionalRoute
from siyu.settings import Settings

router = APIRouter(tags=["auth"], route_class=TransactionalRoute)


def _set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_hours * 3600,
        path="/",
        httponly=True,  # page scripts never see the token; they use the CSRF token instead
        samesite="lax",  # not sent on cross-site POSTs; top-level links still log you in
        secure=settings.public_url.startswith("https"),
    )


@router.post("/auth/login", response_model=SessionInfo)
def login(
    body: LoginRequest, request: Request, response: Response, runtime: RuntimeDep
) -> SessionInfo:
    """Start a console session. Failures are committed before they are reported (they count
    towards the lockout), which is why this opens its own transaction."""
    client = client_info(request)
    with runtime.db.transaction() as session:
        bind_audit_context(
            session,
            AuditContext(
                actor_label=body.email.strip().lower()[:254],
                ip=client.ip,
                user_agent=client.user_agent,
                request_id=getattr(request.state, "request_id", None),
                method=request.method,
                path=request.url.path,
            ),
            guard_writes=False,
        )
        outcome = auth_service.login(
            session,
            email=body.email,
            password=body.password,
            client=client,
            settings=runtime.settings,
        )
        info = None
        if outcome.user is not None and outcome.csrf_token is not None:
            info = auth_service.session_info(
                session, user=outcome.user, csrf_token=outcome.csrf_token
            )
    if outcome.error is not None:
        raise outcome.error
    assert info is not None and outcome.token is not None
    _set_session_cookie(response, outcome.token, runtime.settings)
    return info


@router.get("/auth/me", response_model=SessionInfo)
def get_me(session: DbSession, user: CurrentUser, auth_session: CurrentAuthSession) -> SessionInfo:
    return auth_service.session_info(session, user=user, csrf_token=auth_session.csrf_token)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: DbSession, auth_session: CurrentAuthSession, settings: SettingsDep) -> Response:
    auth_service.logout(session, auth_session=auth_session)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https"),
    )
    return response


@router.patch("/users/me/password", status_code=status.HTTP_204_NO_CONTENT)
def update_my_password(
    session: DbSession, user: CurrentUser, auth_session: CurrentAuthSession, body: PasswordChange
) -> Response:
    auth_service.change_password(
        session,
        user=user,
        auth_session=auth_session,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/users", response_model=UserDetail, status_code=status.HTTP_201_CREATED)
def create_user(session: DbSession, _: Superuser, body: UserCreate) -> UserDetail:
    return UserDetail.model_validate(user_service.create(session, data=body))


@router.get("/users", response_model=UserPage)
def list_users(
    session: DbSession,
    _: Superuser,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UserPage:
    rows, next_cursor = user_service.list(session, cursor=cursor, limit=limit)
    return UserPage(items=[UserDetail.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.patch("/users/{user_id}", response_model=UserDetail)
def update_user(
    session: DbSession, actor: Superuser, user_id: uuid.UUID, body: UserUpdate
) -> UserDetail:
    user = user_service.get_or_404(session, user_id)
    return UserDetail.model_validate(
        user_service.update(session, user=user, data=body, actor=actor)
    )
