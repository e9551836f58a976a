"""The welcome: add_external_contact → code by `state` → send_welcome_msg within 20 s, once.

Runs as an add hook (siyu/customers/hooks.py): first in the urgent lane the moment the gateway
has stored the add (siyu/inbox/lane.py), so no job backlog delays it, and again in the add
handler's prefetch, the durable path, should the lane not have got to it. Neither holds a
write transaction while WeCom answers. Exactly once per WelcomeCode: the claim row is
committed before the call, so the other path, a duplicated callback, a replay or a retry finds
it and sends nothing (WeCom would also refuse a second send with 41051, but a second *attempt*
must not happen either).
Nothing is sent without a WelcomeCode (WeCom gives none when a console welcome is configured,
the customer is already chatting, or another app used the half-add's code: API-FACTS §3.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session

from siyu.acquisition import attachments
from siyu.acquisition.models import Channel, LiveCode
from siyu.acquisition.repository import acquisition_repository as repo
from siyu.acquisition.templates import TemplateValues, render_welcome
from siyu.customers.service import from_timestamp
from siyu.inbox.handlers import PrefetchContext
from siyu.kit.clock import utcnow
from siyu.profile.stages import CN_TZ
from siyu.staff.repository import staff_members
from siyu.wecom.client import client_for
from siyu.wecom.events import AddExternalContact
from siyu.wecom.exceptions import WeComApiError

log = structlog.get_logger("siyu.acquisition")
EXPIRED_ERRCODE = 41050
# WeCom takes a WelcomeCode for 20 s after the add (API-FACTS §4.4), and CreateTime is whole
# seconds: a second more before calling a code hopeless.
WINDOW = timedelta(seconds=21)
# Far past WeCom's 20 s welcome window: no send of a claim this old can still be in flight.
SETTLE_AFTER = timedelta(minutes=2)


@dataclass
class WelcomePlan:
    source: str  # code | staff | corp
    code_id: Any
    text: str
    attachments: list[dict[str, Any]]
    channel: str = ""
    code: str = ""
    staff_name: str = ""
    fields: set[str] = field(default_factory=set)
    # Planned without its library materials (`plan_welcome(materials=False)`): plan again.
    needs_materials: bool = False


@dataclass(frozen=True)
class WelcomeOutcome:
    welcome_code: str
    status: str  # sent | failed (a row's `uncertain` is set by `settle_stale` only)
    errcode: int | None
    sent_at: datetime | None
    latency_ms: float | None


def live_code(session: Session, corp_id: Any, state: str | None, now: datetime) -> LiveCode | None:
    """The enabled, unexpired code an add's state names (None: no code applies)."""
    if not state:
        return None
    code = repo.code_by_state(session, corp_id, state)
    if code is None or not code.enabled:
        return None
    if code.expires_at is not None and code.expires_at <= now:
        return None
    return code


def plan_welcome(
    session: Session, ctx: PrefetchContext, event: AddExternalContact, *, materials: bool
) -> WelcomePlan | None:
    """The code's welcome, else the staff member's default, else the corp's; None: none set.

    Library materials are resolved only with `materials` (it writes their use counts, so it
    needs a write session); without, a plan that has some says so in `needs_materials`."""
    corp_id, now = ctx.corp.id, ctx.now
    member = staff_members.get_by_userid(session, corp_id, event.user_id)
    staff_name = member.name if member is not None else event.user_id
    code = live_code(session, corp_id, event.state, now)
    if code is not None and (
        code.welcome_text or code.welcome_attachments or code.welcome_material_ids
    ):
        channel = session.get(Channel, code.channel_id)
        pending = bool(code.welcome_material_ids) and not materials
        return WelcomePlan(
            "code",
            code.id,
            code.welcome_text,
            []
            if pending
            else attachments.of_code(session, code, corp=ctx.corp, runtime=ctx.runtime),
            channel=channel.name if channel is not None else "",
            code=code.name,
            staff_name=staff_name,
            needs_materials=pending,
        )
    for source, userid in (("staff", event.user_id), ("corp", "")):
        default = repo.welcome_default(session, corp_id, userid)
        if default is not None:
            pending = bool(default.material_ids) and not materials
            return WelcomePlan(
                source,
                code.id if code is not None else None,
                default.text,
                []
                if pending
                else attachments.of_default(session, default, corp=ctx.corp, runtime=ctx.runtime),
                staff_name=staff_name,
                needs_materials=pending,
            )
    return None


