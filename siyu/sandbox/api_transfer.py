"""Customer transfers (继承, API-FACTS §4.8) plus their 24-hour completion.

A transfer waits `rules.transfer_delay` seconds; then the customer may refuse (behaviour
setting), the take-over member may be full, or the relation moves. Completion is a platform
action, so unlike the API call that started it, it emits callbacks.
"""

from __future__ import annotations

from typing import Any

from siyu.sandbox import behaviours
from siyu.sandbox.api_core import get_staff
from siyu.sandbox.models import Corp, Follow, Transfer
from siyu.sandbox.params import limit_of, next_cursor, offset_cursor
from siyu.sandbox.registry import Ctx, api
from siyu.sandbox.state import SandboxState, scheduled_action
from siyu.wecom import events
from siyu.wecom.errors import WeComError

DAY = 86400


def _start(ctx: Ctx, *, resigned: bool) -> dict[str, Any]:
    p, corp, state = ctx.params, ctx.corp, ctx.state
    handover = get_staff(corp, p.str("handover_userid", required=True, missing=40003))
    takeover = get_staff(
        corp, p.str("takeover_userid", required=True, missing=40003), need_follow=True
    )
    if handover.userid == takeover.userid:
        raise WeComError(40130)
    if resigned and handover.resigned_at is None:
        raise WeComError(40097)
    if not resigned and handover.resigned_at is not None:
        raise WeComError(40058, "handover member has resigned: use resigned/transfer_customer")
    if takeover.resigned_at is not None:
        raise WeComError(41054)
    if not resigned:
        p.str("transfer_success_msg", max_len=200)
    externals = p.str_list("external_userid", required=True, missing=41035, max_items=100)
    results = []
    for ext in externals:
        results.append(
            {
                "external_userid": ext,
                "errcode": _one(
                    state, corp, ext, handover.userid, takeover.userid, resigned, ctx.now
                ),
            }
        )
    return {"customer": results}


def _one(
    state: SandboxState,
    corp: Corp,
    ext: str,
    handover: str,
    takeover: str,
    resigned: bool,
    now: int,
) -> int:
    customer = corp.customers.get(ext)
    if customer is None:
        return 40096
    if handover not in customer.follows:
        return 40131
    if any(t.external_userid == ext and t.status == 2 for t in corp.transfers.values()):
        return 40129
    if not resigned:
        recent = [t for t in customer.transfers if now - t < 90 * DAY]
        if len(recent) >= state.rules.transfer_max_per_90_days:
            return 40128
        customer.transfers = [*recent, now]
    corp.transfers[(ext, takeover)] = Transfer(ext, handover, takeover, now, resigned)
    state.at(
        now + state.rules.transfer_delay,
        "transfer.complete",
        corp.corp_id,
        external_userid=ext,
        takeover_userid=takeover,
    )
    return 0


@api("externalcontact/transfer_customer")
def transfer_customer(ctx: Ctx) -> dict[str, Any]:
    return _start(ctx, resigned=False)


@api("externalcontact/resigned/transfer_customer")
def resigned_transfer_customer(ctx: Ctx) -> dict[str, Any]:
    return _start(ctx, resigned=True)


def _result(ctx: Ctx, *, resigned: bool) -> dict[str, Any]:
    p = ctx.params
    handover = p.str("handover_userid", required=True, missing=40003)
    takeover = p.str("takeover_userid", required=True, missing=40003)
    rows = [
        t
        for t in ctx.corp.transfers.values()
        if t.handover_userid == handover
        and t.takeover_userid == takeover
        and t.resigned == resigned
    ]
    limit = limit_of(p, default=1000, maximum=1000)
    offset = offset_cursor(p)
    return {
        "customer": [
            {
                "external_userid": t.external_userid,
                "status": t.status,
                "takeover_time": t.takeover_time,
            }
            for t in rows[offset : offset + limit]
        ],
        "next_cursor": next_cursor(offset + limit, len(rows)),
    }


@api("externalcontact/transfer_result")
def transfer_result(ctx: Ctx) -> dict[str, Any]:
    return _result(ctx, resigned=False)


@api("externalcontact/resigned/transfer_result")
def resigned_transfer_result(ctx: Ctx) -> dict[str, Any]:
    return _result(ctx, resigned=True)


@scheduled_action("transfer.complete")
def complete_transfer(state: SandboxState, corp: Corp, args: dict[str, Any]) -> None:
    transfer = corp.transfers.get((args["external_userid"], args["takeover_userid"]))
    if transfer is None or transfer.status != 2:
        return
    now = state.now()
    customer = corp.customers[transfer.external_userid]
    takeover = corp.staff[transfer.takeover_userid]
    handover = corp.staff[transfer.handover_userid]
    fail = None
    if not transfer.resigned and state.rng.random() < state.behaviour.transfer_refuse_probability:
        transfer.status, fail = 3, "customer_refused"
    elif len(takeover.follows) >= state.rules.friend_cap:
        transfer.status, fail = 4, "customer_limit_exceed"
    if fail is not None:
        state.emit(
            corp,
            events.TransferFail(
                to_user_name=corp.corp_id,
                create_time=now,
                user_id=takeover.userid,
                external_user_id=customer.external_userid,
                fail_reason=fail,
            ),
        )
        return
    old = behaviours.unlink(handover, customer)
    if not transfer.resigned:
        state.emit(
            corp,
            events.DelExternalContact(
                to_user_name=corp.corp_id,
                create_time=now,
                user_id=handover.userid,
                external_user_id=customer.external_userid,
                source="DELETE_BY_TRANSFER",
            ),
        )
    if customer.external_userid not in takeover.follows:
        follow = Follow(
            takeover.userid, customer.external_userid, now, add_way=202, oper_userid=takeover.userid
        )
        if old is not None:
            follow.remark, follow.description, follow.tags = (
                old.remark,
                old.description,
                list(old.tags),
            )
        behaviours.link(takeover, customer, follow)
        # No add event when the take-over member was already a friend (API-FACTS §4.8).
        state.emit(
            corp,
            events.AddExternalContact(
                to_user_name=corp.corp_id,
                create_time=now,
                user_id=takeover.userid,
                external_user_id=customer.external_userid,
            ),
        )
    transfer.status, transfer.takeover_time = 1, now


@api("externalcontact/get_unassigned_list")
def get_unassigned_list(ctx: Ctx) -> dict[str, Any]:
    """Customers of resigned members not yet handed over (page_size ≤1000)."""
    p = ctx.params
    size = p.int("page_size", default=1000, lo=1, hi=1000) or 1000
    waiting = {
        t.external_userid for t in ctx.corp.transfers.values() if t.resigned and t.status == 2
    }
    rows = [
        {"handover_userid": s.userid, "external_userid": ext, "dimission_time": s.resigned_at}
        for s in ctx.corp.staff.values()
        if s.resigned_at is not None
        for ext in s.follows
        if ext not in waiting
    ]
    offset = offset_cursor(p)
    cursor = next_cursor(offset + size, len(rows))
    return {"info": rows[offset : offset + size], "is_last": not cursor, "next_cursor": cursor}
