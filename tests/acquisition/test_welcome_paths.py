"""The welcome's two paths and its claim: the urgent lane sends the moment the gateway has
stored the add, the inbox job's prefetch sends only what the lane did not, and whatever fails
after a send, the claim row ends `sent`, `failed` or `uncertain` and is never sent again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event as sa_event

from siyu.acquisition import welcome
from siyu.acquisition.models import WelcomeDefault
from siyu.acquisition.repository import acquisition_repository
from siyu.corps.service import corp_service
from siyu.customers.hooks import AddHook, register_add_hook, remove_add_hook
from siyu.inbox.handlers import PrefetchContext, get_registration
from siyu.inbox.lane import UrgentItem, UrgentLane
from siyu.inbox.models import InboxStatus
from siyu.inbox.service import inbox_service
from siyu.kit.clock import FrozenClock, utcnow
from siyu.runtime import Runtime
from siyu.wecom.events import CallbackEvent, parse_event
from tests.acquisition.helpers import directory, setup, welcome_rows, welcomes
from tests.customers.world import World
from tests.profile.helpers import admin, url
from tests.sandbox.helpers import START


@pytest.fixture
def failing_after_hook() -> Iterator[None]:
    """An add hook that fails inside the handler's transaction, after the welcome was sent."""

    def boom(*_: Any) -> None:
        raise RuntimeError("the handler failed after the send")

    register_add_hook(AddHook("zz-test-boom", after=boom))
    yield
    remove_add_hook("zz-test-boom")


def scanned(app: FastAPI, world: World, text: str = "hi") -> CallbackEvent:
    """A customer scans a code with a welcome; its add callback, not delivered yet."""
    _, code = setup(app, world, welcome_text=text)
    world.act("scan_contact_way", config_id=code["config_id"])
    [event] = world.take()
    return event


def assert_sent_once(world: World) -> None:
    assert len(welcomes(world)) == 1
    assert [r.status for r in welcome_rows(world)] == ["sent"]


def hold_claim(world: World, event: Any) -> None:
    """A claim left `sending` for this add's WelcomeCode, as a sender that died would leave it."""
    with world.db.transaction() as session:
        acquisition_repository.claim_welcomes(
            session,
            [
                {
                    "corp_id": world.corp.id,
                    "welcome_code": event.welcome_code,
                    "staff_userid": event.user_id,
                    "external_userid": event.external_user_id,
                    "source": "code",
                    "status": "sending",
                }
            ],
        )


def _add_status(world: World) -> InboxStatus:
    with world.db.transaction(write=False) as session:
        [row] = inbox_service.search(
            session, corp_id=world.corp.id, change_type="add_external_contact"
        )
        return row.status


class TestHandlerFailsAfterTheSend:
    def test_the_row_says_sent_and_retries_send_nothing(
        self, app: FastAPI, world: World, failing_after_hook: None
    ) -> None:
        world.deliver([scanned(app, world)])
        assert _add_status(world) == InboxStatus.failed  # the job will retry
        [row] = welcome_rows(world)
        assert (row.status, row.errcode) == ("sent", None) and row.sent_at is not None
        # The retry (here a replay) runs the prefetch again: the claim stops a second send.
        with world.db.transaction() as session:
            [event] = inbox_service.search(
                session, corp_id=world.corp.id, change_type="add_external_contact"
            )
            inbox_service.replay(session, row=event)
        assert_sent_once(world)


class TestSettle:
    def test_a_claim_left_sending_becomes_uncertain_and_is_never_sent(
        self, app: FastAPI, world: World, clock: FrozenClock
    ) -> None:
        """A sender that died between send_welcome_msg and recording WeCom's answer."""
        event = scanned(app, world, "hi")
        hold_claim(world, event)
        world.deliver([event])
        assert welcomes(world) == []
        with world.db.transaction() as session:
            assert welcome.settle_stale(session, now=utcnow()) == 0  # still within its window
        clock.advance(welcome.SETTLE_AFTER + timedelta(seconds=1))
        with world.db.transaction() as session:
            assert welcome.settle_stale(session, now=utcnow()) == 1
        [row] = welcome_rows(world)
        assert row.status == "uncertain"
        world.deliver([event])  # a duplicate delivery after settling
        assert welcomes(world) == []


