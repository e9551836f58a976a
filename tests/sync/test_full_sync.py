"""The full sync against the sandbox over real HTTP, on the real database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from siyu.customers.models import Customer, FollowRelation, FollowRelationTag
from siyu.db.session import Database
from siyu.groups.models import CustomerGroup, GroupMember
from siyu.sandbox.state import SandboxState
from siyu.staff.models import Department, StaffMember
from siyu.sync.models import RUN_DONE, SyncRun
from siyu.tags.models import Tag
from tests.sync.conftest import CORP_ID, RunSync


def world(state: SandboxState) -> tuple[dict[tuple[str, str], object], dict[str, object]]:
    corp = state.corps[CORP_ID]
    relations = {
        (f.userid, f.external_userid): f
        for staff in corp.staff.values()
        if staff.can_follow
        for f in staff.follows.values()
    }
    contacts = {external for _, external in relations}
    return relations, {e: corp.customers[e] for e in contacts}


class TestFullSync:
    def test_database_equals_the_sandbox(
        self, run_sync: RunSync, sync_db: Database, sandbox_state: SandboxState
    ) -> None:
        run_id, status = run_sync()
        assert status == RUN_DONE
        relations, contacts = world(sandbox_state)
        corp = sandbox_state.corps[CORP_ID]
        with sync_db.transaction(write=False) as session:
            rows = {
                (r.staff_userid, r.external_userid): r
                for r in session.scalars(select(FollowRelation))
            }
            assert rows.keys() == relations.keys()
            for key, follow in relations.items():
                row = rows[key]
                assert row.remark == (follow.remark or None) or row.remark == follow.remark  # type: ignore[attr-defined]
                assert row.add_way == follow.add_way  # type: ignore[attr-defined]
                assert (row.state or "") == follow.state  # type: ignore[attr-defined]
                assert sorted(row.wecom_tag_ids) == sorted(follow.tags)  # type: ignore[attr-defined]
                assert row.added_at is not None
                assert int(row.added_at.timestamp()) == follow.createtime  # type: ignore[attr-defined]
                assert row.missing_since is None
            customers = {c.external_userid: c for c in session.scalars(select(Customer))}
            assert customers.keys() == contacts.keys()
            for external, contact in contacts.items():
                assert customers[external].name == contact.name  # type: ignore[attr-defined]
                assert customers[external].unionid == (contact.unionid or None)  # type: ignore[attr-defined]
                assert customers[external].status == "active"
            tagged = sum(1 for f in relations.values() for _ in set(f.tags))  # type: ignore[attr-defined]
            assert session.scalar(select(func.count()).select_from(FollowRelationTag)) == tagged
            assert session.scalar(select(func.count()).select_from(Tag)) == len(corp.tags)
            assert session.scalar(select(func.count()).select_from(StaffMember)) == len(corp.staff)
            assert session.scalar(select(func.count()).select_from(Department)) == len(
                corp.departments
            )
            groups = {g.chat_id: g for g in session.scalars(select(CustomerGroup))}
            assert groups.keys() == corp.groups.keys()
            for chat_id, group in corp.groups.items():
                members = session.scalars(
                    select(GroupMember.member_id).where(
                        GroupMember.group_id == groups[chat_id].id, GroupMember.left_at.is_(None)
                    )
                )
                assert set(members) == set(group.members)
                assert groups[chat_id].owner_userid == group.owner
            run = session.get(SyncRun, run_id)
            assert run is not None and run.finished_at is not None
            assert (
                run.progress["stages"]["customers"]["done"]
                == run.progress["stages"]["customers"]["total"]
            )

    def test_never_exceeds_the_concurrency_cap(self, run_sync: RunSync, gauge: object) -> None:
        _, status = run_sync(concurrency=8, staff_per_batch=1)
        assert status == RUN_DONE
        # The client's cap (wecom_max_concurrency=4) holds whatever the pool size.
        assert max(gauge.peak.values()) <= 4  # type: ignore[attr-defined]


class TestDeletionDetection:
    def test_vanished_relations_and_groups_are_marked_not_deleted(
        self, run_sync: RunSync, sync_db: Database, sandbox_state: SandboxState, clock: object
    ) -> None:
        run_sync()
        corp = sandbox_state.corps[CORP_ID]
        staff = next(s for s in corp.staff.values() if s.follows)
        external = next(iter(staff.follows))
        # Remove the relation inside the sandbox without a callback (a lost callback).
        follow = staff.follows.pop(external)
        corp.customers[external].follows.pop(staff.userid, None)
        chat_id = next(iter(corp.groups))
        corp.groups.pop(chat_id)
        clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
        _, status = run_sync()
        assert status == RUN_DONE
        with sync_db.transaction(write=False) as session:
            row = session.scalar(
                select(FollowRelation).where(
                    FollowRelation.staff_userid == staff.userid,
                    FollowRelation.external_userid == follow.external_userid,
                )
            )
            assert row is not None and row.missing_since is not None
            group = session.scalar(select(CustomerGroup).where(CustomerGroup.chat_id == chat_id))
            assert group is not None and group.missing_since is not None
            customer = session.scalar(select(Customer).where(Customer.external_userid == external))
            assert customer is not None
            assert customer.status == ("active" if corp.customers[external].follows else "lost")


class TestResume:
    def test_interrupted_run_resumes_without_refetching_finished_staff(
        self, run_sync: RunSync, sync_db: Database, gauge: object
    ) -> None:
        import threading

        stop = threading.Event()
        calls = {"n": 0}
        original = gauge.app  # type: ignore[attr-defined]

        async def stopping(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
            if scope.get("path", "").endswith("batch/get_by_user"):
                calls["n"] += 1
                if calls["n"] == 10:
                    stop.set()
            await original(scope, receive, send)

        gauge.app = stopping  # type: ignore[attr-defined]
        run_id, status = run_sync(stop=stop, concurrency=1, staff_per_batch=2, page_limit=20)
        assert status == "interrupted"
        with sync_db.transaction(write=False) as session:
            from siyu.sync.repository import checkpoints

            before = {
                c.key: (c.done, c.pages) for c in checkpoints.of_stage(session, run_id, "customers")
            }
        finished = {key for key, (done, _) in before.items() if done}
        assert finished
        gauge.app = original  # type: ignore[attr-defined]
        _, status = run_sync(run_id)
        assert status == RUN_DONE
        with sync_db.transaction(write=False) as session:
            after = {c.key: c.pages for c in checkpoints.of_stage(session, run_id, "customers")}
        assert all(after[key] == before[key][1] for key in finished)
