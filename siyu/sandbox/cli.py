"""`siyu sandbox ...` (until mounted in siyu/cli.py: `python -m siyu.sandbox.cli ...`)."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import httpx
import typer
import uvicorn
from rich.console import Console

from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.callbacks import CallbackEmitter
from siyu.sandbox.control import corp_credentials
from siyu.sandbox.demo import build_demo
from siyu.sandbox.live import LiveDriver
from siyu.sandbox.persistence import load_state, save_state
from siyu.sandbox.scenario import load_scenario, run_scenario
from siyu.sandbox.state import SandboxState

app = typer.Typer(
    help="The WeCom sandbox: a local WeCom server for tests and demos.", no_args_is_help=True
)
scenario_app = typer.Typer(help="Scenario files.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
console = Console()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(9100, help="Port to listen on."),
    demo: bool = typer.Option(False, help="Start with a demo corp and a small world."),
    state_file: Path | None = typer.Option(
        None, help="SQLite file that keeps the world across restarts."
    ),
    seed: int = typer.Option(0, help="Seed for ids, worlds, behaviours and faults."),
    live_rate: float = typer.Option(
        0.0, help="Customers arriving per minute in the demo corp (0 = off)."
    ),
    scenario: Path | None = typer.Option(None, help="Scenario file to play at start."),
    save_every: float = typer.Option(
        60.0, help="Seconds between snapshots when --state-file is set."
    ),
    callback_senders: int = typer.Option(
        4,
        min=1,
        max=64,
        help="Callbacks delivered concurrently, as WeCom does (1 keeps submission order).",
    ),
) -> None:
    """Serve WeCom's /cgi-bin/ API and the /sandbox/ control API."""
    state = SandboxState(seed=seed)
    if state_file is not None:
        state.state_file = str(state_file)
        if load_state(state, state_file):
            console.print(f"[green]restored[/] world from {state_file}")
    emitter = CallbackEmitter(state.faults, senders=callback_senders)
    asgi = create_sandbox_app(state, emitter=emitter)
    emitter.start()
    demo_corp = build_demo(state) if demo else None
    if scenario is not None:
        from starlette.testclient import TestClient

        with TestClient(asgi) as client:
            run_scenario(client, load_scenario(scenario))
    for corp in state.corps.values():
        creds = corp_credentials(corp)
        creds.pop("counts")
        console.print_json(json.dumps(creds, ensure_ascii=False))
    if demo_corp is not None and live_rate > 0:
        driver = LiveDriver(state, demo_corp.corp_id, rate_per_minute=live_rate)
        state.live_drivers[demo_corp.corp_id] = driver
        driver.start()
    stop = threading.Event()
    if state_file is not None:

        def autosave() -> None:
            while not stop.wait(save_every):
                with state.lock:
                    save_state(state, state_file)

        threading.Thread(target=autosave, name="sandbox-autosave", daemon=True).start()
    console.print(f"WeCom sandbox on http://{host}:{port}  (control API: /sandbox/corps)")
    # uvicorn re-raises SIGTERM after its graceful shutdown; turn it into SystemExit so the
    # `finally` below still saves the world.
    signal.signal(signal.SIGTERM, _exit)
    try:
        uvicorn.run(asgi, host=host, port=port, log_level="warning")
    finally:
        stop.set()
        for driver in state.live_drivers.values():
            driver.stop()
        emitter.stop()
        if state_file is not None:
            with state.lock:
                save_state(state, state_file)


def _exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@scenario_app.command("run")
def scenario_run(
    file: Path = typer.Argument(..., exists=True, help="Scenario file (.toml or .json)."),
    base_url: str = typer.Option("http://127.0.0.1:9100", help="A running sandbox."),
) -> None:
    """Play a scenario against a running sandbox."""
    with httpx.Client(base_url=base_url, timeout=120) as client:
        result = run_scenario(client, load_scenario(file))
    console.print_json(json.dumps(result["corp"], ensure_ascii=False))
    console.print(f"{len(result['steps'])} step(s) played")


@app.command()
def corps(base_url: str = typer.Option("http://127.0.0.1:9100", help="A running sandbox.")) -> None:
    """Print the corps (and their credentials) of a running sandbox."""
    console.print_json(httpx.get(f"{base_url}/sandbox/corps", timeout=10).text)


if __name__ == "__main__":
    app()
