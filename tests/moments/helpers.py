"""Steps shared by the moments tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.sandbox.models import Media
from tests.customers.world import World
from tests.profile.helpers import url

POSTS = "/moments"
DAY = 86400


def uploaded_media(world: World, media_id: str = "media-1", kind: str = "image") -> str:
    """A media id WeCom knows (as if uploaded with media/upload a minute ago)."""
    now = world.state.clock.ts()
    world.wecom.media[media_id] = Media(media_id, kind, f"{media_id}.bin", 64, now, now + 3 * DAY)
    return media_id


def compose(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": "双十一新品，点开看看",
        "attachments": [{"kind": "image", "media_id": "media-1"}],
        "visibility": {"sender_userids": ["alice", "bob"]},
        "action": "now",
    }
    return body | overrides


def create(client: TestClient, world: World, **overrides: Any) -> dict[str, Any]:
    uploaded_media(world)
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
