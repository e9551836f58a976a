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


@dataclass
class Faults:
    seed: int = 0
    api_errors: dict[str, ApiFault] = field(default_factory=dict)  # api path or "*"
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
        """Replace the configuration; the RNG restarts from `seed` so runs are reproducible."""
        with self._lock:
            self.seed = int(values.get("seed", self.seed))
            self.api_errors = {
                api: ApiFault(int(spec["errcode"]), float(spec.get("rate", 1.0)))
                for api, spec in values.get("api_errors", {}).items()
            }
            self.latency_ms = {api: float(ms) for api, ms in values.get("latency_ms", {}).items()}
            self.callback_drop_rate = float(values.get("callback_drop_rate", 0.0))
            self.callback_duplicate_rate = float(values.get("callback_duplicate_rate", 0.0))
            self.callback_reorder_rate = float(values.get("callback_reorder_rate", 0.0))
            self._rng = random.Random(self.seed)

    def describe(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "api_errors": {
                k: {"errcode": v.errcode, "rate": v.rate} for k, v in self.api_errors.items()
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
        fault = self.api_errors.get(api) or self.api_errors.get("*")
        if fault is None:
            return None
        with self._lock:
            return fault.errcode if self._rng.random() < fault.rate else None

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
