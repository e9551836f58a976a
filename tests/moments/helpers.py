"""Steps shared by the moments tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from tests.customers.world import World
from tests.profile.helpers import url

POSTS = "/moments"


def compose(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": "双十一新品，点开看看",
        "attachments": [{"kind": "image", "media_id": "media-1"}],
        "visibility": {"sender_userids": ["alice", "bob"]},
        "action": "now",
    }
    return body | overrides


def create(client: TestClient, world: World, **overrides: Any) -> dict[str, Any]:
    response = client.post(url(world, POSTS), json=compose(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def detail(client: TestClient, world: World, post_id: str) -> dict[str, Any]:
    response = client.get(url(world, f"{POSTS}/{post_id}"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def tick(world: World) -> None:
    """What the periodic job does every minute (jobs run inline after commit in tests)."""
    with world.db.transaction() as session:
        enqueue(session, "moments.tick", key=f"test:moments.tick:{utcnow().isoformat()}")
