"""Mass messages and moments: staff confirmation, quotas, reminders (API-FACTS §4.6, §4.7, §5)."""

from __future__ import annotations

from typing import Any

import pytest

from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from tests.sandbox.helpers import START, WeCom, assert_errcode

TEXT = {"content": "双十一福利"}


def customers(wecom: WeCom, count: int, userid: str = "alice") -> list[str]:
    return [wecom.action("add_customer", userid=userid)["external_userid"] for _ in range(count)]


def send(wecom: WeCom, **body: Any) -> dict[str, Any]:
    return wecom.ok("externalcontact/add_msg_template", {"text": TEXT} | body)


def confirm(wecom: WeCom, msgid: str, userid: str = "alice") -> None:
    wecom.action("confirm_task", kind="mass", id=msgid, userid=userid)


def results(wecom: WeCom, msgid: str, userid: str = "alice") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = wecom.ok(
        "externalcontact/get_groupmsg_send_result", {"msgid": msgid, "userid": userid}
    )["send_list"]
    return rows


class TestAddMsgTemplate:
    def test_creates_pending_tasks_per_staff(self, wecom: WeCom) -> None:
        alice_customers = customers(wecom, 2)
        bob_customer = customers(wecom, 1, "bob")
        created = send(wecom, external_userid=[*alice_customers, *bob_customer, "wmnope"])
        assert created["fail_list"] == ["wmnope"]
        tasks = wecom.ok("externalcontact/get_groupmsg_task", {"msgid": created["msgid"]})[
            "task_list"
        ]
        assert tasks == [{"userid": "alice", "status": 0}, {"userid": "bob", "status": 0}]
        assert [r["status"] for r in results(wecom, created["msgid"])] == [0, 0]

    def test_sender_and_tag_filter_select_customers(self, wecom: WeCom, corp: Corp) -> None:
        tag = wecom.ok(
            "externalcontact/add_corp_tag", {"group_name": "g", "tag": [{"name": "vip"}]}
        )["tag_group"]["tag"][0]["id"]
        vip, plain = customers(wecom, 2)
        customers(wecom, 1, "bob")
        wecom.ok(
            "externalcontact/mark_tag",
            {"userid": "alice", "external_userid": vip, "add_tag": [tag]},
        )
        created = send(wecom, sender="alice", tag_filter={"group_list": [{"tag_list": [tag]}]})
        assert [r["external_userid"] for r in results(wecom, created["msgid"])] == [vip]
        everyone = send(wecom, sender="alice")
        assert {r["external_userid"] for r in results(wecom, everyone["msgid"])} == {vip, plain}

    def test_group_messages_go_to_the_owner_s_groups(self, wecom: WeCom) -> None:
        chat_id = wecom.action("create_group", owner="alice", name="群")["chat_id"]
        created = send(wecom, chat_type="group", sender="alice")
        assert results(wecom, created["msgid"]) == [
            {"userid": "alice", "status": 0, "chat_id": chat_id}
        ]
        assert_errcode(
            wecom.post("externalcontact/add_msg_template", {"chat_type": "group", "text": TEXT}),
            40058,
        )

    def test_errors(self, wecom: WeCom) -> None:
        customers(wecom, 1)
        assert_errcode(
            wecom.post("externalcontact/add_msg_template", {"chat_type": "x", "text": TEXT}), 40058
        )
        assert_errcode(wecom.post("externalcontact/add_msg_template", {"sender": "alice"}), 40063)
        assert_errcode(
            wecom.post("externalcontact/add_msg_template", {"text": {"content": "字" * 1334}}),
            40058,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/add_msg_template", {"text": TEXT, "external_userid": ["wmnope"]}
            ),
            41048,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/add_msg_template", {"text": TEXT, "external_userid": ["x"] * 10001}
            ),
            40058,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/add_msg_template",
                {"text": TEXT, "attachments": [{"msgtype": "voice"}]},
            ),
            41065,
        )


