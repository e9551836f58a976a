"""Customer name search: substrings from the trigram index (three characters or more), the
LIKE fallback below that, and the index following renames, merges and deletes."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, text, update

from siyu.auth.models import Role
from siyu.customers.models import Customer
from siyu.db.dialect import is_postgres
from siyu.db.search import fts_table
from tests.helpers.auth import Member, member_client
from tests.segments.people import Town


@pytest.fixture
def admin(app: FastAPI, town: Town) -> Member:
    return member_client(app, town.db, corp=town.corp, role=Role.admin)


def found(member: Member, town: Town, q: str, **params: Any) -> list[str]:
    response = member.client.get(
        f"/api/v1/corps/{town.corp.id}/customers", params={"q": q, **params}
    )
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["items"])


def index_is_consistent(town: Town) -> None:
    """SQLite: FTS5's own check that the index equals the customers' names."""
    with town.db.transaction() as session:
        if is_postgres(session):
            return
        fts = fts_table("customers", "name")
        session.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))


class TestSubstrings:
    def test_chinese_and_latin_substrings_any_case(self, admin: Member, town: Town) -> None:
        for name in ("欧阳小明", "欧阳明月", "王小明", "Zhang Wei", "zhangsan"):
            town.person(name)
        assert found(admin, town, "欧阳小") == ["欧阳小明"]
        assert found(admin, town, "阳明月") == ["欧阳明月"]
        assert found(admin, town, "ZHANG") == ["Zhang Wei", "zhangsan"]
        assert found(admin, town, "ng w") == ["Zhang Wei"]
        assert found(admin, town, "无此人") == []
        index_is_consistent(town)

    def test_short_queries_fall_back_to_like(self, admin: Member, town: Town) -> None:
        for name in ("欧阳小明", "王小明", "李雷", "Al"):
            town.person(name)
        assert found(admin, town, "小明") == ["欧阳小明", "王小明"]
        assert found(admin, town, "雷") == ["李雷"]
        assert found(admin, town, "al") == ["Al"]
        assert found(admin, town, " 小明 ") == ["欧阳小明", "王小明"]

    def test_quotes_and_wildcards_are_plain_text(self, admin: Member, town: Town) -> None:
        town.person('A "quoted" name')
        town.person("100% real")
        town.person("1000 real")
        assert found(admin, town, '"quoted"') == ['A "quoted" name']
        assert found(admin, town, "0% r") == ["100% real"]
        assert found(admin, town, "%%%") == []

    def test_search_keeps_the_other_filters_and_pages(self, admin: Member, town: Town) -> None:
        for i in range(5):
            town.person(f"会员客户{i}", staff="bob" if i % 2 else "alice")
        assert found(admin, town, "员客户", staff_userid="bob") == ["会员客户1", "会员客户3"]
        url = f"/api/v1/corps/{town.corp.id}/customers"
        first = admin.client.get(url, params={"q": "员客户", "limit": 3}).json()
        rest = admin.client.get(
            url, params={"q": "员客户", "limit": 3, "cursor": first["next_cursor"]}
        ).json()
        names = [i["name"] for i in first["items"]] + [i["name"] for i in rest["items"]]
        assert names == [f"会员客户{i}" for i in (4, 3, 2, 1, 0)]

    def test_short_queries_read_a_bounded_window_per_page(
        self, admin: Member, town: Town, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from siyu.segments import service

        monkeypatch.setattr(service, "SCAN_WINDOW", 3)
        for i in range(8):  # newest first: 7 … 0; 小明 at 6, 5 and 1
            town.person(f"小明{i}" if i in (1, 5, 6) else f"路人{i}")
        url = f"/api/v1/corps/{town.corp.id}/customers"
        pages, cursor = [], None
        for _ in range(10):
            params = {"q": "小明", "limit": 5} | ({"cursor": cursor} if cursor else {})
            body = admin.client.get(url, params=params).json()
            pages.append([i["name"] for i in body["items"]])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        # Windows of three people (7 6 5 | 4 3 2 | 1 0): a short page still says where the
        # next window starts, and together the pages list every match once, in order.
        assert pages == [["小明6", "小明5"], [], ["小明1"]]


class TestIndexFollowsWrites:
    def test_renames_through_the_orm_and_core(self, admin: Member, town: Town) -> None:
        first, second = town.person("旧名字甲"), town.person("旧名字乙")
        with town.db.transaction() as session:
            person = session.get(Customer, first)
            assert person is not None
            person.name = "新名字甲"
            session.execute(update(Customer).where(Customer.id == second).values(name="新名字乙"))
        assert found(admin, town, "旧名字") == []
        assert found(admin, town, "新名字") == ["新名字乙", "新名字甲"]
        index_is_consistent(town)

    def test_merges_and_their_undo(self, admin: Member, town: Town) -> None:
        survivor, merged = town.person("合并留下"), town.person("合并并入")
        response = admin.client.post(
            f"/api/v1/corps/{town.corp.id}/customers/{survivor}/merge",
            json={"merged_id": str(merged)},
        )
        assert response.status_code == 201, response.text
        assert found(admin, town, "合并并") == []  # a merged person is not listed
        assert found(admin, town, "合并留") == ["合并留下"]
        undone = admin.client.post(
            f"/api/v1/corps/{town.corp.id}/identity/merges/{response.json()['id']}/undo"
        )
        assert undone.status_code == 200, undone.text
        assert found(admin, town, "合并并") == ["合并并入"]

    def test_deleted_people_leave_the_index(self, admin: Member, town: Town) -> None:
        gone = town.person("删除的人")
        town.person("删除不了")
        with town.db.transaction() as session:
            session.execute(delete(Customer).where(Customer.id == gone))
        assert found(admin, town, "删除") == ["删除不了"]  # the LIKE path
        assert found(admin, town, "删除的") == []  # the index path
        index_is_consistent(town)
