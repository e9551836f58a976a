"""「联系我」 contact ways and welcome messages (API-FACTS §4.3, §4.4)."""

from __future__ import annotations

from typing import Any

from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from tests.sandbox.helpers import START, WeCom, assert_errcode

WAY = {"type": 1, "scene": 2, "style": 1, "remark": "门店", "state": "store01", "user": ["alice"]}


class TestAddContactWay:
    def test_returns_config_id_and_qr_code(self, wecom: WeCom) -> None:
        result = wecom.ok("externalcontact/add_contact_way", WAY)
        assert result["config_id"] and result["qr_code"].startswith("https://")
        assert "qr_code" not in wecom.ok("externalcontact/add_contact_way", WAY | {"scene": 1})

    def test_required_and_invalid_fields(self, wecom: WeCom) -> None:
        cases: list[tuple[dict[str, Any], int]] = [
            ({"scene": 2, "user": ["alice"]}, 41037),
            ({"type": 1, "user": ["alice"]}, 41038),
            (WAY | {"type": 3}, 41039),
            (WAY | {"scene": 9}, 41040),
            (WAY | {"style": 7}, 41042),
            (WAY | {"state": "s" * 31}, 40058),
            (WAY | {"remark": "r" * 31}, 40058),
            (WAY | {"user": ["alice", "bob"]}, 40058),
            (WAY | {"user": ["ghost"]}, 60111),
            (WAY | {"type": 2, "is_temp": True, "user": ["alice", "bob"]}, 40058),
            (WAY | {"is_temp": True, "expires_in": 15 * 86400}, 40058),
        ]
        for body, errcode in cases:
            assert_errcode(wecom.post("externalcontact/add_contact_way", body), errcode)

    def test_at_most_100_users_including_departments(
        self, wecom: WeCom, state: SandboxState, corp: Corp
    ) -> None:
        state.rules.contact_way_user_cap = 2
        body = WAY | {"type": 2, "user": ["alice"], "party": [corp.staff["bob"].department[0]]}
        corp.staff["carol"].department = corp.staff["bob"].department
        assert_errcode(wecom.post("externalcontact/add_contact_way", body), 41041)

    def test_count_cap(self, wecom: WeCom, state: SandboxState) -> None:
        state.rules.contact_way_cap = 1
        wecom.ok("externalcontact/add_contact_way", WAY)
        assert_errcode(wecom.post("externalcontact/add_contact_way", WAY), 41045)


class TestGetUpdateDeleteList:
    def test_life_cycle(self, wecom: WeCom) -> None:
        config_id = wecom.ok("externalcontact/add_contact_way", WAY)["config_id"]
        way = wecom.ok("externalcontact/get_contact_way", {"config_id": config_id})["contact_way"]
        assert {
            k: way[k]
            for k in ("type", "scene", "style", "remark", "state", "user", "party", "skip_verify")
        } == {
            "type": 1,
            "scene": 2,
            "style": 1,
            "remark": "门店",
            "state": "store01",
            "user": ["alice"],
            "party": [],
            "skip_verify": True,
        }
        wecom.ok(
            "externalcontact/update_contact_way",
            {"config_id": config_id, "remark": "新门店", "user": ["bob"]},
        )
        way = wecom.ok("externalcontact/get_contact_way", {"config_id": config_id})["contact_way"]
        assert (way["remark"], way["user"], way["state"]) == ("新门店", ["bob"], "store01")
        assert wecom.ok("externalcontact/list_contact_way", {})["contact_way"] == [
            {"config_id": config_id}
        ]
        wecom.ok("externalcontact/del_contact_way", {"config_id": config_id})
        assert_errcode(
            wecom.post("externalcontact/get_contact_way", {"config_id": config_id}), 41044
        )
        assert_errcode(wecom.post("externalcontact/get_contact_way", {}), 41043)

    def test_list_pages_and_filters_by_time(self, wecom: WeCom) -> None:
        ids = [wecom.ok("externalcontact/add_contact_way", WAY)["config_id"] for _ in range(3)]
        first = wecom.ok("externalcontact/list_contact_way", {"limit": 2})
        second = wecom.ok(
            "externalcontact/list_contact_way", {"limit": 2, "cursor": first["next_cursor"]}
        )
        assert [
            w["config_id"] for w in first["contact_way"] + second["contact_way"]
        ] == ids and second["next_cursor"] == ""
        assert (
            wecom.ok(
                "externalcontact/list_contact_way", {"start_time": START + 1, "end_time": START + 9}
            )["contact_way"]
            == []
        )
        assert_errcode(wecom.post("externalcontact/list_contact_way", {"limit": 1001}), 40058)


