"""Bulk tag jobs: Siyu tags written per person, WeCom tags marked per relation through the
sandbox, progress and steps, resumability, scope, validation, and the segment index."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from siyu.auth.models import Role, ScopeKind
from siyu.segments.facts import tag_token
from siyu.segments.models import CustomerFacts
from siyu.tags.bulk import service as bulk
from siyu.tags.bulk.models import BulkTagJob
from siyu.tags.changes import TagChange
from siyu.tags.models import CustomerTag
from tests.customers.world import World
from tests.helpers.auth import Member, member_client
from tests.segments.people import Town


@pytest.fixture
def town(db: Any) -> Town:
    from tests.helpers.auth import make_corp

    return Town(db=db, corp=make_corp(db))


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "STEP_SIZE", 2)


def post_job(member: Member, corp_id: uuid.UUID, body: dict[str, Any]) -> Any:
    return member.client.post(f"/api/v1/corps/{corp_id}/tag-jobs", json=body)


def person_tags(town: Town, tag_id: uuid.UUID) -> int:
    with town.db.transaction(write=False) as session:
        stmt = select(func.count()).select_from(CustomerTag).where(CustomerTag.tag_id == tag_id)
        return session.scalar(stmt) or 0


class TestSiyuTags:
    def test_add_to_a_selection_in_steps(self, app: FastAPI, town: Town, small_steps: None) -> None:
        admin = member_client(app, town.db, corp=town.corp, role=Role.admin)
        risk = town.tag("risk", siyu=True)
        chosen = [town.person(f"p{i}") for i in range(5)]
        town.person("other")
        response = post_job(
            admin,
            town.corp.id,
            {"action": "add", "tag_ids": [str(risk)], "customer_ids": [str(c) for c in chosen]},
        )
        assert response.status_code == 202, response.text
        job = admin.client.get(
            f"/api/v1/corps/{town.corp.id}/tag-jobs/{response.json()['id']}"
        ).json()
        assert job["status"] == "done"
        assert (job["total"], job["processed"], job["siyu_changes"]) == (5, 5, 5)
        assert person_tags(town, risk) == 5
        # The segment index heard of it (Core writes are touched explicitly).
        count = admin.client.post(
            f"/api/v1/corps/{town.corp.id}/segments/count",
            json={"condition": {"type": "tags", "tag_ids": [str(risk)]}},
        ).json()["count"]
        assert count == 5

    def test_remove_over_a_saved_segment(self, app: FastAPI, town: Town, small_steps: None) -> None:
        admin = member_client(app, town.db, corp=town.corp, role=Role.admin)
        for i in range(3):
            town.person(f"r{i}", siyu_tags=("risk",), state="poster")
        town.person("kept", siyu_tags=("risk",), state="store")
        risk = town.tags["risk"]
        segment = admin.client.post(
            f"/api/v1/corps/{town.corp.id}/segments",
            json={"name": "poster", "condition": {"type": "channel", "states": ["poster"]}},
        ).json()
        response = post_job(
            admin,
            town.corp.id,
            {"action": "remove", "tag_ids": [str(risk)], "segment_id": segment["id"]},
        )
        assert response.status_code == 202, response.text
        assert person_tags(town, risk) == 1
        with town.db.transaction(write=False) as session:
            tokens = [f.tags for f in session.scalars(select(CustomerFacts))]
        assert sum(tag_token(risk) in t for t in tokens) == 1

    def test_a_repeated_step_changes_nothing(
        self, app: FastAPI, town: Town, small_steps: None
    ) -> None:
        admin = member_client(app, town.db, corp=town.corp, role=Role.admin)
        risk = town.tag("risk", siyu=True)
        people = [town.person(f"p{i}") for i in range(3)]
        job_id = post_job(
            admin,
            town.corp.id,
            {"action": "add", "tag_ids": [str(risk)], "customer_ids": [str(c) for c in people]},
        ).json()["id"]
        with town.db.transaction() as session:  # a late duplicate of step 0 arrives
            bulk.bulk_tag_service.run_step(session, job_id=uuid.UUID(job_id), step=0)
            job = session.get(BulkTagJob, uuid.UUID(job_id))
            assert job is not None and job.processed == 3 and job.siyu_changes == 3
        assert person_tags(town, risk) == 3

    def test_staff_tag_only_their_own(self, app: FastAPI, town: Town) -> None:
        bob = member_client(
            app, town.db, corp=town.corp, role=Role.staff, scope=ScopeKind.own, staff_userid="bob"
        )
        risk = town.tag("risk", siyu=True)
        mine = town.person("b", staff="bob")
        theirs = town.person("a", staff="alice")
        response = post_job(
            bob,
            town.corp.id,
            {"action": "add", "tag_ids": [str(risk)], "customer_ids": [str(mine), str(theirs)]},
        )
        assert response.json()["total"] == 1
        assert person_tags(town, risk) == 1


class TestVisibility:
    def test_every_member_who_sees_the_people_follows_the_job(
        self, app: FastAPI, town: Town
    ) -> None:
        from tests.helpers.auth import make_department, make_staff

        team = make_department(town.db, corp=town.corp, wecom_dept_id=5)
        make_staff(town.db, corp=town.corp, userid="bob", departments=[team])
        bob, alice = (
            member_client(
                app, town.db, corp=town.corp, role=Role.staff, scope=ScopeKind.own, staff_userid=u
            )
            for u in ("bob", "alice")
        )
        manager = member_client(
            app,
            town.db,
            corp=town.corp,
            role=Role.manager,
            scope=ScopeKind.department,
            staff_userid="carol",
            department_ids=[5],
        )
        admin = member_client(app, town.db, corp=town.corp, role=Role.admin)
        risk = town.tag("risk", siyu=True)
        mine = town.person("b", staff="bob")
        body = {"action": "add", "tag_ids": [str(risk)], "customer_ids": [str(mine)]}
        bobs = post_job(bob, town.corp.id, body).json()["id"]
        admins = post_job(admin, town.corp.id, body).json()["id"]
        base = f"/api/v1/corps/{town.corp.id}/tag-jobs"

        def readable(member: Member) -> set[str]:
            listed = {j["id"] for j in member.client.get(base).json()["items"]}
            for job_id in (bobs, admins):
                one = member.client.get(f"{base}/{job_id}")
                assert (one.status_code == 200) == (job_id in listed), one.text
            return listed

        assert readable(admin) == {bobs, admins}
        assert readable(manager) == {bobs}  # bob's team: his job, not the corp-wide one
        assert readable(bob) == {bobs}
        assert readable(alice) == set()
        done = manager.client.get(f"{base}/{bobs}").json()
        assert (done["status"], done["processed"], done["total"]) == ("done", 1, 1)
        assert alice.client.post(f"{base}/{bobs}/cancel").status_code == 404


class TestValidation:
    def test_unknown_tag_and_selection_rules(self, app: FastAPI, town: Town) -> None:
        admin = member_client(app, town.db, corp=town.corp, role=Role.admin)
        someone = str(town.person("x"))
        bad = post_job(
            admin,
            town.corp.id,
            {"action": "add", "tag_ids": [str(uuid.uuid4())], "customer_ids": [someone]},
        )
        assert bad.status_code == 422
        assert bad.json()["error"]["details"][0]["path"] == "tag_ids[0]"
        both = post_job(
            admin,
            town.corp.id,
            {
                "action": "add",
                "tag_ids": [str(town.tag("t"))],
                "customer_ids": [someone],
                "condition": {"type": "status", "status": "active"},
            },
        )
        assert both.status_code == 422
        with town.db.transaction(write=False) as session:
            assert session.scalar(select(func.count()).select_from(BulkTagJob)) == 0

    def test_cancel(self, app: FastAPI, town: Town) -> None:
        admin = member_client(app, town.db, corp=town.corp, role=Role.admin)
        job_id = post_job(
            admin,
            town.corp.id,
            {
                "action": "add",
                "tag_ids": [str(town.tag("t", siyu=True))],
                "customer_ids": [str(town.person("x"))],
            },
        ).json()["id"]
        again = admin.client.post(f"/api/v1/corps/{town.corp.id}/tag-jobs/{job_id}/cancel")
        assert again.status_code == 409  # already done: a finished job cannot be cancelled


class TestWeComTags:
    def test_marks_each_relation_through_wecom(self, app: FastAPI, world: World) -> None:
        admin = member_client(app, world.db, corp=world.corp, role=Role.admin)
        exts = [str(world.act("add_customer", userid="alice")["external_userid"]) for _ in range(3)]
        world.deliver()
        base = f"/api/v1/corps/{world.corp.id}"
        admin.client.post(f"{base}/tag-groups", json={"name": "等级", "tags": [{"name": "金卡"}]})
        gold = admin.client.get(f"{base}/tag-groups").json()[0]["tags"][0]
        ids = [str(c.id) for c in (world.customer(e) for e in exts) if c is not None]
        response = post_job(
            admin, world.corp.id, {"action": "add", "tag_ids": [gold["id"]], "customer_ids": ids}
        )
        assert response.status_code == 202, response.text
        job = admin.client.get(f"{base}/tag-jobs/{response.json()['id']}").json()
        assert (job["status"], job["wecom_marks"]) == ("done", 3)
        for ext in exts:  # WeCom holds the tag now, and so does Siyu's copy of the relation
            assert world.wecom.customers[ext].follows["alice"].tags == [gold["wecom_tag_id"]]
            assert world.relations(ext)["alice"].wecom_tag_ids == [gold["wecom_tag_id"]]
        count = admin.client.post(
            f"{base}/segments/count", json={"condition": {"type": "tags", "tag_ids": [gold["id"]]}}
        )
        assert count.json()["count"] == 3
        # Again: every relation has it already, so nothing is sent to WeCom.
        again = post_job(
            admin, world.corp.id, {"action": "add", "tag_ids": [gold["id"]], "customer_ids": ids}
        ).json()
        again = admin.client.get(f"{base}/tag-jobs/{again['id']}").json()
        assert (again["status"], again["processed"], again["wecom_marks"]) == ("done", 3, 0)
        with world.db.transaction(write=False) as session:
            assert (
                session.scalar(
                    select(func.count()).select_from(TagChange).where(TagChange.kind == "mark")
                )
                == 3
            )
