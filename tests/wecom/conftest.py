"""Fixtures for the WeCom client: the sandbox over real HTTP, measured, and client transports.

`gauge` wraps the sandbox app and counts requests in flight per API at the ASGI layer, so a
test can check the client's concurrency cap server-side instead of trusting the client.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from siyu.db.session import Database
from siyu.kit.clock import FrozenClock
from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.clock import SandboxClock
from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world
from siyu.settings import Settings
from siyu.wecom.client import WeComClient
from siyu.wecom.journal import JournalWriter
from siyu.wecom.tokens import AppCredentials
from siyu.wecom.transport import WeComTransport, coordination_store
from tests.conftest import make_settings
from tests.sandbox.helpers import START, serve_in_thread
from tests.wecom.processes import CORP_ID, SECRET


class Gauge:
    """ASGI middleware: the most requests ever in flight at once, per /cgi-bin/ path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.current: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.count: dict[str, int] = defaultdict(int)
        # Faults WeCom has that the sandbox does not inject: HTTP 5xx, answers too slow to wait for.
        self.http_errors: dict[str, int] = {}  # api -> how many next calls answer 503
        self.slow_rate: dict[str, float] = {}  # api -> share of calls delayed by `slow_seconds`
        self.slow_seconds = 1.0
        self.rng = random.Random(5)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/cgi-bin/"):
            await self.app(scope, receive, send)
            return
        api = path.removeprefix("/cgi-bin/")
        with self.lock:
            self.current[api] += 1
            self.count[api] += 1
            self.peak[api] = max(self.peak[api], self.current[api])
        try:
            with self.lock:
                fail = self.http_errors.get(api, 0) > 0
                if fail:
                    self.http_errors[api] -= 1
                slow = self.rng.random() < self.slow_rate.get(api, self.slow_rate.get("*", 0.0))
            if fail:
                await send({"type": "http.response.start", "status": 503, "headers": []})
                await send({"type": "http.response.body", "body": b"busy"})
                return
            if slow:
                await asyncio.sleep(self.slow_seconds)
            await self.app(scope, receive, send)
        finally:
            with self.lock:
                self.current[api] -= 1


@dataclass
class Sleeper:
    """Injected sleep: records each wait and moves both clocks instead of waiting."""

    clock: FrozenClock
    sandbox: SandboxClock
    waits: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, seconds: float) -> None:
        with self.lock:
            self.waits.append(seconds)
            self.clock.advance(seconds)
            self.sandbox.advance(seconds)


@pytest.fixture
def sandbox_state() -> SandboxState:
    state = SandboxState(seed=3, clock=SandboxClock(frozen_at=START))
    corp = state.create_corp(corp_id=CORP_ID, name="客户端测试", secret=SECRET)
    generate_world(state, corp, customers=600, staff=6, groups=3)
    return state


@pytest.fixture
def sandbox_corp(sandbox_state: SandboxState) -> Corp:
    return sandbox_state.corps[CORP_ID]


@pytest.fixture
def gauge(sandbox_state: SandboxState) -> Gauge:
    return Gauge(create_sandbox_app(sandbox_state))


@pytest.fixture
def sandbox_url(gauge: Gauge) -> Iterator[str]:
    with serve_in_thread(gauge) as url:  # type: ignore[arg-type]
        yield url


@pytest.fixture
def client_db(fresh_db_url: str) -> Iterator[Database]:
    database = Database(fresh_db_url)
    yield database
    database.dispose()


@pytest.fixture
def sleeper(clock: FrozenClock, sandbox_state: SandboxState) -> Sleeper:
    return Sleeper(clock, sandbox_state.clock)


MakeClient = Callable[..., WeComClient]


@pytest.fixture
def make_client(client_db: Database, sandbox_url: str, sleeper: Sleeper) -> Iterator[MakeClient]:
    """Clients on one transport (one process's worth); settings overridable per test."""
    transports: list[WeComTransport] = []

    def make(**overrides: Any) -> WeComClient:
        settings: Settings = make_settings(client_db.url, **overrides)
        transport = WeComTransport.build(
            settings, JournalWriter(client_db), store=coordination_store(client_db), sleep=sleeper
        )
        transports.append(transport)
        credentials = AppCredentials(wecom_corp_id=CORP_ID, secret=SECRET, base_url=sandbox_url)
        return WeComClient(credentials, transport=transport)

    yield make
    for transport in transports:
        transport.close()
