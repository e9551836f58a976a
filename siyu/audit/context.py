"""Who is acting, bound to the database session, and the "every write is audited" guarantee.

The request's auth dependency binds an `AuditContext` to the session. Services then record
explicit events without passing the actor around. For unsafe requests the session also gets
a `before_commit` hook: if the request is about to commit and no event was recorded, a generic
`request.<method>` event is written in the same transaction. So a future endpoint that forgets
to audit still leaves a trace, and a rolled-back request leaves none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

_CONTEXT_KEY = "siyu.audit.context"
_RECORDED_KEY = "siyu.audit.recorded"
_GUARDED_KEY = "siyu.audit.guarded"


@dataclass
class AuditContext:
    actor_label: str
    actor_user_id: uuid.UUID | None = None
    actor_api_key_id: uuid.UUID | None = None
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    # Set once the request's corp is resolved; events default to it.
    corp_id: uuid.UUID | None = None
    method: str | None = None
    path: str | None = None
    route: str | None = None


SYSTEM_CONTEXT = AuditContext(actor_label="system")


def bind_audit_context(session: Session, context: AuditContext, *, guard_writes: bool) -> None:
    """Attach the actor to `session`; with `guard_writes`, install the generic fallback."""
    session.info[_CONTEXT_KEY] = context
    if guard_writes and not session.info.get(_GUARDED_KEY):
        session.info[_GUARDED_KEY] = True
        event.listen(session, "before_commit", _record_fallback)


def audit_context(session: Session) -> AuditContext:
    context = session.info.get(_CONTEXT_KEY)
    return context if isinstance(context, AuditContext) else SYSTEM_CONTEXT


def set_audit_corp(session: Session, corp_id: uuid.UUID) -> None:
    """Attribute the request's events to the corp it acts in."""
    context = session.info.get(_CONTEXT_KEY)
    if isinstance(context, AuditContext):
        context.corp_id = corp_id


def mark_recorded(session: Session) -> None:
    session.info[_RECORDED_KEY] = True


def was_recorded(session: Session) -> bool:
    return bool(session.info.get(_RECORDED_KEY))


def _record_fallback(session: Session) -> None:
    if was_recorded(session):
        return
    from siyu.audit.service import audit_service  # the service imports this module

    context = audit_context(session)
    method = (context.method or "write").lower()
    audit_service.record(
        session,
        action=f"request.{method}",
        target_type="route",
        target_id=context.route,
        details={"method": context.method, "path": context.path},
    )
