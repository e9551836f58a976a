"""The segment index (`customer_facts`) equals a recomputation from the source rows after
every write path: callbacks, the full sync (including vanished relations), bulk tag jobs
(tests/tags/test_bulk.py) and the benchmark's generator."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import create_engine, select

from siyu.corps.models import Corp
from siyu.customers.models import FollowRelation
from siyu.db.session import Database
from siyu.kit.clock import utcnow
from siyu.sandbox.state import SandboxState
from siyu.segments import facts
from siyu.segments.models import CustomerFacts
from siyu.sync.apply import apply_corp_tags, apply_follows, from_unix
from siyu.sync.models import RUN_DONE
from siyu.tags.repository import tags
from tests.customers.world import World
from tests.helpers.auth import make_corp
from tests.sync.conftest import CORP_ID, RunSync

Snapshot = dict[uuid.UUID, tuple[Any, ...]]


def snapshot(db: Database) -> Snapshot:
    with db.transaction(write=False) as session:
        return {
            f.customer_id: (f.status, f.first_added_at, f.tags, f.staff, f.channels)
            for f in session.scalars(select(CustomerFacts))
        }


def assert_index_is_exact(db: Database, corp_id: uuid.UUID) -> Snapshot:
    maintained = snapshot(db)
    with db.transaction() as session:
        facts.rebuild_corp(session, corp_id)
    assert maintained == snapshot(db)
    return maintained


class TestCallbacks:
    def test_adds_tags_and_deletions(self, world: World) -> None:
        first = str(world.act("add_customer", userid="alice", state="poster")["external_userid"])
        second = str(world.act("add_customer", userid="bob")["external_userid"])
        world.deliver()
        vip = world.tag_id("等级", "VIP")
        world.act("staff_edits_customer", userid="alice", external_userid=first, add_tags=[vip])
        world.act("customer_deletes_staff", userid="bob", external_userid=second)
        world.deliver()
        index = assert_index_is_exact(world.db, world.corp.id)
        customer = world.customer(first)
        assert customer is not None
        status, _, tags, staff, channels = index[customer.id]
        assert (status, staff, channels) == ("active", ["alice"], ["poster"])
        assert len(tags) == 1
        lost = world.customer(second)
        assert lost is not None and index[lost.id][0] == "lost"
        world.act("staff_edits_customer", userid="alice", external_userid=first, remove_tags=[vip])
        world.deliver()
        assert assert_index_is_exact(world.db, world.corp.id)[customer.id][2] == []


class TestFullSync:
    def test_sync_then_vanished_relations(
        self, run_sync: RunSync, sync_db: Database, sandbox_state: SandboxState, clock: Any
    ) -> None:
        assert run_sync()[1] == RUN_DONE
        with sync_db.transaction(write=False) as session:
            corp = session.scalar(select(Corp).where(Corp.wecom_corp_id == CORP_ID))
            assert corp is not None
            corp_id = corp.id
        index = assert_index_is_exact(sync_db, corp_id)
        assert len(index) > 100 and any(row[2] for row in index.values())
        wecom = sandbox_state.corps[CORP_ID]
        for staff in [s for s in wecom.staff.values() if s.follows][:3]:
            external = next(iter(staff.follows))
            staff.follows.pop(external)  # gone without a callback: only the sync can notice
            wecom.customers[external].follows.pop(staff.userid, None)
        clock.advance(timedelta(seconds=5))
        assert run_sync()[1] == RUN_DONE
        after = assert_index_is_exact(sync_db, corp_id)
        assert after != index


def follow(ext: str, staff: str, *, unionid: str = "", **extra: Any) -> tuple[Any, Any]:
    contact = {"external_userid": ext, "name": ext, "unionid": unionid}
    return contact, {"userid": staff, "createtime": 1_700_000_000, **extra}


class TestApplyFollows:
    """The writer builds the facts of people it created from what it holds; every other
    person is recomputed. Both must equal a recomputation."""

    def test_new_existing_and_resolved_people_in_one_batch(self, db: Database) -> None:
        corp = make_corp(db, wecom_corp_id="wwfactsapply0001")
        group = {"group_id": "g1", "group_name": "等级", "tag": [{"id": "t1", "name": "VIP"}]}
        with db.transaction() as session:
            apply_corp_tags(session, corp.id, [group], now=utcnow())
            tag_ids = tags.ids_by_wecom_id(session, corp.id)
        with db.transaction() as session:
            # Known before the batch: a person holding unionid U1, and a relation the
            # customer deleted (its mark stays when WeCom lists it again with an older add).
            apply_follows(
                session,
                corp.id,
                [follow("wm-old", "alice", unionid="U1"), follow("wm-gone", "bob")],
                tag_ids=tag_ids,
                now=utcnow(),
            )
        with db.transaction() as session:
            gone = session.scalar(
                select(FollowRelation).where(FollowRelation.external_userid == "wm-gone")
            )
            assert gone is not None
            gone.deleted_by_customer_at = utcnow() + timedelta(days=1)
        with db.transaction() as session:
            applied = apply_follows(
                session,
                corp.id,
                [
                    # new, two staff, a channel and a tag
                    follow("wm-new", "alice", state="poster", tag_id=["t1", "personal"]),
                    follow("wm-new", "bob"),
                    # new contact whose unionid another person holds: the resolver joins them
                    follow("wm-joined", "carol", unionid="U1"),
                    # existing contact with a new relation, and a deleted one listed again
                    follow("wm-old", "bob", state="shop"),
                    follow("wm-gone", "bob"),
                ],
                tag_ids=tag_ids,
                now=utcnow(),
            )
        index = assert_index_is_exact(db, corp.id)
        new = index[applied.customer_ids["wm-new"]]
        assert (new[0], new[3], new[4]) == ("active", ["alice", "bob"], ["poster"])
        assert len(new[2]) == 1
        assert index[applied.customer_ids["wm-gone"]][0] == "lost"

    def test_a_batch_of_only_new_people(self, db: Database) -> None:
        corp = make_corp(db, wecom_corp_id="wwfactsapply0002")
        with db.transaction() as session:
            applied = apply_follows(
                session,
                corp.id,
                [follow(f"wm-{i}", "alice", unionid=f"U{i}", state="s") for i in range(5)],
                tag_ids={},
                now=utcnow(),
            )
        index = assert_index_is_exact(db, corp.id)
        assert len(index) == 5
        added = from_unix(1_700_000_000)
        assert index[applied.customer_ids["wm-0"]] == ("active", added, [], ["alice"], ["s"])


class TestBenchGenerator:
    def test_generated_facts_equal_a_recomputation(self, fresh_db_url: str) -> None:
        from bench._segments_data import generate
        from bench.segments import _make_corp

        db = Database(fresh_db_url)
        corp_id = uuid.uuid4()
        _make_corp(db, corp_id)
        engine = create_engine(fresh_db_url)
        try:
            generate({"db": engine}, corp_id=corp_id, customers=300, seed=1)
            index = assert_index_is_exact(db, corp_id)
            assert len(index) == 300
        finally:
            engine.dispose()
            db.dispose()
