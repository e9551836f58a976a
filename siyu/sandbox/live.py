"""The live driver: customers keep arriving, as in a shop with a QR code on the counter.

Arrivals follow the sandbox clock (so moving time moves arrivals too), at `rate_per_minute`,
each one scanning a contact way (created on demand) and sometimes joining a group.
"""

from __future__ import annotations

import random
import threading
from typing import Any

from siyu.sandbox import behaviours, groups
from siyu.sandbox.api_ways import expand_users
from siyu.sandbox.models import ContactWay, Corp
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import make_customer
from siyu.wecom.errors import WeComError

MAX_BURST = 1000  # arrivals per tick when the clock jumps far ahead


class LiveDriver:
    def __init__(
        self,
        state: SandboxState,
        corp_id: str,
        *,
        rate_per_minute: float = 6.0,
        join_probability: float = 0.2,
        seed: int | None = None,
    ) -> None:
        self.state = state
        self.corp_id = corp_id
        self.rate_per_minute = rate_per_minute
        self.join_probability = join_probability
        self.rng = random.Random(f"live:{state.seed if seed is None else seed}:{corp_id}")
        self.arrived = 0
        self.failed = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last = state.clock.time()
        self._credit = 0.0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if not self.running:
            self._stop.clear()
            self._last = self.state.clock.time()
            self._thread = threading.Thread(target=self._run, name="sandbox-live", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def describe(self) -> dict[str, Any]:
        return {
            "corp_id": self.corp_id,
            "running": self.running,
            "rate_per_minute": self.rate_per_minute,
            "arrived": self.arrived,
            "failed": self.failed,
        }

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.tick()

    def tick(self) -> int:
        """Let the customers due since the last tick arrive; returns how many did."""
        now = self.state.clock.time()
        self._credit += max(0.0, now - self._last) * self.rate_per_minute / 60.0
        self._last = now
        count = min(int(self._credit), MAX_BURST)
        self._credit -= count
        for _ in range(count):
            self.arrive()
        self.state.run_due()
        return count

    def _contact_way(self, corp: Corp) -> ContactWay:
        if corp.contact_ways:
            return self.rng.choice(list(corp.contact_ways.values()))
        users = [s.userid for s in corp.staff.values() if s.can_follow and s.resigned_at is None][
            :100
        ]
        if not users:
            raise WeComError(84074, "no staff member can receive customers")
        way = ContactWay(
            self.state.new_id("", 32).lower(),
            2,
            2,
            self.state.now(),
            state="live_counter",
            user=users,
        )
        corp.contact_ways[way.config_id] = way
        return way

    def arrive(self) -> None:
        state = self.state
        with state.lock:
            corp = state.corps.get(self.corp_id)
            if corp is None:
                return
            try:
                way = self._contact_way(corp)
                customer = make_customer(self.rng, state.now())
                scan_contact_way(state, corp, way, customer, self.rng)
                self.arrived += 1
                if corp.join_ways and self.rng.random() < self.join_probability:
                    config_id = self.rng.choice(list(corp.join_ways))
                    groups.join_by_way(
                        state, corp, config_id=config_id, external_userid=customer.external_userid
                    )
            except WeComError:
                self.failed += 1  # a cap was hit: that is what the rules are for


def scan_contact_way(
    state: SandboxState, corp: Corp, way: ContactWay, customer: Any, rng: random.Random
) -> str:
    """A customer scans a 「联系我」 code: one of its users receives them, carrying its state."""
    if way.is_temp and way.used:
        raise WeComError(41044, "temporary contact way already used")
    users = [
        u
        for u in expand_users(corp, way.user, way.party)
        if u in corp.staff and corp.staff[u].resigned_at is None
    ]
    if not users:
        raise WeComError(84074, "contact way has no active user")
    userid = rng.choice(users)
    behaviours.add_customer(
        state, corp, userid=userid, customer=customer, state_param=way.state, add_way=1
    )
    way.used = True
    return userid
