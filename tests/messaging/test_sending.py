"""Sending through the sandbox (real HTTP and crypto): chunks, a crash after WeCom answered,
reminders, cancel, group sends, data scopes and the deletions a campaign caused."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from siyu.auth.models import Role, ScopeKind
from siyu.jobs.models import JobRun
from siyu.jobs.runner import execute_run
from siyu.messaging import planner, service
from siyu.messaging.repository import RecipientRepository
from siyu.runtime import Runtime
from tests.helpers.auth import member_client
from tests.messaging.conftest import Mass

HOUR = 3600


def _sandbox_messages(mass: Mass) -> list[object]:
    return list(mass.world.wecom.mass_messages.values())


class TestChunks:
    def test_each_sender_gets_chunks_sent_one_after_another(
        self, mass: Mass, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setitem(service.CHUNK, "customers", 2)
        people = mass.customers(5) + mass.customers(1, "bob")
        campaign = mass.create(customer_ids=people)
        tasks = mass.tasks(campaign["id"])
        assert sorted((t["staff_userid"], t["chunk"], t["recipients"]) for t in tasks) == [
            ("alice", 0, 2), ("alice", 1, 2), ("alice", 2, 1), ("bob", 0, 1),
        ]  # fmt: skip
        assert all(t["status"] == "created" and t["msgid"] for t in tasks)
        sizes = sorted(len(m.records[m.creator]) for m in mass.world.wecom.mass_messages.values())
        assert sizes == [1, 1, 2, 2]
        assert mass.campaign(campaign["id"])["status"] == "sent"

    def test_the_real_chunk_size_is_wecoms_limit(self) -> None:
        assert planner.CUSTOMER_CHUNK == 10_000 and planner.GROUP_CHUNK == 2_000


class TestResume:
    def test_a_crash_after_wecom_answered_does_not_send_twice(
        self, mass: Mass, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        original = RecipientRepository.set_status
        crashed: list[bool] = []

        def crash_once(self: RecipientRepository, *args: object, **kwargs: object) -> None:
            if not crashed and args[2] == "sent":
                crashed.append(True)
                raise RuntimeError("worker killed before the commit")
            original(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(RecipientRepository, "set_status", crash_once)
        people = mass.customers(3)
        campaign = mass.create(customer_ids=people)
        (task,) = mass.tasks(campaign["id"])
        assert task["status"] == "pending" and task["msgid"] is None
        assert len(_sandbox_messages(mass)) == 1  # WeCom did create it
        with mass.world.db.transaction(write=False) as session:
            run = session.scalar(select(JobRun).where(JobRun.key == f"messaging.send:{task['id']}"))
            assert run is not None and run.status == "pending" and run.attempts == 1
            run_id = str(run.id)
        mass.clock.advance(timedelta(minutes=5))
        execute_run(runtime, run_id)
        (task,) = mass.tasks(campaign["id"])
        (message,) = _sandbox_messages(mass)
        assert task["status"] == "created" and task["msgid"] == message.msgid  # type: ignore[attr-defined]
        assert {r.status for r in mass.rows(campaign["id"])} == {"sent"}


class TestRemindAndCancel:
    def test_three_reminders_a_day_then_the_cap(self, mass: Mass) -> None:
        campaign = mass.create(customer_ids=mass.customers(2))
        path = mass.url(f"/mass-campaigns/{campaign['id']}/remind")
        answers = [mass.api.post(path).json() for _ in range(4)]
        assert [a["reminded"] for a in answers] == [1, 1, 1, 0]
        assert answers[3]["at_cap"] == 1
        # Siyu forgot its count (say, a restore): WeCom's 41094 is the same answer, not an error.
        with mass.world.db.transaction() as session:
            for row in mass.task_rows(campaign["id"]):
                row = session.merge(row)
                row.reminders = []
        answer = mass.api.post(path)
        assert answer.status_code == 200 and answer.json()["at_cap"] == 1
        mass.advance(25 * HOUR)
        assert mass.api.post(path).json()["reminded"] == 1

    def test_cancel_stops_unconfirmed_tasks_and_gives_the_slots_back(self, mass: Mass) -> None:
        campaign = mass.create(customer_ids=mass.customers(2))
        response = mass.api.post(mass.url(f"/mass-campaigns/{campaign['id']}/cancel"))
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        (message,) = _sandbox_messages(mass)
        assert message.cancelled  # type: ignore[attr-defined]
        rows = mass.rows(campaign["id"])
        assert {r.status for r in rows} == {"cancelled"} and all(r.counted_at is None for r in rows)
        again = mass.api.post(mass.url(f"/mass-campaigns/{campaign['id']}/cancel"))
        assert again.status_code == 409

    def test_a_scheduled_campaign_is_cancelled_before_anything_is_sent(self, mass: Mass) -> None:
        campaign = mass.create(customer_ids=mass.customers(1), send_at="2026-03-12T10:00:00+08:00")
        mass.api.post(mass.url(f"/mass-campaigns/{campaign['id']}/cancel"))
        mass.advance(3 * 24 * HOUR)
        mass.run("messaging.due")
        assert mass.campaign(campaign["id"])["status"] == "cancelled"
        assert _sandbox_messages(mass) == []


class TestGroups:
    def test_group_sends_go_to_each_owner_and_unknown_chats_are_left_out(self, mass: Mass) -> None:
        world = mass.world
        members = [c.external_userid for c in list(world.wecom.customers.values())]
        mass.customers(2)
        members = [c.external_userid for c in world.wecom.customers.values()]
        chats = [
            world.act("create_group", owner="alice", members=members)["chat_id"] for _ in range(2)
        ]
        world.deliver()
        campaign = mass.create(kind="groups", owner_userids=["alice"])
        assert campaign["reachable_count"] == 2
        mass.confirm_all(campaign["id"])
        mass.track(campaign["id"])
        report = mass.report(campaign["id"])
        assert report["delivered"] == 2 and report["confirmation_rate"] == 1.0
        (message,) = _sandbox_messages(mass)
        assert message.chat_type == "group"  # type: ignore[attr-defined]
        listed = mass.create(kind="groups", chat_ids=[chats[0], "wrnotagroup"])
        assert listed["left_out"] == {"no_relation": 1} and listed["reachable_count"] == 1


class TestScopeAndInput:
    def test_staff_see_only_campaigns_and_rows_of_their_own(self, app: FastAPI, mass: Mass) -> None:
        mine = mass.create(customer_ids=mass.customers(1, "bob") + mass.customers(1))
        other = mass.create(customer_ids=mass.customers(1))
        bob = member_client(
            app, mass.world.db, corp=mass.world.corp, role=Role.staff, scope=ScopeKind.own,
            staff_userid="bob",
        ).client  # fmt: skip
        listed = bob.get(mass.url("/mass-campaigns")).json()["items"]
        assert [c["id"] for c in listed] == [mine["id"]]
        assert bob.get(mass.url(f"/mass-campaigns/{other['id']}")).status_code == 404
        report = bob.get(mass.url(f"/mass-campaigns/{mine['id']}/report")).json()
        assert [s["staff_userid"] for s in report["staff"]] == ["bob"]
        assert bob.post(mass.url("/mass-campaigns"), json={}).status_code == 403

    @pytest.mark.parametrize(
        ("body", "says"),
        [
            ({"customer_ids": []}, "customer_ids is empty"),
            ({"customer_ids": [str(uuid.uuid4())]}, "the audience is empty"),
            ({"text": "好" * 1334}, "4000"),
            ({"text": None}, "give a text or at least one attachment"),
            ({"attachments": [{"msgtype": "image", "image": {"media_id": "m"}}] * 10}, "10"),
            ({"attachments": [{"msgtype": "image", "link": {"url": "u"}}]}, "image"),
            ({"send_at": "2026-03-10T12:00:00"}, "time zone"),
            ({"send_at": "2026-03-01T12:00:00+08:00"}, "past"),
            ({"kind": "groups", "customer_ids": None}, "chat_ids"),
        ],
    )
    def test_bad_input_is_a_422_that_says_what_and_writes_nothing(
        self, mass: Mass, body: dict[str, object], says: str
    ) -> None:
        people = mass.customers(1)
        payload = {"name": "x", "text": "hello", "customer_ids": people, **body}
        response = mass.api.post(mass.url("/mass-campaigns"), json=payload)
        assert response.status_code == 422, response.text
        assert says in response.text
        assert mass.api.get(mass.url("/mass-campaigns")).json()["items"] == []


class TestReport:
    def test_deletions_after_a_campaign_are_attributed_to_it(self, mass: Mass) -> None:
        """12% of recipients delete the staff member within a day: the report says so; a
        deletion four days later is not the campaign's."""
        people = mass.customers(25) + mass.customers(25, "bob")
        campaign = mass.create(customer_ids=people)
        mass.confirm_all(campaign["id"])
        mass.track(campaign["id"])
        mass.advance(5 * HOUR)
        rows = {str(r.customer_id): r for r in mass.rows(campaign["id"])}
        leaving = people[:3] + people[25:28]
        for customer_id in leaving:
            row = rows[customer_id]
            mass.world.act(
                "customer_deletes_staff",
                userid=row.staff_userid,
                external_userid=row.external_userid,
            )
        mass.advance(95 * HOUR)
        late = rows[people[10]]
        mass.world.act(
            "customer_deletes_staff", userid="alice", external_userid=late.external_userid
        )
        mass.world.deliver()
        report = mass.report(campaign["id"])
        assert report["delivered"] == 50 and report["confirmation_rate"] == 1.0
        assert report["deleted_within_24h"] == 6 and report["deleted_within_72h"] == 6
        assert report["deletion_rate_72h"] == 0.12
        assert {s["staff_userid"]: s["deleted_within_72h"] for s in report["staff"]} == {
            "alice": 3,
            "bob": 3,
        }
        assert report["replies"] is None and "not known" in report["replies_note"]
