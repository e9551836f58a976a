"""Scripts library: groups in order, replies with variables checked when written and filled in
when used, materials attached by id, search and pages."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.auth.models import Role
from siyu.db.session import Database
from siyu.kit.errors import Unprocessable
from siyu.replies.variables import render, variables_in
from tests.helpers.auth import make_corp, member_client
from tests.materials.conftest import Library


@pytest.fixture
def lib(db: Database) -> Library:
    return Library(make_corp(db), db)


def base(lib: Library) -> str:
    return f"/api/v1/corps/{lib.corp.id}"


def admin(app: FastAPI, lib: Library) -> TestClient:
    return member_client(app, lib.db, corp=lib.corp, role=Role.admin).client


def group(client: TestClient, lib: Library, name: str, position: int = 0) -> dict[str, Any]:
    response = client.post(f"{base(lib)}/reply-groups", json={"name": name, "position": position})
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def reply(client: TestClient, lib: Library, **body: Any) -> dict[str, Any]:
    response = client.post(f"{base(lib)}/replies", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


class TestVariables:
    def test_render_fills_in_and_keeps_escaped_braces(self) -> None:
        text = "{nickname}您好，我是{ staff_name }。{{优惠}}"
        assert variables_in(text) == ["nickname", "staff_name"]
        assert (
            render(text, {"nickname": "小王", "staff_name": "李店长"})
            == "小王您好，我是李店长。{优惠}"
        )

    @pytest.mark.parametrize(
        ("text", "values", "code"),
        [
            ("{nick}", {}, "unknown_variable"),
            ("你好 {", {}, "bad_template"),
            ("{nickname}", {}, "missing_variable"),
            ("hi", {"age": "3"}, "unknown_variable"),
        ],
    )
    def test_refusals_name_the_problem(self, text: str, values: dict[str, str], code: str) -> None:
        with pytest.raises(Unprocessable) as caught:
            render(text, values)
        assert caught.value.code == code


class TestReplies:
    def test_grouped_ordered_and_rendered(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        later = group(client, lib, "售后", 2)
        first = group(client, lib, "开场", 1)
        reply(client, lib, group_id=first["id"], title="问候", text="{nickname}您好", position=1)
        reply(client, lib, group_id=first["id"], title="介绍", text="我是{staff_name}", position=0)
        reply(client, lib, group_id=later["id"], title="退换", text="七天无理由")
        groups = client.get(f"{base(lib)}/reply-groups").json()
        assert [(g["name"], g["reply_count"]) for g in groups] == [("开场", 2), ("售后", 1)]
        listed = client.get(f"{base(lib)}/replies", params={"group_id": first["id"]}).json()
        assert [r["title"] for r in listed["items"]] == ["介绍", "问候"]
        assert listed["items"][1]["variables"] == ["nickname"]
        greeting = listed["items"][1]["id"]
        rendered = client.post(
            f"{base(lib)}/replies/{greeting}/render",
            json={"values": {"nickname": "小王"}, "count_use": True},
        )
        assert rendered.json() == {"text": "小王您好", "material_ids": []}
        assert client.get(f"{base(lib)}/replies/{greeting}").json()["use_count"] == 1
        missing = client.post(f"{base(lib)}/replies/{greeting}/render", json={"values": {}})
        assert missing.status_code == 422 and "{nickname}" in missing.json()["error"]["message"]

    def test_bad_input_changes_nothing(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        g = group(client, lib, "开场")
        url = f"{base(lib)}/replies"
        text_material = client.post(
            f"{base(lib)}/materials",
            json={"kind": "text", "title": "t", "content": {"content": "x"}},
        ).json()
        cases = [
            {"group_id": g["id"], "title": "t", "text": "{nick}"},
            {"group_id": g["id"], "title": "t", "text": "字" * 1334},
            {"group_id": g["id"], "title": "t", "material_ids": [text_material["id"]]},
            {"group_id": "00000000-0000-7000-8000-000000000000", "title": "t"},
        ]
        statuses = [client.post(url, json=body).status_code for body in cases]
        assert statuses == [422, 422, 422, 404]
        assert client.get(url).json()["items"] == []
        assert client.post(f"{base(lib)}/reply-groups", json={"name": "开场"}).status_code == 409
        unknown = client.post(url, json={"group_id": g["id"], "title": "t", "text": "{age}"})
        assert "{age}" in unknown.json()["error"]["message"]

    def test_materials_search_pages_and_roles(self, app: FastAPI, lib: Library) -> None:
        client = admin(app, lib)
        g = group(client, lib, "产品")
        link = client.post(
            f"{base(lib)}/materials",
            json={"kind": "link", "title": "新品", "content": {"url": "https://x.example.com"}},
        ).json()
        made = reply(
            client,
            lib,
            group_id=g["id"],
            title="新品推荐",
            text="看看新品",
            material_ids=[link["id"]],
        )
        assert made["material_ids"] == [link["id"]]
        for i in range(3):
            reply(
                client,
                lib,
                group_id=g["id"],
                title=f"常见问题 {i}",
                text="发货时间",
                position=i + 1,
            )
        found = client.get(f"{base(lib)}/replies", params={"q": "发货"}).json()["items"]
        assert len(found) == 3
        page = client.get(f"{base(lib)}/replies", params={"limit": 2}).json()
        rest = client.get(
            f"{base(lib)}/replies", params={"limit": 2, "cursor": page["next_cursor"]}
        ).json()
        titles = [r["title"] for r in page["items"] + rest["items"]]
        assert titles == ["新品推荐", "常见问题 0", "常见问题 1", "常见问题 2"]
        moved = client.patch(f"{base(lib)}/replies/{made['id']}", json={"position": 9}).json()
        assert moved["position"] == 9
        staff = member_client(
            app, lib.db, corp=lib.corp, role=Role.staff, staff_userid="alice"
        ).client
        assert staff.get(f"{base(lib)}/replies").status_code == 200
        assert (
            staff.post(f"{base(lib)}/replies", json={"group_id": g["id"], "title": "x"}).status_code
            == 403
        )
        assert client.delete(f"{base(lib)}/reply-groups/{g['id']}").status_code == 204
        assert client.get(f"{base(lib)}/replies").json()["items"] == []
