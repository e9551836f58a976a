"""The full sync under injected faults: -1, 45009 and 45033 on every API plus answers too slow
to wait for, at 10% each. It must end exactly equal to the sandbox and within the client's cap.

45009 tells the client to keep off the API until the next minute. Waiting that out for real
would take hours at this fault rate, so Siyu's clock is virtual here: every wait the client
makes (block windows, back-off, quota) moves the clock on instead of sleeping. The sandbox keeps
its own clock, as WeCom would.

The world has 2,000 customers by default; SIYU_SYNC_FAULT_CUSTOMERS=50000 runs the
acceptance size (about a minute on a laptop).
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from siyu.customers.models import Customer, FollowRelation
from siyu.db.session import Database
from siyu.groups.models import CustomerGroup
from siyu.kit.clock import FrozenClock, set_clock
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world
from siyu.sync.engine import SyncEngine, SyncOptions
from siyu.sync.models import RUN_DONE
from siyu.sync.service import sync_service
from siyu.wecom.client import WeComClient
from siyu.wecom.exceptions import TRANSPORT_ERRCODE
from siyu.wecom.journal import JournalWriter
from siyu.wecom.models import WeComCall
from siyu.wecom.repository import DbStore
from siyu.wecom.tokens import AppCredentials
from siyu.wecom.transport import WeComTransport
from tests.conftest import make_settings
from tests.sync.conftest import CORP_ID, SECRET
from tests.wecom.conftest import Gauge

CUSTOMERS = int(os.environ.get("SIYU_SYNC_FAULT_CUSTOMERS", "2000"))
CAP = 6


@pytest.fixture
def sandbox_state() -> SandboxState:
    state = SandboxState(seed=21)
    corp = state.create_corp(corp_id=CORP_ID, name="故障同步", secret=SECRET)
    generate_world(
        state, corp, customers=CUSTOMERS, staff=max(10, CUSTOMERS // 500), groups=20, seed=21
    )
    state.faults.configure(
        {
            "seed": 9,
            "api_errors": {
                "*": [
                    {"errcode": -1, "rate": 0.1},
                    {"errcode": 45009, "rate": 0.1},
                    {"errcode": 45033, "rate": 0.1},
                ]
            },
        }
    )
    return state


class VirtualTime:
    """Siyu's clock, moved on by every wait the WeCom client makes instead of sleeping."""

    def __init__(self) -> None:
        self.clock = FrozenClock(datetime.now(UTC))
        self.waited = 0.0

    def sleep(self, seconds: float) -> None:
        self.clock.advance(max(seconds, 0.0))
        self.waited += max(seconds, 0.0)
        time.sleep(0.001)  # let the other sync threads run, as a real wait would


@pytest.fixture
def virtual_time() -> Iterator[VirtualTime]:
    virtual = VirtualTime()
    previous = set_clock(virtual.clock)
    yield virtual
    set_clock(previous)


@pytest.fixture
def wecom(
    sync_db: Database, sandbox_url: str, gauge: Gauge, virtual_time: VirtualTime
) -> Iterator[WeComClient]:
    # 10% of answers arrive after the client's timeout (network errors the client retries).
    gauge.slow_rate = {"*": 0.1}
    # Slower than the timeout but within the hold the client keeps a timed-out slot (one timeout).
    gauge.slow_seconds = 0.8
    settings = make_settings(
        sync_db.url, wecom_max_concurrency=CAP, wecom_timeout_seconds=0.5, wecom_max_attempts=4
    )
    journal = JournalWriter(sync_db)
    transport = WeComTransport.build(
        settings, journal, store=DbStore(sync_db), sleep=virtual_time.sleep
    )
    credentials = AppCredentials(wecom_corp_id=CORP_ID, secret=SECRET, base_url=sandbox_url)
    yield WeComClient(credentials, transport=transport)
    transport.close()


class TestSyncUnderFaults:
    def test_ends_equal_to_the_sandbox_within_the_cap(
        self,
        sync_db: Database,
        wecom: WeComClient,
        corp_id: uuid.UUID,
        sandbox_state: SandboxState,
        gauge: Gauge,
    ) -> None:
        with sync_db.transaction() as session:
            run_id = sync_service.create_run(session, corp_id=corp_id, enqueue_job=False).id
        status = SyncEngine(
            sync_db, wecom, run_id=run_id, options=SyncOptions(concurrency=12, unit_attempts=8)
        ).run()
        assert status == RUN_DONE
        assert max(gauge.peak.values()) <= CAP
        # Every kind of fault was met (tests/wecom/test_client.py proves a 45009 keeps the
        # client off the API until the next minute; here those waits ran on the virtual clock).
        wecom.transport.journal.flush()
        with sync_db.transaction(write=False) as session:
            met = dict(
                session.execute(
                    select(WeComCall.errcode, func.count()).group_by(WeComCall.errcode)
                ).all()
            )
        assert {-1, 45009, 45033, TRANSPORT_ERRCODE} <= set(met), met
        corp = sandbox_state.corps[CORP_ID]
        follows = {
            (f.userid, f.external_userid): f
            for staff in corp.staff.values()
            if staff.can_follow
            for f in staff.follows.values()
        }
        with sync_db.transaction(write=False) as session:
            count = session.scalar(select(func.count()).select_from(FollowRelation))
            assert count == len(follows)
            contacts = {external for _, external in follows}
            assert session.scalar(select(func.count()).select_from(Customer)) == len(contacts)
            assert session.scalar(select(func.count()).select_from(CustomerGroup)) == len(
                corp.groups
            )
            for key in random.Random(1).sample(sorted(follows), 200):
                follow = follows[key]
                row = session.scalar(
                    select(FollowRelation).where(
                        FollowRelation.staff_userid == key[0],
                        FollowRelation.external_userid == key[1],
                    )
                )
                assert row is not None
                assert (row.remark or "", row.description or "") == (
                    follow.remark,
                    follow.description,
                )
                assert (row.add_way, row.state or "") == (follow.add_way, follow.state)
                assert row.wecom_tag_ids == follow.tags
                assert row.remark_mobiles == follow.remark_mobiles
                assert (
                    row.added_at is not None and int(row.added_at.timestamp()) == follow.createtime
                )
                customer = session.get(Customer, row.customer_id)
                source = corp.customers[key[1]]
                assert customer is not None
                assert (customer.name, customer.gender, customer.unionid or "") == (
                    source.name,
                    source.gender,
                    source.unionid,
                )
