"""`siyu sync …`: run a full sync with a progress bar, or show recent runs."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from siyu.corps.models import Corp
from siyu.corps.service import corp_service
from siyu.kit.cli import settings_of
from siyu.kit.errors import SiyuError
from siyu.runtime import build_runtime
from siyu.sync.engine import STAGES, SyncEngine, SyncOptions
from siyu.sync.models import RUN_DONE, RUN_FAILED, RUN_INTERRUPTED
from siyu.sync.repository import sync_runs
from siyu.sync.service import sync_service
from siyu.wecom.client import client_for

app = typer.Typer(help="Reconciliation with WeCom.", no_args_is_help=True)
_out = Console()
_err = Console(stderr=True)

CorpOption = Annotated[str, typer.Option("--corp", help="WeCom CorpID")]


def _corp(session: Any, wecom_corp_id: str) -> Corp:
    corp = corp_service.get_by_wecom_id(session, wecom_corp_id)
    if corp is None:
        _err.print(f"[bold red]error:[/] no corp with CorpID {wecom_corp_id}")
        raise typer.Exit(code=1)
    return corp


@app.command("run")
def run(
    ctx: typer.Context,
    corp: CorpOption,
    concurrency: Annotated[int, typer.Option(min=1, max=64)] = 8,
) -> None:
    """Run a full sync inline with a progress bar. Ctrl-C interrupts; running it again resumes
    the interrupted (or failed) run from its checkpoints."""
    runtime = build_runtime(settings_of(ctx))
    stop = threading.Event()
    try:
        with runtime.db.transaction() as session:
            target = _corp(session, corp)
            latest = sync_runs.list(session, target.id, before_id=None, limit=1)
            if latest and latest[0].status in (RUN_INTERRUPTED, RUN_FAILED):
                run_id = latest[0].id  # continue from its checkpoints instead of starting over
            else:
                run_id = sync_service.create_run(
                    session, corp_id=target.id, requested_by_label="cli", enqueue_job=False
                ).id
        columns = (
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[items]} rows"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=_out) as progress:
            tasks = {s: progress.add_task(s, total=None, items=0) for s in STAGES}

            def show(report: dict[str, Any]) -> None:
                stages = report.get("stages", {})
                for stage, task in tasks.items():
                    unit = stages.get(stage, {})
                    progress.update(
                        task,
                        total=unit.get("total") or None,
                        completed=unit.get("done", 0),
                        items=unit.get("items", 0),
                    )

            engine = SyncEngine(
                runtime.db,
                client_for(runtime, target),
                run_id=run_id,
                options=SyncOptions(concurrency=concurrency),
                on_progress=show,
                stop=stop,
            )
            try:
                status = engine.run()
            except KeyboardInterrupt:
                stop.set()
                status = "interrupted"
        _out.print(f"run {run_id}: [bold]{status}[/] {engine.counts}")
        if status != RUN_DONE:
            raise typer.Exit(code=1)
    except SiyuError as exc:
        _err.print(f"[bold red]error:[/] {exc.message}")
        raise typer.Exit(code=1) from None
    finally:
        runtime.close()


@app.command("status")
def status(ctx: typer.Context, corp: CorpOption, limit: int = 10) -> None:
    """Recent runs of a corp, newest first."""
    runtime = build_runtime(settings_of(ctx))
    try:
        with runtime.db.transaction(write=False) as session:
            target = _corp(session, corp)
            table = Table("run", "status", "started", "finished", "counts", "error")
            for row in sync_runs.list(session, target.id, before_id=None, limit=limit):
                table.add_row(
                    str(row.id),
                    row.status,
                    row.started_at.isoformat(timespec="seconds"),
                    row.finished_at.isoformat(timespec="seconds") if row.finished_at else "",
                    ", ".join(f"{k}={v}" for k, v in sorted(row.counts.items())),
                    (row.error or "")[:60],
                )
        _out.print(table)
    finally:
        runtime.close()
