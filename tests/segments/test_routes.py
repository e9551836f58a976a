"""Segments over the API: each condition kind, validation paths, scopes, saved segments,
evaluations and exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from siyu.auth.models import Role, ScopeKind
from siyu.db.session import Database
from siyu.segments.models import SegmentEvaluation
from siyu.settings import Settings
from tests.conftest import make_settings
from tests.helpers.auth import Member, member_client
from tests.segments.people import Town


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return make_settings(db.url, export_dir=tmp_path / "exports")


@pytest.fixture
def admin(app: FastAPI, town: Town) -> Member:
    return member_client(app, town.db, corp=town.corp, role=Role.admin)


def names(member: Member, town: Town, condition: dict[str, Any]) -> list[str]:
    url = f"/api/v1/corps/{town.corp.id}/segments/preview"
    response = member.client.post(url, json={"condition": condition, "limit": 50})
    assert response.status_code == 200, response.text
    return sorted(item["name"] for item in response.json()["items"])


def count(member: Member, town: Town, condition: dict[str, Any]) -> int:
    url = f"/api/v1/corps/{town.corp.id}/segments/count"
    response = member.client.post(url, json={"condition": condition})
    assert response.status_code == 200, response.text
    return int(response.json()["count"])


class TestConditions:
    @pytest.mark.parametrize(
        ("build", "expected"),
        [
            (lambda t: {"type": "tags", "match": "any", "tag_ids": [t["vip"]]}, ["ann", "ben"]),
            (lambda t: {"type": "tags", "match": "all", "tag_ids": [t["vip"], t["new"]]}, ["ann"]),
            (
                lambda t: {"type": "tags", "match": "none", "tag_ids": [t["vip"], t["risk"]]},
                ["cat", "eve"],
            ),
            (lambda t: {"type": "tags", "tag_ids": [t["risk"]]}, ["ben", "dan"]),
            (lambda _: {"type": "staff", "userids": ["bob"]}, ["ben", "cat"]),
            (lambda _: {"type": "channel", "states": ["poster"]}, ["ann", "cat"]),
            (lambda _: {"type": "status", "status": "lost"}, ["dan"]),
            (lambda _: {"type": "added", "before": "2026-02-01T00:00:00Z"}, ["ann"]),
            (
                lambda t: {
                    "type": "or",
                    "children": [
                        {"type": "channel", "states": ["store"]},
                        {"type": "not", "child": {"type": "status", "status": "active"}},
                    ],
                },
                ["ben", "dan"],
            ),
            (
                lambda t: {
                    "type": "and",
                    "children": [
                        {"type": "tags", "tag_ids": [t["new"], t["risk"]]},
                        {"type": "staff", "userids": ["bob"]},
                        {"type": "not", "child": {"type": "channel", "states": ["store"]}},
                        {"type": "status", "status": "active"},
                    ],
                },
                ["cat"],
            ),
        ],
    )
    def test_condition_matches(
        self, admin: Member, cast: Town, build: Any, expected: list[str]
    ) -> None:
        condition = build({k: str(v) for k, v in cast.tags.items()})
        assert names(admin, cast, condition) == expected
        assert count(admin, cast, condition) == len(expected)

    def test_group_membership(self, admin: Member, town: Town) -> None:
        inside = town.person("in")
        town.person("out")
        group_id = town.group([inside])
        any_ = {"type": "group", "match": "any", "group_ids": [str(group_id)]}
        assert names(admin, town, any_) == ["in"]
        assert names(admin, town, {**any_, "match": "none"}) == ["out"]

    def test_added_within_days_is_relative_to_now(self, admin: Member, town: Town) -> None:
        town.person("recent", added=datetime.now(UTC))
        town.person("old", added=datetime(2020, 1, 1, tzinfo=UTC))
        assert names(admin, town, {"type": "added", "within_days": 7}) == ["recent"]

    def test_preview_pages_by_keyset(self, admin: Member, town: Town) -> None:
        for n in range(5):
            town.person(f"p{n}")
        url = f"/api/v1/corps/{town.corp.id}/segments/preview"
        condition = {"type": "status", "status": "active"}
        first = admin.client.post(url, json={"condition": condition, "limit": 3}).json()
        second = admin.client.post(
            url, json={"condition": condition, "limit": 3, "cursor": first["next_cursor"]}
        ).json()
        ids = [c["id"] for c in first["items"] + second["items"]]
        assert len(set(ids)) == 5 and ids == sorted(ids, reverse=True)
        assert second["next_cursor"] is None


class TestValidation:
    def post(self, member: Member, town: Town, condition: dict[str, Any]) -> Any:
        url = f"/api/v1/corps/{town.corp.id}/segments/count"
        return member.client.post(url, json={"condition": condition})

    def test_unknown_tag_names_the_path(self, admin: Member, town: Town) -> None:
        vip = str(town.tag("vip"))
        tree = {
            "type": "and",
            "children": [
                {"type": "status", "status": "active"},
                {"type": "tags", "tag_ids": [vip, "00000000-0000-7000-8000-000000000000"]},
            ],
        }
        response = self.post(admin, town, tree)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_condition"
        assert error["details"][0]["path"] == "condition.children[1].tag_ids[1]"

    def test_bad_op_is_a_422_with_its_location(self, admin: Member, town: Town) -> None:
        response = self.post(admin, town, {"type": "tags", "match": "most", "tag_ids": []})
        assert response.status_code == 422
        assert "match" in response.text

    def test_too_deep_tree(self, admin: Member, town: Town) -> None:
        tree: dict[str, Any] = {"type": "status", "status": "active"}
        for _ in range(7):
            tree = {"type": "not", "child": tree}
        response = self.post(admin, town, tree)
        assert response.status_code == 422
        path = response.json()["error"]["details"][0]["path"]
        assert path == "condition" + ".child" * 6

    def test_incoherent_window(self, admin: Member, town: Town) -> None:
        response = self.post(
            admin, town, {"type": "added", "within_days": 3, "after": "2026-01-01T00:00:00Z"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["path"] == "condition"

    def test_last_interaction_is_not_available_yet(self, admin: Member, town: Town) -> None:
        response = self.post(admin, town, {"type": "last_interaction", "within_days": 7})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "condition_not_available"

    @pytest.mark.parametrize(
        ("leaf", "path"),
        [
            (
                {
                    "type": "field",
                    "field_id": "00000000-0000-7000-8000-000000000001",
                    "op": "eq",
                    "value": "x",
                },
                "condition.field_id",
            ),
            (
                {"type": "stage", "stage_ids": ["00000000-0000-7000-8000-000000000001"]},
                "condition.stage_ids[0]",
            ),
        ],
    )
    def test_unknown_fields_and_stages_are_named(
        self, admin: Member, town: Town, leaf: dict[str, Any], path: str
    ) -> None:
        response = self.post(admin, town, leaf)
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["path"] == path

    def test_field_op_needs_a_value(self, admin: Member, town: Town) -> None:
        leaf = {"type": "field", "field_id": "00000000-0000-7000-8000-000000000001", "op": "gt"}
        response = self.post(admin, town, leaf)
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["path"] == "condition.value"


class TestScope:
    def test_staff_counts_only_their_own(self, app: FastAPI, cast: Town) -> None:
        bob = member_client(
            app, cast.db, corp=cast.corp, role=Role.staff, scope=ScopeKind.own, staff_userid="bob"
        )
        condition = {"type": "status", "status": "active"}
        assert names(bob, cast, condition) == ["ben", "cat"]
        assert count(bob, cast, {"type": "tags", "tag_ids": [str(cast.tags["vip"])]}) == 1


class TestSavedSegments:
    def test_crud_and_evaluations(self, admin: Member, cast: Town) -> None:
        base = f"/api/v1/corps/{cast.corp.id}/segments"
        vip = {"type": "tags", "tag_ids": [str(cast.tags["vip"])]}
        created = admin.client.post(base, json={"name": "VIP", "condition": vip})
        assert created.status_code == 201, created.text
        segment_id = created.json()["id"]
        counted = admin.client.post(f"{base}/{segment_id}/count").json()
        assert counted["count"] == 2 and counted["duration_ms"] >= 0
        assert admin.client.get(f"{base}/{segment_id}").json()["last_count"] == 2
        preview = admin.client.post(f"{base}/{segment_id}/preview").json()
        assert sorted(i["name"] for i in preview["items"]) == ["ann", "ben"]
        patched = admin.client.patch(
            f"{base}/{segment_id}",
            json={"name": "VIP+", "condition": {"type": "status", "status": "lost"}},
        )
        assert patched.json()["name"] == "VIP+" and patched.json()["last_count"] is None
        evaluations = admin.client.get(f"{base}/{segment_id}/evaluations").json()["items"]
        assert [e["purpose"] for e in evaluations] == ["preview", "count"]
        assert evaluations[1]["result_count"] == 2
        listed = admin.client.get(base).json()["items"]
        assert [s["id"] for s in listed] == [segment_id]
        assert admin.client.delete(f"{base}/{segment_id}").status_code == 204
        assert admin.client.get(f"{base}/{segment_id}").status_code == 404

    def test_invalid_tree_writes_nothing(self, admin: Member, town: Town) -> None:
        base = f"/api/v1/corps/{town.corp.id}/segments"
        bad = {"type": "tags", "tag_ids": ["00000000-0000-7000-8000-000000000000"]}
        assert admin.client.post(base, json={"name": "x", "condition": bad}).status_code == 422
        assert admin.client.get(base).json()["items"] == []
        with town.db.transaction(write=False) as session:
            assert session.scalar(select(func.count()).select_from(SegmentEvaluation)) == 0

    def test_staff_may_not_save(self, app: FastAPI, town: Town) -> None:
        staff = member_client(app, town.db, corp=town.corp, role=Role.staff, staff_userid="alice")
        body = {"name": "x", "condition": {"type": "status", "status": "active"}}
        response = staff.client.post(f"/api/v1/corps/{town.corp.id}/segments", json=body)
        assert response.status_code == 403


class TestExport:
    def test_staff_export_is_scoped_and_masked(self, app: FastAPI, cast: Town) -> None:
        bob = member_client(
            app, cast.db, corp=cast.corp, role=Role.staff, scope=ScopeKind.own, staff_userid="bob"
        )
        url = f"/api/v1/corps/{cast.corp.id}/segments/export"
        response = bob.client.post(url, json={"condition": {"type": "status", "status": "active"}})
        assert response.status_code == 202, response.text
        export_id = response.json()["id"]
        download = bob.client.get(f"/api/v1/corps/{cast.corp.id}/exports/{export_id}/download")
        assert download.status_code == 200, download.text
        rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert sorted(r["name"] for r in rows) == ["ben", "cat"]
        assert {r["remark_mobiles"] for r in rows} == {"138****5678"}
        assert {r["owners"] for r in rows} == {"bob"}

    def test_admin_sees_full_mobiles(self, admin: Member, cast: Town) -> None:
        url = f"/api/v1/corps/{cast.corp.id}/segments/export"
        export_id = admin.client.post(
            url, json={"condition": {"type": "channel", "states": ["poster"]}}
        ).json()["id"]
        download = admin.client.get(f"/api/v1/corps/{cast.corp.id}/exports/{export_id}/download")
        rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
        assert sorted(r["name"] for r in rows) == ["ann", "cat"]
        assert {r["remark_mobiles"] for r in rows} == {"13812345678"}

    def test_generic_export_endpoint_refuses_the_kind(self, admin: Member, town: Town) -> None:
        body = {"kind": "segment_customers", "params": {"condition": {}, "scope_kind": "all"}}
        response = admin.client.post(f"/api/v1/corps/{town.corp.id}/exports", json=body)
        assert response.status_code == 422


class TestProfileConditions:
    """Custom fields and stages, set through the profile API, as segment leaves."""

    def test_fields_and_stages_select_people(self, admin: Member, cast: Town) -> None:
        base = f"/api/v1/corps/{cast.corp.id}"
        client = admin.client
        spend = client.post(
            f"{base}/customer-fields", json={"key": "spend", "label": "年消费", "type": "number"}
        )
        assert spend.status_code == 201, spend.text
        stage = client.post(f"{base}/sales-stages", json={"key": "won", "name": "成交"})
        assert stage.status_code == 201, stage.text
        people = {
            item["name"]: item["id"]
            for item in client.get(f"{base}/customers", params={"limit": 50}).json()["items"]
        }
        for name, amount in (("ann", 1200), ("ben", 300)):
            answer = client.put(
                f"{base}/customers/{people[name]}/fields", json={"values": {"spend": amount}}
            )
            assert answer.status_code == 200, answer.text
        moved = client.put(
            f"{base}/customers/{people['cat']}/stage", json={"stage_id": stage.json()["id"]}
        )
        assert moved.status_code == 200, moved.text

        field_id = spend.json()["id"]
        rich = {"type": "field", "field_id": field_id, "op": "gte", "value": 1000}
        assert names(admin, cast, rich) == ["ann"]
        known = {"type": "field", "field_id": field_id, "op": "not_empty"}
        assert names(admin, cast, known) == ["ann", "ben"]
        won = {"type": "stage", "stage_ids": [stage.json()["id"]]}
        assert names(admin, cast, won) == ["cat"]
        either = {"type": "or", "children": [rich, won]}
        assert count(admin, cast, either) == 2

    def test_a_date_field_compares_as_a_date(self, admin: Member, cast: Town) -> None:
        """JSON carries dates as strings; an ISO date must reach value_date, not value_text."""
        base = f"/api/v1/corps/{cast.corp.id}"
        client = admin.client
        birthday = client.post(
            f"{base}/customer-fields", json={"key": "birthday", "label": "生日", "type": "date"}
        )
        assert birthday.status_code == 201, birthday.text
        people = {
            item["name"]: item["id"]
            for item in client.get(f"{base}/customers", params={"limit": 50}).json()["items"]
        }
        for name, day in (("ann", "1990-05-01"), ("ben", "2001-09-30")):
            answer = client.put(
                f"{base}/customers/{people[name]}/fields", json={"values": {"birthday": day}}
            )
            assert answer.status_code == 200, answer.text
        field_id = birthday.json()["id"]
        before = {"type": "field", "field_id": field_id, "op": "lt", "value": "2000-01-01"}
        assert names(admin, cast, before) == ["ann"]
        exact = {"type": "field", "field_id": field_id, "op": "eq", "value": "2001-09-30"}
        assert names(admin, cast, exact) == ["ben"]
