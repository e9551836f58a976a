"""The gateway over real HTTP: the WeCom sandbox verifies the URL and emits encrypted callbacks
(with injected duplicates and reordering) at a running Siyu server, and wechatpy's
`WeChatCrypto` produces callbacks the gateway accepts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from wechatpy.work.crypto import WeChatCrypto

from siyu.app import create_app
from siyu.corps.models import Corp
from siyu.runtime import Runtime, build_runtime
from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.callbacks import CallbackEmitter
from siyu.sandbox.state import SandboxState
from siyu.wecom.crypto import generate_aes_key
from siyu.wecom.events import AddExternalContact
from tests.conftest import make_settings
from tests.helpers.auth import make_corp
from tests.inbox.conftest import give_callback_secrets, inbox_jobs, inbox_rows
from tests.sandbox.helpers import serve_in_thread

TOKEN = "httpgatewaytoken"


@dataclass
class Servers:
    runtime: Runtime
    siyu: str
    sandbox: str
    corp: Corp
    aes_key: str

    @property
    def callback_url(self) -> str:
        return f"{self.siyu}/wecom/callback/{self.corp.callback_key}"


@pytest.fixture
def servers(fresh_db_url: str) -> Iterator[Servers]:
    runtime = build_runtime(make_settings(fresh_db_url), immediate_jobs=True)
    aes_key = generate_aes_key()
    corp = make_corp(runtime.db, wecom_corp_id="wwhttpgateway0001")
    give_callback_secrets(runtime.db, corp, token=TOKEN, aes_key=aes_key)
    state = SandboxState(seed=7)
    emitter = CallbackEmitter(state.faults, retry_delay=0.05)
    emitter.start()
    app = create_app(runtime=runtime, start_worker=False, check_migrations=False)
    try:
        with (
            serve_in_thread(app) as siyu,
            serve_in_thread(create_sandbox_app(state, emitter=emitter)) as sandbox,
        ):  # noqa: E501
            yield Servers(runtime, siyu, sandbox, corp, aes_key)
    finally:
        emitter.stop()
        runtime.close()


def sandbox_corp(servers: Servers, http: httpx.Client) -> str:
    corp_id = servers.corp.wecom_corp_id
    created = http.post(
        f"{servers.sandbox}/sandbox/corps",
        json={"corp_id": corp_id, "callback_token": TOKEN, "encoding_aes_key": servers.aes_key},
    )
    assert created.status_code == 200, created.text
    # The sandbox performs WeCom's URL-verification GET and keeps the URL only if Siyu echoes.
    verified = http.post(
        f"{servers.sandbox}/sandbox/corps/{corp_id}/callback", json={"url": servers.callback_url}
    )
    assert verified.status_code == 200, verified.text
    staff = http.post(f"{servers.sandbox}/sandbox/corps/{corp_id}/staff", json={"userid": "alice"})
    assert staff.status_code == 200, staff.text
    return corp_id


def add_customers(servers: Servers, http: httpx.Client, corp_id: str, count: int) -> None:
    for _ in range(count):
        response = http.post(
            f"{servers.sandbox}/sandbox/corps/{corp_id}/actions/add_customer",
            json={"userid": "alice"},
        )
        assert response.status_code == 200, response.text
    drained = http.post(f"{servers.sandbox}/sandbox/callbacks/drain", json={"timeout": 30})
    assert drained.status_code == 200, drained.text


class TestSandboxCallbacks:
    def test_verified_url_and_every_event_stored_once(self, servers: Servers) -> None:
        with httpx.Client(timeout=30) as http:
            corp_id = sandbox_corp(servers, http)
            add_customers(servers, http, corp_id, 5)
            log = http.get(f"{servers.sandbox}/sandbox/corps/{corp_id}/callbacks").json()
        rows = inbox_rows(servers.runtime.db)
        assert [(r.event, r.change_type) for r in rows] == [
            ("change_external_contact", "add_external_contact")
        ] * 5
        assert {entry["outcome"] for entry in log["callbacks"]} == {"delivered"}

    def test_injected_duplicates_and_reordering_still_store_each_event_once(
        self, servers: Servers
    ) -> None:
        with httpx.Client(timeout=30) as http:
            corp_id = sandbox_corp(servers, http)
            faults = {"seed": 3, "callback_duplicate_rate": 0.5, "callback_reorder_rate": 0.3}
            assert http.put(f"{servers.sandbox}/sandbox/faults", json=faults).status_code == 200
            add_customers(servers, http, corp_id, 20)
            log = http.get(f"{servers.sandbox}/sandbox/corps/{corp_id}/callbacks").json()
        outcomes = [entry["outcome"] for entry in log["callbacks"]]
        assert "duplicate" in outcomes  # the fault really fired
        rows = inbox_rows(servers.runtime.db)
        assert len(rows) == 20
        assert len({r.dedup_key for r in rows}) == 20
        assert len(inbox_jobs(servers.runtime.db)) == 20


class TestWechatpyCallbacks:
    def test_a_callback_encrypted_by_wechatpy_is_accepted(self, servers: Servers) -> None:
        corp_id = servers.corp.wecom_corp_id
        crypto = WeChatCrypto(TOKEN, servers.aes_key, corp_id)
        xml = AddExternalContact(
            to_user_name=corp_id,
            create_time=int(time.time()),
            user_id="zhangsan",
            external_user_id="wmwechatpy0001",
            welcome_code="WELCOME",
        ).to_xml()
        nonce, timestamp = "wechatpynonce", str(int(time.time()))
        reply = crypto.encrypt_message(xml, nonce, timestamp)
        signature = reply.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
        query = {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}
        response = httpx.post(servers.callback_url, params=query, content=reply, timeout=10)
        assert response.status_code == 200, response.text
        (row,) = inbox_rows(servers.runtime.db)
        assert row.payload == xml

    def test_a_wechatpy_callback_with_a_forged_signature_is_refused(self, servers: Servers) -> None:
        crypto = WeChatCrypto(TOKEN, servers.aes_key, servers.corp.wecom_corp_id)
        reply = crypto.encrypt_message("<xml><Event>x</Event></xml>", "n", "1")
        query = {"msg_signature": "0" * 40, "timestamp": "1", "nonce": "n"}
        response = httpx.post(servers.callback_url, params=query, content=reply, timeout=10)
        assert response.status_code == 403
        assert inbox_rows(servers.runtime.db) == []
