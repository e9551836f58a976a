"""Shared steps of the acquisition tests: staff in Siyu's directory, a channel and a code."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from siyu.acquisition.models import LiveCode, WelcomeSend
from siyu.staff.models import StaffMember
from tests.customers.world import STAFF, World
from tests.helpers.auth import make_staff
from tests.profile.helpers import admin, url

NAMES = {"alice": "小艾", "bob": "小博", "carol": "小卡"}


def directory(world: World, **caps: dict[str, int]) -> None:
    """Siyu's copy of the sandbox staff (what the directory sync would write)."""
    for userid in STAFF:
        make_staff(world.db, corp=world.corp, userid=userid, name=NAMES[userid])
    with world.db.transaction() as session:
        for userid, values in caps.items():
            member = session.scalar(select(StaffMember).where(StaffMember.userid == userid))
            assert member is not None
            for name, value in values.items():
                setattr(member, name, value)


def channel_tag(world: World) -> tuple[str, str]:
    """A corp tag known to WeCom and Siyu: (Siyu tag id, WeCom tag id)."""
    wecom_tag_id = world.tag_id("渠道", "门店")
    world.deliver()
    tag = world.tag(wecom_tag_id)
    assert tag is not None
    return str(tag.id), wecom_tag_id


def create_channel(client: TestClient, world: World, name: str = "门店", **body: Any) -> str:
    response = client.post(url(world, "/acquisition/channels"), json={"name": name, **body})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def create_code(client: TestClient, world: World, channel_id: str, **body: Any) -> dict[str, Any]:
    payload = {
        "channel_id": channel_id,
        "name": "收银台",
        "staff_userids": ["alice", "bob"],
        **body,
    }
    response = client.post(url(world, "/acquisition/codes"), json=payload)
    assert response.status_code == 201, response.text
    # The way is created by a job after commit (inline in tests): read the code again.
    again = client.get(url(world, f"/acquisition/codes/{response.json()['id']}"))
    return dict(again.json())


def setup(app: FastAPI, world: World, **code: Any) -> tuple[TestClient, dict[str, Any]]:
    directory(world)
    client = admin(app, world)
    channel_id = create_channel(client, world)
    return client, create_code(client, world, channel_id, **code)


def scan(world: World, code: dict[str, Any], **body: Any) -> dict[str, Any]:
    """A customer scans the code's QR; the callback reaches Siyu and is handled."""
    result = dict(world.act("scan_contact_way", config_id=code["config_id"], **body))
    world.deliver()
    return result


def way_users(world: World, code: dict[str, Any]) -> list[str]:
    return list(world.wecom.contact_ways[code["config_id"]].user)


def welcomes(world: World) -> list[dict[str, Any]]:
    return list(world.wecom.welcomes)


def welcome_rows(world: World) -> list[WelcomeSend]:
    with world.db.transaction(write=False) as session:
        return list(session.scalars(select(WelcomeSend).order_by(WelcomeSend.created_at)))


def code_row(world: World, code_id: str) -> LiveCode:
    with world.db.transaction(write=False) as session:
        row = session.scalar(select(LiveCode).where(LiveCode.id == code_id))
        assert row is not None
        return row
