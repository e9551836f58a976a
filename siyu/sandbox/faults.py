"""Fault injection, reproducible from a seed.

Every decision (inject an errcode, drop/duplicate/reorder a callback) draws from one seeded
`random.Random`, so a test that sets the same seed and makes the same calls sees the same faults.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

CallbackFate = Literal["deliver", "drop", "duplicate", "reorder"]


@dataclass(slots=True)
class ApiFault:
    errcode: int
    rate: float


def _api_faults(spec: Any) -> list[ApiFault]:
    """One `{"errcode", "rate"}` or a list of them (several errcodes on one API)."""
    specs = spec if isinstance(spec, list) else [spec]
    faults = [ApiFault(int(s["errcode"]), float(s.get("rate", 1.0))) for s in specs]
    if sum(f.rate for f in faults) > 1.0:
        raise ValueError("the rates of one API's faults add up to more than 1")
    return faults


@dataclass
class Faults:
    seed: int = 0
    # api path or "*" → faults drawn with one roll per call (their rates add up)
    api_errors: dict[str, list[ApiFault]] = field(default_factory=dict)
    latency_ms: dict[str, float] = field(default_factory=dict)  # api path or "*"
    callback_drop_rate: float = 0.0
    callback_duplicate_rate: float = 0.0
    callback_reorder_rate: float = 0.0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def configure(self, values: dict[str, Any]) -> None:
        """Replace the configuration; the RNG restarts from `seed` so runs are reproducible.
        Everything is validated before anything changes."""
        seed = int(values.get("seed", self.seed))
        api_errors = {api: _api_faults(spec) for api, spec in values.get("api_errors", {}).items()}
        latency = {api: float(ms) for api, ms in values.get("latency_ms", {}).items()}
        rates = [
            float(values.get(name, 0.0))
            for name in ("callback_drop_rate", "callback_duplicate_rate", "callback_reorder_rate")
        ]
        if any(not 0.0 <= rate <= 1.0 for rate in rates) or sum(rates) > 1.0:
            raise ValueError("callback fault rates must be within 0..1 and add up to at most 1")
        with self._lock:
            self.seed = seed
            self.api_errors = api_errors
            self.latency_ms = latency
            self.callback_drop_rate, self.callback_duplicate_rate, self.callback_reorder_rate = (
                rates
            )
            self._rng = random.Random(self.seed)

    def describe(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "api_errors": {
                api: [{"errcode": f.errcode, "rate": f.rate} for f in faults]
                for api, faults in self.api_errors.items()
            },
            "latency_ms": dict(self.latency_ms),
            "callback_drop_rate": self.callback_drop_rate,
            "callback_duplicate_rate": self.callback_duplicate_rate,
            "callback_reorder_rate": self.callback_reorder_rate,
        }

    @property
    def active(self) -> bool:
        return bool(self.api_errors or self.latency_ms)

    def api_error(self, api: str) -> int | None:
        faults = self.api_errors.get(api) or self.api_errors.get("*")
        if not faults:
            return None
        with self._lock:
            roll = self._rng.random()
        for fault in faults:
            if roll < fault.rate:
                return fault.errcode
            roll -= fault.rate
        return None

    def latency(self, api: str) -> float:
        return self.latency_ms.get(api, self.latency_ms.get("*", 0.0)) / 1000.0

    def callback_fate(self) -> CallbackFate:
        with self._lock:
            roll = self._rng.random()
        if roll < self.callback_drop_rate:
            return "drop"
        roll -= self.callback_drop_rate
        if roll < self.callback_duplicate_rate:
            return "duplicate"
        roll -= self.callback_duplicate_rate
        if roll < self.callback_reorder_rate:
            return "reorder"
        return "deliver"
