"""Shared steps of the group code tests: groups in the sandbox, codes through the API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from siyu.groups.models import CustomerGroup
from tests.customers.world import World


def url(world: World, path: str = "") -> str:
    return f"/api/v1/corps/{world.corp.id}/group-codes{path}"


def new_groups(world: World, count: int, *, owner: str = "alice") -> list[uuid.UUID]:
    """Groups created in WeCom and known to Siyu (their create callbacks handled)."""
    chat_ids = [
        str(world.act("create_group", owner=owner, name=f"学习群{i + 1}")["chat_id"])
        for i in range(count)
    ]
    world.deliver()
    with world.db.transaction(write=False) as session:
        rows = session.scalars(
            select(CustomerGroup).where(
                CustomerGroup.corp_id == world.corp.id, CustomerGroup.chat_id.in_(chat_ids)
            )
        )
        by_chat = {r.chat_id: r.id for r in rows}
    return [by_chat[c] for c in chat_ids]


def create_code(client: TestClient, world: World, pool: list[uuid.UUID], **body: Any) -> Any:
    response = client.post(
        url(world),
        json={"name": "新人训练营", "owner_userid": "alice", "pool": [str(g) for g in pool]} | body,
    )
    assert response.status_code == 201, response.text
    return response.json()


def customers(world: World, count: int) -> list[str]:
    ids = [str(world.act("add_customer", userid="bob")["external_userid"]) for _ in range(count)]
    world.take()  # the add callbacks are not what these tests are about
    return ids


def scan(world: World, config_id: str, external_userid: str) -> str:
    """A customer scans the code's QR; WeCom puts them into the first listed group with room."""
    return str(
        world.act("join_group", config_id=config_id, external_userid=external_userid)["chat_id"]
    )


def way_chats(world: World, config_id: str) -> list[str]:
    return list(world.wecom.join_ways[config_id].chat_id_list)
