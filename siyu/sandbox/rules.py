"""Platform rules the sandbox enforces, each configurable (API-FACTS §1.3, §5).

Defaults follow the documented values; where WeCom publishes no number (friend caps, daily
passive adds, concurrency) the default is a reasonable stand-in and says so.
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

# WeCom counts natural days and months in China Standard Time.
CN_TZ = timezone(timedelta(hours=8))

QuotaMode = Literal["days_in_month", "four_per_month", "seven_per_week", "one_per_day"]


@dataclass(slots=True)
class Rules:
    friend_cap: int = 20_000  # per staff member after expansion (vendor figure; 5,000 initially)
    daily_passive_add_cap: int = 400  # not published by WeCom; a common operator limit
    group_size_cap: int = 500
    group_invite_link_cap: int = 200  # beyond 200, joining needs a manual invitation
    join_way_chat_cap: int = 5
    contact_way_user_cap: int = 100
    contact_way_cap: int = 500_000
    corp_tag_cap: int = 3000
    mass_quota: QuotaMode = "days_in_month"
    rate_limit_per_minute: int = 10_000  # per corp per API (45009)
    concurrency_cap: int = 300  # per corp per API (45033); WeCom publishes no current number
    token_ttl: int = 7200
    welcome_code_ttl: int = 20
    transfer_delay: int = 24 * 3600
    transfer_max_per_90_days: int = 2
    remind_max_per_day: int = 3

    def update(self, values: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown rules: {sorted(unknown)}")
        for name, value in values.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def quota_window(mode: QuotaMode, ts: float) -> tuple[str, int]:
    """(window key, allowed count) of the mass-message quota period containing `ts`."""
    moment = datetime.fromtimestamp(ts, CN_TZ)
    if mode == "one_per_day":
        return moment.strftime("d%Y%m%d"), 1
    if mode == "seven_per_week":
        monday = moment.date() - timedelta(days=moment.weekday())
        return f"w{monday.isoformat()}", 7
    if mode == "four_per_month":
        return moment.strftime("m%Y%m"), 4
    return moment.strftime("m%Y%m"), calendar.monthrange(moment.year, moment.month)[1]
