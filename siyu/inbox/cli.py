"""`siyu inbox …`: inspect, replay, re-drive and prune stored WeCom callbacks from the shell."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from siyu.audit.context import AuditContext, bind_audit_context
from siyu.audit.service import audit_service
from siyu.corps.service import corp_service
from siyu.inbox.models import InboxStatus
from siyu.inbox.service import inbox_service
from siyu.kit.cli import settings_of
from siyu.kit.errors import SiyuError
from siyu.runtime import Runtime, build_runtime

app = typer.Typer(help="The WeCom callback inbox.", no_args_is_help=True)
_out = Console()
_err = Console(stderr=True)

CorpOption = Annotated[
    str | None, typer.Option("--corp", help="WeCom CorpID (default: every corp)")
]


@contextmanager
def _session(ctx: typer.Context) -> Iterator[tuple[Runtime, Session]]:
    """A write transaction on a runtime, so jobs enqueued here wake the configured workers."""
    runtime = build_runtime(settings_of(ctx))
    try:
        with runtime.db.transaction() as session:
            bind_audit_context(session, AuditContext(actor_label="cli"), guard_writes=False)
            yield runtime, session
    except SiyuError as exc:
        _err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    finally:
        runtime.close()


def _corp_id(session: Session, wecom_corp_id: str | None) -> uuid.UUID | None:
    if wecom_corp_id is None:
        return None
    corp = corp_service.get_by_wecom_id(session, wecom_corp_id)
    if corp is None:
        raise SiyuError(f"no corp with CorpID {wecom_corp_id}")
    return corp.id


def _event_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an inbox event id") from None


@app.command("list")
def list_events(
    ctx: typer.Context,
    corp: CorpOption = None,
    status: Annotated[InboxStatus | None, typer.Option(help="Only this status")] = None,
    event: Annotated[str | None, typer.Option(help="Only this Event")] = None,
    change_type: Annotated[str | None, typer.Option(help="Only this ChangeType")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """The newest events, and a count by status."""
    with _session(ctx) as (_, session):
        corp_id = _corp_id(session, corp)
        rows = inbox_service.search(
            session,
            corp_id=corp_id,
            status=status,
            event=event,
            change_type=change_type,
            limit=limit,
        )
        counts = inbox_service.counts(session, corp_id=corp_id)
    table = Table("id", "event", "change type", "status", "attempts", "received", "error")
    for row in rows:
        table.add_row(
            str(row.id),
            row.event,
            row.change_type or "",
            row.status,
            str(row.attempts),
            row.received_at.isoformat(timespec="seconds"),
            (row.last_error or "")[:60],
        )
    _out.print(table)
    _out.print(json.dumps(counts, sort_keys=True))


@app.command("show")
def show_event(ctx: typer.Context, event_id: str) -> None:
    """One event with its decrypted payload, as JSON."""
    with _session(ctx) as (_, session):
        row = inbox_service.get_or_404(session, corp_id=None, event_id=_event_id(event_id))
        data = {
            "id": str(row.id),
            "corp_id": str(row.corp_id),
            "event": row.event,
            "change_type": row.change_type,
            "dedup_key": row.dedup_key,
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "received_at": row.received_at.isoformat(),
            "handled_at": row.handled_at.isoformat() if row.handled_at else None,
            "payload": row.payload,
        }
    _out.print_json(json.dumps(data, ensure_ascii=False))


@app.command("replay")
def replay_event(ctx: typer.Context, event_id: str) -> None:
    """Run an event's handler again, even if it was handled (handlers are idempotent)."""
    with _session(ctx) as (_, session):
        row = inbox_service.get_or_404(session, corp_id=None, event_id=_event_id(event_id))
        previous = row.status
        inbox_service.replay(session, row=row)
        audit_service.record(
            session,
            action="inbox.replay",
            target_type="inbox_event",
            target_id=row.id,
            details={"event": row.event, "change_type": row.change_type, "previous": previous},
            corp_id=row.corp_id,
        )
    _out.print(f"replay of {event_id} queued")


@app.command("redrive")
def redrive_events(ctx: typer.Context, corp: CorpOption = None) -> None:
    """Put every dead event back in line with a fresh attempt budget."""
    with _session(ctx) as (_, session):
        corp_id = _corp_id(session, corp)
        ids = inbox_service.redrive(session, corp_id=corp_id)
        if ids and corp_id is not None:
            audit_service.record(
                session,
                action="inbox.redrive",
                target_type="corp",
                target_id=corp_id,
                details={"count": len(ids)},
                corp_id=corp_id,
            )
    _out.print(f"{len(ids)} dead events re-driven")


@app.command("prune")
def prune_events(
    ctx: typer.Context,
    days: Annotated[
        int | None, typer.Option(min=1, help="Retention (default SIYU_INBOX_RETENTION_DAYS)")
    ] = None,
) -> None:
    """Delete handled events older than the retention now (a periodic job does it hourly)."""
    with _session(ctx) as (runtime, session):
        deleted = inbox_service.prune(
            session, retention_days=days or runtime.settings.inbox_retention_days
        )
    _out.print(f"{deleted} handled events deleted")