class TestConfirmation:
    def test_confirmed_tasks_are_sent(self, wecom: WeCom) -> None:
        targets = customers(wecom, 2)
        msgid = send(wecom, sender="alice")["msgid"]
        wecom.advance(30)
        confirm(wecom, msgid)
        task = wecom.ok("externalcontact/get_groupmsg_task", {"msgid": msgid})["task_list"][0]
        assert task == {"userid": "alice", "status": 2, "send_time": START + 30}
        assert [
            (r["external_userid"], r["status"], r["send_time"]) for r in results(wecom, msgid)
        ] == [(t, 1, START + 30) for t in targets]

    def test_simulated_staff_confirm_after_the_delay(
        self, wecom: WeCom, client: Any, state: SandboxState, corp: Corp
    ) -> None:
        customers(wecom, 1)
        state.behaviour.update({"mass_confirm_probability": 1.0, "mass_confirm_delay": 600})
        msgid = send(wecom, sender="alice")["msgid"]
        pending = client.get(f"/sandbox/corps/{corp.corp_id}/tasks").json()
        assert (
            pending["mass"][0]["status"] == 0
            and pending["scheduled"][0]["action"] == "mass.confirm"
        )
        wecom.advance(599)
        assert results(wecom, msgid)[0]["status"] == 0
        wecom.advance(1)
        assert results(wecom, msgid)[0]["status"] == 1

    def test_a_removed_friend_fails_with_status_2(self, wecom: WeCom) -> None:
        (ext,) = customers(wecom, 1)
        msgid = send(wecom, sender="alice")["msgid"]
        wecom.action("staff_deletes_customer", userid="alice", external_userid=ext)
        confirm(wecom, msgid)
        assert results(wecom, msgid)[0]["status"] == 2


class TestQuota:
    @pytest.mark.parametrize(
        ("mode", "allowed"),
        [("four_per_month", 4), ("one_per_day", 1), ("seven_per_week", 7), ("days_in_month", 31)],
    )
    def test_status_3_once_the_period_quota_is_used(
        self, wecom: WeCom, state: SandboxState, mode: str, allowed: int
    ) -> None:
        state.rules.mass_quota = mode  # type: ignore[assignment]
        customers(wecom, 1)
        statuses = []
        for _ in range(allowed + 1):
            msgid = send(wecom, sender="alice")["msgid"]
            confirm(wecom, msgid)
            statuses.append(results(wecom, msgid)[0]["status"])
        assert statuses == [1] * allowed + [3]

    def test_quota_resets_in_the_next_period(self, wecom: WeCom, state: SandboxState) -> None:
        state.rules.mass_quota = "one_per_day"
        customers(wecom, 1)
        for expected in (1, 3):
            msgid = send(wecom, sender="alice")["msgid"]
            confirm(wecom, msgid)
            assert results(wecom, msgid)[0]["status"] == expected
        wecom.advance(86400)
        msgid = send(wecom, sender="alice")["msgid"]
        confirm(wecom, msgid)
        assert results(wecom, msgid)[0]["status"] == 1

    def test_groups_have_their_own_quota(self, wecom: WeCom, state: SandboxState) -> None:
        state.rules.mass_quota = "one_per_day"
        wecom.action("create_group", owner="alice", name="群")
        statuses = []
        for _ in range(2):
            msgid = send(wecom, chat_type="group", sender="alice")["msgid"]
            confirm(wecom, msgid)
            statuses.append(results(wecom, msgid)[0]["status"])
        assert statuses == [1, 3]


