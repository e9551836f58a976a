"""Plays the store opening's hour on the sandbox clock.

Each customer scans their channel's contact way (WeCom picks one of the way's current users),
and some join the store's group through the group code's join way a few minutes later. The
sandbox clock is frozen and moved to each event's simulated time, so the hour passes as fast as
Siyu keeps up. Siyu has to keep up: WeCom routes a scan to the way's users without asking Siyu,
so a member at their cap leaves the way only once Siyu has handled the add and called
update_contact_way. Real scans come seconds apart while Siyu answers in milliseconds; here
the clock waits (`settle`) until Siyu has caught up, which is what keeps the simulated crowd as
honest as a real one. To go faster than one event at a time, up to `window` events may be in
flight while nobody is near a limit: the driver counts each member's adds (per code and in all)
and each group's members from the sandbox's answers, and settles right after any event that
brings someone within `window` of a cap or a group within `window` of the rotation threshold,
and before the clock passes 5 simulated seconds beyond an unsettled add (welcome codes live 20).
"""

from __future__ import annotations

import heapq
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from siyu.storeopening.plan import Plan
from siyu.storeopening.siyu_side import StoreSetup
from siyu.storeopening.wecom_side import SandboxError, SandboxSide


@dataclass
class Played:
    started_at: float  # sandbox time of the opening
    scans: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    joins: int = 0
    added: Counter[str] = field(default_factory=Counter)
    max_members: dict[str, int] = field(default_factory=dict)
    stalls: int = 0  # settles that timed out (Siyu did not catch up in time)
    wall_seconds: float = 0.0


def play(
    plan: Plan,
    setup: StoreSetup,
    sandbox: SandboxSide,
    *,
    backlog: Callable[[], int],
    settle_timeout: float = 60.0,
    window: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> Played:
    started = time.perf_counter()
    sandbox.clock(freeze=True)
    opening = sandbox.now()
    played = Played(started_at=opening)
    # (time, order, kind, channel, customer); scans first, joins pushed as customers arrive.
    events: list[tuple[float, int, str, int, str]] = [
        (a.at, i, "scan", a.channel, "") for i, a in enumerate(plan.arrivals)
    ]
    heapq.heapify(events)
    order = len(events)
    done, total = 0, len(plan.arrivals) + sum(1 for a in plan.arrivals if a.join_after)
    limits = _Limits(plan, setup, window)
    unsettled: list[float] = []  # simulated times of the events Siyu may not have handled yet
    dirty = False
    try:
        while events:
            at, index, kind, channel, customer = heapq.heappop(events)
            if unsettled and (dirty or len(unsettled) >= limits.window or at - unsettled[0] > 5):
                if not settle(sandbox, backlog, timeout=settle_timeout):
                    played.stalls += 1
                unsettled, dirty = [], False
            target = opening + at
            now = sandbox.now()
            if target > now:
                sandbox.clock(advance=target - now)
            if kind == "scan":
                code = setup.codes[channel]
                try:
                    got = sandbox.act("scan_contact_way", config_id=code.config_id)
                except SandboxError as exc:
                    played.refused[str(exc)[:80]] += 1
                else:
                    played.scans += 1
                    played.added[str(got["userid"])] += 1
                    dirty |= limits.add(channel, str(got["userid"]))
                    join_after = plan.arrivals[index].join_after
                    if join_after is not None:
                        order += 1
                        heapq.heappush(
                            events,
                            (at + join_after, order, "join", channel, str(got["external_userid"])),
                        )
            else:
                try:
                    got = sandbox.act(
                        "join_group", config_id=setup.join_config_id, external_userid=customer
                    )
                except SandboxError as exc:
                    played.refused[str(exc)[:80]] += 1
                else:
                    played.joins += 1
                    chat = str(got["chat_id"])
                    played.max_members[chat] = max(
                        played.max_members.get(chat, 0), int(got["members"])
                    )
                    dirty |= int(got["members"]) >= setup.threshold - limits.window
            unsettled.append(at)
            done += 1
            if progress is not None:
                progress(done, total)
        if not settle(sandbox, backlog, timeout=settle_timeout):
            played.stalls += 1
    finally:
        sandbox.clock(freeze=False)
    played.wall_seconds = time.perf_counter() - started
    return played


def settle(sandbox: SandboxSide, backlog: Callable[[], int], *, timeout: float) -> bool:
    """Wait until every callback is delivered and Siyu has handled it and its jobs."""
    deadline = time.monotonic() + timeout
    sandbox.drain()
    pause = 0.005
    while backlog() > 0:
        if time.monotonic() > deadline:
            return False
        time.sleep(pause)
        pause = min(0.05, pause * 1.5)
    return True


class _Limits:
    """Each member's adds per code and in all, as the sandbox reported them."""

    def __init__(self, plan: Plan, setup: StoreSetup, window: int) -> None:
        caps = [c.daily_cap for c in plan.channels]
        # Where caps are small (a small crowd), the window shrinks to one: every event settles.
        self.window = max(1, min(window, min(caps) // 4, setup.threshold // 4))
        self.caps = caps
        self.own_cap = plan.staff_daily_cap
        self.by_code: Counter[tuple[int, str]] = Counter()
        self.total: Counter[str] = Counter()

    def add(self, channel: int, userid: str) -> bool:
        """Count an add; True when the member is now within the window of a cap."""
        self.by_code[(channel, userid)] += 1
        self.total[userid] += 1
        return (
            self.by_code[(channel, userid)] >= self.caps[channel] - self.window
            or self.total[userid] >= self.own_cap - self.window
        )
