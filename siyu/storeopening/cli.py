"""`siyu scenario store-opening`: play the store opening and print what happened."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

app = typer.Typer(help="Sandbox scenarios played end to end through Siyu.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _print(report: dict[str, Any]) -> None:
    table = Table("staff", "adds", "daily cap", *list(report["staff"][0]["by_channel"]), "ok")
    for row in report["staff"]:
        table.add_row(
            row["userid"],
            str(row["adds"]),
            str(row["daily_cap"]),
            *[str(n) for n in row["by_channel"].values()],
            "✓" if row["within_caps"] else "✗",
        )
    console.print(table)
    groups = Table("group", "max members", "in Siyu", "cap", "ok")
    for g in report["groups"]:
        ok = "✓" if g["within_cap"] else "✗"
        groups.add_row(
            g["chat_id"], str(g["max_members"]), str(g["siyu_members"]), str(g["cap"]), ok
        )
    console.print(groups)
    tags, welcomes = report["tags"], report["welcomes"]
    console.print(
        f"customers {report['customers']}  scans {report['scans']}  joins {report['joins']}"
        f"  refused {sum(report['refused'].values())}  stalls {report['stalls']}"
        f"  wall {report['wall_seconds']} s for a simulated hour"
    )
    console.print(
        f"tags: {tags['adds']} adds, untagged in Siyu {tags['untagged_in_siyu']},"
        f" in WeCom {tags['untagged_in_wecom']}"
    )
    console.print(
        f"welcomes: {welcomes['sent']} sent, {welcomes['other']} not;"
        f" p50 {welcomes['p50_ms']} ms, p99 {welcomes['p99_ms']} ms"
    )
    for name, ok in report["acceptance"].items():
        console.print(f"{'[green]✓' if ok else '[red]✗'}[/] {name}")


@app.command("store-opening")
def store_opening(
    customers: Annotated[
        int | None,
        typer.Option(help="Customers scanning (default SIYU_STORE_OPENING_CUSTOMERS or 5000)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Arrival and routing seed.")] = 2026,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    database_url: Annotated[
        str | None,
        typer.Option(help="Siyu database for the run (default: a new SQLite file, then removed)."),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(help="Play it on the running `siyu demo` (its database and sandbox)."),
    ] = False,
    siyu_url: Annotated[
        str, typer.Option(help="With --demo: Siyu's URL.")
    ] = "http://127.0.0.1:8000",
    sandbox_url: Annotated[str, typer.Option(help="With --demo: the sandbox's URL.")] = (
        "http://127.0.0.1:9100"
    ),
) -> None:
    """3 channels, 20 staff and thousands of customers over one simulated hour, with peaks."""
    from siyu.settings import get_settings
    from siyu.storeopening.plan import build_plan, customers_from_env

    try:
        plan = build_plan(customers if customers is not None else customers_from_env(), seed=seed)
        settings = get_settings()
        with Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("store opening", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            if demo:
                report = _on_demo(plan, settings, siyu_url, sandbox_url, progress)
            else:
                report = _standalone(plan, settings, database_url, progress)
    except (ValueError, OSError, RuntimeError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        _print(report)
    if not all(report["acceptance"].values()):
        raise typer.Exit(code=2)


def _standalone(plan: Any, settings: Any, database_url: str | None, progress: Any) -> Any:
    from siyu.storeopening.runner import run_standalone

    # The servers' request logs would bury the progress bar; SIYU_LOG_LEVEL still wins.
    if "SIYU_LOG_LEVEL" not in os.environ:
        settings = settings.model_copy(update={"log_level": "WARNING"})
    if database_url:
        return run_standalone(
            plan, settings.model_copy(update={"database_url": database_url}), progress=progress
        )
    with tempfile.TemporaryDirectory(prefix="siyu-store-opening-") as tmp:
        update = {
            "database_url": f"sqlite:///{Path(tmp) / 'siyu.db'}",
            "queue_url": f"sqlite:///{Path(tmp) / 'queue.db'}",
        }
        return run_standalone(plan, settings.model_copy(update=update), progress=progress)


def _on_demo(plan: Any, settings: Any, siyu_url: str, sandbox_url: str, progress: Any) -> Any:
    from siyu.db.session import Database
    from siyu.sandbox.demo import DEMO_CORP_ID, DEMO_SECRET
    from siyu.storeopening.runner import run_against

    db = Database(settings.database_url)
    try:
        return run_against(
            db,
            plan,
            siyu_url=siyu_url,
            sandbox_url=sandbox_url,
            corp_id=DEMO_CORP_ID,
            secret=DEMO_SECRET,
            public_url=settings.public_url,
            progress=progress,
        )
    finally:
        db.dispose()