class TestRemindCancelAndList:
    def test_three_reminders_per_day(self, wecom: WeCom) -> None:
        customers(wecom, 1)
        msgid = send(wecom, sender="alice")["msgid"]
        for _ in range(3):
            wecom.ok("externalcontact/remind_groupmsg_send", {"msgid": msgid})
        assert_errcode(wecom.post("externalcontact/remind_groupmsg_send", {"msgid": msgid}), 41094)
        wecom.advance(86400)
        wecom.ok("externalcontact/remind_groupmsg_send", {"msgid": msgid})

    def test_cancel(self, wecom: WeCom) -> None:
        customers(wecom, 1)
        msgid = send(wecom, sender="alice")["msgid"]
        wecom.ok("externalcontact/cancel_groupmsg_send", {"msgid": msgid})
        assert_errcode(wecom.post("externalcontact/remind_groupmsg_send", {"msgid": msgid}), 41093)
        assert_errcode(wecom.post("externalcontact/cancel_groupmsg_send", {"msgid": "nope"}), 41047)
        assert_errcode(wecom.post("externalcontact/cancel_groupmsg_send", {}), 41046)

    def test_list_v2(self, wecom: WeCom) -> None:
        customers(wecom, 1)
        msgid = send(wecom, sender="alice")["msgid"]
        body = {"chat_type": "single", "start_time": START - 10, "end_time": START + 10}
        listed = wecom.ok("externalcontact/get_groupmsg_list_v2", body)["group_msg_list"]
        assert listed == [
            {
                "msgid": msgid,
                "creator": "alice",
                "create_time": START,
                "create_type": 0,
                "text": TEXT,
            }
        ]
        assert (
            wecom.ok("externalcontact/get_groupmsg_list_v2", body | {"filter_type": 1})[
                "group_msg_list"
            ]
            == []
        )
        assert_errcode(
            wecom.post(
                "externalcontact/get_groupmsg_list_v2", body | {"end_time": START + 32 * 86400}
            ),
            40058,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/get_groupmsg_list_v2", {"start_time": START, "end_time": START}
            ),
            40058,
        )


class TestMoments:
    def test_task_result_list_and_confirmation(self, wecom: WeCom, state: SandboxState) -> None:
        media_id = wecom.media_id()
        body = {
            "text": {"content": "新品上市"},
            "attachments": [{"msgtype": "image", "image": {"media_id": media_id}}],
            "visible_range": {"sender_list": {"user_list": ["alice", "ghost"]}},
        }
        jobid = wecom.ok("externalcontact/add_moment_task", body)["jobid"]
        result = wecom.ok("externalcontact/get_moment_task_result", {"jobid": jobid}, method="GET")
        assert result["status"] == 3 and result["type"] == "add_moment_task"
        assert result["result"]["invalid_sender_list"]["user_list"] == ["ghost"]
        moment_id = result["result"]["moment_id"]
        moments = wecom.ok(
            "externalcontact/get_moment_list", {"start_time": START - 10, "end_time": START + 10}
        )["moment_list"]
        assert moments[0]["moment_id"] == moment_id and moments[0]["image"] == [
            {"media_id": media_id}
        ]
        assert wecom.ok("externalcontact/get_moment_task", {"moment_id": moment_id})[
            "task_list"
        ] == [{"userid": "alice", "publish_status": 0}]
        wecom.action("confirm_task", kind="moment", id=moment_id, userid="alice")
        assert (
            wecom.ok("externalcontact/get_moment_task", {"moment_id": moment_id})["task_list"][0][
                "publish_status"
            ]
            == 1
        )
        wecom.ok("externalcontact/cancel_moment_task", {"moment_id": moment_id})
        assert_errcode(
            wecom.post("externalcontact/get_moment_task", {"moment_id": moment_id}), 40058
        )

    def test_rules(self, wecom: WeCom) -> None:
        image = {"msgtype": "image", "image": {"media_id": wecom.media_id()}}
        link = {"msgtype": "link", "link": {"title": "t", "url": "https://example.com"}}
        assert_errcode(wecom.post("externalcontact/add_moment_task", {}), 40063)
        assert_errcode(
            wecom.post("externalcontact/add_moment_task", {"attachments": [image] * 10}), 41064
        )
        assert_errcode(
            wecom.post("externalcontact/add_moment_task", {"attachments": [image, link]}), 41065
        )
        assert_errcode(
            wecom.post("externalcontact/add_moment_task", {"attachments": [link, link]}), 41064
        )
        assert_errcode(
            wecom.post("externalcontact/add_moment_task", {"text": {"content": "字" * 2001}}), 40058
        )
        assert_errcode(
            wecom.post(
                "externalcontact/get_moment_list",
                {"start_time": START, "end_time": START + 31 * 86400},
            ),
            40058,
        )
        assert_errcode(wecom.get("externalcontact/get_moment_task_result", jobid="nope"), 40058)
