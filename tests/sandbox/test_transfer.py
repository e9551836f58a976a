"""In-service and resigned transfers (API-FACTS §4.8)."""

from __future__ import annotations

from typing import Any

from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from tests.sandbox.helpers import START, WeCom, assert_errcode

DAY = 86400


def customers(wecom: WeCom, count: int, userid: str = "alice") -> list[str]:
    return [wecom.action("add_customer", userid=userid)["external_userid"] for _ in range(count)]


def transfer(
    wecom: WeCom, externals: list[str], handover: str = "alice", takeover: str = "bob"
) -> list[dict[str, Any]]:
    body = {"handover_userid": handover, "takeover_userid": takeover, "external_userid": externals}
    rows: list[dict[str, Any]] = wecom.ok("externalcontact/transfer_customer", body)["customer"]
    return rows


def statuses(
    wecom: WeCom, path: str = "externalcontact/transfer_result"
) -> list[tuple[str, int, int]]:
    rows = wecom.ok(path, {"handover_userid": "alice", "takeover_userid": "bob"})["customer"]
    return [(r["external_userid"], r["status"], r["takeover_time"]) for r in rows]


class TestTransferCustomer:
    def test_waits_24_hours_then_moves_the_relation(self, wecom: WeCom, corp: Corp) -> None:
        (ext,) = customers(wecom, 1)
        assert transfer(wecom, [ext]) == [{"external_userid": ext, "errcode": 0}]
        assert statuses(wecom) == [(ext, 2, 0)]
        wecom.advance(DAY - 1)
        assert statuses(wecom) == [(ext, 2, 0)]
        wecom.advance(1)
        assert statuses(wecom) == [(ext, 1, START + DAY)]
        assert list(corp.customers[ext].follows) == ["bob"]

    def test_customer_refusal(self, wecom: WeCom, state: SandboxState, corp: Corp) -> None:
        state.behaviour.transfer_refuse_probability = 1.0
        (ext,) = customers(wecom, 1)
        transfer(wecom, [ext])
        wecom.advance(DAY)
        assert statuses(wecom) == [(ext, 3, 0)] and list(corp.customers[ext].follows) == ["alice"]

    def test_takeover_at_its_friend_cap(self, wecom: WeCom, state: SandboxState) -> None:
        (ext,) = customers(wecom, 1)
        customers(wecom, 1, "bob")
        state.rules.friend_cap = 1
        transfer(wecom, [ext])
        wecom.advance(DAY)
        assert statuses(wecom)[0][1] == 4

    def test_per_customer_errors(self, wecom: WeCom) -> None:
        ext, other = customers(wecom, 2)
        (bobs,) = customers(wecom, 1, "bob")
        rows = transfer(wecom, [ext, ext, bobs, "wmnope"])
        assert [r["errcode"] for r in rows] == [0, 40129, 40131, 40096]
        assert transfer(wecom, [other]) == [{"external_userid": other, "errcode": 0}]

    def test_at_most_twice_in_90_days(self, wecom: WeCom) -> None:
        (ext,) = customers(wecom, 1)
        assert transfer(wecom, [ext])[0]["errcode"] == 0
        wecom.advance(DAY)
        assert transfer(wecom, [ext], handover="bob", takeover="alice")[0]["errcode"] == 0
        wecom.advance(DAY)
        assert transfer(wecom, [ext])[0]["errcode"] == 40128
        wecom.advance(89 * DAY)
        assert transfer(wecom, [ext])[0]["errcode"] == 0

    def test_request_errors(self, wecom: WeCom) -> None:
        (ext,) = customers(wecom, 1)
        base = {"handover_userid": "alice", "takeover_userid": "bob", "external_userid": [ext]}
        assert_errcode(
            wecom.post("externalcontact/transfer_customer", base | {"takeover_userid": "alice"}),
            40130,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/transfer_customer", base | {"external_userid": ["x"] * 101}
            ),
            40058,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/transfer_customer", base | {"transfer_success_msg": "字" * 201}
            ),
            40058,
        )
        assert_errcode(
            wecom.post("externalcontact/transfer_customer", base | {"external_userid": []}), 41035
        )


class TestResignedTransfer:
    def test_requires_a_resigned_handover(self, wecom: WeCom, corp: Corp) -> None:
        (ext,) = customers(wecom, 1)
        body = {"handover_userid": "alice", "takeover_userid": "bob", "external_userid": [ext]}
        assert_errcode(wecom.post("externalcontact/resigned/transfer_customer", body), 40097)
        wecom.action("resign_staff", userid="alice")
        assert (
            wecom.ok("externalcontact/resigned/transfer_customer", body)["customer"][0]["errcode"]
            == 0
        )
        wecom.advance(DAY)
        assert statuses(wecom, "externalcontact/resigned/transfer_result") == [
            (ext, 1, START + DAY)
        ]
        assert statuses(wecom) == []
        assert list(corp.customers[ext].follows) == ["bob"]


class TestUnassignedList:
    def test_lists_resigned_members_customers_until_handed_over(self, wecom: WeCom) -> None:
        first, second = customers(wecom, 2)
        assert wecom.ok("externalcontact/get_unassigned_list", {})["info"] == []
        wecom.action("resign_staff", userid="alice")
        page = wecom.ok("externalcontact/get_unassigned_list", {"page_size": 1})
        assert page["info"] == [
            {"handover_userid": "alice", "external_userid": first, "dimission_time": START}
        ]
        assert page["is_last"] is False
        rest = wecom.ok(
            "externalcontact/get_unassigned_list", {"page_size": 1, "cursor": page["next_cursor"]}
        )
        assert [r["external_userid"] for r in rest["info"]] == [second] and rest["is_last"] is True
        body = {"handover_userid": "alice", "takeover_userid": "bob", "external_userid": [first]}
        wecom.ok("externalcontact/resigned/transfer_customer", body)
        assert [
            r["external_userid"]
            for r in wecom.ok("externalcontact/get_unassigned_list", {})["info"]
        ] == [second]
        assert_errcode(
            wecom.post("externalcontact/get_unassigned_list", {"page_size": 1001}), 40058
        )