def _nickname(ctx: PrefetchContext, event: AddExternalContact) -> str:
    """Only fetched when the text uses {nickname}: the callback does not carry the name."""
    try:
        answer = client_for(ctx.runtime, ctx.corp).externalcontact_get(
            external_userid=event.external_user_id
        )
    except WeComApiError:
        return ""
    return answer.external_contact.name


def send_welcome(ctx: PrefetchContext, event: AddExternalContact) -> WelcomeOutcome | None:
    if not event.welcome_code:
        return None
    corp_id = ctx.corp.id
    # Read first, holding no write lock (on SQLite the one every sender and the gateway need):
    # the durable path's second run (the prefetch, after the urgent lane sent it) ends here,
    # and a welcome without library materials is planned here too.
    with ctx.runtime.db.transaction(write=False) as session:
        if repo.welcome_of(session, corp_id, event.welcome_code) is not None:
            return None
        plan = plan_welcome(session, ctx, event, materials=False)
    event_time = from_timestamp(event.create_time)
    # Past WeCom's window the call can only fail (41050): claim the code as `expired` instead,
    # so nobody tries, and the senders' time goes to welcomes that can still arrive.
    late = event_time is not None and ctx.now > event_time + WINDOW
    with ctx.runtime.db.transaction() as session:
        if plan is not None and plan.needs_materials:
            # Library attachments count their use (a write): planned again with the claim.
            plan = plan_welcome(session, ctx, event, materials=True)
        if plan is None:
            return None
        claimed = repo.claim_welcome(
            session,
            {
                "corp_id": corp_id,
                "welcome_code": event.welcome_code,
                "inbox_event_id": ctx.inbox_event_id,
                "code_id": plan.code_id,
                "staff_userid": event.user_id,
                "external_userid": event.external_user_id,
                "source": plan.source,
                "status": "expired" if late else "sending",
                "event_time": event_time,
                "received_at": ctx.received_at,
            },
        )
    if not claimed:
        return None  # a duplicate: the first delivery owns this WelcomeCode
    if late:
        log.info("welcome_too_late", staff_userid=event.user_id)
        return None
    values = TemplateValues(
        channel=plan.channel,
        code=plan.code,
        nickname=_nickname(ctx, event) if "{nickname" in plan.text else "",
        staff_name=plan.staff_name,
        at=ctx.now.astimezone(CN_TZ),
    )
    text = render_welcome(plan.text, values) or None
    errcode: int | None = None
    try:
        client_for(ctx.runtime, ctx.corp).send_welcome_msg(
            welcome_code=event.welcome_code, text=text, attachments=plan.attachments or None
        )
    except WeComApiError as exc:
        errcode = exc.errcode
    except Exception:  # network trouble: record it; the claim keeps a retry from sending twice
        log.exception("welcome_send_error", staff_userid=event.user_id)
        errcode = -1
    sent_at = utcnow()
    received = ctx.received_at
    latency = (sent_at - received).total_seconds() * 1000 if received is not None else None
    if errcode is not None:
        log.warning("welcome_failed", errcode=errcode, staff_userid=event.user_id)
    outcome = WelcomeOutcome(
        event.welcome_code,
        "sent" if errcode is None else "failed",
        errcode,
        sent_at if errcode is None else None,
        latency,
    )
    # Recorded at once, in a short transaction of its own: whatever happens to the handler
    # afterwards (a failed contact fetch, a retry, a crash of its transaction), the row says
    # what WeCom answered. Only a crash between the send and this commit leaves it `sending`;
    # `settle_stale` turns such rows `uncertain` (never resent either way).
    with ctx.runtime.db.transaction() as session:
        record_outcome(session, corp_id, outcome)
    return outcome


def record_outcome(session: Session, corp_id: Any, outcome: WelcomeOutcome | None) -> None:
    if outcome is None:
        return
    repo.finish_welcome(
        session,
        corp_id,
        outcome.welcome_code,
        status=outcome.status,
        errcode=outcome.errcode,
        sent_at=outcome.sent_at,
        latency_ms=outcome.latency_ms,
    )


def settle_stale(session: Session, *, now: datetime) -> int:
    """Claims still `sending` long after WeCom's 20 s window: the sender died between its call
    and recording the answer, so nobody knows whether the customer got the welcome. They
    become `uncertain`; the claim still keeps anyone from sending again."""
    return repo.settle_welcomes(session, claimed_before=now - SETTLE_AFTER)
