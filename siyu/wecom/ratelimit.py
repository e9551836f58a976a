"""Per-corp, per-API rate and concurrency limits shared by every process.

Rate: calls are handed out per minute window (WeCom counts per minute too, API-FACTS §1.3).
A process takes them from the shared store in batches, so a sync making thousands of calls
costs one store round-trip per batch rather than per call.

Concurrency: a corp API has `cap` numbered slots in the shared store (the same for every API
unless `api_concurrency` names it). A process leases slots
(with an expiry) and lends them to its threads; a call starts only on a slot whose lease
outlives the longest a call can take, so even a process that dies or stalls can never push the
number of calls in flight above `cap`. Idle slots go back to the store after `linger` seconds.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from siyu.kit.clock import utcnow
from siyu.wecom.store import SharedStore

Sleep = Callable[[float], None]


def minute_window(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def seconds_to_next_window(moment: datetime) -> float:
    return 60.0 - (moment.timestamp() % 60.0)


@dataclass
class SlotUse:
    """A lent slot; a caller that timed out sets `hold_seconds` to delay its return."""

    slot: int
    hold_seconds: float = 0.0


@dataclass
class _Held:
    slot: int
    lease_until: datetime
    idle_since: float = field(default_factory=time.monotonic)


@dataclass
class _Api:
    """What one process holds of one corp API: unspent calls and leased slots."""

    lock: threading.Condition = field(default_factory=threading.Condition)
    window: int = -1
    tokens: int = 0
    blocked_until: datetime | None = None
    free: list[_Held] = field(default_factory=list)
    busy: int = 0
    waiting: int = 0


class Limiter:
    def __init__(
        self,
        store: SharedStore,
        *,
        rate_per_minute: int,
        max_concurrency: int,
        call_seconds: float,
        api_concurrency: dict[str, int] | None = None,
        sleep: Sleep = time.sleep,
        linger: float = 0.5,
    ) -> None:
        self.store = store
        self.rate = rate_per_minute
        self.cap = max_concurrency
        self.api_caps = dict(api_concurrency or {})
        self.sleep = sleep
        self.linger = linger
        # A slot is only lent out while its lease outlives one whole call plus the hold after a
        # timeout (see `slot`), with a margin.
        self.call_seconds = call_seconds
        self.min_lease = timedelta(seconds=2 * call_seconds + 2.0)
        self.lease = timedelta(seconds=max(30.0, 3 * self.min_lease.total_seconds()))
        self.batch = max(1, min(50, rate_per_minute // 100))
        self.holder = uuid.uuid4().hex
        self._apis: dict[tuple[str, str], _Api] = {}
        self._lock = threading.Lock()

    def _api(self, corp: str, api: str) -> _Api:
        key = (corp, api)
        state = self._apis.get(key)
        if state is None:
            with self._lock:
                state = self._apis.setdefault(key, _Api())
        return state

    # -- rate -----------------------------------------------------------------------------
    def take(self, corp: str, api: str) -> None:
        """Wait until this minute's quota (or the next minute's) has a call for us."""
        state = self._api(corp, api)
        while True:
            with state.lock:
                now = utcnow()
                if state.blocked_until is not None and now < state.blocked_until:
                    wait = (state.blocked_until - now).total_seconds()
                else:
                    window = minute_window(now)
                    if state.window != window:
                        state.window, state.tokens = window, 0
                    if state.tokens == 0:
                        state.tokens = self.store.take(corp, api, window, self.batch, self.rate)
                    if state.tokens > 0:
                        state.tokens -= 1
                        return
                    wait = seconds_to_next_window(now)
            self.sleep(wait + random.uniform(0.0, 0.05))

    def block(self, corp: str, api: str, seconds: float) -> None:
        """WeCom answered 45009: nobody in this process calls the API until the window ends."""
        state = self._api(corp, api)
        with state.lock:
            until = utcnow() + timedelta(seconds=seconds)
            if state.blocked_until is None or state.blocked_until < until:
                state.blocked_until = until
            state.tokens = 0

    # -- concurrency ----------------------------------------------------------------------
    @contextmanager
    def slot(self, corp: str, api: str) -> Iterator[SlotUse]:
        state = self._api(corp, api)
        held = self._acquire(corp, api, state)
        use = SlotUse(held.slot)
        try:
            yield use
        finally:
            if use.hold_seconds > 0:
                # A request we stopped waiting for may still run at WeCom and count against its
                # cap there: keep its slot out of use a while longer before lending it again.
                timer = threading.Timer(use.hold_seconds, self._return, (state, held))
                timer.daemon = True
                timer.start()
            else:
                self._return(state, held)

    def _return(self, state: _Api, held: _Held) -> None:
        with state.lock:
            state.busy -= 1
            held.idle_since = time.monotonic()
            state.free.append(held)
            state.lock.notify()

    def cap_of(self, api: str) -> int:
        return self.api_caps.get(api, self.cap)

    def _acquire(self, corp: str, api: str, state: _Api) -> _Held:
        while True:
            held: _Held | None = None
            with state.lock:
                now = utcnow()
                while state.free:
                    held = state.free.pop()
                    if held.lease_until - now >= self.min_lease:
                        state.busy += 1
                        return held
                    # Too close to expiry to cover a call: renew outside the lock, or drop it.
                    state.busy += 1
                    break
                else:
                    if state.busy >= self.cap_of(api):
                        state.waiting += 1
                        state.lock.wait(0.05)
                        state.waiting -= 1
                        continue
                    state.busy += 1
            until = utcnow() + self.lease
            if held is not None:
                if self.store.renew_slot(corp, api, held.slot, self.holder, until):
                    held.lease_until = until
                    return held
                with state.lock:
                    state.busy -= 1
                continue
            slot = self.store.lease_slot(corp, api, self.cap_of(api), self.holder, until)
            if slot is not None:
                return _Held(slot, until)
            with state.lock:
                # Every slot is leased by someone; another process will hand one back.
                state.busy -= 1
                state.lock.wait(0.02 + random.uniform(0.0, 0.03))

    def release_idle(self, *, everything: bool = False) -> None:
        """Give slots idle for `linger` seconds back to the store (all of them at shutdown)."""
        cutoff = time.monotonic() - self.linger
        for (corp, api), state in list(self._apis.items()):
            with state.lock:
                if state.waiting and not everything:
                    continue
                keep = [h for h in state.free if h.idle_since > cutoff and not everything]
                gone = [h.slot for h in state.free if h not in keep]
                state.free = keep
            if gone:
                self.store.release_slots(corp, api, gone, self.holder)
