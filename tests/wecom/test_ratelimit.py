"""Rate and concurrency limits: shared by processes (database and Redis backends), and never
exceeded under injected faults, measured at the sandbox rather than trusted from the client."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from siyu.db.session import Database
from siyu.kit.clock import FrozenClock, utcnow
from siyu.sandbox.state import SandboxState
from siyu.wecom.client import WeComClient
from siyu.wecom.models import WeComCall
from siyu.wecom.ratelimit import Limiter
from siyu.wecom.repository import DbStore
from tests.wecom import processes
from tests.wecom.conftest import Gauge, MakeClient, Sleeper
from tests.wecom.processes import StoreSpec, open_store


def backends() -> list[str]:
    return ["database", "redis"] if os.environ.get("SIYU_TEST_REDIS_URL") else ["database"]


@pytest.fixture(params=backends())
def store_spec(request: pytest.FixtureRequest, fresh_db_url: str) -> Iterator[StoreSpec]:
    if request.param == "database":
        yield ("database", fresh_db_url, "")
        return
    import redis

    url = os.environ["SIYU_TEST_REDIS_URL"]
    prefix = f"siyu-test:{uuid.uuid4().hex}:"
    yield ("redis", url, prefix)
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def _run(target: Any, args_list: list[tuple[Any, ...]]) -> list[Any]:
    """Each target runs in a spawned process of its own (tests/wecom/processes.py)."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    procs = [context.Process(target=target, args=(*args, out)) for args in args_list]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(30)
    return results


class TestSharedBucket:
    def test_processes_share_one_minute_quota_exactly(self, store_spec: StoreSpec) -> None:
        granted = _run(processes.drain_bucket, [(store_spec,)] * 3)
        assert sum(granted) == 100

    def test_a_new_window_refills(self, store_spec: StoreSpec) -> None:
        store, database = open_store(store_spec)
        assert store.take("wwcorp", "user/get", 1, 10, 10) == 10
        assert store.take("wwcorp", "user/get", 1, 1, 10) == 0
        assert store.take("wwcorp", "user/get", 2, 4, 10) == 4
        if database is not None:
            database.dispose()


class TestSharedSlots:
    def test_processes_never_hold_more_than_the_cap(self, store_spec: StoreSpec) -> None:
        held = _run(processes.grab_slots, [(store_spec, f"p{n}") for n in range(3)])
        slots = [slot for process in held for slot in process]
        assert sorted(slots) == [0, 1, 2, 3, 4]

    def test_released_slots_are_free_again(self, store_spec: StoreSpec) -> None:
        store, database = open_store(store_spec)
        api = "groupchat/get"
        later = utcnow() + timedelta(seconds=60)
        assert store.lease_slot("wwcorp", api, 2, "a", later) == 0
        assert store.lease_slot("wwcorp", api, 2, "a", later) == 1
        assert store.lease_slot("wwcorp", api, 2, "b", later) is None
        store.release_slots("wwcorp", api, [0], "b")  # not b's: nothing happens
        assert store.lease_slot("wwcorp", api, 2, "b", later) is None
        store.release_slots("wwcorp", api, [0], "a")
        assert store.lease_slot("wwcorp", api, 2, "b", later) == 0
        if database is not None:
            database.dispose()

    def test_a_lapsed_lease_frees_the_slot(self, client_db: Database, clock: FrozenClock) -> None:
        """A process that died holding a slot blocks it only until the lease runs out."""
        store = DbStore(client_db)
        assert store.lease_slot("wwcorp", "x", 1, "dead", utcnow() + timedelta(seconds=30)) == 0
        assert store.lease_slot("wwcorp", "x", 1, "live", utcnow() + timedelta(seconds=30)) is None
        assert not store.renew_slot("wwcorp", "x", 0, "live", utcnow() + timedelta(seconds=30))
        clock.advance(31)
        assert store.lease_slot("wwcorp", "x", 1, "live", utcnow() + timedelta(seconds=30)) == 0
        assert not store.renew_slot("wwcorp", "x", 0, "dead", utcnow() + timedelta(seconds=30))

    def test_an_api_can_have_a_cap_of_its_own(self, client_db: Database) -> None:
        store = DbStore(client_db)
        welcome = "externalcontact/send_welcome_msg"
        limiter = Limiter(
            store,
            rate_per_minute=1000,
            max_concurrency=2,
            call_seconds=5,
            api_concurrency={welcome: 5},
        )
        later = utcnow() + timedelta(seconds=60)
        with ExitStack() as held:
            lent = [held.enter_context(limiter.slot("wwcorp", welcome)).slot for _ in range(5)]
            lent += [held.enter_context(limiter.slot("wwcorp", "user/get")).slot for _ in range(2)]
            assert sorted(lent) == [0, 0, 1, 1, 2, 3, 4]
            # Every slot of each API is out: another process would get none.
            assert store.lease_slot("wwcorp", welcome, 5, "other", later) is None
            assert store.lease_slot("wwcorp", "user/get", 2, "other", later) is None


