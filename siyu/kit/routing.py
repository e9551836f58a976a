"""The request transaction boundary.

`TransactionalRoute` wraps every API handler: the database session a handler asks for (through
`deps.DbSession`) is opened lazily, committed after the handler has produced its response and
before that response is sent, and rolled back if anything raised. So a client never sees a
success that was not committed, and jobs registered with `on_commit` are enqueued only then.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from siyu.db.session import finish_session

_SESSION_KEY = "siyu_session"


def request_session(request: Request) -> Session | None:
    return getattr(request.state, _SESSION_KEY, None)


def bind_request_session(request: Request, session: Session) -> None:
    setattr(request.state, _SESSION_KEY, session)


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except BaseException:
                session = request_session(request)
                if session is not None:
                    await run_in_threadpool(finish_session, session, commit=False)
                raise
            session = request_session(request)
            if session is not None:
                await run_in_threadpool(finish_session, session, commit=True)
            return response

        return transactional_handler
