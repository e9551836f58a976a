"""What the store opening is: channels, pools, caps, groups and when each customer arrives.

Pure data and arithmetic (no I/O), so the same plan drives the CLI, the demo and the test.
Caps scale with the number of customers so that they *bite* at any size: each channel's pool
alone cannot take its share, so members reach their code cap and Siyu moves the contact way
to the next members and then to the backups (update_contact_way), while the whole staff still
has room for every customer (nobody needs to pass a cap).
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, field

DEFAULT_CUSTOMERS = 5000
STAFF = 20
DURATION = 3600  # one simulated hour
JOIN_SHARE = 0.3  # customers who then join the store's group through the group code
GROUPS = 12
ACTIVE_GROUPS = 5  # WeCom's cap of groups per join way (41091)
THRESHOLD_PERCENT = 90
MAX_GROUP_CAP = 200  # groups of WeChat users (API-FACTS §5)


def staff_userids() -> list[str]:
    return [f"store{index:02d}" for index in range(1, STAFF + 1)]


@dataclass(frozen=True)
class ChannelPlan:
    name: str
    code_name: str
    state: str
    share: float
    pool: tuple[str, ...]
    daily_cap: int  # per member, for this channel's code


@dataclass(frozen=True)
class Arrival:
    at: float  # seconds after the opening
    channel: int  # index into Plan.channels
    join_after: float | None  # seconds after the add, when the customer joins the group


@dataclass(frozen=True)
class Plan:
    customers: int
    seed: int
    channels: tuple[ChannelPlan, ...]
    backups: tuple[str, ...]
    staff_daily_cap: int
    group_cap: int
    arrivals: tuple[Arrival, ...] = field(repr=False)

    @property
    def staff(self) -> list[str]:
        return staff_userids()

    @property
    def threshold(self) -> int:
        return self.group_cap * THRESHOLD_PERCENT // 100


def customers_from_env(default: int = DEFAULT_CUSTOMERS) -> int:
    """`SIYU_STORE_OPENING_CUSTOMERS` overrides the crowd (the test's default is smaller)."""
    raw = os.environ.get("SIYU_STORE_OPENING_CUSTOMERS")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"SIYU_STORE_OPENING_CUSTOMERS must be a number, not {raw!r}") from None
    return value


def intensity(t: float) -> float:
    """Relative arrival rate at `t` seconds: a base flow, the opening rush in the first ten
    minutes and a lunch peak around minute 45 (the hour runs 11:15–12:15 in the story)."""
    rush = 5.0 * math.exp(-(((t - 240) / 200) ** 2))
    lunch = 3.0 * math.exp(-(((t - 2700) / 300) ** 2))
    return 1.0 + rush + lunch


def arrival_times(customers: int, rng: random.Random) -> list[float]:
    """`customers` times over the hour, drawn from `intensity` by rejection sampling."""
    top = max(intensity(t) for t in range(0, DURATION, 10))
    times: list[float] = []
    while len(times) < customers:
        t = rng.uniform(0, DURATION)
        if rng.uniform(0, top) <= intensity(t):
            times.append(t)
    return sorted(times)


LAYOUT = (
    ("门店海报", "门店海报码", "so_poster", 0.45, slice(0, 8)),
    ("收银台", "收银台码", "so_cashier", 0.35, slice(8, 14)),
    ("导购名片", "导购名片码", "so_card", 0.20, slice(14, 18)),
)
BACKUPS = slice(18, 20)


def _channels(demand: list[int]) -> tuple[ChannelPlan, ...]:
    """Each pool takes about 90 % of its channel's actual demand; the backups take the rest.
    With two backups, (pool + 2) × cap ≥ demand holds whenever demand ≥ pool × (pool + 2) / 2
    (40 for the poster's eight), which 100 customers or more always give."""
    staff = staff_userids()
    plans = []
    for (name, code_name, state, share, members), wanted in zip(LAYOUT, demand, strict=True):
        pool = tuple(staff[members])
        # At most 90 % of the demand and always short of all of it, so the pool runs out.
        cap = max(1, min(math.ceil(wanted * 0.9 / len(pool)), math.ceil(wanted / len(pool)) - 1))
        plans.append(ChannelPlan(name, code_name, state, share, pool, cap))
    return tuple(plans)


def build_plan(customers: int = DEFAULT_CUSTOMERS, *, seed: int = 2026) -> Plan:
    if customers < 100 or customers > 50_000:
        raise ValueError("the store opening takes 100 to 50,000 customers")
    rng = random.Random(f"store-opening:{seed}:{customers}")
    shares = [share for _, _, _, share, _ in LAYOUT]
    arrivals = tuple(
        Arrival(
            at=at,
            channel=rng.choices(range(len(LAYOUT)), weights=shares)[0],
            join_after=rng.uniform(60, 900) if rng.random() < JOIN_SHARE else None,
        )
        for at in arrival_times(customers, rng)
    )
    demand = [sum(1 for a in arrivals if a.channel == index) for index in range(len(LAYOUT))]
    channels = _channels(demand)
    backups = tuple(staff_userids()[BACKUPS])
    # Room for everyone: a member's own cap is above any code cap, and either backup may take
    # three quarters of what the pools leave (WeCom picks between the two at random, and a
    # backup full on one code may still be needed on another). At 5,000 customers that stays
    # under WeCom's own 400 passive adds a day.
    overflow = sum(
        max(0, n - len(c.pool) * c.daily_cap) for n, c in zip(demand, channels, strict=True)
    )
    staff_daily_cap = max(max(c.daily_cap for c in channels) + 1, math.ceil(overflow * 0.75) + 2)
    joins = sum(1 for a in arrivals if a.join_after is not None)
    # Groups fill to the threshold in turn; the pool holds 30 % more room than the joins need.
    per_group = math.ceil(joins * 1.3 / GROUPS)
    group_cap = min(MAX_GROUP_CAP, max(10, math.ceil(per_group * 100 / THRESHOLD_PERCENT)))
    return Plan(
        customers=customers,
        seed=seed,
        channels=channels,
        backups=backups,
        staff_daily_cap=staff_daily_cap,
        group_cap=group_cap,
        arrivals=arrivals,
    )
