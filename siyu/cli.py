"""The `siyu` command line.

Every command prints one clear line and exits non-zero when something is wrong; long work shows
progress. Domains contribute sub-commands (`siyu user`, `siyu sandbox`) from their `cli.py`.
"""

from __future__ import annotations

import functools
import importlib
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from siyu import __version__
from siyu.db.migrate import DatabaseNotMigrated
from siyu.kit.errors import SiyuError
from siyu.settings import Settings, get_settings

console = Console()
err_console = Console(stderr=True)
app = typer.Typer(
    name="siyu",
    help="Siyu (私域): a self-hosted SCRM for WeCom customer operations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
corp_app = typer.Typer(help="WeCom corps served by this installation.", no_args_is_help=True)
jobs_app = typer.Typer(help="Durable jobs: status and re-drive.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(corp_app, name="corp")
app.add_typer(jobs_app, name="jobs")

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def one_line_errors(fn: F) -> F:
    """Turn foreseeable failures into one line on stderr and exit code 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            raise fail(f"{where}: {first.get('msg')}" if where else str(first.get("msg"))) from None
        except (SiyuError, DatabaseNotMigrated, ValueError, OSError) as exc:
            raise fail(getattr(exc, "message", None) or str(exc)) from None

    return wrapper  # type: ignore[return-value]


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(str(first.get("msg"))) from None


def version_callback(value: bool) -> None:
    if value:
        console.print(f"siyu {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version."
        ),
    ] = False,
) -> None:
    """Siyu command line."""


@app.command()
@one_line_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (default SIYU_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default SIYU_PORT).")] = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="Serve the API only; run `siyu worker` elsewhere.")
    ] = False,
) -> None:
    """Serve the console, the API and the callback gateway (with an in-process worker)."""
    import uvicorn

    from siyu.app import create_app
    from siyu.db.migrate import assert_up_to_date
    from siyu.runtime import build_runtime

    settings = load_settings()
    runtime = build_runtime(settings)
    assert_up_to_date(runtime.db)  # fail here with one line rather than inside uvicorn's lifespan
    start_worker = settings.run_worker_in_process and not no_worker
    application = create_app(runtime=runtime, start_worker=start_worker)
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
    )


@app.command()
@one_line_errors
def demo(
    port: Annotated[int | None, typer.Option(help="Siyu's port (default SIYU_PORT).")] = None,
    sandbox_port: Annotated[int, typer.Option(help="The WeCom sandbox's port.")] = 9100,
    arrivals_per_minute: Annotated[
        float, typer.Option(help="Demo customers arriving per minute in the sandbox.")
    ] = 12.0,
) -> None:
    """Migrate, start the WeCom sandbox with a live demo corp, create the first owner, serve."""
    import uvicorn

    from siyu.app import create_app
    from siyu.db.migrate import upgrade
    from siyu.demo import (
        CREDENTIALS_FILE,
        SandboxThread,
        connect_when_serving,
        ensure_demo_corp,
        ensure_owner,
    )
    from siyu.runtime import build_runtime

    settings = load_settings()
    upgrade(settings.database_url)
    sandbox = SandboxThread(
        port=sandbox_port, state_file=Path("var/sandbox.db"), live_rate=arrivals_per_minute
    )
    sandbox.start()
    runtime = build_runtime(settings)
    ensure_demo_corp(runtime.db, settings, sandbox_url=sandbox.base_url)
    owner = ensure_owner(runtime.db, settings)
    url = f"http://{settings.host}:{port or settings.port}"
    console.rule("Siyu demo")
    console.print(f"console   {url}")
    console.print(f"sandbox   {sandbox.base_url}  (WeCom API + /sandbox/corps)")
    if owner.password:
        console.print(f"owner     {owner.email}  password: {owner.password}")
    else:
        console.print(
            f"owner     {owner.email}  (password as first printed; see {CREDENTIALS_FILE})"
        )
    console.rule()
    application = create_app(runtime=runtime, start_worker=settings.run_worker_in_process)
    local_url = f"http://127.0.0.1:{port or settings.port}"
    threading.Thread(
        target=connect_when_serving,
        args=(runtime,),
        kwargs={"siyu_url": local_url, "sandbox_url": sandbox.base_url},
        name="demo-connect",
        daemon=True,
    ).start()
    try:
        uvicorn.run(
            application,
            host=settings.host,
            port=port or settings.port,
            log_config=None,
            access_log=False,
            server_header=False,
        )
    finally:
        sandbox.stop()


@app.command()
@one_line_errors
def worker(
    threads: Annotated[int | None, typer.Option(min=1, max=64, help="Worker threads.")] = None,
) -> None:
    """Run jobs (any number of worker processes may run against one database and queue)."""
    from siyu.db.migrate import assert_up_to_date
    from siyu.runtime import build_runtime
    from siyu.telemetry.logging import configure_logging

    settings = load_settings()
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)
    runtime = build_runtime(settings)
    assert_up_to_date(runtime.db)
    running = runtime.start_worker(threads=threads)

    def stop(_signum: int, _frame: Any) -> None:
        running.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    running.wait()
    runtime.close()


@db_app.command("upgrade")
@one_line_errors
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or upgrade the schema (safe to run at every start)."""
    from siyu.db.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url, revision)
    console.print(f"database is at revision {revision}")


@db_app.command("current")
@one_line_errors
def db_current() -> None:
    """Show the schema revision of the configured database."""
    from siyu.db.migrate import current_revision, head_revision
    from siyu.db.session import Database

    database = Database(load_settings().database_url)
    with database.transaction(write=False) as session:
        current = current_revision(session.connection())
    database.dispose()
    console.print(f"current: {current or '(empty)'}  head: {head_revision()}")


@corp_app.command("add")
@one_line_errors
def corp_add(
    corp_id: Annotated[str, typer.Option("--corp-id", help="WeCom CorpID.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    secret: Annotated[str | None, typer.Option(help="Customer-contact app secret.")] = None,
    agent_id: Annotated[int | None, typer.Option(help="App AgentID.")] = None,
    token: Annotated[str | None, typer.Option(help="Callback Token.")] = None,
    aes_key: Annotated[str | None, typer.Option(help="Callback EncodingAESKey (43 chars).")] = None,
    api_base_url: Annotated[str | None, typer.Option(help="WeCom API base URL.")] = None,
    sandbox: Annotated[bool, typer.Option(help="Mark as a sandbox corp.")] = False,
) -> None:
    """Register a WeCom corp."""
    from siyu.corps.schemas import CorpCreate
    from siyu.corps.service import corp_service
    from siyu.db.session import Database
    from siyu.kit.secrets import SecretBox

    settings = load_settings()
    data = CorpCreate(
        wecom_corp_id=corp_id,
        name=name,
        agent_id=agent_id,
        app_secret=secret,
        callback_token=token,
        callback_aes_key=aes_key,
        api_base_url=api_base_url,
        is_sandbox=sandbox,
    )
    database = Database(settings.database_url)
    with database.transaction() as session:
        corp = corp_service.create(session, data=data, box=SecretBox(settings.secret_key))
        callback = f"{settings.public_url.rstrip('/')}/wecom/callback/{corp.callback_key}"
    database.dispose()
    console.print(f"added corp {corp_id} ({name}); callback URL: {callback}")


@corp_app.command("list")
@one_line_errors
def corp_list() -> None:
    """List registered corps."""
    from siyu.corps.service import corp_service
    from siyu.db.session import Database

    database = Database(load_settings().database_url)
    with database.transaction(write=False) as session:
        rows = [
            (c.wecom_corp_id, c.name, c.api_base_url, "yes" if c.is_sandbox else "")
            for c in corp_service.list(session)
        ]
    database.dispose()
    table = Table("corp id", "name", "api base url", "sandbox")
    for row in rows:
        table.add_row(*row)
    console.print(table)


@jobs_app.command("status")
@one_line_errors
def jobs_status() -> None:
    """Count durable job runs by state."""
    from siyu.db.session import Database
    from siyu.jobs.repository import job_runs

    database = Database(load_settings().database_url)
    with database.transaction(write=False) as session:
        counts = job_runs.counts_by_status(session)
    database.dispose()
    console.print(json.dumps(counts, sort_keys=True))


@app.command()
@one_line_errors
def openapi() -> None:
    """Print the OpenAPI schema (the console's API client is generated from it)."""
    from siyu.openapi import openapi_document

    sys.stdout.write(json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False))
    sys.stdout.write("\n")


# Domains contribute sub-commands; a domain not present in this build is simply absent.
for module_name, command_name in (
    ("siyu.auth.cli", "user"),
    ("siyu.sandbox.cli", "sandbox"),
    ("siyu.inbox.cli", "inbox"),
    ("siyu.sync.cli", "sync"),
    ("siyu.segments.cli", "segments"),
    ("siyu.storeopening.cli", "scenario"),
):
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if not exc.name or not module_name.startswith(exc.name):
            raise
        continue
    app.add_typer(module.app, name=command_name)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
