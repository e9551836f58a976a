"""Callback handlers used by the inbox tests, on an Event of their own (`siyu_probe`) so they
never collide with the domains' handlers. Loaded through `SIYU_JOB_MODULES` in worker processes.

`record` counts into `inbox_probe_effects`, a table the tests create, with no unique key, so a
second application of one event's effect shows up as a second row (deliberately not idempotent).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from siyu.inbox.handlers import HandlerContext, callback_handler

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
