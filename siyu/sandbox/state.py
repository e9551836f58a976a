"""The sandbox's whole state and the services every part shares (ids, clock, scheduler, emit).

One re-entrant lock guards it: API handlers, the control API, the live driver and the scheduler
all take it, so each WeCom call sees a consistent world. Ids and behaviour rolls come from
seeded RNGs, so a world built from the same seed and the same calls is the same world.
"""

from __future__ import annotations

import hashlib
import heapq
import random
import string
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from siyu.sandbox.callbacks import CallbackEmitter
from siyu.sandbox.clock import SandboxClock
from siyu.sandbox.faults import Faults
from siyu.sandbox.models import Corp
from siyu.sandbox.rules import Rules
from siyu.wecom.crypto import generate_aes_key
from siyu.wecom.errors import WeComError
from siyu.wecom.events import CallbackEvent

_ALNUM = string.ascii_letters + string.digits


@dataclass(slots=True)
class Behaviour:
    """How simulated people act; probabilities are rolled on the seeded behaviour RNG."""

    mass_confirm_probability: float = 0.9
    mass_confirm_delay: int = 600  # seconds after the task is created
    moment_confirm_probability: float = 0.8
    moment_confirm_delay: int = 1800
    moment_job_seconds: int = 0  # how long add_moment_task's job runs before its result
    reply_probability: float = 0.3
    reply_delay: int = 120
    transfer_refuse_probability: float = 0.05
    welcome_code_probability: float = 1.0  # share of adds that carry a WelcomeCode

    def update(self, values: dict[str, Any]) -> None:
        names = {f.name for f in fields(self)}
        unknown = set(values) - names
        if unknown:
            raise ValueError(f"unknown behaviour settings: {sorted(unknown)}")
        for name, value in values.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# A scheduled action: (due timestamp, sequence, action name, corp id, arguments).
Scheduled = tuple[float, int, str, str, dict[str, Any]]
ACTIONS: dict[str, Callable[[SandboxState, Corp, dict[str, Any]], None]] = {}


def scheduled_action(
    name: str,
) -> Callable[[Callable[[SandboxState, Corp, dict[str, Any]], None]], Callable[..., None]]:
    def register(fn: Callable[[SandboxState, Corp, dict[str, Any]], None]) -> Callable[..., None]:
        ACTIONS[name] = fn
        return fn

    return register


class SandboxState:
    def __init__(self, *, seed: int = 0, clock: SandboxClock | None = None) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.clock = clock or SandboxClock()
        self.rules = Rules()
        self.behaviour = Behaviour()
        self.faults = Faults(seed=seed)
        self.corps: dict[str, Corp] = {}
        self.tokens: dict[str, tuple[str, int]] = {}  # access_token -> (corp_id, expires_at)
        self.ids = random.Random(f"ids:{seed}")
        self.rng = random.Random(f"behaviour:{seed}")
        self.schedule: list[Scheduled] = []
        self._schedule_seq = 0
        self.emitter: CallbackEmitter | None = None
        self.live_drivers: dict[str, Any] = {}  # corp_id -> LiveDriver (not persisted)
        self.state_file: str | None = None
        self.hint_seq = 0

    # -- ids -------------------------------------------------------------------------------
    def token(self, length: int, alphabet: str = _ALNUM) -> str:
        return "".join(self.ids.choices(alphabet, k=length))

    def new_id(self, prefix: str, length: int = 30) -> str:
        return prefix + self.token(length - len(prefix))

    def version(self, *parts: object) -> str:
        return hashlib.md5(":".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()

    # -- corps -----------------------------------------------------------------------------
    def create_corp(
        self,
        *,
        corp_id: str | None = None,
        name: str = "Sandbox Corp",
        secret: str | None = None,
        agentid: int = 1000002,
        callback_token: str | None = None,
        encoding_aes_key: str | None = None,
    ) -> Corp:
        corp_id = corp_id or self.new_id("ww", 18).lower()
        if corp_id in self.corps:
            raise ValueError(f"corp {corp_id} exists")
        corp = Corp(
            corp_id=corp_id,
            name=name,
            secret=secret or self.token(43),
            agentid=agentid,
            callback_token=callback_token or self.token(16),
            encoding_aes_key=encoding_aes_key or generate_aes_key(),
        )
        self.corps[corp_id] = corp
        return corp

    def corp(self, corp_id: str) -> Corp:
        try:
            return self.corps[corp_id]
        except KeyError:
            raise KeyError(f"unknown corp {corp_id}") from None

    # -- time and scheduling ---------------------------------------------------------------
    def now(self) -> int:
        return self.clock.ts()

    def at(self, due: float, action: str, corp_id: str, **args: Any) -> None:
        self._schedule_seq += 1
        heapq.heappush(self.schedule, (due, self._schedule_seq, action, corp_id, args))

    def run_due(self) -> int:
        """Run every scheduled action whose time has come (cheap when none is due)."""
        if not self.schedule or self.schedule[0][0] > self.clock.time():
            return 0
        ran = 0
        with self.lock:
            now = self.clock.time()
            while self.schedule and self.schedule[0][0] <= now:
                _, _, action, corp_id, args = heapq.heappop(self.schedule)
                corp = self.corps.get(corp_id)
                if corp is not None:
                    try:
                        ACTIONS[action](self, corp, args)
                    except WeComError:
                        pass  # the world moved on since (friend gone, task cancelled)
                ran += 1
        return ran

    def pending(self, corp_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            rows = sorted(self.schedule)
        return [
            {"due": due, "action": action, "corp_id": cid, "args": args}
            for due, _, action, cid, args in rows
            if corp_id is None or cid == corp_id
        ]

    # -- callbacks -------------------------------------------------------------------------
    def emit(self, corp: Corp, event: CallbackEvent) -> None:
        """Queue a callback; a corp without a verified callback URL gets none (like WeCom)."""
        if corp.callback_url and self.emitter is not None:
            self.emitter.submit(
                corp_id=corp.corp_id,
                url=corp.callback_url,
                token=corp.callback_token,
                encoding_aes_key=corp.encoding_aes_key,
                event=event,
            )

    def next_hint(self) -> str:
        self.hint_seq += 1
        return f"{self.clock.ts()}{self.hint_seq:06d}"
