"""Request dependencies, as `Annotated` aliases routes can declare directly."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from siyu.kit.routing import bind_request_session, request_session
from siyu.runtime import Runtime
from siyu.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_settings_dep(request: Request) -> Settings:
    return get_runtime(request).settings


def get_session(request: Request) -> Session:
    """The request's session, opened on first use; `TransactionalRoute` commits or rolls it back.

    Safe methods get a read session (a deferred transaction on SQLite, so readers never queue
    behind the writer).
    """
    session = request_session(request)
    if session is None:
        write = request.method not in SAFE_METHODS
        session = get_runtime(request).db.session(write=write)
        bind_request_session(request, session)
    return session


def get_write_session(request: Request) -> Session:
    """A write session even for GET: for the rare read that must record something (an audited
    download). Declare it before any other dependency that would open the read session."""
    session = request_session(request)
    if session is None:
        session = get_runtime(request).db.session(write=True)
        bind_request_session(request, session)
    return session


def get_read_session(request: Request) -> Session:
    """A read session even for POST: for a read whose request body is too big for a query
    string (a segment tree). Whatever it records goes through `write_after_read`. Declare it
    before any other dependency that would open the request's session."""
    session = request_session(request)
    if session is None:
        session = get_runtime(request).db.session(write=False)
        bind_request_session(request, session)
    return session


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbSession = Annotated[Session, Depends(get_session)]
WriteSession = Annotated[Session, Depends(get_write_session)]
ReadSession = Annotated[Session, Depends(get_read_session)]