class TestScanCarriesState:
    def test_the_add_follows_with_the_state(self, wecom: WeCom, corp: Corp) -> None:
        config_id = wecom.ok("externalcontact/add_contact_way", WAY)["config_id"]
        scanned = wecom.action("scan_contact_way", config_id=config_id)
        assert (
            scanned["userid"] == "alice"
            and scanned["state"] == "store01"
            and scanned["welcome_code"]
        )
        assert corp.customers[scanned["external_userid"]].follows["alice"].state == "store01"


class TestWelcome:
    def _code(self, wecom: WeCom) -> dict[str, Any]:
        return wecom.action("add_customer", userid="alice", welcome=True)

    def test_within_20_seconds_once(self, wecom: WeCom, client: Any, corp: Corp) -> None:
        added = self._code(wecom)
        wecom.advance(20)
        wecom.ok(
            "externalcontact/send_welcome_msg",
            {"welcome_code": added["welcome_code"], "text": {"content": "欢迎"}},
        )
        assert_errcode(
            wecom.post(
                "externalcontact/send_welcome_msg",
                {"welcome_code": added["welcome_code"], "text": {"content": "again"}},
            ),
            41051,
        )
        inspected = client.get(f"/sandbox/corps/{corp.corp_id}/welcomes").json()["welcomes"]
        assert [
            (w["external_userid"], w["userid"], w["sent_at"], w["text"]) for w in inspected
        ] == [(added["external_userid"], "alice", START + 20, {"content": "欢迎"})]

    def test_expired_after_20_seconds(self, wecom: WeCom) -> None:
        added = self._code(wecom)
        wecom.advance(21)
        assert_errcode(
            wecom.post(
                "externalcontact/send_welcome_msg",
                {"welcome_code": added["welcome_code"], "text": {"content": "x"}},
            ),
            41050,
        )

    def test_no_welcome_once_the_customer_chats(self, wecom: WeCom) -> None:
        added = self._code(wecom)
        wecom.action("customer_reply", external_userid=added["external_userid"])
        assert_errcode(
            wecom.post(
                "externalcontact/send_welcome_msg",
                {"welcome_code": added["welcome_code"], "text": {"content": "x"}},
            ),
            41051,
        )

    def test_body_rules(self, wecom: WeCom) -> None:
        code = self._code(wecom)["welcome_code"]
        link = {"msgtype": "link", "link": {"title": "t", "url": "https://example.com"}}
        assert_errcode(wecom.post("externalcontact/send_welcome_msg", {}), 41049)
        assert_errcode(
            wecom.post(
                "externalcontact/send_welcome_msg",
                {"welcome_code": "nope", "text": {"content": "x"}},
            ),
            41050,
        )
        assert_errcode(
            wecom.post("externalcontact/send_welcome_msg", {"welcome_code": code}), 40063
        )
        assert_errcode(
            wecom.post(
                "externalcontact/send_welcome_msg",
                {"welcome_code": code, "attachments": [link] * 10},
            ),
            41064,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/send_welcome_msg",
                {"welcome_code": code, "attachments": [{"msgtype": "voice"}]},
            ),
            41065,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/send_welcome_msg",
                {"welcome_code": code, "text": {"content": "字" * 1334}},
            ),
            40058,
        )
        wecom.ok("externalcontact/send_welcome_msg", {"welcome_code": code, "attachments": [link]})
