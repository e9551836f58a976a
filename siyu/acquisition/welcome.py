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

import functools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.orm import Session

from siyu.acquisition import attachments
from siyu.acquisition.models import Channel, LiveCode, WelcomeDefault
from siyu.acquisition.repository import acquisition_repository as repo
from siyu.acquisition.templates import TemplateValues, render_welcome
from siyu.customers.service import from_timestamp
from siyu.inbox.handlers import PrefetchContext
from siyu.kit.clock import utcnow
from siyu.profile.stages import CN_TZ
from siyu.staff.repository import staff_members
from siyu.wecom.client import WeComClient, client_for
from siyu.wecom.events import AddExternalContact
from siyu.wecom.exceptions import WeComApiError

if TYPE_CHECKING:
    from siyu.runtime import Runtime

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
    # Planned without its library materials (`WelcomePlanner(materials=False)`): plan again.
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


class WelcomePlanner:
    """The welcome for each of a batch of adds: the code's, else the staff member's default,
    else the corp's (None: none set). Lookups the adds share (the code behind a `state`, a
    staff member's default, the staff names) are made once per planner.

    Library materials are resolved only with `materials` (it writes their use counts, so it
    needs a write session, and nothing is shared: each welcome counts); without, a plan that
    has some says so in `needs_materials`."""

    def __init__(
        self, session: Session, ctx: PrefetchContext, *, materials: bool, userids: Sequence[str]
    ) -> None:
        self._session, self._ctx, self._materials = session, ctx, materials
        self._userids = sorted(set(userids))
        # Read once for the whole batch, and only when needed: most adds of a burst share a
        # code, and a corp without welcomes costs one query per batch, not one per add.
        self._names: dict[str, str] | None = None
        self._default_rows: dict[str, WelcomeDefault] | None = None
        self._codes: dict[str | None, tuple[LiveCode | None, WelcomePlan | None]] = {}
        self._defaults: dict[str, WelcomePlan | None] = {}

    def plan(self, event: AddExternalContact) -> WelcomePlan | None:
        code, plan = self._code_plan(event.state)
        if plan is None:
            plan = self._default_plan(event.user_id)
            if plan is not None and code is not None:
                plan = replace(plan, code_id=code.id)
        if plan is None:
            return None
        if self._names is None:
            self._names = staff_members.names_of(self._session, self._ctx.corp.id, self._userids)
        return replace(plan, staff_name=self._names.get(event.user_id, event.user_id))

    def _code_plan(self, state: str | None) -> tuple[LiveCode | None, WelcomePlan | None]:
        if not self._materials and state in self._codes:
            return self._codes[state]
        session, ctx = self._session, self._ctx
        code = live_code(session, ctx.corp.id, state, ctx.now)
        plan = None
        if code is not None and (
            code.welcome_text or code.welcome_attachments or code.welcome_material_ids
        ):
            channel = session.get(Channel, code.channel_id)
            pending = bool(code.welcome_material_ids) and not self._materials
            plan = WelcomePlan(
                "code",
                code.id,
                code.welcome_text,
                []
                if pending
                else attachments.of_code(session, code, corp=ctx.corp, runtime=ctx.runtime),
                channel=channel.name if channel is not None else "",
                code=code.name,
                needs_materials=pending,
            )
        self._codes[state] = (code, plan)
        return code, plan

    def _default_plan(self, userid: str) -> WelcomePlan | None:
        if not self._materials and userid in self._defaults:
            return self._defaults[userid]
        session, ctx = self._session, self._ctx
        if self._default_rows is None:
            owners = [*self._userids, ""]  # "" is the corp's own default
            self._default_rows = repo.welcome_defaults_of(session, ctx.corp.id, owners)
        plan = None
        for source, owner in (("staff", userid), ("corp", "")):
            default = self._default_rows.get(owner)
            if default is not None:
                pending = bool(default.material_ids) and not self._materials
                plan = WelcomePlan(
                    source,
                    None,
                    default.text,
                    []
                    if pending
                    else attachments.of_default(
                        session, default, corp=ctx.corp, runtime=ctx.runtime
                    ),
                    needs_materials=pending,
                )
                break
        self._defaults[userid] = plan
        return plan


def _nickname(client: Callable[[], WeComClient], event: AddExternalContact) -> str:
    """Only fetched when the text uses {nickname}: the callback does not carry the name."""
    try:
        answer = client().externalcontact_get(external_userid=event.external_user_id)
    except WeComApiError:
        return ""
    return answer.external_contact.name


Welcome = tuple[PrefetchContext, AddExternalContact]


