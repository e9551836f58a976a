"""Callbacks over real HTTP: URL verification, encryption checked by wechatpy, payloads field by
field against API-FACTS §3, retries, faults, and silence for API-made changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import xmltodict
from wechatpy.work import parse_message
from wechatpy.work.crypto import WeChatCrypto

from siyu.sandbox.callbacks import CallbackEmitter
from siyu.sandbox.models import ContactWay, Corp
from siyu.sandbox.state import SandboxState
from tests.sandbox.helpers import START, Receiver, callback_receiver

COMMON = {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "ChangeType"}


class Harness:
    def __init__(
        self, base_url: str, emitter: CallbackEmitter, corp: Corp, receiver: Receiver
    ) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.emitter, self.corp, self.receiver = emitter, corp, receiver
        self.crypto = WeChatCrypto(corp.callback_token, corp.encoding_aes_key, corp.corp_id)

    def action(self, action_name: str, /, **body: Any) -> dict[str, Any]:
        response = self.http.post(
            f"/sandbox/corps/{self.corp.corp_id}/actions/{action_name}", json=body
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def api(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        params = {"corpid": self.corp.corp_id, "corpsecret": self.corp.secret}
        token = self.http.get("/cgi-bin/gettoken", params=params).json()["access_token"]
        result: dict[str, Any] = self.http.post(
            f"/cgi-bin/{path}", params={"access_token": token}, json=body
        ).json()
        return result

    def events(self) -> list[dict[str, str]]:
        """Every POST so far, verified and decrypted by wechatpy, as a flat dict of fields."""
        assert self.http.post("/sandbox/callbacks/drain", json={"timeout": 20}).json() == {
            "drained": True
        }
        decoded = []
        for request in self.receiver.posts():
            q = request.query
            xml = self.crypto.decrypt_message(
                request.body.decode(), q["msg_signature"], q["timestamp"], q["nonce"]
            )
            decoded.append(dict(xmltodict.parse(xml)["xml"]))
        return decoded


@pytest.fixture
def harness(served: tuple[str, CallbackEmitter], corp: Corp) -> Iterator[Harness]:
    base_url, emitter = served
    crypto = WeChatCrypto(corp.callback_token, corp.encoding_aes_key, corp.corp_id)

    def answer(query: dict[str, str]) -> str:
        plain: str = crypto.check_signature(
            query["msg_signature"], query["timestamp"], query["nonce"], query["echostr"]
        )
        return plain

    with callback_receiver(answer) as receiver:
        h = Harness(base_url, emitter, corp, receiver)
        response = h.http.post(
            f"/sandbox/corps/{corp.corp_id}/callback", json={"url": receiver.url}
        )
        assert response.json() == {"ok": True, "detail": "ok"}
        yield h
        h.http.close()


class TestUrlVerification:
    def test_a_receiver_that_cannot_decrypt_is_refused(
        self, served: tuple[str, CallbackEmitter], corp: Corp
    ) -> None:
        with (
            callback_receiver(lambda query: "wrong") as receiver,
            httpx.Client(base_url=served[0]) as http,
        ):
            response = http.post(
                f"/sandbox/corps/{corp.corp_id}/callback", json={"url": receiver.url}
            )
            assert response.status_code == 400 and "verification failed" in response.json()["error"]
            assert corp.callback_url == ""
            get = receiver.requests[0]
            assert get.method == "GET" and set(get.query) == {
                "msg_signature",
                "timestamp",
                "nonce",
                "echostr",
            }

    def test_verified_url_is_kept(self, harness: Harness, corp: Corp) -> None:
        assert corp.callback_url == harness.receiver.url


class TestEnvelope:
    def test_post_body_and_query(self, harness: Harness, corp: Corp) -> None:
        harness.action("add_customer", userid="alice", welcome=True)
        harness.events()
        (request,) = harness.receiver.posts()
        assert set(request.query) == {"msg_signature", "timestamp", "nonce"}
        envelope = xmltodict.parse(request.body)["xml"]
        assert set(envelope) == {"ToUserName", "Encrypt"} and envelope["ToUserName"] == corp.corp_id


class TestExternalContactPayloads:
    def test_add_external_contact(self, harness: Harness, corp: Corp) -> None:
        config_id = "cw1"
        corp.contact_ways[config_id] = ContactWay(
            config_id, 1, 2, START, state="store01", user=["alice"]
        )
        scanned = harness.action("scan_contact_way", config_id=config_id)
        (event,) = harness.events()
        assert event == {
            "ToUserName": corp.corp_id,
            "FromUserName": "sys",
            "CreateTime": str(START),
            "MsgType": "event",
            "Event": "change_external_contact",
            "ChangeType": "add_external_contact",
            "UserID": "alice",
            "ExternalUserID": scanned["external_userid"],
            "State": "store01",
            "WelcomeCode": scanned["welcome_code"],
        }

    def test_wechatpy_parses_the_event(self, harness: Harness) -> None:
        added = harness.action("add_customer", userid="alice", welcome=True, state="s1")
        harness.events()
        request = harness.receiver.posts()[0]
        q = request.query
        xml = harness.crypto.decrypt_message(
            request.body.decode(), q["msg_signature"], q["timestamp"], q["nonce"]
        )
        message = parse_message(xml)
        assert (
            message.change_type,
            message.user_id,
            message.external_user_id,
            message.state,
            message.welcome_code,
        ) == (
            "add_external_contact",
            "alice",
            added["external_userid"],
            "s1",
            added["welcome_code"],
        )

    def test_edit_delete_and_half_add(self, harness: Harness) -> None:
        ext = harness.action("add_customer", userid="alice", welcome=False)["external_userid"]
        harness.action("staff_edits_customer", userid="alice", external_userid=ext, remark="VIP")
        harness.action("customer_deletes_staff", userid="alice", external_userid=ext)
        harness.action("staff_deletes_customer", userid="alice", external_userid=ext)
        half = harness.action("half_add", userid="bob", state="h")
        events = harness.events()
        assert [e["ChangeType"] for e in events] == [
            "add_external_contact",
            "edit_external_contact",
            "del_follow_user",
            "del_external_contact",
            "add_half_external_contact",
        ]
        assert set(events[0]) == COMMON | {"UserID", "ExternalUserID"}  # no State, no WelcomeCode
        for event in events[1:4]:
            assert (
                set(event) == COMMON | {"UserID", "ExternalUserID"}
                and event["ExternalUserID"] == ext
            )
        assert set(events[4]) == COMMON | {"UserID", "ExternalUserID", "State", "WelcomeCode"}
        assert events[4]["WelcomeCode"] == half["welcome_code"]

    def test_transfer_events(self, harness: Harness, state: SandboxState) -> None:
        ext = harness.action("add_customer", userid="alice", welcome=False)["external_userid"]
        other = harness.action("add_customer", userid="alice", welcome=False)["external_userid"]
        body = {"handover_userid": "alice", "takeover_userid": "bob", "external_userid": [ext]}
        assert harness.api("externalcontact/transfer_customer", body)["errcode"] == 0
        harness.http.post("/sandbox/clock", json={"advance": 86400})
        state.behaviour.transfer_refuse_probability = 1.0
        assert (
            harness.api("externalcontact/transfer_customer", body | {"external_userid": [other]})[
                "errcode"
            ]
            == 0
        )
        harness.http.post("/sandbox/clock", json={"advance": 86400})
        events = harness.events()[2:]
        assert [
            (e["ChangeType"], e["UserID"], e.get("Source"), e.get("FailReason")) for e in events
        ] == [
            ("del_external_contact", "alice", "DELETE_BY_TRANSFER", None),
            ("add_external_contact", "bob", None, None),
            ("transfer_fail", "bob", None, "customer_refused"),
        ]
        assert set(events[2]) == COMMON | {"UserID", "ExternalUserID", "FailReason"}


class TestChatAndTagPayloads:
    def test_group_life_cycle(self, harness: Harness) -> None:
        ext = harness.action("add_customer", userid="alice", welcome=False)["external_userid"]
        created = harness.action("create_group", owner="alice", name="群")
        joined = harness.action(
            "join_group", chat_id=created["chat_id"], members=[ext], join_scene=3
        )
        left = harness.action(
            "leave_group", chat_id=created["chat_id"], members=[ext], quit_scene=1
        )
        harness.action("dismiss_group", chat_id=created["chat_id"])
        events = harness.events()[1:]
        assert [(e["Event"], e["ChangeType"]) for e in events] == [
            ("change_external_chat", t) for t in ("create", "update", "update", "dismiss")
        ]
        assert set(events[0]) == COMMON | {"ChatId"}
        add = events[1]
        assert (
            add["UpdateDetail"] == "add_member"
            and add["JoinScene"] == "3"
            and add["MemChangeCnt"] == "1"
        )
        assert add["MemChangeList"] == {"Item": ext}
        assert (add["LastMemVer"], add["CurMemVer"]) == (
            created["member_version"],
            joined["member_version"],
        )
        delete = events[2]
        assert (delete["UpdateDetail"], delete["QuitScene"], delete["CurMemVer"]) == (
            "del_member",
            "1",
            left["member_version"],
        )
        assert set(delete) == COMMON | {
            "ChatId",
            "UpdateDetail",
            "QuitScene",
            "MemChangeCnt",
            "MemChangeList",
            "LastMemVer",
            "CurMemVer",
        }

    def test_console_tag_changes(self, harness: Harness) -> None:
        tag_id = harness.action("tag_change", change="create", group_name="等级", name="金卡")[
            "tag_id"
        ]
        harness.action("tag_change", change="update", tag_id=tag_id, name="白金")
        harness.action("tag_change", change="delete", tag_id=tag_id)
        events = harness.events()
        assert [(e["Event"], e["ChangeType"], e["Id"], e["TagType"]) for e in events] == [
            ("change_external_tag", c, tag_id, "tag") for c in ("create", "update", "delete")
        ]


class TestApiChangesAreSilent:
    def test_no_callback_for_api_calls(self, harness: Harness) -> None:
        ext = harness.action("add_customer", userid="alice", welcome=False)["external_userid"]
        assert (
            harness.api(
                "externalcontact/remark", {"userid": "alice", "external_userid": ext, "remark": "x"}
            )["errcode"]
            == 0
        )
        assert (
            harness.api(
                "externalcontact/add_corp_tag", {"group_name": "g", "tag": [{"name": "t"}]}
            )["errcode"]
            == 0
        )
        assert len(harness.events()) == 1


class TestDelivery:
    def test_retries_until_a_200_within_three_attempts(self, harness: Harness) -> None:
        harness.receiver.statuses = [500, 503]
        harness.action("add_customer", userid="alice", welcome=False)
        assert len(harness.events()) == 3  # the same event, delivered on the third attempt
        log = harness.http.get(f"/sandbox/corps/{harness.corp.corp_id}/callbacks").json()[
            "callbacks"
        ]
        assert [(r["outcome"], r["attempts"], r["status"]) for r in log] == [("delivered", 3, 200)]

    def test_gives_up_after_three_attempts(self, harness: Harness) -> None:
        harness.receiver.statuses = [500, 500, 500]
        harness.action("add_customer", userid="alice", welcome=False)
        assert len(harness.events()) == 3
        log = harness.http.get(f"/sandbox/corps/{harness.corp.corp_id}/callbacks").json()[
            "callbacks"
        ]
        assert [(r["outcome"], r["attempts"]) for r in log] == [("failed", 3)]

    def test_dropped_and_duplicated(self, harness: Harness) -> None:
        harness.http.put("/sandbox/faults", json={"callback_drop_rate": 1.0})
        harness.action("add_customer", userid="alice", welcome=False)
        assert harness.events() == []
        harness.http.put("/sandbox/faults", json={"callback_duplicate_rate": 1.0})
        harness.action("add_customer", userid="alice", welcome=False)
        first, second = harness.events()
        assert first == second

    def test_out_of_order(self, harness: Harness) -> None:
        harness.http.put("/sandbox/faults", json={"callback_reorder_rate": 1.0})
        first = harness.action("add_customer", userid="alice", welcome=False)["external_userid"]
        second = harness.action("add_customer", userid="alice", welcome=False)["external_userid"]
        assert [e["ExternalUserID"] for e in harness.events()] == [second, first]


class TestTimeout:
    def test_a_slow_receiver_counts_as_a_failed_attempt(
        self, state: SandboxState, corp: Corp
    ) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from siyu.sandbox import behaviours
        from siyu.sandbox.world import make_customer

        calls: list[float] = []

        class Slow(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                calls.append(1)
                self.rfile.read(int(self.headers["Content-Length"]))
                if len(calls) == 1:
                    threading.Event().wait(0.5)  # longer than the emitter's timeout
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        emitter = CallbackEmitter(state.faults, timeout=0.2, attempts=3, retry_delay=0.01)
        state.emitter = emitter
        corp.callback_url = f"http://127.0.0.1:{server.server_address[1]}/cb"
        emitter.start()
        try:
            with state.lock:
                behaviours.add_customer(
                    state, corp, userid="alice", customer=make_customer(state.rng, START)
                )
            assert emitter.drain(10)
        finally:
            emitter.stop()
            server.shutdown()
            server.server_close()
        assert [(r["outcome"], r["attempts"]) for r in emitter.log()] == [("delivered", 2)]

    def test_several_senders_deliver_past_a_slow_answer_exactly_once(
        self, state: SandboxState, corp: Corp
    ) -> None:
        """With several senders (as WeCom sends), one slow answer holds up only its own event:
        the rest are delivered meanwhile, and every event exactly once."""
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from siyu.sandbox import behaviours
        from siyu.sandbox.world import make_customer

        release = threading.Event()
        arrived: list[int] = []
        lock = threading.Lock()

        class FirstIsSlow(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    arrived.append(len(arrived))
                    first = len(arrived) == 1
                if first:
                    release.wait(10)  # answers only once the others have arrived
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", 0), FirstIsSlow)
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        emitter = CallbackEmitter(state.faults, timeout=20, senders=4)
        state.emitter = emitter
        corp.callback_url = f"http://127.0.0.1:{server.server_address[1]}/cb"
        emitter.start()
        try:
            with state.lock:
                for _ in range(12):
                    behaviours.add_customer(
                        state, corp, userid="alice", customer=make_customer(state.rng, START)
                    )
            for _ in range(200):  # the other 11 arrive while the first is still unanswered
                with lock:
                    if len(arrived) == 12:
                        break
                threading.Event().wait(0.05)
            release.set()
            assert emitter.drain(20)
        finally:
            emitter.stop()
            server.shutdown()
            server.server_close()
        log = emitter.log()
        assert len(arrived) == 12
        assert sorted(r["seq"] for r in log) == sorted({r["seq"] for r in log})
        assert {(r["outcome"], r["attempts"]) for r in log} == {("delivered", 1)}
        assert len(log) == 12

    def test_senders_must_be_positive(self, state: SandboxState) -> None:
        with pytest.raises(ValueError, match="at least 1"):
            CallbackEmitter(state.faults, senders=0)
