"""Sandbox fixtures: a seeded state on a frozen clock, a corp with staff, and a WeCom client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.callbacks import CallbackEmitter
from siyu.sandbox.clock import SandboxClock
from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import add_departments, make_staff
from tests.sandbox.helpers import START, WeCom, serve_in_thread


@pytest.fixture
def state() -> SandboxState:
    state = SandboxState(seed=7, clock=SandboxClock(frozen_at=START))
    # Deterministic people: everyone confirms and replies only when a test says so.
    state.behaviour.update(
        {
            "mass_confirm_probability": 0.0,
            "moment_confirm_probability": 0.0,
            "reply_probability": 0.0,
            "transfer_refuse_probability": 0.0,
        }
    )
    return state


@pytest.fixture
def corp(state: SandboxState) -> Corp:
    corp = state.create_corp(corp_id="wwtestcorp0001", name="测试公司", secret="s" * 43)
    add_departments(corp, 2)
    for index in range(3):
        staff = make_staff(state.rng, corp, index)
        staff.userid = ["alice", "bob", "carol"][index]
        corp.staff[staff.userid] = staff
    return corp


@pytest.fixture
def client(state: SandboxState, corp: Corp) -> Iterator[TestClient]:
    with TestClient(create_sandbox_app(state)) as client:
        yield client


@pytest.fixture
def wecom(client: TestClient, corp: Corp) -> WeCom:
    return WeCom(client, corp)


@pytest.fixture
def served(state: SandboxState, corp: Corp) -> Iterator[tuple[str, CallbackEmitter]]:
    """The sandbox over real HTTP on loopback, posting callbacks (fast retries for tests)."""
    emitter = CallbackEmitter(state.faults, timeout=5.0, attempts=3, retry_delay=0.05)
    app = create_sandbox_app(state, emitter=emitter)
    emitter.start()
    try:
        with serve_in_thread(app) as base_url:
            yield base_url, emitter
    finally:
        emitter.stop()