class WelcomeSources:
    """Which corps have anything to welcome with (an enabled code, a default), as this process
    last read it: the urgent lane's shortcut, so the adds of a corp that welcomes nobody cost
    the lane no query at all (at a burst of 1,000 adds/s, the lane's three reads per batch took
    a fifth of the gateway's core).

    Each corp's answer is re-read after `ttl` seconds, and dropped as soon as this process
    commits a change to the corp's codes or defaults. Only the lane trusts it: the durable path
    (the add handler's prefetch) always reads, so a welcome configured in another process in the
    last `ttl` seconds still goes out, by that path, a little later."""

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._known: dict[Any, tuple[bool, float]] = {}
        self._lock = threading.Lock()
        self._forgotten = 0  # bumped by `forget`: a read that overlapped one is not kept

    def any(self, runtime: Runtime, corp_id: Any) -> bool:
        now = time.monotonic()
        known = self._known.get(corp_id)
        if known is not None and known[1] > now:
            return known[0]
        forgotten = self._forgotten
        with runtime.db.transaction(write=False) as session:
            found = repo.has_welcome_sources(session, corp_id)
        with self._lock:
            if forgotten == self._forgotten:
                self._known[corp_id] = (found, now + self.ttl)
        return found

    def forget(self, corp_id: Any) -> None:
        with self._lock:
            self._forgotten += 1
            self._known.pop(corp_id, None)


welcome_sources = WelcomeSources()


def send_welcomes_urgently(welcomes: Sequence[Welcome]) -> None:
    """The urgent lane's turn: `send_welcomes`, skipping adds without a WelcomeCode and corps
    with nothing to welcome with (see `WelcomeSources`) before any query."""
    wanted = [
        (ctx, event)
        for ctx, event in welcomes
        if event.welcome_code and welcome_sources.any(ctx.runtime, ctx.corp.id)
    ]
    if wanted:
        send_welcomes(wanted, wait=False)


def send_welcome(ctx: PrefetchContext, event: AddExternalContact) -> WelcomeOutcome | None:
    """One add's welcome (the handler's prefetch, the durable path)."""
    return send_welcomes([(ctx, event)])[0]


def send_welcomes(welcomes: Sequence[Welcome], *, wait: bool = True) -> list[WelcomeOutcome | None]:
    """The welcomes of several adds, in order (None where nothing was sent by this call).

    `wait=False` (the urgent lane's sender): the sends are handed to the lane's call threads,
    which record WeCom's answers when they come, and all None is returned at once.

    The urgent lane hands over whatever has queued up since its last turn: under a burst of
    adds, three short transactions for the whole batch (read, claim, record) instead of three
    per add leave the senders' time to the sends themselves."""
    outcomes: list[WelcomeOutcome | None] = [None] * len(welcomes)
    by_corp: dict[Any, list[int]] = {}
    for index, (ctx, event) in enumerate(welcomes):
        if event.welcome_code:
            by_corp.setdefault(ctx.corp.id, []).append(index)
    for indexes in by_corp.values():
        sent = _send_for_corp([welcomes[i] for i in indexes], wait=wait)
        for index, outcome in zip(indexes, sent, strict=True):
            outcomes[index] = outcome
    return outcomes


@dataclass(frozen=True)
class _Add:
    ctx: PrefetchContext
    event: AddExternalContact
    welcome_code: str


