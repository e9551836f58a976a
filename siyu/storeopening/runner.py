"""Runs the store opening end to end.

`run_against` plays it on a Siyu and a sandbox that already run (the demo's, or the pair
`run_standalone` starts): sandbox staff and groups, Siyu's sync and setup over its API, the
hour, the report. `run_standalone` starts both in this process on loopback ports — the
sandbox with its real HTTP callback emitter, Siyu with its gateway and in-process worker on
the given database — so every add travels as an encrypted callback over HTTP.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal

import httpx
import uvicorn

from siyu.corps.schemas import CorpCreate
from siyu.db.migrate import upgrade
from siyu.db.session import Database
from siyu.kit.clock import ShiftedClock, get_clock, set_clock, utcnow
from siyu.profile.stages import CN_TZ
from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.callbacks import CallbackEmitter
from siyu.sandbox.clock import SandboxClock
from siyu.sandbox.state import SandboxState
from siyu.settings import Settings
from siyu.storeopening import repository as repo
from siyu.storeopening.driver import play
from siyu.storeopening.plan import DURATION, Plan
from siyu.storeopening.report import build_report
from siyu.storeopening.showcase import seed_showcase
from siyu.storeopening.siyu_side import SiyuApi, mint_key, set_up_store
from siyu.storeopening.wecom_side import SandboxSide

CORP_ID = "wwstoreopening0001"
SECRET = "storeopening-secret-" + "s" * 23
TOKEN = "storeopeningtoken"
AES_KEY = "c3RvcmVvcGVuaW5nYWVza2V5MDAwMDAwMDAwMDAwMDA"  # 43 chars, 32 bytes decoded

Progress = Callable[[int, int], None]


def opening_time(now: datetime) -> float:
    """The sandbox's opening moment: now, or early enough that the hour ends on the same China
    day as Siyu's clock (caps are counted per China day on both sides)."""
    local = now.astimezone(CN_TZ)
    day_end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), CN_TZ)
    return min(now.timestamp(), day_end.timestamp() - DURATION - 120)


def run_against(
    db: Database,
    plan: Plan,
    *,
    siyu_url: str,
    sandbox_url: str,
    corp_id: str,
    secret: str,
    public_url: str,
    progress: Progress | None = None,
    play_hour: bool = True,
    showcase: bool = False,
) -> dict[str, Any]:
    """`play_hour=False` only sets the store up (the demo's start); `showcase` also adds the
    materials, mass message and moment of the demo world."""
    sandbox = SandboxSide(sandbox_url, corp_id=corp_id, secret=secret)
    siyu_corp_id, key = mint_key(db, corp_id)
    api = SiyuApi(siyu_url, siyu_corp_id, key)
    try:
        sandbox.ensure_staff(plan)
        chat_ids = sandbox.ensure_groups(plan)
        sandbox.drain()
        api.sync()
        setup = set_up_store(
            api, plan, corp_id=siyu_corp_id, chat_ids=chat_ids, public_url=public_url
        )
        if showcase:
            seed_showcase(api, setup, staff=plan.staff)
        if not play_hour:
            return {"setup": setup}

        def backlog() -> int:
            with db.transaction(write=False) as session:
                return repo.backlog(session, siyu_corp_id, utcnow())

        with sandbox.live_paused():
            played = play(plan, setup, sandbox, backlog=backlog, progress=progress)
        return build_report(db, plan, setup, sandbox, played)
    finally:
        api.close()
        sandbox.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serve(app: Any, *, lifespan: Literal["on", "off"] = "on") -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"serve-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise OSError(f"could not serve on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def run_standalone(
    plan: Plan, settings: Settings, *, progress: Progress | None = None
) -> dict[str, Any]:
    upgrade(settings.database_url)
    now = utcnow()
    opened = opening_time(now)
    # Late in the China day the sandbox opens up to an hour before now; Siyu's clock moves back
    # with it. Otherwise every add would look over an hour old to Siyu, past the welcome's
    # 20 s window, and be claimed expired without a send (this failed CI at 23:56 China time).
    previous_clock = (
        set_clock(ShiftedClock(get_clock(), timedelta(seconds=opened - now.timestamp())))
        if opened < now.timestamp()
        else None
    )
    try:
        return _run_standalone(plan, settings, opened, progress)
    finally:
        if previous_clock is not None:
            set_clock(previous_clock)


def _run_standalone(
    plan: Plan, settings: Settings, opened: float, progress: Progress | None
) -> dict[str, Any]:
    from siyu.app import create_app
    from siyu.demo import ensure_sandbox_corp
    from siyu.runtime import build_runtime

    state = SandboxState(seed=plan.seed, clock=SandboxClock(frozen_at=opened))
    state.behaviour.update({"reply_probability": 0.0, "welcome_code_probability": 1.0})
    state.create_corp(
        corp_id=CORP_ID,
        name="思域新店开业",
        secret=SECRET,
        callback_token=TOKEN,
        encoding_aes_key=AES_KEY,
    )
    emitter = CallbackEmitter(state.faults, senders=4)
    runtime = build_runtime(settings)
    try:
        emitter.start()
        with _serve(create_sandbox_app(state, emitter=emitter), lifespan="off") as sandbox_url:
            callback_key = ensure_sandbox_corp(
                runtime.db,
                settings,
                data=CorpCreate(
                    wecom_corp_id=CORP_ID,
                    name="思域新店开业（沙箱）",
                    app_secret=SECRET,
                    callback_token=TOKEN,
                    callback_aes_key=AES_KEY,
                    api_base_url=sandbox_url,
                    is_sandbox=True,
                ),
            )
            app = create_app(runtime=runtime, start_worker=True)
            with _serve(app) as siyu_url:
                answer = httpx.post(
                    f"{sandbox_url}/sandbox/corps/{CORP_ID}/callback",
                    json={"url": f"{siyu_url}/wecom/callback/{callback_key}"},
                    timeout=30,
                )
                if answer.status_code != 200:
                    raise OSError(f"the sandbox refused Siyu's callback URL: {answer.text}")
                return run_against(
                    runtime.db,
                    plan,
                    siyu_url=siyu_url,
                    sandbox_url=sandbox_url,
                    corp_id=CORP_ID,
                    secret=SECRET,
                    public_url=siyu_url,
                    progress=progress,
                )
    finally:
        emitter.stop()
        runtime.close()
