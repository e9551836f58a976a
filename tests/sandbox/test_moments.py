"""Moments beyond the basics of test_mass: job progress, jobid expiry, invalid ranges, cancel,
content limits (API-FACTS §4.7, §5)."""

from __future__ import annotations

from typing import Any

from siyu.sandbox.models import Corp, Media
from siyu.sandbox.state import SandboxState
from tests.sandbox.helpers import START, WeCom, assert_errcode

ADD = "externalcontact/add_moment_task"
RESULT = "externalcontact/get_moment_task_result"
TASKS = "externalcontact/get_moment_task"


def add(wecom: WeCom, **body: Any) -> str:
    return str(wecom.ok(ADD, {"text": {"content": "新品上市"}} | body)["jobid"])


def result(wecom: WeCom, jobid: str) -> dict[str, Any]:
    return wecom.ok(RESULT, {"jobid": jobid}, method="GET")


def publish_status(wecom: WeCom, moment_id: str) -> dict[str, int]:
    rows = wecom.ok(TASKS, {"moment_id": moment_id})["task_list"]
    return {r["userid"]: r["publish_status"] for r in rows}


class TestJob:
    def test_the_job_reports_progress_then_its_result(
        self, wecom: WeCom, state: SandboxState
    ) -> None:
        state.behaviour.update({"moment_job_seconds": 60})
        jobid = add(wecom)
        started = result(wecom, jobid)
        assert started["status"] == 1 and "result" not in started
        wecom.advance(30)
        assert result(wecom, jobid)["status"] == 2
        wecom.advance(30)
        done = result(wecom, jobid)
        assert done["status"] == 3 and done["result"]["moment_id"].startswith("mom")

    def test_a_jobid_answers_for_24_hours(self, wecom: WeCom) -> None:
        jobid = add(wecom)
        wecom.advance(86400)
        assert result(wecom, jobid)["status"] == 3
        wecom.advance(1)
        assert_errcode(wecom.get(RESULT, jobid=jobid), 40058)

    def test_unknown_senders_departments_and_tags_are_reported(
        self, wecom: WeCom, corp: Corp
    ) -> None:
        corp.staff["carol"].resigned_at = START - 10
        visible = {
            "sender_list": {"user_list": ["alice", "carol", "ghost"], "department_list": [999]},
            "external_contact_list": {"tag_list": ["etnosuchtag"]},
        }
        body = result(wecom, add(wecom, visible_range=visible))["result"]
        assert body["invalid_sender_list"] == {
            "user_list": ["carol", "ghost"],
            "department_list": [999],
        }
        assert body["invalid_external_contact_list"] == {"tag_list": ["etnosuchtag"]}
        assert publish_status(wecom, body["moment_id"]) == {"alice": 0}

    def test_no_range_means_every_member_who_may_contact_customers(
        self, wecom: WeCom, corp: Corp
    ) -> None:
        corp.staff["bob"].can_follow = False
        moment_id = result(wecom, add(wecom))["result"]["moment_id"]
        assert publish_status(wecom, moment_id) == {"alice": 0, "carol": 0}


class TestCancel:
    def test_posts_made_stay_and_nobody_else_can_post(self, wecom: WeCom) -> None:
        visible = {"sender_list": {"user_list": ["alice", "bob"]}}
        moment_id = result(wecom, add(wecom, visible_range=visible))["result"]["moment_id"]
        wecom.action("confirm_task", kind="moment", id=moment_id, userid="alice")
        wecom.ok("externalcontact/cancel_moment_task", {"moment_id": moment_id})
        wecom.action("confirm_task", kind="moment", id=moment_id, userid="bob")
        listed = wecom.ok(
            "externalcontact/get_moment_list", {"start_time": START - 10, "end_time": START + 10}
        )["moment_list"]
        assert [m["moment_id"] for m in listed] == [moment_id]
        assert_errcode(wecom.post(TASKS, {"moment_id": moment_id}), 40058)
        assert_errcode(
            wecom.post("externalcontact/cancel_moment_task", {"moment_id": moment_id}), 40058
        )

    def test_the_result_still_answers_after_a_cancel(self, wecom: WeCom) -> None:
        jobid = add(wecom)
        moment_id = result(wecom, jobid)["result"]["moment_id"]
        wecom.action("confirm_task", kind="moment", id=moment_id, userid="alice")
        wecom.ok("externalcontact/cancel_moment_task", {"moment_id": moment_id})
        assert result(wecom, jobid)["result"]["moment_id"] == moment_id


class TestContentLimits:
    def test_text_is_counted_in_characters_and_bytes(self, wecom: WeCom) -> None:
        assert wecom.ok(ADD, {"text": {"content": "字" * 1333}})["jobid"]
        assert_errcode(wecom.post(ADD, {"text": {"content": "字" * 1334}}), 40058)  # 4002 bytes
        assert_errcode(wecom.post(ADD, {"text": {"content": "a" * 2001}}), 40058)

    def test_attachments(self, wecom: WeCom, corp: Corp) -> None:
        for media_id, kind in (("v", "video"), ("f", "file"), ("i", "image")):
            corp.media[media_id] = Media(media_id, kind, media_id, 64, START, START + 3 * 86400)
        video = {"msgtype": "video", "video": {"media_id": "v"}}
        file = {"msgtype": "file", "file": {"media_id": "f"}}
        image = {"msgtype": "image", "image": {"media_id": "i"}}
        assert wecom.ok(ADD, {"attachments": [image] * 9})["jobid"]
        assert_errcode(wecom.post(ADD, {"attachments": [video, video]}), 41064)
        assert_errcode(wecom.post(ADD, {"attachments": [video, image]}), 41065)
        assert_errcode(wecom.post(ADD, {"attachments": [file]}), 41065)
        unknown = {"msgtype": "image", "image": {"media_id": "never-uploaded"}}
        assert_errcode(wecom.post(ADD, {"attachments": [unknown]}), 40007)

    def test_at_most_100000_senders(self, wecom: WeCom) -> None:
        users = [f"u{i}" for i in range(100_001)]
        visible = {"sender_list": {"user_list": users}}
        assert_errcode(wecom.post(ADD, {"text": {"content": "x"}, "visible_range": visible}), 40058)
