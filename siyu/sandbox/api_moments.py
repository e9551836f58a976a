"""Moments (客户朋友圈, API-FACTS §4.7): tasks each staff member publishes (or never does).

Fidelity points: the job runs for `behaviour.moment_job_seconds` (status 1/2 before it is done),
its jobid answers for 24 h only, unknown senders, departments and tags come back in the result's
invalid lists, and a cancelled moment keeps what was posted but takes no further posts.
"""

from __future__ import annotations

from typing import Any

from siyu.sandbox.api_ways import check_attachments, text_content
from siyu.sandbox.models import Corp, Moment
from siyu.sandbox.params import Params, limit_of, next_cursor, offset_cursor
from siyu.sandbox.registry import Ctx, api
from siyu.sandbox.state import SandboxState, scheduled_action
from siyu.wecom.errors import WeComError

DAY = 86400
JOBID_TTL = DAY  # "jobid 有效期 24 小时"
MAX_SENDERS = 100_000


def _moment_attachments(p: Params, ctx: Ctx) -> list[dict[str, Any]]:
    attachments = check_attachments(p, ctx=ctx)
    kinds = {a["msgtype"] for a in attachments}
    if len(kinds) > 1 or kinds - {"image", "video", "link"}:
        raise WeComError(41065, "moments take images, one video or one link, not mixed")
    if kinds & {"video", "link"} and len(attachments) > 1:
        raise WeComError(41064)
    return attachments


def _senders(corp: Corp, p: Params) -> tuple[list[str], list[str], list[int]]:
    """(who gets the task, invalid userids, invalid department ids)."""
    senders = p.sub("visible_range").sub("sender_list")
    users = senders.str_list("user_list", max_items=MAX_SENDERS)
    parties = [int(x) for x in senders.list("department_list")]
    active = {u for u, s in corp.staff.items() if s.resigned_at is None and s.can_follow}
    invalid = [u for u in users if u not in active]
    bad_parties = [d for d in parties if d not in corp.departments]
    chosen = dict.fromkeys(u for u in users if u in active)
    for staff in corp.staff.values():
        if staff.userid in active and set(parties).intersection(staff.department):
            chosen[staff.userid] = None
    if not users and not parties:  # no range given: every member who may contact customers
        chosen = dict.fromkeys(sorted(active))
    return list(chosen), invalid, bad_parties


@api("externalcontact/add_moment_task")
def add_moment_task(ctx: Ctx) -> dict[str, Any]:
    p, corp, state = ctx.params, ctx.corp, ctx.state
    text = text_content(p, max_bytes=4000)
    if text and len(text["content"]) > 2000:
        raise WeComError(40058, "text.content exceeds 2000 characters")
    attachments = _moment_attachments(p, ctx)
    if text is None and not attachments:
        raise WeComError(40063, "text and attachments are both empty")
    chosen, invalid, bad_parties = _senders(corp, p)
    tags = p.sub("visible_range").sub("external_contact_list").str_list("tag_list")
    moment = Moment(
        state.new_id("mom", 30),
        state.new_id("job", 30),
        "",
        0,
        ctx.now,
        text,
        attachments,
        1 if tags else 0,
        invalid_sender_list=invalid,
        invalid_department_list=bad_parties,
        invalid_tag_list=[t for t in tags if t not in corp.tags],
        job_done_at=ctx.now + state.behaviour.moment_job_seconds,
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
    if moment is not None and not moment.cancelled and args["userid"] in moment.tasks:
        moment.tasks[args["userid"]]["publish_status"] = 1


@api("externalcontact/get_moment_task_result", "GET")
def get_moment_task_result(ctx: Ctx) -> dict[str, Any]:
    jobid = ctx.params.str("jobid", required=True)
    moment_id = ctx.corp.moment_jobs.get(jobid)
    moment = ctx.corp.moments.get(moment_id or "")
    if moment is None:
        raise WeComError(40058, "invalid jobid")
    if ctx.now > moment.create_time + JOBID_TTL:
        raise WeComError(40058, "jobid expired (valid 24 hours)")
    if ctx.now < moment.job_done_at:
        started = ctx.now == moment.create_time
        return {"status": 1 if started else 2, "type": "add_moment_task"}
    result = {
        "errcode": 0,
        "errmsg": "ok",
        "moment_id": moment.moment_id,
        "invalid_sender_list": {
            "user_list": moment.invalid_sender_list,
            "department_list": moment.invalid_department_list,
        },
        "invalid_external_contact_list": {"tag_list": moment.invalid_tag_list},
    }
    return {"status": 3, "type": "add_moment_task", "result": result}


def _get_moment(ctx: Ctx) -> Moment:
    moment = ctx.corp.moments.get(ctx.params.str("moment_id", required=True))
    if moment is None or moment.cancelled:
        raise WeComError(40058, "invalid moment_id")
    return moment


@api("externalcontact/cancel_moment_task")
def cancel_moment_task(ctx: Ctx) -> dict[str, Any]:
    """Staff who have not posted can no longer; posts already made stay (and stay listed)."""
    moment = _get_moment(ctx)
    moment.cancelled = True
    if not any(t["publish_status"] == 1 for t in moment.tasks.values()):
        del ctx.corp.moments[moment.moment_id]  # nothing was posted: nothing left to list
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
        and ctx.now >= m.job_done_at
        and (not creator or m.creator == creator)
        and (filter_type == 2 or m.create_type == filter_type)
    ]
    offset = offset_cursor(p)
    rows = [_listed(m) for m in moments[offset : offset + limit]]
    return {"moment_list": rows, "next_cursor": next_cursor(offset + limit, len(moments))}


def _listed(m: Moment) -> dict[str, Any]:
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
    return row
