"""Access tokens: cached, fetched once however many threads and processes ask, refetched once
when WeCom rejects them."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from siyu.db.session import Database
from siyu.sandbox.state import SandboxState
from siyu.wecom.client import TokenError
from tests.wecom import processes
from tests.wecom.conftest import CORP_ID, Gauge, MakeClient


class TestCaching:
    def test_many_threads_one_gettoken(self, make_client: MakeClient, gauge: Gauge) -> None:
        wecom = make_client()
        start = threading.Barrier(16)

        def call() -> int:
            start.wait()
            return len(wecom.department_list().department)

        with ThreadPoolExecutor(16) as pool:
            assert len(set(pool.map(lambda _: call(), range(16)))) == 1
        assert gauge.count["gettoken"] == 1

    def test_a_second_process_reuses_the_stored_token(
        self, make_client: MakeClient, gauge: Gauge
    ) -> None:
        first = make_client()
        first.department_list()
        make_client().department_list()  # a new transport: an empty in-memory cache
        assert gauge.count["gettoken"] == 1
        stored = first.transport.store.get_token(first.credentials.token_key)
        assert stored is not None and first.credentials.token_key.startswith(CORP_ID)


class TestRefetch:
    def test_revoked_token_is_refetched_once(
        self, make_client: MakeClient, sandbox_state: SandboxState, gauge: Gauge
    ) -> None:
        wecom = make_client()
        wecom.department_list()
        sandbox_state.tokens.clear()  # WeCom invalidated it early: the next call gets 40014
        wecom.department_list()
        assert gauge.count["gettoken"] == 2 and gauge.count["department/list"] == 3

    def test_expired_token_is_refetched(
        self, make_client: MakeClient, sandbox_state: SandboxState, gauge: Gauge
    ) -> None:
        wecom = make_client()
        wecom.department_list()
        sandbox_state.clock.advance(7300)  # expired on WeCom's side only: 42001
        wecom.department_list()
        assert gauge.count["gettoken"] == 2

    def test_a_wrong_secret_is_a_token_error(self, make_client: MakeClient, gauge: Gauge) -> None:
        wecom = make_client()
        wecom.credentials = type(wecom.credentials)(
            wecom_corp_id=CORP_ID, secret="wrong", base_url=wecom.credentials.base_url
        )
        with pytest.raises(TokenError) as raised:
            wecom.department_list()
        assert raised.value.errcode == 40001 and gauge.count["department/list"] == 0


class TestRefreshLease:
    def test_only_one_process_may_refresh(self, client_db: Database) -> None:
        context = multiprocessing.get_context("spawn")
        out: multiprocessing.Queue[bool] = context.Queue()
        procs = [
            context.Process(target=processes.lease, args=(client_db.url, f"p{n}", out))
            for n in range(4)
        ]
        for proc in procs:
            proc.start()
        won = sorted(out.get(timeout=120) for _ in procs)
        for proc in procs:
            proc.join(30)
        assert won == [False, False, False, True]
