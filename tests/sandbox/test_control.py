"""The /sandbox/ control API."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from starlette.testclient import TestClient

from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.demo import DEMO_AES_KEY, DEMO_CORP_ID, DEMO_SECRET, DEMO_TOKEN, build_demo
from siyu.sandbox.models import Corp
from siyu.sandbox.persistence import load_state
from siyu.sandbox.state import SandboxState
from siyu.wecom.crypto import decode_aes_key
from tests.sandbox.helpers import START, WeCom


class TestCorps:
    def test_demo_credentials_are_listed(self, state: SandboxState) -> None:
        build_demo(state)
        with TestClient(create_sandbox_app(state)) as client:
            corps = {c["corp_id"]: c for c in client.get("/sandbox/corps").json()["corps"]}
        demo = corps[DEMO_CORP_ID]
        assert (demo["secret"], demo["callback_token"], demo["encoding_aes_key"]) == (
            DEMO_SECRET,
            DEMO_TOKEN,
            DEMO_AES_KEY,
        )
        assert demo["counts"]["customers"] == 300 and demo["counts"]["staff"] == 5

    def test_create_corp_then_staff_customers_and_world(self, client: TestClient) -> None:
        corp = client.post("/sandbox/corps", json={"name": "新公司"}).json()
        assert (
            corp["corp_id"].startswith("ww") and len(decode_aes_key(corp["encoding_aes_key"])) == 32
        )
        base = f"/sandbox/corps/{corp['corp_id']}"
        assert client.post(f"{base}/departments", json={"name": "销售部"}).json() == {"id": 2}
        assert (
            client.post(f"{base}/staff", json={"userid": "zhangsan", "department": [2]}).json()[
                "userid"
            ]
            == "zhangsan"
        )
        assert client.post(f"{base}/staff", json={"userid": "zhangsan"}).status_code == 409
        customer = client.post(f"{base}/customers", json={"name": "李雷"}).json()
        assert customer["name"] == "李雷"
        summary = client.post(f"{base}/world", json={"customers": 50, "staff": 2, "seed": 1}).json()
        assert summary["customers"] == 51 and summary["staff"] == 3
        assert client.post("/sandbox/corps", json={"corp_id": corp["corp_id"]}).status_code == 400

    def test_unknown_corp_and_action(self, client: TestClient, corp: Corp) -> None:
        assert client.get("/sandbox/corps/wwnope").status_code == 404
        assert client.post(f"/sandbox/corps/{corp.corp_id}/actions/fly", json={}).status_code == 404
        refused = client.post(
            f"/sandbox/corps/{corp.corp_id}/actions/staff_deletes_customer",
            json={"userid": "alice", "external_userid": "wmnope"},
        )
        assert refused.status_code == 409 and refused.json()["errcode"] == 40096
        assert (
            client.post(f"/sandbox/corps/{corp.corp_id}/actions/add_customer", json={}).status_code
            == 400
        )


class TestInspection:
    def test_customer_and_tasks(self, wecom: WeCom, client: TestClient, corp: Corp) -> None:
        ext = wecom.action("add_customer", userid="alice", state="s")["external_userid"]
        seen = client.get(f"/sandbox/corps/{corp.corp_id}/customers/{ext}").json()
        assert seen["follows"][0]["userid"] == "alice" and seen["follows"][0]["state"] == "s"
        wecom.ok("externalcontact/add_msg_template", {"sender": "alice", "text": {"content": "x"}})
        tasks = client.get(f"/sandbox/corps/{corp.corp_id}/tasks").json()
        assert [(t["userid"], t["status"]) for t in tasks["mass"]] == [("alice", 0)]


class TestSettings:
    def test_rules_behaviour_faults(self, client: TestClient, state: SandboxState) -> None:
        assert client.get("/sandbox/rules").json()["daily_passive_add_cap"] == 400
        assert (
            client.put("/sandbox/rules", json={"group_size_cap": 300}).json()["group_size_cap"]
            == 300
        )
        assert client.put("/sandbox/rules", json={"nope": 1}).status_code == 400
        assert (
            client.put("/sandbox/behaviour", json={"reply_probability": 0.5}).json()[
                "reply_probability"
            ]
            == 0.5
        )
        faults = client.put("/sandbox/faults", json={"seed": 3, "latency_ms": {"*": 5}}).json()
        assert faults["latency_ms"] == {"*": 5.0} and state.faults.latency("user/get") == 0.005

    def test_several_faults_on_one_api(self, client: TestClient, state: SandboxState) -> None:
        spec = [{"errcode": -1, "rate": 0.3}, {"errcode": 45009, "rate": 0.3}]
        described = client.put("/sandbox/faults", json={"seed": 7, "api_errors": {"*": spec}})
        assert described.json()["api_errors"] == {"*": spec}
        drawn = Counter(state.faults.api_error("user/get") for _ in range(2000))
        assert set(drawn) == {-1, 45009, None}
        assert all(500 < drawn[code] < 700 for code in (-1, 45009))

    def test_bad_fault_rates_change_nothing(self, client: TestClient, state: SandboxState) -> None:
        client.put("/sandbox/faults", json={"seed": 3, "latency_ms": {"*": 5}})
        too_much = [{"errcode": -1, "rate": 0.6}, {"errcode": 45033, "rate": 0.6}]
        refused = client.put("/sandbox/faults", json={"seed": 4, "api_errors": {"*": too_much}})
        assert refused.status_code == 400 and "more than 1" in refused.json()["error"]
        refused = client.put("/sandbox/faults", json={"callback_drop_rate": 1.5})
        assert refused.status_code == 400
        assert state.faults.describe()["seed"] == 3
        assert state.faults.describe()["latency_ms"] == {"*": 5.0}

    def test_daily_passive_add_cap(
        self, wecom: WeCom, client: TestClient, state: SandboxState, corp: Corp
    ) -> None:
        state.rules.daily_passive_add_cap = 2
        wecom.action("add_customer", userid="alice")
        wecom.action("add_customer", userid="alice")
        refused = client.post(
            f"/sandbox/corps/{corp.corp_id}/actions/add_customer", json={"userid": "alice"}
        )
        assert refused.status_code == 409
        wecom.advance(86400)
        wecom.action("add_customer", userid="alice")

    def test_friend_cap(
        self, wecom: WeCom, client: TestClient, state: SandboxState, corp: Corp
    ) -> None:
        state.rules.friend_cap = 1
        wecom.action("add_customer", userid="alice")
        refused = client.post(
            f"/sandbox/corps/{corp.corp_id}/actions/add_customer", json={"userid": "alice"}
        )
        assert refused.json()["errcode"] == 40099


class TestClock:
    def test_freeze_set_and_advance(self, client: TestClient) -> None:
        assert client.get("/sandbox/clock").json()["now"] == START
        assert client.post("/sandbox/clock", json={"advance": 90}).json()["now"] == START + 90
        assert (
            client.post("/sandbox/clock", json={"set": START + 1000}).json()["now"] == START + 1000
        )
        unfrozen = client.post("/sandbox/clock", json={"freeze": False}).json()
        assert unfrozen["frozen"] is False and unfrozen["now"] >= START + 1000


class TestSave:
    def test_requires_a_state_file(self, client: TestClient) -> None:
        assert client.post("/sandbox/save").status_code == 400

    def test_saves_to_the_state_file(
        self, client: TestClient, state: SandboxState, tmp_path: Path
    ) -> None:
        state.state_file = str(tmp_path / "world.sqlite")
        assert client.post("/sandbox/save").json()["bytes"] > 0
        assert load_state(SandboxState(), state.state_file)
