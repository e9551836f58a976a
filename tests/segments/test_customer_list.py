"""The customer list's filters and saved views (compiled by the segment compiler)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from siyu.auth.models import Role
from tests.helpers.auth import Member, member_client
from tests.segments.people import Town


@pytest.fixture
def admin(app: FastAPI, town: Town) -> Member:
    return member_client(app, town.db, corp=town.corp, role=Role.admin)


def listed(member: Member, town: Town, **params: Any) -> list[str]:
    response = member.client.get(f"/api/v1/corps/{town.corp.id}/customers", params=params)
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["items"])


class TestFilters:
    def test_each_filter_and_a_saved_view(self, admin: Member, town: Town) -> None:
        town.person("王小明", tags=("vip",), state="poster")
        town.person("李雷", tags=("vip", "new"), staff="bob", state="store")
        town.person("韩梅梅", staff="bob", status="lost")
        vip, new = str(town.tags["vip"]), str(town.tags["new"])
        assert listed(admin, town, q="小明") == ["王小明"]
        assert listed(admin, town, q="%") == []  # LIKE wildcards are escaped
        assert listed(admin, town, tag_id=[vip]) == ["李雷", "王小明"]
        assert listed(admin, town, tag_id=[vip, new]) == ["李雷"]
        assert listed(admin, town, staff_userid="bob") == ["李雷"]  # live relations only
        assert listed(admin, town, channel="poster") == ["王小明"]
        assert listed(admin, town, status="lost") == ["韩梅梅"]
        segment = admin.client.post(
            f"/api/v1/corps/{town.corp.id}/segments",
            json={"name": "bob", "condition": {"type": "channel", "states": ["store", "poster"]}},
        ).json()
        assert listed(admin, town, segment_id=segment["id"]) == ["李雷", "王小明"]
        assert listed(admin, town, segment_id=segment["id"], q="李") == ["李雷"]

    def test_unknown_tag_filter_is_a_422(self, admin: Member, town: Town) -> None:
        url = f"/api/v1/corps/{town.corp.id}/customers"
        response = admin.client.get(url, params={"tag_id": "00000000-0000-7000-8000-000000000000"})
        assert response.status_code == 422