class TestUrgentLane:
    def test_the_lane_sends_and_the_inbox_job_sends_nothing_more(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        event = scanned(app, world, "你好")
        parsed = parse_event(event.to_xml())
        urgent = get_registration(parsed).urgent
        assert urgent is not None
        lane = UrgentLane(runtime, senders=0, inline=True)
        received = utcnow()
        assert lane.offer(UrgentItem(urgent, parsed, world.corp.id, uuid.uuid4(), received))
        assert len(welcomes(world)) == 1
        [row] = welcome_rows(world)
        assert (row.status, row.source, row.received_at) == ("sent", "code", received)
        # The durable path runs the same hook in its prefetch: the claim is found, nothing sent.
        world.deliver([event])
        assert _add_status(world) == InboxStatus.handled
        assert_sent_once(world)

    def test_a_batch_sends_each_unclaimed_code_once(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        """What queued up goes as one batch: a code someone holds and a code the batch repeats
        are not sent (again); the others are, each recorded with WeCom's answer."""
        _, code = setup(app, world, welcome_text="hi")
        for _ in range(3):
            world.act("scan_contact_way", config_id=code["config_id"])
        first, held, third = (parse_event(e.to_xml()) for e in world.take())
        hold_claim(world, held)
        urgent = get_registration(first).urgent
        assert urgent is not None
        received = utcnow()
        with world.db.transaction(write=False) as session:
            corp = corp_service.get_or_404(session, world.corp.id)
            session.expunge(corp)

        def context() -> PrefetchContext:
            return PrefetchContext(corp, runtime, utcnow(), uuid.uuid4(), received)

        urgent([(context(), e) for e in (first, held, third, first)])
        sent = sorted(w["welcome_code"] for w in welcomes(world))
        assert sent == sorted([first.welcome_code, third.welcome_code])  # type: ignore[attr-defined]
        statuses = sorted((r.welcome_code, r.status) for r in welcome_rows(world))
        assert statuses == sorted(
            [
                (first.welcome_code, "sent"),  # type: ignore[attr-defined]
                (held.welcome_code, "sending"),  # type: ignore[attr-defined]
                (third.welcome_code, "sent"),  # type: ignore[attr-defined]
            ]
        )

    def test_a_corp_without_an_app_secret_records_the_claim_failed(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        """The client cannot be made: the claim says so (41004) instead of staying `sending`."""
        event = scanned(app, world, "hi")
        with world.db.transaction() as session:
            corp = corp_service.get_or_404(session, world.corp.id)
            corp.app_secret_ciphertext = None
        with world.db.transaction(write=False) as session:
            corp = corp_service.get_or_404(session, world.corp.id)
            session.expunge(corp)
        parsed = parse_event(event.to_xml())
        urgent = get_registration(parsed).urgent
        assert urgent is not None
        urgent([(PrefetchContext(corp, runtime, utcnow(), uuid.uuid4(), utcnow()), parsed)])
        assert welcomes(world) == []
        [row] = welcome_rows(world)
        assert (row.status, row.errcode) == ("failed", 41004)


class TestTooLate:
    def test_a_code_past_its_window_is_claimed_expired_and_not_tried(
        self, app: FastAPI, world: World, clock: FrozenClock
    ) -> None:
        event = scanned(app, world, "hi")
        clock.advance(welcome.WINDOW + timedelta(seconds=1 + world.state.now() - START))
        world.deliver([event])
        assert welcomes(world) == []  # no send_welcome_msg call at all
        [row] = welcome_rows(world)
        assert (row.status, row.sent_at) == ("expired", None)
        assert _add_status(world) == InboxStatus.handled  # the add itself is still mirrored


class TestLaneShortcut:
    """The lane skips corps with nothing to welcome with, without a query; what this process
    configures reaches it at once, and what it cannot know yet the durable path still sends."""

    @pytest.fixture(autouse=True)
    def long_memory(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Nothing here may depend on how fast a busy machine runs the steps between turns."""
        monkeypatch.setattr(welcome.welcome_sources, "ttl", 3600.0)

    @staticmethod
    def lane_turn(world: World, runtime: Runtime, event: CallbackEvent) -> list[str]:
        """One lane turn for the add; the SQL statements it ran."""
        parsed = parse_event(event.to_xml())
        urgent = get_registration(parsed).urgent
        assert urgent is not None
        with world.db.transaction(write=False) as session:
            corp = corp_service.get_or_404(session, world.corp.id)
            session.expunge(corp)
        statements: list[str] = []

        def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            statements.append(statement)

        sa_event.listen(runtime.db.engine, "before_cursor_execute", seen)
        try:
            urgent([(PrefetchContext(corp, runtime, utcnow(), uuid.uuid4(), utcnow()), parsed)])
        finally:
            sa_event.remove(runtime.db.engine, "before_cursor_execute", seen)
        return statements

    def test_a_corp_without_welcomes_costs_the_lane_no_query(
        self, world: World, runtime: Runtime
    ) -> None:
        world.act("add_customer", userid="alice")
        world.act("add_customer", userid="bob")
        first, second = world.take()
        assert self.lane_turn(world, runtime, first) != []  # read once...
        assert self.lane_turn(world, runtime, second) == []  # ...then known
        assert welcomes(world) == [] and welcome_rows(world) == []

    def test_a_welcome_set_in_this_process_reaches_the_lane_at_once(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        world.act("add_customer", userid="alice")
        [before] = world.take()
        self.lane_turn(world, runtime, before)  # the corp is known to welcome nobody
        directory(world)
        response = admin(app, world).put(
            url(world, "/acquisition/welcome-defaults/corp"), json={"text": "欢迎"}
        )
        assert response.status_code == 200, response.text
        world.act("add_customer", userid="alice")
        [after] = world.take()
        self.lane_turn(world, runtime, after)
        assert [w["welcome_code"] for w in welcomes(world)] == [after.welcome_code]  # type: ignore[attr-defined]

    def test_a_welcome_set_elsewhere_is_sent_by_the_durable_path(
        self, world: World, runtime: Runtime
    ) -> None:
        world.act("add_customer", userid="alice")
        [before] = world.take()
        self.lane_turn(world, runtime, before)
        # Another process sets the corp's default: this one's lane does not know yet.
        with world.db.transaction() as session:
            session.add(WelcomeDefault(corp_id=world.corp.id, staff_userid="", text="欢迎"))
        world.act("add_customer", userid="alice")
        [event] = world.take()
        self.lane_turn(world, runtime, event)
        assert welcomes(world) == []
        world.deliver([event])  # the inbox job's prefetch reads for itself
        assert [w["welcome_code"] for w in welcomes(world)] == [event.welcome_code]  # type: ignore[attr-defined]
        assert_sent_once(world)
