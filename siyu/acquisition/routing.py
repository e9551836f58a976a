"""Which users a code's contact way should list right now.

WeCom spreads a multi-user contact way's scans over its `user` list on its own, so Siyu routes
by choosing that list (≤100 users, API-FACTS §4.3): staff who are on shift and under every cap,
narrowed by the code's strategy, steered away from accounts near a cap, and never empty (backup
staff, then the pool, when nobody qualifies). Pure functions: the repository gathers the loads.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

WAY_USER_CAP = 100
NEAR_CAP = 0.95


@dataclass(frozen=True)
class StaffLoad:
    userid: str
    active: bool  # a WeCom member who can receive customers now
    friends: int
    friend_cap: int
    adds_today: int  # passive adds today through any channel
    daily_cap: int  # the staff member's own daily cap
    code_adds_today: int  # adds today through this code
    code_cap: int | None  # the code's per-staff daily cap
    weight: int = 1

    @property
    def under_caps(self) -> bool:
        return (
            self.active
            and self.friends < self.friend_cap
            and self.adds_today < self.daily_cap
            and (self.code_cap is None or self.code_adds_today < self.code_cap)
        )

    @property
    def near_cap(self) -> bool:
        return (
            self.friends >= NEAR_CAP * self.friend_cap
            or self.adds_today >= NEAR_CAP * self.daily_cap
        )


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def within(start: str, end: str, moment: datetime) -> bool:
    """Is `moment` (local time) in [start, end)? A window whose end is before its start runs
    past midnight (22:00–06:00)."""
    now, begin, finish = moment.time(), _clock(start), _clock(end)
    if begin <= finish:
        return begin <= now < finish
    return now >= begin or now < finish


def on_shift(hours: dict[str, Any] | None, moment: datetime) -> bool:
    if not hours:
        return True
    weekdays = hours.get("weekdays") or [1, 2, 3, 4, 5, 6, 7]
    if moment.isoweekday() not in weekdays:
        return False
    return within(hours.get("start", "00:00"), hours.get("end", "00:00"), moment) or (
        hours.get("start") == hours.get("end")
    )


def skip_verify_now(skip_verify: bool, windows: Sequence[dict[str, str]], moment: datetime) -> bool:
    if not skip_verify:
        return False
    return not windows or any(within(w["start"], w["end"], moment) for w in windows)


def _strategy(routing: str, loads: list[StaffLoad]) -> list[StaffLoad]:
    if routing == "least_loaded":
        ordered = sorted(loads, key=lambda s: (s.adds_today / max(s.daily_cap, 1), s.friends))
        return ordered[: max(1, math.ceil(len(ordered) / 2))]
    if routing == "weighted":
        weighted = [s for s in loads if s.weight > 0] or loads
        # Behind-or-at their share: WeCom's even spread over these pulls everyone to weight.
        floor = min(s.code_adds_today / max(s.weight, 1) for s in weighted)
        return [s for s in weighted if s.code_adds_today / max(s.weight, 1) <= floor + 1]
    return loads


def choose_users(
    *,
    routing: str,
    pool: Sequence[StaffLoad],
    backups: Sequence[StaffLoad],
    on_duty: bool,
) -> list[str]:
    """The user list for the contact way; `on_duty` is False outside the code's hours."""
    eligible = [s for s in pool if s.under_caps] if on_duty else []
    roomy = [s for s in eligible if not s.near_cap]
    chosen = _strategy(routing, roomy or eligible) if eligible else []
    if not chosen:
        chosen = [s for s in backups if s.under_caps] or list(backups) or list(pool)[:1]
    return [s.userid for s in chosen][:WAY_USER_CAP]
