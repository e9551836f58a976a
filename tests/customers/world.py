"""A sandbox world wired to Siyu for handler tests (used by the customers, tags and groups tests).

The sandbox runs over real HTTP on loopback (Siyu's WeCom client re-fetches from it); the
callbacks it would send are captured instead, so a test decides when and how often each one
reaches Siyu's inbox — in order, duplicated or reversed — and then checks the database.
Jobs run inline after commit (the `runtime` fixture), so a delivered callback is handled when
`deliver` returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from siyu.corps.models import Corp as SiyuCorp
from siyu.customers.models import Customer, FollowRelation, FollowRelationTag
from siyu.db.base import Base
from siyu.db.session import Database
from siyu.events.models import DomainEvent
from siyu.inbox.service import inbox_service
from siyu.kit.secrets import SecretBox
from siyu.runtime import Runtime
from siyu.sandbox.actions import ACTION_TABLE
from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.clock import SandboxClock
from siyu.sandbox.models import Corp as SandboxCorp
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import add_departments, make_staff
from siyu.tags.models import Tag
from siyu.wecom import transport as transport_module
from siyu.wecom.events import CallbackEvent, parse_event
from siyu.wecom.journal import JournalWriter
from siyu.wecom.models import WeComCall, WeComRateWindow, WeComSlot, WeComToken
from siyu.wecom.transport import WeComTransport, close_wecom_transport, coordination_store
from tests.conftest import TEST_SECRET_KEY
from tests.helpers.auth import make_corp
from tests.sandbox.helpers import START, serve_in_thread

STAFF = ("alice", "bob", "carol")


class CapturingEmitter:
    """Stands in for the sandbox's HTTP emitter: keeps the events for the test to deliver."""

    def __init__(self) -> None:
        self.events: list[CallbackEvent] = []

    def submit(self, *, event: CallbackEvent, **_: Any) -> None:
        self.events.append(event)


@dataclass
class World:
    state: SandboxState
    wecom: SandboxCorp
    corp: SiyuCorp
    client: TestClient
    db: Database
    emitter: CapturingEmitter
    delivered: list[CallbackEvent] = field(default_factory=list)

    def act(self, action: str, **body: Any) -> Any:
        """A person does something in WeCom; the sandbox clock moves on a second after it."""
        with self.state.lock:
            result = ACTION_TABLE[action](self.state, self.wecom, body)
        self.state.clock.advance(1)
        return result

    def take(self) -> list[CallbackEvent]:
        events, self.emitter.events = list(self.emitter.events), []
        return events

    def deliver(self, events: Sequence[CallbackEvent] | None = None) -> list[CallbackEvent]:
        """Store callbacks in the inbox as the gateway does (parsed from their XML, keyed by
        their natural key) and let the inline worker handle them before returning. The
        gateway's own HTTP path is covered by tests/inbox and the chaos test; going around its
        writer thread keeps this test's single database connection to one thread."""
        batch = list(events) if events is not None else self.take()
        for event in batch:
            xml = event.to_xml()
            with self.db.transaction() as session:
                row = inbox_service.new_row(
                    corp_id=self.corp.id, event=parse_event(xml), payload=xml
                )
                inbox_service.store(session, rows=[row])
            self.delivered.append(event)
        return batch

    def customer(self, external_userid: str) -> Customer | None:
        with self.db.transaction(write=False) as session:
            return session.scalar(
                select(Customer).where(
                    Customer.corp_id == self.corp.id, Customer.external_userid == external_userid
                )
            )

    def relations(self, external_userid: str) -> dict[str, FollowRelation]:
        with self.db.transaction(write=False) as session:
            rows = session.scalars(
                select(FollowRelation).where(
                    FollowRelation.corp_id == self.corp.id,
                    FollowRelation.external_userid == external_userid,
                )
            )
            return {r.staff_userid: r for r in rows}

    def tag(self, wecom_tag_id: str) -> Tag | None:
        with self.db.transaction(write=False) as session:
            return session.scalar(
                select(Tag).where(Tag.corp_id == self.corp.id, Tag.wecom_tag_id == wecom_tag_id)
            )

    def linked_tags(self, external_userid: str, userid: str) -> set[uuid.UUID]:
        relation = self.relations(external_userid)[userid]
        with self.db.transaction(write=False) as session:
            return set(
                session.scalars(
                    select(FollowRelationTag.tag_id).where(
                        FollowRelationTag.relation_id == relation.id
                    )
                )
            )

    def count_events(self, name: str) -> int:
        with self.db.transaction(write=False) as session:
            stmt = select(func.count(DomainEvent.id)).where(
                DomainEvent.corp_id == self.corp.id, DomainEvent.name == name
            )
            return int(session.scalar(stmt) or 0)

    def tag_id(self, group: str, name: str) -> str:
        result = self.act("tag_change", change="create", group_name=group, name=name)
        return str(result["tag_id"])


def link_siyu_corp(db: Database, wecom: SandboxCorp, base_url: str) -> SiyuCorp:
    corp = make_corp(db, wecom_corp_id=wecom.corp_id)
    box = SecretBox(TEST_SECRET_KEY)
    with db.transaction() as session:
        row = session.get(SiyuCorp, corp.id)
        assert row is not None
        row.api_base_url = base_url
        row.agent_id = wecom.agentid
        row.is_sandbox = True
        row.app_secret_ciphertext = box.encrypt(wecom.secret)
        row.callback_token_ciphertext = box.encrypt(wecom.callback_token)
        row.callback_aes_key_ciphertext = box.encrypt(wecom.encoding_aes_key)
    return corp


def separate_wecom_transport(runtime: Runtime, directory: Path) -> Database:
    """The client's token store and call journal write from their own threads; give them a
    SQLite file of their own instead of the test's single rolled-back connection (on either
    backend: they are bookkeeping, not what these tests check)."""
    database = Database(f"sqlite:///{directory / 'wecom.db'}")
    tables = [m.__table__ for m in (WeComCall, WeComToken, WeComRateWindow, WeComSlot)]
    Base.metadata.create_all(database.engine, tables=tables)
    transport = WeComTransport.build(
        runtime.settings, JournalWriter(database), store=coordination_store(database)
    )
    setattr(runtime, transport_module._ATTR, transport)
    return database


@pytest.fixture
def world(tmp_path: Path, client: TestClient, db: Database, runtime: Runtime) -> Iterator[World]:
    journal_db = separate_wecom_transport(runtime, tmp_path)
    state = SandboxState(seed=11, clock=SandboxClock(frozen_at=START))
    state.behaviour.update({"reply_probability": 0.0, "welcome_code_probability": 1.0})
    wecom = state.create_corp(corp_id="wwhandlers000001", name="处理器测试", secret="h" * 43)
    add_departments(wecom, 2)
    for index, userid in enumerate(STAFF):
        staff = make_staff(state.rng, wecom, index)
        staff.userid = userid
        wecom.staff[userid] = staff
    emitter = CapturingEmitter()
    state.emitter = emitter  # type: ignore[assignment]
    wecom.callback_url = "http://captured.invalid/"
    with serve_in_thread(create_sandbox_app(state)) as base_url:
        corp = link_siyu_corp(db, wecom, base_url)
        yield World(state, wecom, corp, client, db, emitter)
    close_wecom_transport(runtime)
    journal_db.dispose()
