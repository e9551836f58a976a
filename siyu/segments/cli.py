"""`siyu segments …`: maintenance of the segment index (`customer_facts`)."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from siyu.corps.models import Corp
from siyu.customers.models import Customer
from siyu.db.session import Database
from siyu.kit.cli import settings_of
from siyu.segments import facts

app = typer.Typer(help="Segments and their index.", no_args_is_help=True)
_out = Console()
_err = Console(stderr=True)


@app.callback()
def segments() -> None:
    """Segments and their index."""  # a group even with one command: `siyu segments <cmd>`


@app.command("rebuild-index")
def rebuild_index(
    ctx: typer.Context,
    corp: Annotated[
        str | None, typer.Option("--corp", help="WeCom CorpID (default: every corp)")
    ] = None,
    batch: Annotated[int, typer.Option(min=100, max=50_000, help="people per transaction")] = 5000,
) -> None:
    """Recompute every person's segment index row from the source rows. Safe while Siyu runs
    (a recomputation, never an increment); each batch commits, so an interrupted run can
    simply be started again."""
    db = Database(settings_of(ctx).database_url)
    try:
        with db.transaction(write=False) as session:
            query = select(Corp.id, Corp.wecom_corp_id)
            if corp is not None:
                query = query.where(Corp.wecom_corp_id == corp)
            corps = list(session.execute(query.order_by(Corp.wecom_corp_id)))
            if corp is not None and not corps:
                _err.print(f"[bold red]error:[/] no corp with CorpID {corp}")
                raise typer.Exit(code=1)
            totals = {
                corp_id: session.scalar(
                    select(func.count()).select_from(Customer).where(Customer.corp_id == corp_id)
                )
                or 0
                for corp_id, _ in corps
            }
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, TimeElapsedColumn(), console=_out) as progress:
            for corp_id, wecom_corp_id in corps:
                task = progress.add_task(wecom_corp_id, total=totals[corp_id])
                after: uuid.UUID | None = None
                while True:
                    with db.transaction() as session:
                        ids = facts.rebuild_batch(session, corp_id, after=after, limit=batch)
                    if not ids:
                        break
                    after = ids[-1]
                    progress.advance(task, len(ids))
        done = sum(totals.values())
        _out.print(f"rebuilt the segment index of {done} people in {len(corps)} corp(s)")
    finally:
        db.dispose()