class TestRateLimit:
    def test_calls_beyond_the_rate_wait_for_the_next_minute(
        self,
        make_client: MakeClient,
        gauge: Gauge,
        sleeper: Sleeper,
        sandbox_state: SandboxState,
        client_db: Database,
    ) -> None:
        wecom = make_client(wecom_rate_per_minute=5)
        wecom.department_list()
        sandbox_state.rules.rate_limit_per_minute = 5  # WeCom would answer 45009 past 5
        for _ in range(11):
            wecom.department_list()
        assert gauge.count["department/list"] == 12
        # 12 calls at 5 a minute span three minute windows: two waits for a new window.
        assert len([w for w in sleeper.waits if w >= 1]) == 2
        wecom.transport.journal.flush()
        with client_db.transaction() as session:
            errcodes = set(session.scalars(select(WeComCall.errcode)))
        assert errcodes == {0}


def _sync_with_faults(wecom: WeComClient, staff: list[str]) -> dict[str, set[str]]:
    """What a full customer sync does: every relation, then each customer's detail."""

    def relations(userid: str) -> set[str]:
        return {
            item.external_contact.external_userid
            for item in wecom.iter_batch_get_by_user(userid_list=[userid], limit=25)
        }

    with ThreadPoolExecutor(12) as pool:
        by_staff = dict(zip(staff, pool.map(relations, staff), strict=True))
        customers = sorted({c for cs in by_staff.values() for c in cs})
        details = list(pool.map(lambda c: wecom.externalcontact_get(external_userid=c), customers))
    followers: dict[str, set[str]] = {}
    for detail in details:
        for follow in detail.follow_user:
            followers.setdefault(follow.userid, set()).add(detail.external_contact.external_userid)
    assert followers == by_staff
    return by_staff


class TestConcurrencyUnderFaults:
    def test_sync_completes_and_never_exceeds_the_cap(
        self, make_client: MakeClient, sandbox_state: SandboxState, gauge: Gauge
    ) -> None:
        wecom = make_client(
            wecom_max_concurrency=4, wecom_timeout_seconds=0.2, wecom_max_attempts=8
        )
        staff = wecom.get_follow_user_list().follow_user
        sandbox_state.faults.configure(
            {
                "seed": 9,
                "api_errors": {
                    "externalcontact/batch/get_by_user": {"errcode": -1, "rate": 0.1},
                    "externalcontact/get": {"errcode": 45033, "rate": 0.05},
                    "externalcontact/list": {"errcode": 45009, "rate": 0.1},
                },
            }
        )
        # Slower than the client waits, but within the extra hold a timed-out slot gets.
        gauge.slow_rate["externalcontact/get"] = 0.05
        gauge.slow_seconds = 0.3
        by_staff = _sync_with_faults(wecom, staff)
        for userid in staff[:3]:
            assert (
                set(wecom.externalcontact_list(userid=userid).external_userid) == by_staff[userid]
            )
        assert sum(len(c) for c in by_staff.values()) >= 600
        assert gauge.count["externalcontact/get"] > len({c for cs in by_staff.values() for c in cs})
        assert max(gauge.peak.values()) <= 4


class TestConcurrencyAcrossProcesses:
    def test_two_processes_share_the_cap(
        self, sandbox_url: str, client_db: Database, gauge: Gauge
    ) -> None:
        gauge.slow_rate["department/list"] = 1.0
        gauge.slow_seconds = 0.02
        done = _run(processes.hammer, [(sandbox_url, client_db.url)] * 2)
        assert done == [40, 40]
        assert gauge.count["department/list"] == 80
        assert gauge.peak["department/list"] <= 3