def _send_for_corp(welcomes: list[Welcome], *, wait: bool) -> list[WelcomeOutcome | None]:
    adds = [_Add(ctx, event, event.welcome_code or "") for ctx, event in welcomes]
    first = adds[0].ctx
    corp_id, runtime = first.corp.id, first.runtime
    plans: dict[str, WelcomePlan | None] = {}
    # Read first, holding no write lock (on SQLite the one every sender and the gateway need):
    # the durable path's second run (the prefetch, after the urgent lane sent it) ends here,
    # and a welcome without library materials is planned here too.
    with runtime.db.transaction(write=False) as session:
        taken = repo.claimed_welcome_codes(session, corp_id, [add.welcome_code for add in adds])
        userids = [add.event.user_id for add in adds]
        planner = WelcomePlanner(session, first, materials=False, userids=userids)
        for add in adds:
            if add.welcome_code not in taken:
                plans[add.welcome_code] = planner.plan(add.event)
    chosen: dict[str, WelcomePlan] = {}
    late: set[str] = set()
    claims: list[dict[str, Any]] = []
    with runtime.db.transaction() as session:
        for add in adds:
            code, event = add.welcome_code, add.event
            plan = plans.get(code)
            if code in taken or code in chosen or plan is None:
                continue
            if plan.needs_materials:
                # Library attachments count their use (a write): planned again, per welcome.
                planner = WelcomePlanner(session, add.ctx, materials=True, userids=[event.user_id])
                plan = planner.plan(event)
                if plan is None:
                    continue
            event_time = from_timestamp(event.create_time)
            # Past WeCom's window the call can only fail (41050): claim the code as `expired`
            # instead, so nobody tries, and the senders' time goes to welcomes that can still
            # arrive.
            if event_time is not None and add.ctx.now > event_time + WINDOW:
                late.add(code)
                log.info("welcome_too_late", staff_userid=event.user_id)
            chosen[code] = plan
            claims.append(
                {
                    "corp_id": corp_id,
                    "welcome_code": code,
                    "inbox_event_id": add.ctx.inbox_event_id,
                    "code_id": plan.code_id,
                    "staff_userid": event.user_id,
                    "external_userid": event.external_user_id,
                    "source": plan.source,
                    "status": "expired" if code in late else "sending",
                    "event_time": event_time,
                    "received_at": add.ctx.received_at,
                }
            )
        claimed = repo.claim_welcomes(session, claims) - late
    # Ours to send: claimed by this call (not a duplicate the first delivery owns), in time,
    # and once each even if the batch repeats a code.
    to_send: dict[str, _Add] = {}
    for add in adds:
        if add.welcome_code in claimed:
            to_send.setdefault(add.welcome_code, add)
    sent: dict[str, WelcomeOutcome] = {}
    if to_send:
        # Made on first use inside each send's error handling: a corp whose app secret is
        # missing gets its claims recorded `failed` (41004), not left `sending`.
        client = functools.cache(lambda: client_for(runtime, first.corp))
        pending = list(to_send.values())

        def send(add: _Add) -> WelcomeOutcome:
            return _send(add, chosen[add.welcome_code], client)

        # Recorded as soon as WeCom has answered, in a short transaction of its own: whatever
        # happens to the handler afterwards (a failed contact fetch, a retry, a crash of its
        # transaction), the row says what WeCom answered. Only a crash between the send and
        # this commit leaves it `sending`; `settle_stale` turns such rows `uncertain` (never
        # resent either way).
        def record(outcomes: Sequence[WelcomeOutcome | None]) -> None:
            with runtime.db.transaction() as session:
                record_outcomes(session, corp_id, outcomes)

        lane = runtime.urgent
        if lane is not None and not wait:
            lane.dispatch(send, pending, then=record)  # the lane's sender moves on meanwhile
            return [None] * len(adds)
        results = lane.fan_out(send, pending) if lane is not None else map(send, pending)
        sent = {outcome.welcome_code: outcome for outcome in results}
        record(list(sent.values()))
    return [sent.pop(add.welcome_code, None) for add in adds]


def _send(add: _Add, plan: WelcomePlan, client: Callable[[], WeComClient]) -> WelcomeOutcome:
    ctx, event = add.ctx, add.event
    values = TemplateValues(
        channel=plan.channel,
        code=plan.code,
        nickname=_nickname(client, event) if "{nickname" in plan.text else "",
        staff_name=plan.staff_name,
        at=ctx.now.astimezone(CN_TZ),
    )
    text = render_welcome(plan.text, values) or None
    errcode: int | None = None
    try:
        client().send_welcome_msg(
            welcome_code=add.welcome_code, text=text, attachments=plan.attachments or None
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
    return WelcomeOutcome(
        add.welcome_code,
        "sent" if errcode is None else "failed",
        errcode,
        sent_at if errcode is None else None,
        latency,
    )


def record_outcomes(
    session: Session, corp_id: Any, outcomes: Sequence[WelcomeOutcome | None]
) -> None:
    repo.finish_welcomes(
        session,
        corp_id,
        [
            {
                "welcome_code": outcome.welcome_code,
                "status": outcome.status,
                "errcode": outcome.errcode,
                "sent_at": outcome.sent_at,
                "latency_ms": outcome.latency_ms,
            }
            for outcome in outcomes
            if outcome is not None
        ],
    )


def settle_stale(session: Session, *, now: datetime) -> int:
    """Claims still `sending` long after WeCom's 20 s window: the sender died between its call
    and recording the answer, so nobody knows whether the customer got the welcome. They
    become `uncertain`; the claim still keeps anyone from sending again."""
    return repo.settle_welcomes(session, claimed_before=now - SETTLE_AFTER)
