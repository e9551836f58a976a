"""The quota engine: periods of WeCom's mass-message rule, Siyu's caps and quiet hours, and the
set-based counts that decide who still has a slot (API-FACTS §5).

WeCom counts every mass message a customer (or group) *received* in a natural period in China
time, enterprise- and member-created together:

- `days_in_month` (current doc D:92135): as many per month as the month has days;
- `four_per_month` (the older rule, still quoted by SDKs);
- `seven_per_week` / `one_per_day` (an admin can tighten the rule in 群发助手).

A message WeCom would refuse (send result 3, "already received another") is a wasted send, so
Siyu leaves such people out before the task exists and reports them. What counts is every
`MassRecipient` row with `counted_at` set (planned, sent or delivered by Siyu), plus the
receipts of mass messages staff sent from their own client (staff_sends.py). A row stops
counting when its result says it never arrived.

This module gives the windows; the counting is part of the planner's INSERT … SELECT (one
index seek per person into each ledger's `corp_id, target, counted_at` index, inside the
plan's one statement): never a query, or a Python loop, per customer.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from siyu.messaging.models import MassSettings
from siyu.profile.stages import CN_TZ

QuotaRule = Literal["days_in_month", "four_per_month", "seven_per_week", "one_per_day"]
QUOTA_RULES: tuple[str, ...] = ("days_in_month", "four_per_month", "seven_per_week", "one_per_day")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    allowed: int | None  # None: no limit

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _day_start(moment: datetime) -> datetime:
    return datetime.combine(moment.astimezone(CN_TZ).date(), time.min, CN_TZ)


def day_window(moment: datetime, allowed: int | None) -> Window:
    start = _day_start(moment)
    return Window(start, start + timedelta(days=1), allowed)


def week_window(moment: datetime, allowed: int | None) -> Window:
    day = _day_start(moment)
    start = day - timedelta(days=day.weekday())
    return Window(start, start + timedelta(days=7), allowed)


def month_window(moment: datetime, allowed: int) -> Window:
    local = moment.astimezone(CN_TZ)
    start = datetime(local.year, local.month, 1, tzinfo=CN_TZ)
    days = calendar.monthrange(local.year, local.month)[1]
    return Window(start, start + timedelta(days=days), allowed)


def quota_window(rule: str, moment: datetime) -> Window:
    """WeCom's period containing `moment` and how many messages it allows."""
    if rule == "one_per_day":
        return day_window(moment, 1)
    if rule == "seven_per_week":
        return week_window(moment, 7)
    if rule == "four_per_month":
        return month_window(moment, 4)
    local = moment.astimezone(CN_TZ)
    return month_window(moment, calendar.monthrange(local.year, local.month)[1])


@dataclass(frozen=True)
class Limits:
    """Everything a plan is checked against, for one send moment."""

    quota: Window
    daily: Window
    weekly: Window

    @classmethod
    def of(cls, settings: MassSettings, moment: datetime) -> Limits:
        return cls(
            quota=quota_window(settings.quota_rule, moment),
            daily=day_window(moment, settings.daily_cap),
            weekly=week_window(moment, settings.weekly_cap),
        )


def in_quiet_hours(settings: MassSettings, moment: datetime) -> bool:
    start, end = settings.quiet_start_hour, settings.quiet_end_hour
    if start is None or end is None or start == end:
        return False
    hour = moment.astimezone(CN_TZ).hour
    return start <= hour < end if start < end else hour >= start or hour < end


def after_quiet_hours(settings: MassSettings, moment: datetime) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (no send is planned inside them)."""
    if not in_quiet_hours(settings, moment):
        return moment
    end = settings.quiet_end_hour
    assert end is not None
    local = moment.astimezone(CN_TZ)
    candidate = datetime.combine(local.date(), time(hour=end), CN_TZ)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(UTC)
