"""`siyu demo` (what `make run` starts): Siyu plus the WeCom sandbox with a live demo corp.

1. migrate the database;
2. start the sandbox on its own port with a persistent demo world (var/sandbox.db) whose
   customers keep arriving;
3. register the sandbox's demo corp in Siyu, bound to the sandbox's base URL;
4. create the first owner (printed once; kept in var/owner-credentials.txt);
5. serve Siyu (console, API, worker) and, once it answers, point the sandbox's callback URL at
   Siyu's gateway (the sandbox verifies it like WeCom does) and run a first full sync, so staff,
   customers, tags and groups appear within a minute and new arrivals flow in by callback;
6. set up the store opening (siyu/storeopening): twenty staff, three channels with live codes,
   a group code over twelve groups, plus a few materials, a mass message and a moment.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import structlog
import uvicorn

from siyu.auth.cli import bootstrap_owner
from siyu.corps.schemas import CorpCreate
from siyu.corps.service import corp_service
from siyu.db.session import Database
from siyu.kit.secrets import SecretBox
from siyu.runtime import Runtime
from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.callbacks import CallbackEmitter
from siyu.sandbox.demo import DEMO_AES_KEY, DEMO_CORP_ID, DEMO_SECRET, DEMO_TOKEN, build_demo
from siyu.sandbox.live import LiveDriver
from siyu.sandbox.persistence import load_state, save_state
from siyu.sandbox.state import SandboxState
from siyu.settings import Settings
from siyu.sync.service import sync_service

log = structlog.get_logger("siyu.demo")

CREDENTIALS_FILE = Path("var/owner-credentials.txt")


@dataclass
class OwnerCredentials:
    email: str
    password: str | None
    created: bool


class SandboxThread:
    """The sandbox served by uvicorn in a background thread (uvicorn leaves signals alone
    outside the main thread), snapshotting its world every minute and on stop."""

    def __init__(self, *, port: int, state_file: Path, live_rate: float) -> None:
        self.port = port
        self.state_file = state_file
        self.state = SandboxState(seed=0)
        self.state.state_file = str(state_file)
        load_state(self.state, state_file)
        self.emitter = CallbackEmitter(self.state.faults)
        self.corp = build_demo(self.state)
        self.driver = LiveDriver(self.state, self.corp.corp_id, rate_per_minute=live_rate)
        self.state.live_drivers[self.corp.corp_id] = self.driver
        app = create_sandbox_app(self.state, emitter=self.emitter)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="sandbox", daemon=True)
        self._stop = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.emitter.start()
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise OSError(f"the sandbox could not start on port {self.port}")
            time.sleep(0.05)
        self.driver.start()
        threading.Thread(target=self._autosave, name="sandbox-autosave", daemon=True).start()

    def _autosave(self) -> None:
        while not self._stop.wait(60):
            self.save()

    def save(self) -> None:
        with self.state.lock:
            save_state(self.state, self.state_file)

    def stop(self) -> None:
        self._stop.set()
        self.driver.stop()
        self.server.should_exit = True
        self._thread.join(timeout=10)
        self.emitter.stop()
        self.save()


def ensure_demo_corp(db: Database, settings: Settings, *, sandbox_url: str) -> None:
    ensure_sandbox_corp(
        db,
        settings,
        data=CorpCreate(
            wecom_corp_id=DEMO_CORP_ID,
            name="思域演示公司（沙箱）",
            app_secret=DEMO_SECRET,
            callback_token=DEMO_TOKEN,
            callback_aes_key=DEMO_AES_KEY,
            api_base_url=sandbox_url,
            is_sandbox=True,
        ),
    )


def ensure_sandbox_corp(db: Database, settings: Settings, *, data: CorpCreate) -> str:
    """Register a sandbox corp once; returns its callback key."""
    with db.transaction() as session:
        corp = corp_service.get_by_wecom_id(session, data.wecom_corp_id)
        if corp is None:
            corp = corp_service.create(session, data=data, box=SecretBox(settings.secret_key))
        return corp.callback_key


def connect_when_serving(runtime: Runtime, *, siyu_url: str, sandbox_url: str) -> None:
    """Runs in a thread once `siyu serve` is starting: callbacks on, first sync if none ran."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{siyu_url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    else:
        log.error("demo_siyu_not_serving", url=siyu_url)
        return
    with runtime.db.transaction() as session:
        corp = corp_service.get_by_wecom_id(session, DEMO_CORP_ID)
        assert corp is not None
        # The sandbox runs beside Siyu, so it calls Siyu's local address, not SIYU_PUBLIC_URL.
        callback = f"{siyu_url}/wecom/callback/{corp.callback_key}"
        corp_id = corp.id
        synced_before = bool(sync_service.list(session, corp_id=corp_id, cursor=None, limit=1)[0])
    answer = httpx.post(
        f"{sandbox_url}/sandbox/corps/{DEMO_CORP_ID}/callback", json={"url": callback}, timeout=15
    )
    if answer.status_code != 200:
        log.error("demo_callback_not_set", status=answer.status_code, body=answer.text[:200])
    if not synced_before:
        with runtime.db.transaction() as session:
            sync_service.create_run(session, corp_id=corp_id, requested_by_label="demo")
    log.info("demo_connected", callback_url=callback, first_sync=not synced_before)
    open_the_store(runtime, siyu_url=siyu_url, sandbox_url=sandbox_url)


def open_the_store(runtime: Runtime, *, siyu_url: str, sandbox_url: str) -> None:
    """The store opening's staff, groups, channels, live codes and group code in the demo corp,
    plus a few materials, a mass message and a moment (docs/acquisition.md), so those console
    pages show real data; `siyu scenario store-opening --demo` then plays the hour on it."""
    from siyu.storeopening.plan import build_plan
    from siyu.storeopening.runner import run_against

    try:
        run_against(
            runtime.db,
            build_plan(),
            siyu_url=siyu_url,
            sandbox_url=sandbox_url,
            corp_id=DEMO_CORP_ID,
            secret=DEMO_SECRET,
            public_url=runtime.settings.public_url,
            play_hour=False,
            showcase=True,
        )
    except (RuntimeError, OSError, httpx.HTTPError) as exc:
        log.error("demo_store_opening_not_set_up", error=str(exc))
    else:
        log.info("demo_store_opening_ready")


def ensure_owner(db: Database, settings: Settings) -> OwnerCredentials:
    email = settings.bootstrap_owner_email
    password = settings.bootstrap_owner_password or secrets.token_urlsafe(12)
    with db.transaction() as session:
        created = bootstrap_owner(session, email=email, password=password)
    if created and not settings.bootstrap_owner_password:
        CREDENTIALS_FILE.parent.mkdir(parents=True, exist_ok=True)
        CREDENTIALS_FILE.write_text(f"email: {email}\npassword: {password}\n")
        CREDENTIALS_FILE.chmod(0o600)
    if created:
        return OwnerCredentials(email, password, True)
    if settings.bootstrap_owner_password:
        return OwnerCredentials(email, settings.bootstrap_owner_password, False)
    return OwnerCredentials(email, None, False)
