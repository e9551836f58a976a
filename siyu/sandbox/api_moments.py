"""Moments (客户朋友圈, API-FACTS §4.7): tasks each staff member publishes (or never does)."""

from __future__ import annotations

from typing import Any

from siyu.sandbox.api_ways import check_attachments, text_content
from siyu.sandbox.models import Corp, Moment
from siyu.sandbox.params import Params, limit_of, next_cursor, offset_cursor
from siyu.sandbox.registry import Ctx, api
from siyu.sandbox.state import SandboxState, scheduled_action
from siyu.wecom.errors import WeComError

DAY = 86400


def _moment_attachments(p: Params, ctx: Ctx) -> list[dict[str, Any]]:
    attachments = check_attachments(p, ctx=ctx)
    kinds = {a["msgtype"] for a in attachments}
    if len(kinds) > 1 or kinds - {"image", "video", "link"}:
        raise WeComError(41065, "moments take images, one video or one link, not mixed")
    if kinds & {"video", "link"} and len(attachments) > 1:
        raise WeComError(41064)
    return attachments


@api("externalcontact/add_moment_task")
def add_moment_task(ctx: Ctx) -> dict[str, Any]:
    p, corp, state = ctx.params, ctx.corp, ctx.state
    text = text_content(p, max_bytes=4000)
    if text and len(text["content"]) > 2000:
        raise WeComError(40058, "text.content exceeds 2000 characters")
    attachments = _moment_attachments(p, ctx)
    if text is None and not attachments:
        raise WeComError(40063, "text and attachments are both empty")
    senders = p.sub("visible_range").sub("sender_list")
    users = senders.str_list("user_list", max_items=100_000)
    parties = {int(x) for x in senders.list("department_list")}
    invalid = [u for u in users if u not in corp.staff]
    chosen = [u for u in users if u in corp.staff]
    chosen += [
        s.userid
        for s in corp.staff.values()
        if parties.intersection(s.department) and s.userid not in chosen
    ]
    if not users and not parties:
        chosen = [s.userid for s in corp.staff.values() if s.can_follow and s.resigned_at is None]
    has_tags = bool(p.sub("visible_range").sub("external_contact_list").list("tag_list"))
    moment = Moment(
        state.new_id("mom", 30),
        state.new_id("job", 30),
        "",
        0,
        ctx.now,
        text,
        attachments,
        1 if has_tags else 0,
        invalid_sender_list=invalid,
    )
    corp.moments[moment.moment_id] = moment
    corp.moment_jobs[moment.jobid] = moment.moment_id
    behaviour = state.behaviour
    for userid in chosen:
        moment.tasks[userid] = {"publish_status": 0}
        if state.rng.random() < behaviour.moment_confirm_probability:
            state.at(
                ctx.now + behaviour.moment_confirm_delay,
                "moment.confirm",
                corp.corp_id,
                moment_id=moment.moment_id,
                userid=userid,
            )
    return {"jobid": moment.jobid}


@scheduled_action("moment.confirm")
def confirm_moment(_state: SandboxState, corp: Corp, args: dict[str, Any]) -> None:
    moment = corp.moments.get(args["moment_id"])
    if moment is not None and args["userid"] in moment.tasks:
        moment.tasks[args["userid"]]["publish_status"] = 1


@api("externalcontact/get_moment_task_result", "GET")
def get_moment_task_result(ctx: Ctx) -> dict[str, Any]:
    jobid = ctx.params.str("jobid", required=True)
    moment_id = ctx.corp.moment_jobs.get(jobid)
    if moment_id is None:
        raise WeComError(40058, "invalid jobid")
    moment = ctx.corp.moments[moment_id]
    result = {
        "errcode": 0,
        "errmsg": "ok",
        "moment_id": moment.moment_id,
        "invalid_sender_list": {"user_list": moment.invalid_sender_list, "department_list": []},
        "invalid_external_contact_list": {"tag_list": []},
    }
    return {"status": 3, "type": "add_moment_task", "result": result}


def _get_moment(ctx: Ctx) -> Moment:
    moment = ctx.corp.moments.get(ctx.params.str("moment_id", required=True))
    if moment is None:
        raise WeComError(40058, "invalid moment_id")
    return moment


@api("externalcontact/cancel_moment_task")
def cancel_moment_task(ctx: Ctx) -> dict[str, Any]:
    del ctx.corp.moments[_get_moment(ctx).moment_id]
    return {}


@api("externalcontact/get_moment_task")
def get_moment_task(ctx: Ctx) -> dict[str, Any]:
    moment = _get_moment(ctx)
    limit = limit_of(ctx.params, default=500, maximum=1000)
    offset = offset_cursor(ctx.params)
    tasks = list(moment.tasks.items())
    rows = [
        {"userid": u, "publish_status": t["publish_status"]}
        for u, t in tasks[offset : offset + limit]
    ]
    return {"task_list": rows, "next_cursor": next_cursor(offset + limit, len(tasks))}


@api("externalcontact/get_moment_list")
def get_moment_list(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    start, end = p.req_int("start_time"), p.req_int("end_time")
    if end < start or end - start > 30 * DAY:
        raise WeComError(40058, "time span exceeds 30 days")
    creator = p.str("creator")
    filter_type = p.int("filter_type", default=2, lo=0, hi=2)
    limit = limit_of(p, default=20, maximum=20)
    moments = [
        m
        for m in ctx.corp.moments.values()
        if start <= m.create_time <= end
        and (not creator or m.creator == creator)
        and (filter_type == 2 or m.create_type == filter_type)
    ]
    offset = offset_cursor(p)
    rows = []
    for m in moments[offset : offset + limit]:
        row: dict[str, Any] = {
            "moment_id": m.moment_id,
            "creator": m.creator,
            "create_time": m.create_time,
            "create_type": m.create_type,
            "visible_type": m.visible_type,
            "text": m.text or {"content": ""},
        }
        images = [a["image"] for a in m.attachments if a["msgtype"] == "image"]
        if images:
            row["image"] = images
        for attachment in m.attachments:
            if attachment["msgtype"] in ("video", "link"):
                row[attachment["msgtype"]] = attachment[attachment["msgtype"]]
        rows.append(row)
    return {"moment_list": rows, "next_cursor": next_cursor(offset + limit, len(moments))}
