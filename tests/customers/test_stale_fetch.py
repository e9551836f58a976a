"""The handlers fetch from WeCom before their write transaction, so a fetch can reach the
database after a newer one (a slow prefetch, a retry, a replay run beside a new event): the
newer fetch must win, whatever the order the writes arrive in."""

from __future__ import annotations

from siyu.corps.models import Corp
from siyu.customers.refetch import ContactPrefetch, prefetch_contact
from siyu.inbox.handlers import PrefetchContext
from siyu.inbox.models import InboxEvent
from siyu.inbox.service import Prefetched, inbox_service
from siyu.kit.clock import FrozenClock, utcnow
from siyu.runtime import Runtime
from siyu.wecom.events import CallbackEvent
from tests.customers.world import World


def _stored(world: World, event: CallbackEvent) -> InboxEvent:
    with world.db.transaction(write=False) as session:
        rows = inbox_service.search(session, corp_id=world.corp.id, change_type=event.CHANGE_TYPE)
    [row] = [r for r in rows if r.create_time == event.create_time]
    return row


def _prefetch(world: World, runtime: Runtime, event: CallbackEvent) -> ContactPrefetch:
    with world.db.transaction(write=False) as session:
        corp = session.get(Corp, world.corp.id)
        assert corp is not None
        session.expunge(corp)
    context = PrefetchContext(corp, runtime, utcnow())
    return prefetch_contact(context, event)  # type: ignore[arg-type]


def _write(world: World, runtime: Runtime, event: CallbackEvent, fetched: object) -> None:
    """Run the stored event's handler with the given prefetch result (a replay)."""
    row = _stored(world, event)
    with world.db.transaction() as session:
        inbox_service.process(
            session,
            runtime=runtime,
            event_id=row.id,
            attempt=1,
            replay=True,
            prefetched=Prefetched(event, fetched),
        )


class TestStaleFetch:
    def test_an_older_fetch_written_late_does_not_undo_a_newer_one(
        self, world: World, runtime: Runtime, clock: FrozenClock
    ) -> None:
        ext = str(world.act("add_customer", userid="alice")["external_userid"])
        world.deliver()
        world.act("staff_edits_customer", userid="alice", external_userid=ext, remark="旧备注")
        [first] = world.deliver()
        stale = _prefetch(world, runtime, first)  # fetched now: remark 旧备注
        clock.advance(1)
        world.act("staff_edits_customer", userid="alice", external_userid=ext, remark="新备注")
        world.deliver()  # fetched a second later: remark 新备注
        assert world.relations(ext)["alice"].remark == "新备注"

        _write(world, runtime, first, stale)

        relation = world.relations(ext)["alice"]
        assert relation.remark == "新备注"
        assert relation.fetched_at is not None and relation.fetched_at > stale.fetched_at

    def test_an_older_fetch_of_a_gone_contact_does_not_end_a_re_added_relation(
        self, world: World, runtime: Runtime, clock: FrozenClock
    ) -> None:
        ext = str(world.act("add_customer", userid="alice")["external_userid"])
        world.deliver()
        world.act("staff_deletes_customer", userid="alice", external_userid=ext)
        [delete] = world.deliver()
        gone = _prefetch(world, runtime, delete)  # WeCom holds no relation now
        assert gone.snapshot is None or not gone.snapshot.follow_users
        clock.advance(1)
        world.act("add_customer", userid="alice", external_userid=ext)
        world.deliver()
        assert world.relations(ext)["alice"].deleted_by_staff_at is None

        _write(world, runtime, delete, gone)

        assert world.relations(ext)["alice"].deleted_by_staff_at is None

    def test_a_newer_fetch_is_written(
        self, world: World, runtime: Runtime, clock: FrozenClock
    ) -> None:
        """The guard drops only what is older: a later fetch of the same event applies."""
        ext = str(world.act("add_customer", userid="alice")["external_userid"])
        [add] = world.deliver()
        clock.advance(1)
        world.act("staff_edits_customer", userid="alice", external_userid=ext, remark="后来")
        world.take()  # its callback is lost; a replay of the add re-fetches
        _write(world, runtime, add, _prefetch(world, runtime, add))
        assert world.relations(ext)["alice"].remark == "后来"
