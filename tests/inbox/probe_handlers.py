"""Callback handlers used by the inbox tests, on an Event of their own (`siyu_probe`) so they
never collide with the domains' handlers. Loaded through `SIYU_JOB_MODULES` in worker processes.

`record` counts into `inbox_probe_effects`, a table the tests create, with no unique key, so a
second application of one event's effect shows up as a second row (deliberately not idempotent).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from siyu.inbox.handlers import HandlerContext, PrefetchContext, callback_handler

PROBE_EVENT = "siyu_probe"
PROBE_TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS inbox_probe_effects (inbox_event_id VARCHAR(64), attempt INTEGER)"
)


def probe_xml(corp_id: str, change_type: str, ident: str, create_time: int = 1767225600) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        "<FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{PROBE_EVENT}]]></Event><ChangeType><![CDATA[{change_type}]]></ChangeType>"
        f"<Id><![CDATA[{ident}]]></Id></xml>"
    )


def record(ctx: HandlerContext) -> None:
    ctx.session.execute(
        text("INSERT INTO inbox_probe_effects (inbox_event_id, attempt) VALUES (:id, :attempt)"),
        {"id": str(ctx.inbox_event_id), "attempt": ctx.attempt},
    )


@callback_handler(PROBE_EVENT, "count")
def count_event(ctx: HandlerContext, event: Any) -> None:  # noqa: ARG001
    record(ctx)


@callback_handler(PROBE_EVENT, "fail_twice")
def fail_twice(ctx: HandlerContext, event: Any) -> None:  # noqa: ARG001
    record(ctx)  # rolled back with each failure: only the successful attempt's row stays
    if ctx.attempt <= 2:
        raise RuntimeError(f"planned failure on attempt {ctx.attempt}")


@callback_handler(PROBE_EVENT, "always_fails")
def always_fails(ctx: HandlerContext, event: Any) -> None:  # noqa: ARG001
    raise RuntimeError("this handler cannot succeed")


def write_elsewhere(ctx: PrefetchContext, event: Any) -> str:  # noqa: ARG001
    """A prefetch that commits a write of its own: on SQLite it could not (it would wait out
    the busy timeout and fail) if the handler's write transaction were already open."""
    with ctx.runtime.db.transaction() as session:
        session.execute(
            text("INSERT INTO inbox_probe_effects (inbox_event_id, attempt) VALUES (:id, -1)"),
            {"id": f"prefetch:{ctx.corp.wecom_corp_id}"},
        )
    return f"fetched for {ctx.corp.wecom_corp_id}"


@callback_handler(PROBE_EVENT, "prefetched", prefetch=write_elsewhere)
def use_prefetched(ctx: HandlerContext, event: Any) -> None:  # noqa: ARG001
    assert ctx.prefetched == f"fetched for {ctx.corp.wecom_corp_id}"
    record(ctx)
