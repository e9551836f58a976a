"""A sandbox world with Siyu's clock on the sandbox's, and the steps every messaging test takes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from siyu.jobs import enqueue
from siyu.kit.clock import FrozenClock, set_clock
from siyu.messaging.models import MassRecipient, MassTask
from tests.customers.world import World, world
from tests.profile.helpers import add_customer, admin, url

__all__ = ["world"]


@dataclass
class Mass:
    """Campaign steps over the real API, WeCom played by the sandbox over HTTP."""

    world: World
    app: FastAPI
    clock: FrozenClock
    client: TestClient | None = None

    @property
    def api(self) -> TestClient:
        if self.client is None:
            self.client = admin(self.app, self.world)
        return self.client

    def sync_clock(self) -> None:
        self.clock.set(datetime.fromtimestamp(self.world.state.clock.time(), UTC))

    def advance(self, seconds: float) -> None:
        """Both clocks move on (the sandbox's drives WeCom's periods and send times)."""
        self.world.state.clock.advance(seconds)
        self.world.state.run_due()
        self.sync_clock()
        self.client = None  # a login does not outlive days of moved time

    def customers(self, count: int, userid: str = "alice") -> list[str]:
        return [str(add_customer(self.world, userid).id) for _ in range(count)]

    def url(self, path: str) -> str:
        return url(self.world, path)

    def settings(self, **body: Any) -> None:
        response = self.api.put(self.url("/mass-settings"), json=body)
        assert response.status_code == 200, response.text

    def create(self, **body: Any) -> dict[str, Any]:
        self.sync_clock()
        payload = {"name": "新品上市", "text": "新品到店，欢迎选购", **body}
        response = self.api.post(self.url("/mass-campaigns"), json=payload)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        return dict(self.api.get(self.url(f"/mass-campaigns/{campaign_id}")).json())

    def tasks(self, campaign_id: str) -> list[dict[str, Any]]:
        return list(self.api.get(self.url(f"/mass-campaigns/{campaign_id}/tasks")).json())

    def report(self, campaign_id: str) -> dict[str, Any]:
        return dict(self.api.get(self.url(f"/mass-campaigns/{campaign_id}/report")).json())

    def confirm_all(self, campaign_id: str) -> None:
        """Every sender taps 'send' in their WeCom client (the sandbox's confirm_task)."""
        for task in self.tasks(campaign_id):
            if task["msgid"]:
                self.world.act(
                    "confirm_task", kind="mass", id=task["msgid"], userid=task["staff_userid"]
                )
        self.sync_clock()

    def track(self, campaign_id: str) -> None:
        response = self.api.post(self.url(f"/mass-campaigns/{campaign_id}/refresh"))
        assert response.status_code == 202, response.text

    def run(self, name: str) -> None:
        with self.world.db.transaction() as session:
            enqueue(session, name, key=f"test:{name}:{self.clock.now().isoformat()}")

    def rows(self, campaign_id: str) -> list[MassRecipient]:
        with self.world.db.transaction(write=False) as session:
            stmt = select(MassRecipient).where(MassRecipient.campaign_id == uuid.UUID(campaign_id))
            return list(session.scalars(stmt.order_by(MassRecipient.id)))

    def task_rows(self, campaign_id: str) -> list[MassTask]:
        with self.world.db.transaction(write=False) as session:
            stmt = select(MassTask).where(MassTask.campaign_id == uuid.UUID(campaign_id))
            return list(session.scalars(stmt))


@pytest.fixture
def mass(app: FastAPI, world: World) -> Iterator[Mass]:
    world.state.behaviour.update({"mass_confirm_probability": 0.0})
    clock = FrozenClock()
    previous = set_clock(clock)
    helper = Mass(world, app, clock)
    helper.sync_clock()
    # No Siyu caps unless a test sets them: each test names the rule it checks.
    helper.settings(daily_cap=None, weekly_cap=None)
    yield helper
    set_clock(previous)
